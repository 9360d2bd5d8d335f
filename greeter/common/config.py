#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""greeter's options, how the service reads them, and how it loads the app.

Options are registered on the ``ConfigOpts`` a caller hands in (the entry
points pass ``cfg.CONF``, which oslo.middleware's filters also read), never
at import time. ``list_opts`` feeds ``oslo-config-generator``.
"""

from __future__ import annotations

import configparser
import importlib
import os
from collections.abc import Callable
from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import opts as middleware_opts
from oslo_policy import opts as policy_opts
from paste import deploy

from greeter.common import exception
from greeter.common import options

PROJECT = "greeter"

greeting_opts = [
    cfg.StrOpt("name", default="Johnny",
               help="Who is greeted."),
    cfg.StrOpt("greeting", default="Howdy",
               help="The word of welcome put before the name."),
]

auth_opts = [
    cfg.StrOpt("strategy", default="token", choices=[
        ("keystone", "Requests must carry a Keystone token in "
                     "X-Auth-Token, validated by keystonemiddleware's "
                     "auth_token (configure [keystone_authtoken])."),
        ("token", "Requests must carry one of the configured tokens in "
                  "X-Auth-Token."),
        ("noauth", "No authentication. For demos and tests only."),
    ], help="How requests to the API are authenticated. Each strategy "
            "has its own pipeline in api-paste.ini. Policy "
            "([oslo_policy]) applies to all of them."),
    cfg.ListOpt("token_roles", default=["reader", "member"],
                help="Roles of every caller the token and noauth "
                     "strategies let through (they have no Keystone "
                     "identity), for policy. The default allows both "
                     "greetings; 'reader' alone allows only hello. "
                     "Identity headers a client sends (X-Roles, "
                     "X-User-Id, X-Project-Id, ...) are always dropped."),
    cfg.ListOpt("tokens", default=[], secret=True,
                help="Tokens accepted in X-Auth-Token. Prefer token_file "
                     "outside of demos."),
    cfg.StrOpt("token_file",
               help="A file holding accepted tokens, one per line (for "
                    "container secrets). Blank lines and lines starting "
                    "with # are ignored."),
]

api_opts = [
    cfg.HostAddressOpt("bind_host", default="0.0.0.0",  # nosec B104
                       help="Address greeter-api listens on. Takes effect "
                            "on restart only: a reload (SIGHUP) keeps the "
                            "socket it has."),
    cfg.PortOpt("bind_port", default=8004,
                help="Port greeter-api listens on. Takes effect on "
                     "restart only: a reload (SIGHUP) keeps the socket "
                     "it has."),
    cfg.IntOpt("workers", default=2, min=1,
               help="Number of gunicorn worker processes."),
    cfg.StrOpt("worker_class", default="gthread",
               choices=["sync", "gthread"],
               help="gunicorn worker class. gthread keeps connections "
                    "alive and is not held up by one slow client."),
    cfg.IntOpt("threads", default=8, min=1,
               help="Threads per worker (gthread only). A client that "
                    "sends its request slowly holds one thread until it "
                    "is done, so keep this above the slow clients one "
                    "worker may have to carry."),
    cfg.IntOpt("timeout", default=30, min=1,
               help="Seconds a worker may be silent before it is "
                    "killed and replaced."),
    cfg.IntOpt("graceful_timeout", default=30, min=0,
               help="Seconds workers get to finish requests in flight "
                    "after SIGTERM."),
    cfg.IntOpt("keepalive", default=5, min=0,
               help="Seconds to wait for the next request on a kept-alive "
                    "connection."),
    cfg.IntOpt("max_requests", default=0, min=0,
               help="Restart a worker after this many requests (0: "
                    "never)."),
    cfg.IntOpt("max_requests_jitter", default=0, min=0,
               help="Random extra requests added to max_requests per "
                    "worker, so workers do not restart together."),
    cfg.URIOpt("public_endpoint", schemes=["http", "https"],
               help="The URL clients reach the API at (e.g. "
                    "https://greeter.example.com/), used in the links of "
                    "the versions document. Unset, links follow the "
                    "request's Host (and X-Forwarded-Host when "
                    "[oslo_middleware] enable_proxy_headers_parsing is "
                    "on), which a client chooses: set it wherever a "
                    "shared cache sits in front."),
]

paste_deploy_opts = [
    cfg.StrOpt("config_file", default="api-paste.ini",
               help="The PasteDeploy file that defines the pipeline; a "
                    "relative name is looked for beside the config "
                    "files."),
]

# Options a reload (SIGHUP) cannot apply: gunicorn keeps its listening
# socket, so that no connection is refused while workers are replaced.
# Everything else, gunicorn's other settings included, is re-read.
RESTART_ONLY = (("api", "bind_host"), ("api", "bind_port"))

request_log_opts = [
    cfg.ListOpt("health_paths", default=["/healthcheck"],
                help="Paths of health traffic (load balancers' and "
                     "containers' probes): requests to these paths, or "
                     "below them, are logged at health_level instead of "
                     "INFO, so that probes do not bury the API's "
                     "requests."),
    cfg.StrOpt("health_level", default="DEBUG",
               choices=["DEBUG", "INFO"],
               help="Level of the request log's lines for health "
                    "traffic. DEBUG hides them unless debug is on (or "
                    "default_log_levels lowers the request log's level); "
                    "INFO logs them like every other request."),
]

_GROUPS = (
    ("greeting", greeting_opts),
    ("auth", auth_opts),
    ("api", api_opts),
    ("paste_deploy", paste_deploy_opts),
    ("request_log", request_log_opts),
)

KEYSTONE_GROUP = "keystone_authtoken"

# keystonemiddleware leaves http_connect_timeout unset (wait for ever) and
# retries a failed call to Keystone three times with growing pauses. A
# worker must not hang on an unreachable Keystone: with these, one call
# gives up after at most (retries + 1) * timeout + 0.5 s of pauses
# (10.5 s), and the client gets a 503.
KEYSTONE_DEFAULTS = {
    "http_connect_timeout": 5,
    "http_request_max_retries": 1,
}


def keystone_authtoken_opts() -> list[cfg.Opt]:
    """auth_token's own options (keystonemiddleware registers the same)."""
    # Imported here: keystonemiddleware and keystoneauth take a tenth of
    # a second to import, which the token and noauth strategies need not
    # pay at every start.
    from keystonemiddleware import auth_token
    ((_, opts),) = auth_token.list_opts()
    return opts


def register_keystone_opts(conf: cfg.ConfigOpts) -> None:
    """Register ``[keystone_authtoken]`` on ``conf`` with greeter's defaults.

    Called when the keystone strategy's pipeline is built, before
    keystonemiddleware reads the options.
    """
    conf.register_opts(keystone_authtoken_opts(), group=KEYSTONE_GROUP)
    for name, value in KEYSTONE_DEFAULTS.items():
        conf.set_default(name, value, group=KEYSTONE_GROUP)


# oslo.middleware's filters register these when paste builds them; doing
# it before parsing validates them with the rest, and lets tests and
# operators set them before the app exists.
_MIDDLEWARE_OPTS = (
    middleware_opts.list_opts_healthcheck,
    middleware_opts.list_opts_http_proxy_to_wsgi,
    middleware_opts.list_opts_sizelimit,
)


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register greeter's options, and the filters', on ``conf``."""
    for group, opts in _GROUPS:
        conf.register_opts(opts, group=group)
    for list_middleware_opts in _MIDDLEWARE_OPTS:
        for group, opts in list_middleware_opts():
            conf.register_opts(opts, group=group)
    for group, opts in policy_opts.list_opts():
        conf.register_opts(opts, group=group)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator (entry point ``greeter``).

    ``[keystone_authtoken]`` is listed here, with greeter's defaults,
    rather than through keystonemiddleware's own namespace, whose sample
    would show keystonemiddleware's defaults and not the password plugin.
    """
    from keystoneauth1 import loading as ks_loading
    # The password plugin's options (auth_url, username, password...) are
    # registered by keystonemiddleware once the strategy is keystone:
    # auth_url is required, so registering them for every strategy would
    # refuse to start a token-strategy greeter. password is a secret
    # option, masked whenever options are logged.
    keystone_opts = (keystone_authtoken_opts()
                     + ks_loading.get_auth_plugin_conf_options("password"))
    cfg.set_defaults(keystone_opts, **KEYSTONE_DEFAULTS)
    return [(group, list(opts)) for group, opts in _GROUPS] + [
        (KEYSTONE_GROUP, keystone_opts)]


def parse_args(conf: cfg.ConfigOpts, args: Sequence[str],
               default_config_files: list[str] | None = None) -> None:
    """Register options, parse ``args`` and set up oslo.log.

    ``args`` are greeter's own (never a WSGI server's argv). Precedence:
    command line, then ``OS_<GROUP>__<OPTION>`` environment variables, then
    config files.
    """
    register_opts(conf)
    logging.register_options(conf)
    conf(list(args), project=PROJECT,
         default_config_files=default_config_files)
    # Every value checked now, so a bad one is reported as such, whoever
    # would have read it first.
    options.read_all(conf)
    logging.setup(conf, PROJECT)


def config_files_from_env(variable: str = "OS_GREETER_CONFIG_FILES",
                          ) -> list[str] | None:
    """Config files named by ``variable`` (os.pathsep separated), if set."""
    value = os.environ.get(variable)
    if not value:
        return None
    return [path for path in value.split(os.pathsep) if path]


def paste_config_path(conf: cfg.ConfigOpts) -> str:
    """Absolute path of the paste file, or ConfigError if there is none."""
    name = conf.paste_deploy.config_file
    path = name if os.path.isabs(name) else conf.find_file(name)
    if not path or not os.path.isfile(path):
        raise exception.ConfigError(
            f"paste config {name!r} not found (set [paste_deploy] "
            "config_file, or put it beside the config file)")
    return os.path.abspath(path)


# The keys of a paste section that name a factory, as "module:attribute".
PASTE_FACTORY_KEYS = (
    "paste.app_factory",
    "paste.composite_factory",
    "paste.filter_factory",
    "paste.filter_app_factory",
)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _check_factory(path: str, section: str, key: str, spec: str) -> None:
    module_name, _, attributes = spec.strip().partition(":")
    try:
        target = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name and (module_name == exc.name
                         or module_name.startswith(exc.name + ".")):
            raise exception.ConfigError(
                f"{path}: [{section}] {key} = {spec}: no module named "
                f"{exc.name!r}") from None
        raise  # a module that exists but fails to import: a bug
    for attribute in filter(None, attributes.split(".")):
        if not hasattr(target, attribute):
            raise exception.ConfigError(
                f"{path}: [{section}] {key} = {spec}: {module_name} has "
                f"no attribute {attributes!r}")
        target = getattr(target, attribute)


def check_paste_file(path: str, factories: bool = True) -> None:
    """ConfigError naming the fault, for a paste file paste cannot load.

    paste.deploy reports a file with no section header as a configparser
    traceback, and a factory that does not exist as an AttributeError
    that greeter could not tell from a bug inside a factory. Reading the
    file first, as paste reads it, and (with ``factories``) resolving each
    factory it names turns both into one line naming the section.
    """
    parser = configparser.RawConfigParser(strict=True)
    try:
        with open(path, encoding="utf-8") as paste_file:
            parser.read_file(paste_file)
    except configparser.MissingSectionHeaderError as exc:
        raise exception.ConfigError(
            f"{path}: line {exc.lineno}: {exc.line.strip()!r} comes "
            "before any [section] header") from None
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise exception.ConfigError(f"{path}: {_one_line(exc)}") from None
    if not factories:
        return
    for section in parser.sections():
        for key in PASTE_FACTORY_KEYS:
            if parser.has_option(section, key):
                _check_factory(path, section, key, parser.get(section, key))


def load_paste_app(conf: cfg.ConfigOpts,
                   name: str = "main") -> Callable:
    """Build the WSGI pipeline ``name`` from the paste file.

    Paste calls the factories inside-out: the app first, then each filter
    around it, so the first filter listed is the first to see a request.
    """
    path = paste_config_path(conf)
    check_paste_file(path, factories=False)
    try:
        return deploy.loadapp(f"config:{path}", name=name)
    except (AttributeError, ImportError):
        # A factory that does not exist, or a bug inside one. Resolving
        # every factory tells which; only now, because it imports the
        # pipelines of every strategy, and keystonemiddleware with its
        # clients would be a third of each worker's memory.
        check_paste_file(path)
        raise
    except (LookupError, configparser.Error) as exc:
        # A section the paste file names does not exist, or paste's own
        # reading of the file failed.
        raise exception.ConfigError(f"{path}: {_one_line(exc)}") from exc

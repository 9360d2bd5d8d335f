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

"""How greeter registers its options, reads them, and loads the app.

greeter's own options are defined in ``config_options``. They, and those
of the libraries greeter sets up (oslo.middleware's filters, oslo.policy,
keystonemiddleware's auth_token), are registered on the ``ConfigOpts`` a
caller hands in (the entry points pass ``cfg.CONF``, which
oslo.middleware's filters also read), never at import time.
``list_opts`` feeds ``oslo-config-generator``.
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

from greeter.common import config_options
from greeter.common import exception
from greeter.common import options
from greeter.common import unknown_options

PROJECT = "greeter"

# Options a reload (SIGHUP) cannot apply: gunicorn keeps its listening
# socket, so that no connection is refused while workers are replaced.
# Everything else, gunicorn's other settings included, is re-read.
RESTART_ONLY = (("api", "bind_host"), ("api", "bind_port"))

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
    for group, opts in config_options.GROUPS:
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
    return [(group, list(opts)) for group, opts in config_options.GROUPS] + [
        (KEYSTONE_GROUP, keystone_opts)]


# The demo configuration the package carries, so that an installed
# greeter-api runs without a checkout: copies of etc/greeter/'s
# greeter.conf and api-paste.ini (a test keeps them identical), then
# demo-loopback.conf, which keeps the demo off the network.
DEMO_CONFIG_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "etc")
DEMO_CONFIG_FILES = ("greeter.conf", "demo-loopback.conf")


def demo_config_files() -> list[str]:
    """The package's demo config files, in the order they are read."""
    return [os.path.join(DEMO_CONFIG_DIR, name) for name in DEMO_CONFIG_FILES]


def parse_args(conf: cfg.ConfigOpts, args: Sequence[str],
               default_config_files: list[str] | None = None,
               fallback_config_files: Sequence[str] = ()) -> None:
    """Register options, parse ``args`` and set up oslo.log.

    ``args`` are greeter's own (never a WSGI server's argv). Precedence:
    command line, then ``OS_<GROUP>__<OPTION>`` environment variables, then
    config files. The files are those ``--config-file`` and
    ``--config-dir`` name; without them, ``default_config_files`` or, when
    that is None, those oslo.config finds (greeter.conf in ~/.greeter/,
    ~/, /etc/greeter/, /etc/). When no file or directory is named or
    found, ``fallback_config_files``.
    """
    register_opts(conf)
    logging.register_options(conf)
    try:
        conf(list(args), project=PROJECT,
             default_config_files=default_config_files)
        if fallback_config_files and not (conf.config_file
                                          or conf.config_dir):
            # Parsed again rather than guessed from args: oslo.config
            # alone knows what its command line and search found.
            conf(list(args), project=PROJECT,
                 default_config_files=list(fallback_config_files))
    except cfg.ConfigFileParseError as exc:
        raise exception.ConfigError(options.parse_failure(exc)) from None
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
    Built, it is checked for names in the config files that no option
    has (see ``unknown_options``): the factories register theirs.
    """
    path = paste_config_path(conf)
    check_paste_file(path, factories=False)
    try:
        app = deploy.loadapp(f"config:{path}", name=name)
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
    unknown_options.warn(conf)
    return app

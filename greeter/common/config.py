"""greeter's options, how the service reads them, and how it loads the app.

Options are registered on the ``ConfigOpts`` a caller hands in (the entry
points pass ``cfg.CONF``, which oslo.middleware's filters also read), never
at import time. ``list_opts`` feeds ``oslo-config-generator``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import opts as middleware_opts
from paste import deploy

from greeter.common import exception
from greeter.common import log

PROJECT = "greeter"

greeting_opts = [
    cfg.StrOpt("name", default="Johnny",
               help="Who is greeted."),
    cfg.StrOpt("greeting", default="Howdy",
               help="The word of welcome put before the name."),
]

auth_opts = [
    cfg.StrOpt("strategy", default="token", choices=[
        ("token", "Requests must carry one of the configured tokens in "
                  "X-Auth-Token."),
        ("noauth", "No authentication. For demos and tests only."),
    ], help="How requests to the API are authenticated."),
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
                       help="Address greeter-api listens on."),
    cfg.PortOpt("bind_port", default=8004,
                help="Port greeter-api listens on."),
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

_GROUPS = (
    ("greeting", greeting_opts),
    ("auth", auth_opts),
    ("api", api_opts),
    ("paste_deploy", paste_deploy_opts),
)


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


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator (entry point ``greeter``)."""
    return [(group, list(opts)) for group, opts in _GROUPS]


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
    log.setup(conf, PROJECT)


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


def load_paste_app(conf: cfg.ConfigOpts,
                   name: str = "main") -> Callable:
    """Build the WSGI pipeline ``name`` from the paste file.

    Paste calls the factories inside-out: the app first, then each filter
    around it, so the first filter listed is the first to see a request.
    """
    path = paste_config_path(conf)
    try:
        return deploy.loadapp(f"config:{path}", name=name)
    except (LookupError, ImportError) as exc:
        # A section or factory the paste file names does not exist.
        raise exception.ConfigError(f"{path}: {exc}") from exc

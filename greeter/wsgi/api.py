"""WSGI entry point for any WSGI server::

    gunicorn 'greeter.wsgi.api:application'

Configuration comes from the files named in ``OS_GREETER_CONFIG_FILES``
(separated by ``os.pathsep``), else oslo.config's default search
(``/etc/greeter/greeter.conf`` and friends), plus ``OS_*`` environment
variables. The server's own argv is never parsed.
"""

from __future__ import annotations

from collections.abc import Callable

from oslo_config import cfg

from greeter.common import config


def init_application() -> Callable:
    """Parse configuration, set up logging and build the pipeline."""
    conf = cfg.CONF
    config.parse_args(conf, [],
                      default_config_files=config.config_files_from_env())
    return config.load_paste_app(conf)


application = init_application()

"""``greeter-api``: serve the greeter API with gunicorn.

    greeter-api --config-file /etc/greeter/greeter.conf

A configuration that cannot work stops start-up with one line on stderr
and exit status 1, before any worker starts.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import log

from greeter.common import config
from greeter.common import exception
from greeter.common import server

# What start-up failures look like: each is a configuration problem.
STARTUP_ERRORS = (cfg.Error, exception.ConfigError, OSError)

LOG = log.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    conf = cfg.CONF
    try:
        config.parse_args(conf, args)
        # With --debug, every effective option; secret ones show as ****.
        conf.log_opt_values(LOG, logging.DEBUG)
        app = config.load_paste_app(conf)
        server.check_port_free(conf.api.bind_host, conf.api.bind_port)
        gunicorn_app = server.GreeterServer(app, conf)
    except STARTUP_ERRORS as exc:
        sys.exit(f"greeter-api: error: {exc}")
    gunicorn_app.run()


if __name__ == "__main__":
    main()

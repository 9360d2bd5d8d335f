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

"""``greeter-api``: serve the greeter API with gunicorn.

    greeter-api --config-file /etc/greeter/greeter.conf

With no configuration file given or found (greeter.conf in ~/.greeter/,
~/, /etc/greeter/, /etc/), it serves the demo configuration carried in
the package, on 127.0.0.1 only.

A configuration that cannot work stops start-up with one line on stderr
(one JSON object with ``use_json``) and exit status 1, before any worker
starts. A config file that does not parse stops oslo.config before it
has read any option: that line is JSON when ``OS_DEFAULT__USE_JSON``
says so. SIGHUP reloads the configuration (see ``greeter.common.server``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import formatters
from oslo_log import log

from greeter.common import config
from greeter.common import exception
from greeter.common import options
from greeter.common import server

# What start-up failures look like: each is a configuration problem.
STARTUP_ERRORS = (cfg.Error, exception.ConfigError, OSError)
PROG = "greeter-api"
# oslo.config's environment variable for [DEFAULT] use_json.
USE_JSON_VARIABLE = "OS_DEFAULT__USE_JSON"

LOG = log.getLogger(__name__)


def error_line(conf: cfg.ConfigOpts, error: Exception) -> str:
    """``greeter-api: error: ...``; a JSON log record with ``use_json``,
    so that a log pipeline parsing JSON reads this line too."""
    message = f"{PROG}: error: {error}"
    if not wants_json(conf):
        return message
    record = logging.LogRecord(PROG, logging.CRITICAL, __file__, 0,
                               message, None, None)
    return formatters.JSONFormatter().format(record)


def wants_json(conf: cfg.ConfigOpts) -> bool:
    """``use_json`` as configured, or as the environment sets it.

    When a config file does not parse, oslo.config has read no option
    (``conf.use_json`` is its default) but the environment still says
    what the operator asked for; it overrides the files anyway.
    """
    try:
        if conf.use_json:
            return True
    except (cfg.Error, ValueError):  # not registered, or itself bad
        pass
    try:
        return cfg.types.Boolean()(os.environ.get(USE_JSON_VARIABLE, "0"))
    except ValueError:  # not a boolean: oslo.config refuses it too
        return False


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    conf = cfg.CONF
    try:
        config.parse_args(conf, args,
                          fallback_config_files=config.demo_config_files())
        if options.config_files(conf) == config.demo_config_files():
            LOG.warning("No configuration file given or found: serving "
                        "the demo configuration in %s, whose token is "
                        "public. Use --config-file for your own.",
                        config.DEMO_CONFIG_DIR)
        # With --debug, every effective option; secret ones show as ****.
        conf.log_opt_values(LOG, logging.DEBUG)
        app = config.load_paste_app(conf)
        server.check_port_free(conf.api.bind_host, conf.api.bind_port)
        gunicorn_app = server.GreeterServer(app, conf)
    except STARTUP_ERRORS as exc:
        sys.exit(error_line(conf, exc))
    try:
        gunicorn_app.run()
    except RuntimeError as exc:  # gunicorn could not start
        sys.exit(error_line(conf, exc))


if __name__ == "__main__":
    main()

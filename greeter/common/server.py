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

"""gunicorn, configured from oslo.config, serving an app built beforehand.

The app is loaded in the master before gunicorn starts (a broken pipeline
stops start-up with one clear line) and shared copy-on-write by the
workers. gunicorn never sees greeter's argv: its settings come from the
``[api]`` options only, and its own log lines go through oslo.log.

SIGHUP reloads: the master reads the config files again and builds the
whole pipeline again from them, exactly as at start-up, so whatever a
paste factory reads from the configuration is read again, and sets
logging up again. Only when all of that works does gunicorn start new
workers, which inherit the new pipeline, and stop the old ones
gracefully; otherwise logging is put back as it was, one error line is
logged and the old workers keep serving the old configuration.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

from gunicorn import errors
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.config import Config
from gunicorn.http import errors as http_errors
from oslo_config import cfg
from oslo_log import log

from greeter.common import config
from greeter.common import exception
from greeter.common import log_setup
from greeter.common import options

LOG = log.getLogger(__name__)

# gunicorn's heartbeat file: on an overlay (container) filesystem a file
# under /tmp can stall workers; /dev/shm is memory.
SHM = "/dev/shm"  # nosec B108

# A configuration that cannot work. Anything else raised while reloading
# is a bug: logged with its traceback, and the master keeps serving.
CONFIG_ERRORS = (cfg.Error, exception.ConfigError, OSError)
# What gunicorn's own checks of a setting raise.
GUNICORN_ERRORS = (ValueError, TypeError, errors.ConfigError)
# What gunicorn raises for a request it cannot parse or read; their text
# quotes what the client sent.
REQUEST_ERRORS = (http_errors.ParseException, http_errors.NoMoreData)

# oslo.log's option naming per-logger levels ("module=LEVEL").
LOG_LEVELS = options.Option(options.DEFAULT_GROUP, "default_log_levels",
                            None)


def bind_address(conf: cfg.ConfigOpts) -> str:
    host, port = conf.api.bind_host, conf.api.bind_port
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class WithoutClientText(logging.Filter):
    """gunicorn's lines about a request it cannot parse, without the
    client's text.

    gunicorn quotes what the client sent ("Invalid request from ip=...:
    Invalid HTTP Header: 'X-Auth-Token open-sesame'", a header whose
    colon was forgotten), and oslo.log adds the exception being handled
    to a line at WARNING or above, which quotes it again: a credential
    would reach the log. The line keeps what happened, the exception's
    class name standing for its text, at INFO, where oslo.log adds no
    exception (like the request log's line for any other 4xx).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = sys.exc_info()[1]
        if not isinstance(error, REQUEST_ERRORS):
            return True
        kind = type(error).__name__
        message = record.getMessage()
        text = str(error)
        record.msg = (message.replace(text, kind) if text and text in message
                      else f"gunicorn: {kind} (the line is left out: it "
                      "quotes the request)")
        record.args = ()
        if record.levelno > logging.INFO:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


CLIENT_TEXT_FILTER = WithoutClientText()


class OsloLogger(glogging.Logger):
    """gunicorn's own lines (start-up, workers, signals) through oslo.log.

    gunicorn writes them with its own handler and format; passed on to the
    root logger instead, they take oslo.log's format, JSON with
    ``use_json``, like every other line greeter writes. Its lines about a
    request it cannot parse leave out what the client sent.
    """

    def setup(self, cfg: Any) -> None:
        others = list(self.error_log.handlers)
        super().setup(cfg)
        # The handlers gunicorn has just added go; anyone else's stay.
        for handler in list(self.error_log.handlers):
            if handler not in others:
                self.error_log.removeHandler(handler)
        self.error_log.propagate = True
        self.error_log.addFilter(CLIENT_TEXT_FILTER)


def gunicorn_settings(conf: cfg.ConfigOpts) -> dict:
    """gunicorn settings for the ``[api]`` options."""
    api = conf.api
    settings = {
        "bind": [bind_address(conf)],
        "workers": api.workers,
        "worker_class": api.worker_class,
        # gunicorn runs gthread whenever threads > 1, whatever the class.
        "threads": api.threads if api.worker_class == "gthread" else 1,
        "timeout": api.timeout,
        "graceful_timeout": api.graceful_timeout,
        "keepalive": api.keepalive,
        "max_requests": api.max_requests,
        "max_requests_jitter": api.max_requests_jitter,
        "proc_name": "greeter-api",
        # The request log is the access log; gunicorn's would repeat it.
        "accesslog": None,
        "logger_class": OsloLogger,
        # No control socket: nothing uses it, and the container's root
        # filesystem is read-only.
        "control_socket_disable": True,
    }
    if os.path.isdir(SHM):
        settings["worker_tmp_dir"] = SHM
    return settings


def check_port_free(host: str, port: int) -> None:
    """ConfigError now, rather than gunicorn retrying for five seconds."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = ("already in use" if exc.errno == errno.EADDRINUSE
                      else exc.strerror)
            raise exception.ConfigError(
                f"cannot listen on {host}:{port}: {reason}") from None


class GreeterArbiter(Arbiter):
    """gunicorn's master; on SIGHUP it replaces its workers only once
    greeter's configuration has been rebuilt."""

    def handle_hup(self) -> None:
        if self.app.rebuild():
            super().handle_hup()


class GreeterServer(BaseApplication):
    """A gunicorn application serving ``app`` with the ``[api]`` settings.

    ``rebuild`` (on SIGHUP) replaces ``app`` with one built from the
    configuration as it is now; the workers gunicorn starts next serve it.
    """

    def __init__(self, app: Callable, conf: cfg.ConfigOpts) -> None:
        self.app = app
        self.conf = conf
        # What the running pipeline was built from, and what the process
        # started with (the restart-only options still hold these).
        self.values = options.read_all(conf)
        self.started_with = dict(self.values)
        self.bind = bind_address(conf)
        super().__init__()

    def load_config(self) -> None:
        self._set_gunicorn_settings(self.cfg)

    def _set_gunicorn_settings(self, gunicorn_cfg: Config) -> None:
        settings = gunicorn_settings(self.conf)
        settings["bind"] = [self.bind]  # restart-only
        for key, value in settings.items():
            gunicorn_cfg.set(key, value)
        gunicorn_cfg.validate()

    def _check_gunicorn_settings(self) -> None:
        """gunicorn's own checks of its settings, on a copy: on reload it
        would run them next and answer a failure with sys.exit."""
        try:
            self._set_gunicorn_settings(Config())
        except GUNICORN_ERRORS as exc:
            raise exception.ConfigError(f"gunicorn: {exc}") from None

    def load(self) -> Callable:
        return self.app

    def run(self) -> None:
        """Serve until stopped; RuntimeError when gunicorn cannot start."""
        GreeterArbiter(self).run()

    def rebuild(self) -> bool:
        """Re-read the configuration and build the pipeline from it.

        False, with one error line and nothing changed, when the new
        configuration does not work.
        """
        undo = None
        failure = None
        try:
            undo = options.reread_files(self.conf)
            options.read_all(self.conf)
            app = config.load_paste_app(self.conf)
            # Again, for the options the factories registered.
            values = options.read_all(self.conf)
            self._check_gunicorn_settings()
            # Last: logging is put back as it was if it fails.
            log_setup.set_up_again(
                self.conf, self.values.get(LOG_LEVELS) or ())
        except CONFIG_ERRORS as exc:
            failure = str(exc)
        except Exception:  # a bug: the master must keep serving anyway
            if undo:
                undo()
            LOG.exception("Reload failed, still serving the previous "
                          "configuration")
            return False
        if failure is not None:
            if undo:
                undo()
            # Outside the except block: oslo.log would add the exception
            # to the line again.
            LOG.error("Reload failed, still serving the previous "
                      "configuration: %s", failure)
            return False
        changed = options.changes(self.values, values)
        self.app, self.values = app, values
        LOG.info("Reloaded the configuration (%s); pipeline rebuilt; %s",
                 ", ".join(options.config_files(self.conf)),
                 "changed: " + "; ".join(changed) if changed
                 else "no option changed")
        self._warn_restart_only()
        return True

    def _warn_restart_only(self) -> None:
        for group, name in config.RESTART_ONLY:
            option = options.Option(group, name, None)
            old, new = self.started_with[option], self.values[option]
            if old != new:
                LOG.warning("%s = %r (was %r) takes effect on restart "
                            "only: still listening on %s", option, new,
                            old, self.bind)

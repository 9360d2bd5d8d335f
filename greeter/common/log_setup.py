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

"""oslo.log's setup run again (on reload), or logging left as it was.

oslo.log's ``setup`` removes the root logger's handlers (with
``log_config_append``, every logger's) before it makes the new ones: when
one cannot be made (a log file in a directory that does not exist, an
unknown syslog facility, a missing ``log_config_append`` file) it raises
with logging half set up, and nothing would be logged any more. Here
every logger is saved first and put back on failure, so the reload's
error line and everything after it are logged as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from oslo_config import cfg
from oslo_log import log

from greeter.common import config
from greeter.common import exception

# What oslo.log's setup raises for logging options that cannot work: a
# log file it cannot open, an unknown syslog facility or level name, a
# log_config_append file that is missing or broken.
LOGGING_ERRORS = (OSError, TypeError, ValueError, RuntimeError,
                  log.LogConfigError)


def set_up_again(conf: cfg.ConfigOpts,
                 previous_levels: Iterable[str]) -> None:
    """oslo.log's setup from ``conf`` as it is now.

    ``previous_levels`` is the ``default_log_levels`` in force until now.
    On failure logging is as it was, and ConfigError says why.
    """
    saved = SavedLoggers()
    try:
        # oslo.log sets the level of each logger the new default_log_levels
        # names; one only the old list named goes back to its parent's.
        for entry in previous_levels:
            logging.getLogger(entry.partition("=")[0]).setLevel(
                logging.NOTSET)
        log.setup(conf, config.PROJECT)
    except LOGGING_ERRORS as exc:
        saved.restore()
        raise exception.ConfigError(
            f"cannot set up logging: {exc}") from None
    except BaseException:
        saved.restore()
        raise
    # An old log file would stay open otherwise.
    for handler in saved.handlers - _handlers_in_use():
        handler.close()


class SavedLoggers:
    """Every logger's level, handlers and propagation, to put back."""

    def __init__(self) -> None:
        self.saved = [(logger, logger.level, list(logger.handlers),
                       logger.propagate, logger.disabled)
                      for logger in _all_loggers()]
        self.handlers = _handlers_in_use()

    def restore(self) -> None:
        """Put every logger back; close the handlers made since."""
        made = _handlers_in_use() - self.handlers
        for logger, level, handlers, propagate, disabled in self.saved:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            for handler in handlers:
                logger.addHandler(handler)
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
        for handler in made:
            handler.close()


def _all_loggers() -> list[logging.Logger]:
    # The root logger and every logger made so far (those oslo.log's
    # setup may change).
    return [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)]


def _handlers_in_use() -> set[logging.Handler]:
    return {handler for logger in _all_loggers()
            for handler in logger.handlers}

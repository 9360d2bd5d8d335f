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

"""The access log: the request log's lines, written beside oslo.log.

Like gunicorn's and nginx's access logs, the line goes straight to where
oslo.log writes (its stream handlers: stdout, stderr or ``log_file``),
formatted by a path made for this one line, instead of through Python's
logging for each request: making a ``LogRecord``, passing it down the
logger tree and formatting it with the general formatter cost half as
much again as this path, and oslo's own formatter three times as much
(see the README's Performance section).

It is still oslo.log's line, under oslo.log's options:

- the logger's level decides (``debug``, ``default_log_levels``), as for
  any record;
- each handler oslo.log set up gets the line in its own format, text
  (``logging_context_format_string`` and the other format options) or
  JSON (``use_json``), exactly as its formatter would write the record;
- the line is one ``write`` under the handler's lock, then a flush, as the
  handler would do it, so lines never interleave and none waits in a
  buffer when the worker exits;
- a ``log_file`` that logrotate moves is reopened, as oslo.log's watched
  file handler does, within ``ROTATION_CHECK_INTERVAL``;
- a handler this writer does not know how to write to directly (syslog,
  journal, rotating files, colour, a filter) gets a real ``LogRecord``
  through its ``handle``, as before.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
import time
from typing import Any

from greeter.common import log

# Handler types whose emit() is: format, write one line to .stream, flush
# (after checking the file was not moved, for the watched file).
STREAM_HANDLERS = (logging.StreamHandler, logging.FileHandler,
                   logging.handlers.WatchedFileHandler)


# What a record's "created" comes from.
clock = time.time
# What the checks for a moved log file are timed by.
monotonic = time.monotonic

# How often, in seconds, the access log checks that a watched log file
# (``log_file``) was not moved or removed, say by logrotate, and reopens
# it if so. oslo.log's handler checks with a stat() before every record:
# for the access line that would be a system call more per request. The
# lines written in between go to the moved file: none is lost.
ROTATION_CHECK_INTERVAL = 1.0

# How many times this process's line of ancestors forked: each child
# counts one more. A forked worker builds its own sinks (its records hold
# its own process id) when its count differs from the one they were built
# in; asking os.getpid() at every line would be a system call more per
# request.
forks = 0


def _count_fork() -> None:
    global forks
    forks += 1


os.register_at_fork(after_in_child=_count_fork)

# A record's attributes that change from line to line.
PER_LINE = frozenset({"msg", "args", "levelno", "levelname", "created",
                      "msecs", "relativeCreated", "thread", "threadName",
                      "context", "message", "asctime"})
# Of those, the ones oslo's default formats do not show.
RARELY_SHOWN = frozenset({"msg", "created", "args", "relativeCreated",
                          "thread", "threadName", "isotime"})


class AccessLog:
    """Write ``logger``'s lines to the root logger's handlers directly."""

    def __init__(self, logger: logging.Logger, pathname: str, lineno: int,
                 func: str) -> None:
        self.logger = logger
        # Where the line says it comes from (LOG.info would look it up
        # with a stack walk for every line).
        self._origin = (pathname, lineno, func)
        self._handlers: tuple[logging.Handler, ...] | None = None
        self._sinks: list = []
        self._template: dict[str, Any] = {}
        self._forks = -1
        self._building = threading.Lock()
        self._formats: dict[tuple, tuple[str, frozenset[str]]] = {}
        self._next_rotation_check = 0.0

    def _direct(self) -> bool:
        """True when the logger tree adds nothing between here and root.

        Read when oslo.log's handlers are set up, as filters and handlers
        of greeter's own loggers are.
        """
        logger: logging.Logger | None = self.logger
        while logger is not None and logger.parent is not None:
            if logger.handlers or logger.filters or not logger.propagate \
                    or logger.disabled:
                return False
            logger = logger.parent
        return True

    def _build(self, handlers: tuple[logging.Handler, ...]) -> None:
        """Choose, per handler, a direct write or a record (per process)."""
        with self._building:
            pathname, lineno, func = self._origin
            self._template = dict(logging.LogRecord(
                self.logger.name, logging.INFO, pathname, lineno, "", None,
                None, func).__dict__)
            sinks: list = []
            if not self._direct():
                sinks.append(None)
            for handler in handlers if not sinks else ():
                formatter = handler.formatter
                writes_lines = type(handler) in STREAM_HANDLERS
                if (writes_lines and not handler.filters
                        and getattr(handler, "stream", None) is not None
                        and type(formatter) in (log.ContextFormatter,
                                                log.JSONFormatter)):
                    sinks.append((handler, formatter))
                else:
                    sinks.append((handler, None))
            self._sinks = sinks
            self._formats = {}
            # Last: other threads use the sinks once these match.
            self._forks = forks
            self._handlers = handlers

    def record(self, level: int, msg: str, args: dict,
               context: dict, now: float | None = None) -> logging.LogRecord:
        """The LogRecord ``logger.log(level, msg, args)`` would make here."""
        fields = self._template.copy()
        if now is None:
            now = clock()
        fields.update(
            msg=msg, args=args, levelno=level,
            levelname=logging.getLevelName(level), created=now,
            msecs=log.record_msecs(now),
            relativeCreated=(now - logging._startTime) * 1000,
            thread=threading.get_ident(),
            threadName=threading.current_thread().name, context=context)
        record = logging.LogRecord.__new__(logging.LogRecord)
        record.__dict__ = fields
        return record

    def _line_format(self, formatter: log.ContextFormatter, level: int,
                     context: dict) -> tuple[str, frozenset[str]]:
        """The formatter's line format for this level and kind of context,
        with every value that holds for all lines filled in; the keys it
        still needs."""
        key = (formatter, level, bool(context.get("request_id")))
        compiled = self._formats.get(key)
        if compiled is None:
            attributes = {name: value for name, value in self._template.items()
                          if name not in PER_LINE}
            attributes.update(levelno=level,
                              levelname=logging.getLevelName(level))
            fmt = formatter.compile_line(level, context, attributes)
            keys = frozenset(name for name, _ in
                             log._PLACEHOLDER.findall(fmt) if name)
            compiled = self._formats[key] = (fmt, keys)
        return compiled

    def _text_line(self, formatter: log.ContextFormatter, level: int,
                   now: float, msg: str, args: dict, context: dict) -> str:
        """The line ``formatter.format`` would make of the record."""
        fmt, keys = self._line_format(formatter, level, context)
        fields = context.copy()
        fields["user_identity"] = formatter.user_identity(context)
        fields["message"] = msg % args
        if "asctime" in keys:
            fields["asctime"] = formatter.time_text(now)
        if "msecs" in keys:
            fields["msecs"] = log.record_msecs(now)
        if not keys.isdisjoint(RARELY_SHOWN):
            fields.update(
                msg=msg, created=now, args=args,
                relativeCreated=(now - logging._startTime) * 1000,
                thread=threading.get_ident(),
                threadName=threading.current_thread().name)
            if "isotime" in keys:
                fields["isotime"] = formatter.iso_time(now)
        return fmt % fields

    def write(self, level: int, msg: str, args: dict, context: dict) -> None:
        """Log ``msg % args`` at ``level`` with this context's values.

        The caller has checked ``logger.isEnabledFor(level)``.
        """
        handlers = tuple(logging.getLogger().handlers)
        if handlers != self._handlers or self._forks != forks:
            # First line of this process, or oslo.log was set up again.
            self._build(handlers)
        now = clock()
        moment = monotonic()
        check_rotation = moment >= self._next_rotation_check
        if check_rotation:
            self._next_rotation_check = moment + ROTATION_CHECK_INTERVAL
        record = None
        for sink in self._sinks:
            if sink is None or sink[1] is None:
                if record is None:
                    record = self.record(level, msg, args, context, now)
                if sink is None:
                    self.logger.handle(record)
                    return
                if level >= sink[0].level:
                    sink[0].handle(record)
                continue
            handler, formatter = sink
            if level < handler.level:
                continue
            try:
                if type(formatter) is log.ContextFormatter:
                    line = self._text_line(formatter, level, now, msg, args,
                                           context)
                else:
                    line = formatter.format(self.record(
                        level, msg, args, context, now))
            except Exception:
                # A format this path cannot fill: the formatter's way; and
                # if that fails too (a format naming a value no record
                # has), logging's way: the handler reports it on stderr,
                # the request is served.
                failed = self.record(level, msg, args, context, now)
                try:
                    line = formatter.format(failed)
                except Exception:
                    handler.handleError(failed)
                    continue
            with handler.lock:
                try:
                    if check_rotation and isinstance(
                            handler, logging.handlers.WatchedFileHandler):
                        handler.reopenIfNeeded()
                    handler.stream.write(line + handler.terminator)
                    handler.stream.flush()
                except Exception:
                    handler.handleError(self.record(level, msg, args,
                                                    context, now))

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

"""oslo.log, set up for a service that writes a line per request.

``setup`` is oslo.log's ``setup`` with its two formatters (text and JSON)
swapped for subclasses that write the same lines with less work per line.
oslo's ContextFormatter reads its format options from oslo.config, turns
the request context into a dict twice (once for the line, once more for
the user identity), builds a new ``PercentStyle`` and an ISO 8601
``isotime`` (with a new ``dateutil`` time zone object) whether or not a
format uses it, and formats the timestamp anew, for every line; its
JSONFormatter also scans the message for its keys and dicts the context
twice. Here each of those is done once: options when the formatter is
made, the context's values once per line, the timestamp's text once per
second, the message's keys once per message. The request log writes a
line per request, and that work was most of what its line cost (see the
README's Performance section). Tests compare every kind of line with
oslo's own formatters.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from typing import Any

from oslo_config import cfg
from oslo_context import context as context_utils
from oslo_log import formatters
from oslo_log import log
from oslo_serialization import jsonutils

# The format strings oslo's ContextFormatter may use for a line.
FORMATS = (
    "logging_context_format_string",
    "logging_default_format_string",
    "logging_debug_format_suffix",
    "logging_exception_prefix",
)
# Every option it reads while formatting. None is mutable, so each is
# read once.
FORMAT_OPTIONS = FORMATS + (
    "logging_user_identity_format",
    "instance_format",
    "instance_uuid_format",
)
# How many callers' user identity texts a formatter remembers.
MAX_IDENTITIES = 256
# Record attributes oslo's ContextFormatter sets to "" when missing.
FANCY_KEYS = ("instance", "color", "user_identity", "resource", "user_name",
              "project_name", "global_request_id")


class _FormatOptions:
    """Those options' values; any other attribute comes from oslo.config."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        for name in FORMAT_OPTIONS:
            setattr(self, name, conf[name])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conf, name)


class _TimeOncePerSecond:
    """``formatTime`` that formats a given ``datefmt`` once per second.

    ``time.strftime`` cannot show fractions of a second, so its text holds
    for the whole second; ``%(msecs)`` comes from the record as before.
    """

    _last_time: tuple[int, str | None, str] = (-1, None, "")

    def formatTime(self, record: logging.LogRecord,  # noqa: N802
                   datefmt: str | None = None) -> str:
        if not datefmt:
            return super().formatTime(record, datefmt)
        return self.second_text(record.created, datefmt)

    def second_text(self, created: float, datefmt: str) -> str:
        """``datefmt`` at ``created``, formatted once per second."""
        second = int(created)
        last_second, last_datefmt, text = self._last_time
        if second != last_second or datefmt != last_datefmt:
            text = time.strftime(datefmt, self.converter(created))
            # One tuple, swapped whole: threads may share the formatter.
            self._last_time = (second, datefmt, text)
        return text


def _context_values(record: logging.LogRecord) -> tuple[Any, dict | None]:
    """The record's context (or the current one) and its logging values.

    oslo's ``_update_record_with_context``, returning the values too.
    """
    record_context = record.__dict__.get("context",
                                         context_utils.get_current())
    if not record_context:
        return record_context, None
    values = formatters._dictify_context(record_context)
    record.__dict__.update(values)
    return record_context, values


class ContextFormatter(_TimeOncePerSecond, formatters.ContextFormatter):
    """oslo.log's text formatter: the same line, each part made once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conf = _FormatOptions(self.conf)
        self.uses_isotime = any(
            "%(isotime)" in (getattr(self.conf, name) or "")
            for name in FORMATS)
        # A line's format is one of a few strings: their styles, made once.
        self._styles: dict[str, logging.PercentStyle] = {}
        # The context values the formats can show, and those the user
        # identity shows: only these are copied for a line.
        self._shown_keys = frozenset(_format_keys(" ".join(
            getattr(self.conf, name) or "" for name in FORMATS))) | {
            "request_id"}
        self._identity_keys = _format_keys(
            self.conf.logging_user_identity_format)
        self._identities: dict[tuple, str] = {}

    def _compute_iso_time(self, record: logging.LogRecord) -> None:
        if self.uses_isotime:
            super()._compute_iso_time(record)

    def format(self, record: logging.LogRecord) -> str:
        # oslo's ContextFormatter.format, step by step, with the context's
        # values computed once.
        conf = self.conf
        fields = record.__dict__
        fields["project"] = self.project
        fields["version"] = self.version

        instance_extra = ""
        instance = getattr(record, "instance", None)
        instance_uuid = getattr(record, "instance_uuid", None)
        # oslo copies every context value onto the record; those no
        # format shows would be left unread.
        record_context = fields.get("context", context_utils.get_current())
        values = (formatters._dictify_context(record_context)
                  if record_context else None)
        if values:
            for key in self._shown_keys.intersection(values):
                fields[key] = values[key]
        if instance:
            try:
                instance_extra = conf.instance_format % instance
            except TypeError:
                instance_extra = instance
        elif instance_uuid:
            instance_extra = conf.instance_uuid_format % {
                "uuid": instance_uuid}
        elif record_context:
            instance = getattr(record_context, "instance", None)
            instance_uuid = getattr(record_context, "instance_uuid", None)
            resource_uuid = getattr(record_context, "resource_uuid", None)
            if instance:
                instance_extra = conf.instance_format % {"uuid": instance}
            elif instance_uuid:
                instance_extra = conf.instance_uuid_format % {
                    "uuid": instance_uuid}
            elif resource_uuid:
                instance_extra = conf.instance_uuid_format % {
                    "uuid": resource_uuid}
        fields["instance"] = instance_extra

        for key in FANCY_KEYS:
            if key not in fields:
                fields[key] = ""
        if record_context:
            fields["user_identity"] = self.user_identity(values)

        if fields.get("request_id"):
            fmt = conf.logging_context_format_string
        else:
            fmt = conf.logging_default_format_string

        if record.exc_info:
            record.exc_text = self.formatException(record.exc_info,
                                                   record=record)

        record.error_summary = formatters._get_error_summary(record)
        if "%(error_summary)s" in fmt:
            record.error_summary = record.error_summary or "-"
        elif record.error_summary:
            fmt += ": %(error_summary)s"

        if (record.levelno == logging.DEBUG
                and conf.logging_debug_format_suffix):
            fmt += " " + conf.logging_debug_format_suffix

        self._compute_iso_time(record)

        style = self._styles.get(fmt)
        if style is None:
            style = self._styles[fmt] = logging.PercentStyle(fmt)
        self._style = style
        self._fmt = style._fmt
        try:
            return logging.Formatter.format(self, record)
        except TypeError as err:
            record.msg = (f"Error formatting log line msg={record.msg!r} "
                          f"err={err!r}").replace("%", "*")
            return logging.Formatter.format(self, record)

    def user_identity(self, values: dict[str, Any]) -> str:
        """The ``user_identity`` of a line whose context has ``values``."""
        shown = tuple(map(values.get, self._identity_keys))
        try:
            text = self._identities.get(shown)
        except TypeError:  # a value that cannot be a key (a list)
            return self._identity_text(shown)
        if text is None:
            text = self._identity_text(shown)
            # A line's caller is one of a few (none, for most lines): the
            # texts are remembered, a bounded number of them.
            if len(self._identities) >= MAX_IDENTITIES:
                self._identities.clear()
            self._identities[shown] = text
        return text

    def _identity_text(self, shown: tuple[Any, ...]) -> str:
        # oslo's _ReplaceFalseValue, for the keys the format has.
        return self.conf.logging_user_identity_format % {
            key: value or "-"
            for key, value in zip(self._identity_keys, shown, strict=True)}

    def compile_line(self, level: int, context_values: dict[str, Any],
                     attributes: dict[str, Any]) -> str:
        """The format of a line a plain record makes, its constants in.

        A plain record has a dict of oslo.context's logging values for
        context, no exception, no instance and a level below WARNING: the
        access log's records. For such records, with ``context_values``'
        keys and ``attributes`` (those the record's attributes have for
        every line), ``format`` sets the same values each time but for
        the context's, the time, the thread and the message: these are
        left in the returned format, the rest is filled in, in the order
        ``format`` sets them.
        """
        conf = self.conf
        fmt = (conf.logging_context_format_string
               if context_values.get("request_id")
               else conf.logging_default_format_string)
        fixed = dict(attributes, project=self.project, version=self.version)
        for key in context_values:
            fixed.pop(key, None)
        fixed["instance"] = ""
        for key in FANCY_KEYS:
            if key not in fixed and key not in context_values:
                fixed[key] = ""
        fixed.pop("user_identity", None)
        fixed["error_summary"] = "-" if "%(error_summary)s" in fmt else ""
        if level == logging.DEBUG and conf.logging_debug_format_suffix:
            fmt += " " + conf.logging_debug_format_suffix

        def fill(match: re.Match) -> str:
            key = match.group(1)
            if key is None or key not in fixed:
                return match.group(0)
            return (f"%{match.group(2)}" % fixed[key]).replace("%", "%%")

        return _PLACEHOLDER.sub(fill, fmt)

    def time_text(self, created: float) -> str:
        """``%(asctime)s`` of a record made at ``created``."""
        if self.datefmt:
            return self.second_text(created, self.datefmt)
        # logging's default, with milliseconds: formatTime reads them from
        # the record.
        return self.formatTime(_Moment(created), self.datefmt)

    def iso_time(self, created: float) -> str:
        """``%(isotime)s`` of a record made at ``created``."""
        moment = _Moment(created)
        formatters.ContextFormatter._compute_iso_time(self, moment)
        return moment.isotime


def record_msecs(created: float) -> float:
    """A LogRecord's ``msecs`` when it is made at ``created``, as logging
    computes it."""
    return int((created - int(created)) * 1000) + 0.0


class _Moment:
    """What formatTime and _compute_iso_time read of a record."""

    def __init__(self, created: float) -> None:
        self.created = created
        # Read by formatTime when log_date_format is empty.
        self.msecs = record_msecs(created)


# A %-format placeholder with a key, or an escaped percent sign.
_PLACEHOLDER = re.compile(
    r"%%|%\((\w+)\)([#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa])")


def _format_keys(fmt: str) -> tuple[str, ...]:
    """Every ``%(name)`` key a %-format string may look up."""
    return tuple({name for _, name in formatters._MSG_KEY_REGEX.findall(fmt)})


@functools.lru_cache(maxsize=512)
def _message_keys(msg: str) -> frozenset[str]:
    """A message's ``%(name)s`` keys, as oslo's JSONFormatter finds them."""
    return frozenset(name for percents, name
                     in formatters._MSG_KEY_REGEX.findall(msg)
                     if len(percents) == 1)


# oslo's fallback for values JSON cannot hold, made once.
_TO_PRIMITIVE = functools.partial(jsonutils.to_primitive, fallback=repr)


class JSONFormatter(_TimeOncePerSecond, formatters.JSONFormatter):
    """oslo.log's JSON formatter: the same object, each part made once."""

    def format(self, record: logging.LogRecord) -> str:
        # oslo's JSONFormatter.format, with the message's keys remembered
        # and the context's values computed once.
        args = record.args
        if isinstance(args, dict):
            msg = record.msg
            msg_keys = (_message_keys(msg) if type(msg) is str
                        else _message_keys.__wrapped__(msg))
            if msg_keys:
                args = {k: v for k, v in args.items() if k in msg_keys}

        message = {
            "message": record.getMessage(),
            "asctime": self.formatTime(record, self.datefmt),
            "name": record.name,
            "msg": record.msg,
            "args": args,
            "levelname": record.levelname,
            "levelno": record.levelno,
            "pathname": record.pathname,
            "filename": record.filename,
            "module": record.module,
            "lineno": record.lineno,
            "funcname": record.funcName,
            "created": record.created,
            "msecs": record.msecs,
            "relative_created": record.relativeCreated,
            "thread": record.thread,
            "thread_name": record.threadName,
            "process_name": record.processName,
            "process": record.process,
            "traceback": None,
            "hostname": self.hostname,
            "error_summary": formatters._get_error_summary(record),
            "context": {},
            "extra": {},
        }

        record_context, values = _context_values(record)
        extra = record.extra.copy() if hasattr(record, "extra") else {}
        for key in getattr(record, "extra_keys", []):
            if key not in extra:
                extra[key] = getattr(record, key)
        given = extra.get("context")
        if given:
            message["context"] = (values if given is record_context
                                  else formatters._dictify_context(given))
        elif record_context:
            message["context"] = values
        extra.pop("context", None)
        message["extra"] = extra

        if record.exc_info:
            message["traceback"] = self.formatException(record.exc_info)
        return jsonutils.dumps(message, default=_TO_PRIMITIVE)


def setup(conf: cfg.ConfigOpts, project: str) -> None:
    """oslo.log's ``setup``, then greeter's formatters on its handlers."""
    log.setup(conf, project)
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if type(formatter) is formatters.ContextFormatter:
            handler.setFormatter(ContextFormatter(
                project=formatter.project, version=formatter.version,
                datefmt=formatter.datefmt, config=conf))
        elif type(formatter) is formatters.JSONFormatter:
            handler.setFormatter(JSONFormatter(datefmt=formatter.datefmt))

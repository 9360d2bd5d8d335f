"""oslo.log, set up for a service that writes a line per request.

``setup`` is oslo.log's ``setup`` with its text formatter swapped for a
subclass that skips per-line work whose result cannot change while the
service runs. oslo's ContextFormatter reads its format options from
oslo.config for every line, and computes an ISO 8601 ``isotime`` (with a
new ``dateutil`` time zone object) whether or not a format uses it. The
request log writes a line per request, and that work was a sixth of
greeter's own time per request (see the README's Performance section).
The lines read exactly as oslo's.
"""

from __future__ import annotations

import logging
from typing import Any

from oslo_config import cfg
from oslo_log import formatters
from oslo_log import log

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


class _FormatOptions:
    """Those options' values; any other attribute comes from oslo.config."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        for name in FORMAT_OPTIONS:
            setattr(self, name, conf[name])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conf, name)


class ContextFormatter(formatters.ContextFormatter):
    """oslo.log's text formatter, with its options read once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conf = _FormatOptions(self.conf)
        self.uses_isotime = any(
            "%(isotime)" in (getattr(self.conf, name) or "")
            for name in FORMATS)

    def _compute_iso_time(self, record: logging.LogRecord) -> None:
        if self.uses_isotime:
            super()._compute_iso_time(record)


def setup(conf: cfg.ConfigOpts, project: str) -> None:
    """oslo.log's ``setup``, then greeter's formatter on its text handlers.

    With ``use_json`` oslo's JSONFormatter stays as it is.
    """
    log.setup(conf, project)
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if type(formatter) is formatters.ContextFormatter:
            handler.setFormatter(ContextFormatter(
                project=formatter.project, version=formatter.version,
                datefmt=formatter.datefmt, config=conf))

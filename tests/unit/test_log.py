"""greeter's log formatter: oslo.log's lines, with less work per line."""

from __future__ import annotations

import copy
import logging
import sys

import pytest
from oslo_context import context
from oslo_log import formatters

from greeter.common import config
from greeter.common import log


def _record(level: int = logging.INFO, exc_info=None,
            request_id: str | None = None) -> logging.LogRecord:
    # The context goes with the record, as oslo.log allows, rather than
    # into the thread's current one.
    record_context = (context.RequestContext(request_id=request_id,
                                             overwrite=False)
                      if request_id else None)
    return logging.getLogger("greeter.test").makeRecord(
        "greeter.test", level, __file__, 1, "%(a)s and %(b)s",
        ({"a": "this", "b": "that"},), exc_info,
        extra={"context": record_context})


def _formatters(conf) -> tuple[logging.Formatter, logging.Formatter]:
    kwargs = {"project": config.PROJECT, "version": "1",
              "datefmt": conf.log_date_format, "config": conf}
    return (formatters.ContextFormatter(**kwargs),
            log.ContextFormatter(**kwargs))


def test_text_handlers_get_greeters_formatter(conf):
    kinds = {type(handler.formatter)
             for handler in logging.getLogger().handlers}
    assert log.ContextFormatter in kinds
    assert formatters.ContextFormatter not in kinds


def test_json_handlers_keep_oslos_formatter(conf):
    conf.set_override("use_json", True)
    log.setup(conf, config.PROJECT)
    kinds = {type(handler.formatter)
             for handler in logging.getLogger().handlers}
    assert formatters.JSONFormatter in kinds
    assert log.ContextFormatter not in kinds


@pytest.mark.parametrize("with_isotime", [False, True])
@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO])
@pytest.mark.parametrize("request_id", [None, "req-1234"])
def test_lines_read_as_oslos(conf, with_isotime, level, request_id):
    if with_isotime:
        conf.set_override("logging_context_format_string",
                          "%(isotime)s %(request_id)s %(message)s")
        conf.set_override("logging_default_format_string",
                          "%(isotime)s %(message)s")
    oslo, greeter = _formatters(conf)
    record = _record(level, request_id=request_id)
    line = greeter.format(copy.copy(record))
    assert line == oslo.format(copy.copy(record))
    assert "this and that" in line
    assert (request_id or "") in line


def test_exception_lines_read_as_oslos(conf):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record(logging.ERROR, sys.exc_info())
    oslo, greeter = _formatters(conf)
    line = greeter.format(copy.copy(record))
    assert line == oslo.format(copy.copy(record))
    assert "RuntimeError: boom" in line

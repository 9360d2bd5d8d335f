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

"""greeter's log formatters: oslo.log's lines, with less work per line."""

from __future__ import annotations

import copy
import json
import logging
import sys
import time

import pytest
from oslo_context import context
from oslo_log import formatters
from oslo_log import log as oslo_log

from greeter.common import config
from greeter.common import log


def _record(level: int = logging.INFO, exc_info=None,
            request_id: str | None = None, created: float | None = None,
            **extra) -> logging.LogRecord:
    # The context goes with the record, as oslo.log allows, rather than
    # into the thread's current one.
    record_context = (context.RequestContext(
        request_id=request_id, user_id="alice", project_id="p1",
        overwrite=False) if request_id else None)
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", level, __file__, 1, "%(a)s and %(b)s",
        ({"a": "this", "b": "that"},), exc_info,
        extra={"context": record_context, **extra})
    if created is not None:
        record.created = created
    return record


def _text_formatters(conf) -> tuple[logging.Formatter, logging.Formatter]:
    kwargs = {"project": config.PROJECT, "version": "1",
              "datefmt": conf.log_date_format, "config": conf}
    return (formatters.ContextFormatter(**kwargs),
            log.ContextFormatter(**kwargs))


def _json_formatters(conf) -> tuple[logging.Formatter, logging.Formatter]:
    return (formatters.JSONFormatter(datefmt=conf.log_date_format),
            log.JSONFormatter(datefmt=conf.log_date_format))


def _both(formatter_pair, record) -> tuple[str, str]:
    oslo, greeter = formatter_pair
    return oslo.format(copy.copy(record)), greeter.format(copy.copy(record))


def test_text_handlers_get_greeters_formatter(conf):
    kinds = {type(handler.formatter)
             for handler in logging.getLogger().handlers}
    assert log.ContextFormatter in kinds
    assert formatters.ContextFormatter not in kinds


def test_json_handlers_get_greeters_formatter(conf):
    conf.set_override("use_json", True)
    log.setup(conf, config.PROJECT)
    kinds = {type(handler.formatter)
             for handler in logging.getLogger().handlers}
    assert log.JSONFormatter in kinds
    assert formatters.JSONFormatter not in kinds


@pytest.mark.parametrize("with_isotime", [False, True])
@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO,
                                   logging.WARNING])
@pytest.mark.parametrize("request_id", [None, "req-1234"])
def test_lines_read_as_oslos(conf, with_isotime, level, request_id):
    if with_isotime:
        conf.set_override("logging_context_format_string",
                          "%(isotime)s %(request_id)s %(message)s")
        conf.set_override("logging_default_format_string",
                          "%(isotime)s %(message)s")
    oslo_line, line = _both(_text_formatters(conf),
                            _record(level, request_id=request_id))
    assert line == oslo_line
    assert "this and that" in line
    assert (request_id or "") in line


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO])
@pytest.mark.parametrize("request_id", [None, "req-1234"])
def test_json_lines_read_as_oslos(conf, level, request_id):
    oslo_line, line = _both(_json_formatters(conf),
                            _record(level, request_id=request_id))
    assert json.loads(line) == json.loads(oslo_line)
    assert json.loads(line)["message"] == "this and that"


def test_lines_with_the_current_context_read_as_oslos(conf):
    context.RequestContext(request_id="req-current", overwrite=True)
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.INFO, __file__, 1, "plain %s", ("args",),
        None)
    for pair in (_text_formatters(conf), _json_formatters(conf)):
        oslo_line, line = _both(pair, record)
        assert line == oslo_line
        assert "req-current" in line


def test_lines_through_oslos_adapter_read_as_oslos(conf):
    # oslo's KeywordArgumentAdapter puts extra keys and a context in the
    # record's "extra".
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    adapter = oslo_log.getLogger("greeter.test.adapter")
    adapter.logger.addHandler(handler)
    try:
        adapter.info("with %s", "extras", instance_uuid="abc", colour="red",
                     context=context.RequestContext(request_id="req-x",
                                                    overwrite=False))
    finally:
        adapter.logger.removeHandler(handler)
    (record,) = records
    oslo_line, line = _both(_text_formatters(conf), record)
    assert line == oslo_line and "abc" in line
    oslo_line, line = _both(_json_formatters(conf), record)
    assert json.loads(line) == json.loads(oslo_line)
    assert json.loads(line)["extra"]["colour"] == "red"


def _json_record(msg, args: dict) -> logging.LogRecord:
    return logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.INFO, __file__, 1, msg, (args,), None,
        extra={"context": None})


def test_json_args_the_message_does_not_name_are_left_out(conf):
    # oslo keeps only the args the message names, %% escapes not counted.
    record = _json_record("%(a)s, 100%%(c)s",
                          {"a": "this", "c": "escaped", "unused": "that"})
    oslo_line, line = _both(_json_formatters(conf), record)
    assert json.loads(line) == json.loads(oslo_line)
    assert json.loads(line)["args"] == {"a": "this"}
    assert json.loads(line)["message"] == "this, 100%(c)s"


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


def test_json_values_json_cannot_hold_are_their_repr(conf):
    record = _json_record("%(a)s", {"a": _Opaque()})
    oslo_line, line = _both(_json_formatters(conf), record)
    assert json.loads(line) == json.loads(oslo_line)
    assert json.loads(line)["args"] == {"a": "<opaque>"}


class _Text(str):
    """A message of a str subclass that compares by more than its text,
    and so cannot be hashed."""

    def __eq__(self, other) -> bool:
        return type(other) is _Text and str.__eq__(self, other)

    __hash__ = None


def test_json_messages_of_a_str_subclass_read_as_oslos(conf):
    # Lazy translations are str subclasses: the message's keys are found
    # all the same, hashable or not.
    record = _json_record(_Text("%(a)s"), {"a": "this", "unused": "that"})
    oslo_line, line = _both(_json_formatters(conf), record)
    assert json.loads(line) == json.loads(oslo_line)
    assert json.loads(line)["args"] == {"a": "this"}


def test_json_context_given_in_the_records_extra_reads_as_oslos(conf):
    # oslo's JSONFormatter takes a context from the record's "extra"
    # before the current one, and writes the rest of "extra" as given.
    context.RequestContext(request_id="req-current", overwrite=True)
    given = context.RequestContext(request_id="req-given", overwrite=False)
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.INFO, __file__, 1, "given", (), None,
        extra={"extra": {"context": given, "colour": "red"}})
    oslo_line, line = _both(_json_formatters(conf), record)
    assert json.loads(line) == json.loads(oslo_line)
    assert json.loads(line)["context"]["request_id"] == "req-given"
    assert json.loads(line)["extra"] == {"colour": "red"}


def test_exception_lines_read_as_oslos(conf):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record(logging.ERROR, sys.exc_info())
    oslo_line, line = _both(_text_formatters(conf), record)
    assert line == oslo_line
    assert "RuntimeError: boom" in line
    oslo_line, line = _both(_json_formatters(conf), record)
    assert json.loads(line) == json.loads(oslo_line)
    assert "RuntimeError: boom" in json.loads(line)["traceback"]


def test_time_is_formatted_anew_each_second(conf):
    # The formatters remember a second's text: a record from another
    # second must still get its own.
    for pair in (_text_formatters(conf), _json_formatters(conf)):
        for created in (1_000_000_000.25, 1_000_000_000.75, 1_000_000_001.5,
                        1_000_000_000.5):
            oslo_line, line = _both(pair, _record(created=created))
            assert line == oslo_line


def test_time_is_formatted_anew_for_another_datefmt(conf):
    # formatTime takes the format as an argument: a second's text made
    # with one format is not the answer for another.
    oslo, greeter = _text_formatters(conf)
    record = _record(created=1_000_000_000.25)
    for datefmt in ("%Y", "%H:%M:%S", "%Y"):
        assert greeter.formatTime(record, datefmt) == \
            oslo.formatTime(record, datefmt)


@pytest.mark.parametrize("datefmt", ["%Y-%m-%d %H:%M:%S", ""])
def test_time_text_is_formatted_anew_each_second(conf, monkeypatch,
                                                 datefmt):
    # The access log's time: the same second's text again, another
    # second's (before or after) anew, as formatTime makes it for a record;
    # an empty datefmt is logging's default, with milliseconds.
    oslo = formatters.ContextFormatter(project=config.PROJECT, version="1",
                                       datefmt=datefmt, config=conf)
    greeter = log.ContextFormatter(project=config.PROJECT, version="1",
                                   datefmt=datefmt, config=conf)
    for created in (1_000_000_000.25, 1_000_000_000.75, 1_000_000_001.5,
                    1_000_000_000.5, 1_000_000_000.5, 999_999_999.9):
        # A record made at that time, by logging itself.
        monkeypatch.setattr(logging.time, "time", lambda at=created: at)
        record = logging.makeLogRecord({})
        assert greeter.time_text(created) == oslo.formatTime(record, datefmt)


def test_time_text_follows_a_changed_datefmt(conf, monkeypatch):
    greeter = log.ContextFormatter(project=config.PROJECT, version="1",
                                   datefmt="%Y", config=conf)
    assert greeter.time_text(1_000_000_000.25) == "2001"
    # Later in that second, the text is the one already made.
    with monkeypatch.context() as patched:
        patched.setattr(log.time, "strftime", None)
        assert greeter.time_text(1_000_000_000.75) == "2001"
    greeter.datefmt = "%H:%M:%S"
    assert greeter.time_text(1_000_000_000.5) == time.strftime(
        "%H:%M:%S", time.localtime(1_000_000_000.5))


def test_a_message_its_arguments_do_not_fit_reads_as_oslos(conf):
    # A message whose arguments do not fit its placeholders is still one
    # line, oslo's, naming the message and the error.
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.INFO, __file__, 1, "%(count)d greetings",
        ({"count": "many"},), None, extra={"context": None})
    oslo_line, line = _both(_text_formatters(conf), record)
    assert line == oslo_line
    assert "Error formatting log line msg='*(count)d greetings'" in line


@pytest.mark.parametrize("extra, context_kwargs", [
    ({"instance": {"uuid": "i-1"}}, {}),
    ({"instance": "not a mapping"}, {}),
    ({"instance_uuid": "i-2"}, {}),
    ({}, {"instance": "i-3"}),
    ({}, {"instance_uuid": "i-4"}),
    ({}, {"resource_uuid": "r-1"}),
])
def test_instance_lines_read_as_oslos(conf, extra, context_kwargs):
    # oslo's instance prefix, from the record or from its context.
    conf.set_override("logging_context_format_string",
                      "%(instance)s%(message)s")
    record_context = context.RequestContext(request_id="req-1",
                                            overwrite=False)
    # Services' own contexts (nova's, say) carry an instance.
    for name, value in context_kwargs.items():
        setattr(record_context, name, value)
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.INFO, __file__, 1, "an instance", (), None,
        extra={"context": record_context, **extra})
    oslo_line, line = _both(_text_formatters(conf), record)
    assert line == oslo_line
    assert line.startswith("[instance: ") or line.startswith("not a")

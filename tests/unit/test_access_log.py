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

"""The access log writer: oslo.log's own lines, written directly."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import logging.handlers
import os
import select
import threading
from collections.abc import Iterator

import pytest
import webob
from oslo_context import context
from oslo_log import formatters

from greeter.api.middleware import request_log
from greeter.common import access_log
from greeter.common import config
from greeter.common import log

# The clock the tests give the access log, so that oslo's formatters can
# be handed a record made at the same time.
# A fraction whose milliseconds a slightly wrong sum would change.
NOW = 1_700_000_000.7506
# Not the demo token: building a pipeline that accepts that one logs a
# warning, and these tests compare every line written.
TOKEN = "access-log-test-token"  # nosec B105


@pytest.fixture(autouse=True)
def own_token(conf):
    conf.set_override("tokens", [TOKEN], group="auth")


@pytest.fixture
def written(conf, monkeypatch):
    """What oslo.log's handlers get, and the records of those lines."""
    streams = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and isinstance(
                handler.formatter, (log.ContextFormatter, log.JSONFormatter)):
            streams.append(io.StringIO())
            handler.setStream(streams[-1])
    assert streams, "no oslo.log stream handler to write to"
    monkeypatch.setattr(access_log, "clock", lambda: NOW)
    records = []
    write = access_log.AccessLog.write

    def keep(self, level, msg, args, context):
        write(self, level, msg, args, context)
        records.append(self.record(level, msg, args, context))

    monkeypatch.setattr(access_log.AccessLog, "write", keep)
    return streams, records


def _hello(conf, path="/greeting/hello", app=None,
           **headers) -> webob.Response:
    app = app or config.load_paste_app(conf)
    return webob.Request.blank(path, headers={
        "X-Auth-Token": TOKEN, **headers}).get_response(app)


def _as_oslo_would_make_it(record, request_context):
    same = copy.copy(record)
    same.context = request_context
    return same


def _refuse_format(self, record):
    raise AssertionError("formatter.format called for an access line")


def _set_up_logging(conf, **options) -> io.StringIO:
    """oslo.log set up again with these options; its first handler's
    stream, to read the lines from."""
    for name, value in options.items():
        conf.set_override(name, value)
    log.setup(conf, config.PROJECT)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    return stream


def _oslos_line(conf, records, response) -> str:
    """The line oslo's formatter makes of the last record, with the
    response's request id."""
    oslo_record = _as_oslo_would_make_it(records[-1], context.RequestContext(
        request_id=response.headers["x-openstack-request-id"],
        overwrite=False))
    return _oslo_text(conf, oslo_record) + "\n"


def _writer() -> access_log.AccessLog:
    """An access log writer of a logger of its own."""
    return access_log.AccessLog(logging.getLogger("greeter.test.access"),
                                __file__, 1, "test")


def _oslo_text(conf, record) -> str:
    return formatters.ContextFormatter(
        project=config.PROJECT, version="unknown",
        datefmt=conf.log_date_format, config=conf).format(record)


@pytest.mark.parametrize("global_id", [
    None, "req-12345678-1234-1234-1234-123456789012"])
def test_text_line_is_oslos(conf, written, global_id):
    streams, records = written
    headers = {"X-Openstack-Request-Id": global_id} if global_id else {}
    response = _hello(conf, **headers)
    (record,) = records
    line = streams[0].getvalue()
    req_id = response.headers["x-openstack-request-id"]
    oslo_record = _as_oslo_would_make_it(record, context.RequestContext(
        request_id=req_id, global_request_id=global_id, overwrite=False))
    assert line == _oslo_text(conf, oslo_record) + "\n"
    assert f"[{global_id} {req_id} - - - - - -]" in line
    assert '"GET /greeting/hello" status: 200' in line


def test_debug_line_is_oslos(conf, written, monkeypatch):
    # Health traffic at DEBUG, with oslo's debug suffix, when let through,
    # filled by the access line's own path.
    monkeypatch.setattr(log.ContextFormatter, "format", _refuse_format)
    streams, records = written
    level = request_log.LOG.level
    request_log.LOG.setLevel(logging.DEBUG)
    try:
        response = _hello(conf, "/healthcheck")
    finally:
        request_log.LOG.setLevel(level)
    (record,) = records
    oslo_record = _as_oslo_would_make_it(record, context.RequestContext(
        request_id=response.headers["x-openstack-request-id"],
        overwrite=False))
    line = streams[0].getvalue()
    assert line == _oslo_text(conf, oslo_record) + "\n"
    assert " DEBUG " in line and "request_log.py:" in line


@pytest.mark.parametrize("fmt", [
    "%(isotime)s %(levelname)s [%(request_id)s %(user_identity)s] "
    "%(error_summary)s %(message)s %(thread)d %(module)s",
    # Context values win over the record's (project), 100%% stays one %,
    # and what the record holds for every line is filled in.
    "%(asctime)s %(project)s %(version)s 100%% %(color)s%(instance)s "
    "%(process)5d %(funcName)s:%(lineno)d %(threadName)s %(msg)s "
    "%(user_name)s %(resource)s %(global_request_id)s %(message)s",
    # oslo fills error_summary with "-" only where the format has it as
    # "%(error_summary)s"; elsewhere it is empty.
    "%(error_summary)-6s| %(message)s",
    # Each value a line's own path fills only for formats that show it.
    *[f"%({name})s %(message)s" for name in (
        "msg", "created", "args", "relativeCreated", "thread", "threadName",
        "isotime")],
])
def test_custom_formats_are_oslos(conf, written, fmt, monkeypatch):
    # Filled by the access line's own path, not the formatter's.
    monkeypatch.setattr(log.ContextFormatter, "format", _refuse_format)
    stream = _set_up_logging(conf, logging_context_format_string=fmt)
    response = _hello(conf)
    assert stream.getvalue() == _oslos_line(conf, written[1], response)


@pytest.mark.parametrize("date_format", ["%d/%m %H:%M:%S", ""])
def test_date_formats_are_oslos(conf, written, date_format, monkeypatch):
    # An empty log_date_format is logging's own default, with milliseconds;
    # the line's own path fills both.
    monkeypatch.setattr(log.ContextFormatter, "format", _refuse_format)
    stream = _set_up_logging(conf, log_date_format=date_format)
    response = _hello(conf)
    assert response.status_int == 200
    assert stream.getvalue() == _oslos_line(conf, written[1], response)


def test_a_format_that_cannot_be_filled_does_not_fail_the_request(
        conf, capsys):
    # As with any record: the handler reports it, the request is served.
    conf.set_override("logging_context_format_string",
                      "%(no_such_value)s %(message)s")
    log.setup(conf, config.PROJECT)
    response = _hello(conf)
    assert response.status_int == 200
    assert "no_such_value" in capsys.readouterr().err


def test_json_line_is_oslos(conf, written):
    conf.set_override("use_json", True)
    log.setup(conf, config.PROJECT)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    response = _hello(conf)
    record = written[1][-1]
    req_id = response.headers["x-openstack-request-id"]
    oslo_record = _as_oslo_would_make_it(record, context.RequestContext(
        request_id=req_id, overwrite=False))
    line = json.loads(stream.getvalue())
    assert line == json.loads(formatters.JSONFormatter(
        datefmt=conf.log_date_format).format(oslo_record))
    assert line["context"]["request_id"] == req_id
    assert line["args"]["path"] == "/greeting/hello"


def test_a_percent_sign_in_the_origin_is_oslos(conf, monkeypatch):
    # The values filled in once (the origin, here) are written as they
    # are, a percent sign too.
    monkeypatch.setattr(log.ContextFormatter, "format", _refuse_format)
    monkeypatch.setattr(access_log, "clock", lambda: NOW)
    conf.set_override("logging_context_format_string",
                      "%(pathname)s:%(lineno)d %(funcName)s %(message)s")
    log.setup(conf, config.PROJECT)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    writer = access_log.AccessLog(logging.getLogger("greeter.test.access"),
                                  "/srv/100% done/app.py", 7, "serve")
    values = request_log.logging_values("req-1", None)
    writer.write(logging.INFO, "%(what)s", {"what": "served"}, values)
    (line,) = stream.getvalue().splitlines()
    record = writer.record(logging.INFO, "%(what)s", {"what": "served"},
                           values, NOW)
    assert line == _oslo_text(conf, record)
    assert line.startswith("/srv/100% done/app.py:7 serve served")


def test_a_context_dict_of_a_few_values_is_oslos(conf, written,
                                                 monkeypatch):
    # oslo.log takes a dict for context too (its "dict style"): what the
    # dict lacks (the user identity's values, here) reads as oslo's.
    monkeypatch.setattr(log.ContextFormatter, "format", _refuse_format)
    streams, records = written
    writer = _writer()
    writer.write(logging.INFO, "%(what)s", {"what": "served"},
                 {"request_id": "req-1"})
    (record,) = records
    line = streams[0].getvalue()
    assert line == _oslo_text(conf, record) + "\n"
    assert "[ req-1 - - - - - -] served" in line


def test_other_handlers_get_a_record(conf, written):
    # A handler the writer does not write to directly (here a memory
    # buffer; syslog or journal in production) gets the LogRecord.
    streams, _ = written
    buffer = logging.handlers.BufferingHandler(10)
    root = logging.getLogger()
    root.addHandler(buffer)
    try:
        response = _hello(conf)
    finally:
        root.removeHandler(buffer)
    req_id = response.headers["x-openstack-request-id"]
    (record,) = buffer.buffer
    assert record.context["request_id"] == req_id
    assert record.getMessage().startswith('- "GET /greeting/hello"')
    assert req_id in streams[0].getvalue()


def test_oslo_log_set_up_again_is_followed(conf, written):
    app = config.load_paste_app(conf)
    _hello(conf, app=app)
    log.setup(conf, config.PROJECT)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    response = _hello(conf, app=app)
    assert response.headers["x-openstack-request-id"] in stream.getvalue()


def test_silenced_request_log_writes_nothing(conf, written):
    streams, records = written
    level = request_log.LOG.level
    request_log.LOG.setLevel(logging.WARNING)
    try:
        _hello(conf)
    finally:
        request_log.LOG.setLevel(level)
    assert not records and not streams[0].getvalue()


def test_record_only_values_in_the_format_are_oslos(conf, written):
    # Values a default format never shows are still those of the record.
    conf.set_override("logging_context_format_string",
                      "%(created)f %(relativeCreated)d %(args)s "
                      "%(msecs)03d %(levelno)s %(message)s")
    log.setup(conf, config.PROJECT)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    response = _hello(conf)
    oslo_record = _as_oslo_would_make_it(written[1][-1],
                                         context.RequestContext(
        request_id=response.headers["x-openstack-request-id"],
        overwrite=False))
    assert stream.getvalue() == _oslo_text(conf, oslo_record) + "\n"
    assert stream.getvalue().startswith(f"{NOW:f} ")


def test_a_handlers_level_is_respected(conf, written):
    streams, _ = written
    root = logging.getLogger()
    buffer = logging.handlers.BufferingHandler(10)
    buffer.setLevel(logging.WARNING)
    root.addHandler(buffer)
    for handler in root.handlers:
        handler.setLevel(logging.WARNING)
    try:
        _hello(conf)
    finally:
        root.removeHandler(buffer)
    assert not streams[0].getvalue() and not buffer.buffer


def test_the_line_is_made_without_the_formatters_format(conf, written,
                                                        monkeypatch):
    # The access line's own path fills the compiled format; falling back
    # to the formatter (as for a format it cannot fill) would give the
    # same text at three times the cost, unseen by the other tests.
    streams, _ = written
    monkeypatch.setattr(log.ContextFormatter, "format", _refuse_format)
    response = _hello(conf)
    assert response.headers["x-openstack-request-id"] in \
        streams[0].getvalue()


def test_each_thread_writes_its_own_thread(conf, written):
    # Values that change from line to line (the thread, here) are not
    # frozen into the compiled format by the first line's.
    stream = _set_up_logging(conf, logging_context_format_string=(
        "%(thread)d %(threadName)s %(message)s"))
    app = config.load_paste_app(conf)
    _hello(conf, app=app)
    other = threading.Thread(target=_hello, args=(conf,),
                             kwargs={"app": app}, name="other-thread")
    other.start()
    other.join()
    first, second = stream.getvalue().splitlines()
    assert first.startswith(f"{threading.get_ident()} "
                            f"{threading.current_thread().name} ")
    assert second.startswith(f"{other.ident} other-thread ")


class _Refuse(logging.Filter):
    def filter(self, record):
        return False


def test_a_handlers_filter_is_respected(conf, written):
    streams, _ = written
    logging.getLogger().handlers[0].addFilter(_Refuse())
    _hello(conf)
    assert not streams[0].getvalue()


@pytest.mark.parametrize("change", ["filter", "handler", "propagate"])
def test_greeters_own_loggers_are_respected(conf, written, change):
    # A filter or handler on a logger between the request log's and the
    # root, or one that does not propagate: the logging tree decides.
    streams, _ = written
    between = logging.getLogger("greeter.api")
    buffer = logging.handlers.BufferingHandler(10)
    refuse = _Refuse()
    if change == "filter":
        request_log.LOG.addFilter(refuse)
    elif change == "handler":
        between.addHandler(buffer)
    else:
        between.propagate = False
    try:
        response = _hello(conf)
    finally:
        request_log.LOG.removeFilter(refuse)
        between.removeHandler(buffer)
        between.propagate = True
    req_id = response.headers["x-openstack-request-id"]
    if change == "handler":
        (record,) = buffer.buffer
        assert record.context["request_id"] == req_id
        assert req_id in streams[0].getvalue()
    else:
        assert not streams[0].getvalue()


def test_a_moved_watched_log_file_is_reopened(conf, tmp_path, monkeypatch):
    # oslo.log watches log_file (log_rotation_type none): after logrotate
    # moves the file, lines go to a new file at its path once the access
    # log has looked again; the lines in between go to the moved file.
    moment = [1000.0]
    monkeypatch.setattr(access_log, "monotonic", lambda: moment[0])
    log_file = tmp_path / "greeter-api.log"
    moved = tmp_path / "greeter-api.log.1"
    conf.set_override("log_file", str(log_file))
    log.setup(conf, config.PROJECT)
    app = config.load_paste_app(conf)
    first = _hello(conf, app=app).headers["x-openstack-request-id"]
    log_file.rename(moved)
    moment[0] += 0.5
    between = _hello(conf, app=app).headers["x-openstack-request-id"]
    moment[0] += 0.5  # a second after the last look, as documented
    after = _hello(conf, app=app).headers["x-openstack-request-id"]
    assert first in moved.read_text()
    assert between in moved.read_text()
    assert after in log_file.read_text()
    assert after not in moved.read_text()
    assert first not in log_file.read_text()


def test_a_forked_worker_writes_its_own_process_id(conf, written,
                                                   monkeypatch):
    # gunicorn forks its workers from the master; a line each worker
    # writes shows the worker's pid, even when the master wrote first,
    # and each process makes its writer once, not for every line.
    streams, _ = written
    builds = []
    build = access_log.AccessLog._build

    def counted(self, handlers):
        builds.append(os.getpid())
        build(self, handlers)

    monkeypatch.setattr(access_log.AccessLog, "_build", counted)
    app = config.load_paste_app(conf)
    _hello(conf, app=app)
    assert f" {os.getpid()} INFO " in streams[0].getvalue()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's report is the check)
        try:
            streams[0].seek(0)
            streams[0].truncate()
            _hello(conf, app=app)
            _hello(conf, app=app)
            # A worker's own fork (a grandchild) is noticed too.
            grandchild = os.fork()
            if grandchild == 0:
                _hello(conf, app=app)
                os.write(writer, json.dumps([
                    os.getpid(), streams[0].getvalue(), builds]).encode())
                os._exit(0)
            os.waitpid(grandchild, 0)
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        grandchild, lines, forked_builds = json.loads(pipe.read())
    os.waitpid(child, 0)
    assert [line.split(" INFO ")[0].split()[-1]
            for line in lines.splitlines()] == [
        str(child), str(child), str(grandchild)], lines
    assert forked_builds == [os.getpid(), child, grandchild]


@pytest.mark.parametrize("use_json", [False, True])
def test_the_longest_line_is_one_atomic_write_to_a_pipe(conf, use_json):
    # Lines to a pipe (a container's log) from several workers never
    # interleave only if each is at most PIPE_BUF bytes.
    stream = _set_up_logging(conf, use_json=use_json)
    request = webob.Request.blank("/", headers={
        "X-Auth-Token": TOKEN,
        "X-Openstack-Request-Id": "req-" + "f" * 36})
    # Each byte quoted is three: the longest values a client can send.
    request.environ.update(PATH_INFO="/" + "\x85" * 5000,
                           REQUEST_METHOD="\x85" * 500,
                           REMOTE_ADDR="\x85" * 500)
    request.get_response(config.load_paste_app(conf))
    (line,) = stream.getvalue().splitlines(keepends=True)
    assert request_log.TRUNCATED in line
    # With room to spare for a Keystone caller's user and project ids.
    assert len(line.encode()) + 512 <= select.PIPE_BUF


def test_lines_with_and_without_a_request_id_each_take_their_format(
        conf, written):
    # oslo's context format for a line with a request id, its default
    # format for one without: each line its own, in any order.
    streams, records = written
    writer = _writer()
    for request_id in ("req-1", None, "req-2"):
        writer.write(logging.INFO, "%(what)s", {"what": "served"},
                     request_log.logging_values(request_id, None))
    assert streams[0].getvalue().splitlines() == [
        _oslo_text(conf, record) for record in records]
    assert " [-] served" in streams[0].getvalue().splitlines()[1]


def test_a_message_its_args_cannot_fill_is_written_as_oslo_writes_it(
        conf, written):
    # The formatter's way, where the line's own path cannot make the
    # message: oslo's "Error formatting log line" line, not a lost one.
    streams, records = written
    writer = _writer()
    writer.write(logging.INFO, "%(status)d", {"status": "two hundred"},
                 request_log.logging_values("req-1", None))
    (record,) = records
    line = streams[0].getvalue()
    assert line == _oslo_text(conf, record) + "\n"
    assert "Error formatting log line msg='*(status)d'" in line


@contextlib.contextmanager
def _second_stream_handler() -> Iterator[logging.Handler]:
    """A stream handler like oslo.log's, after it, with its formatter,
    while in the block."""
    root = logging.getLogger()
    second = logging.StreamHandler(io.StringIO())
    second.setFormatter(root.handlers[0].formatter)
    root.addHandler(second)
    try:
        yield second
    finally:
        root.removeHandler(second)


def test_a_handler_at_the_lines_level_writes_it(conf, written):
    streams, _ = written
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO)
    response = _hello(conf)
    assert response.headers["x-openstack-request-id"] in \
        streams[0].getvalue()


def test_a_handler_above_the_lines_level_leaves_it_to_the_next(conf,
                                                               written):
    streams, _ = written
    logging.getLogger().handlers[0].setLevel(logging.WARNING)
    with _second_stream_handler() as second:
        response = _hello(conf)
    assert not streams[0].getvalue()
    assert response.headers["x-openstack-request-id"] in \
        second.stream.getvalue()


def test_each_handler_reports_a_line_it_cannot_format(conf, capsys):
    conf.set_override("logging_context_format_string",
                      "%(no_such_value)s %(message)s")
    log.setup(conf, config.PROJECT)
    with _second_stream_handler():
        response = _hello(conf)
    assert response.status_int == 200
    reported = capsys.readouterr().err
    assert reported.count("--- Logging error ---") == 2
    assert "KeyError: 'no_such_value'" in reported


def test_milliseconds_are_those_logging_gives_a_record(monkeypatch):
    # The access line and its records take their msecs from one
    # function: checked here against logging's own record, made at NOW.
    monkeypatch.setattr(logging.time, "time", lambda: NOW)
    monkeypatch.setattr(logging.time, "time_ns", lambda: int(NOW * 1e9))
    made = logging.LogRecord("greeter.test", logging.INFO, __file__, 1,
                             "", None, None)
    assert log.record_msecs(NOW) == made.msecs == 750.0

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

"""request_log, its line through oslo.log as it ships: each output."""

from __future__ import annotations

import io
import json
import logging
import re
import select

import pytest
import webob
from oslo_context import context
from oslo_log import formatters
from oslo_log import handlers
from oslo_log import log
from oslo_middleware import request_id

from greeter.api.middleware import request_log
from greeter.common import config
from greeter.common import context as greeter_context
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN

INBOUND = "req-12345678-1234-1234-1234-123456789012"


def _set_up_logging(conf, **options) -> io.StringIO:
    """oslo.log set up with these options; its handler's stream, to read
    the lines from."""
    for name, value in options.items():
        conf.set_override(name, value)
    log.setup(conf, config.PROJECT)
    stream = io.StringIO()
    (handler,) = logging.getLogger().handlers
    handler.setStream(stream)
    return stream


def _hello(app, path: str = "/greeting/hello", **headers) -> str:
    """The request id of a request to ``path``."""
    response = webob.Request.blank(path, headers={
        "X-Auth-Token": SHIPPED_TOKEN, **headers}).get_response(app)
    return response.headers["x-openstack-request-id"]


@pytest.mark.parametrize("use_json, kind", [
    ("false", formatters.ContextFormatter),
    ("true", formatters.JSONFormatter),
])
def test_greeters_set_up_is_oslo_logs_own(conf, monkeypatch, use_json,
                                          kind):
    monkeypatch.setenv("OS_DEFAULT__USE_JSON", use_json)
    conf.clear()
    config.parse_args(conf, ["--config-file", str(SHIPPED_CONF)])
    assert [type(handler.formatter)
            for handler in logging.getLogger().handlers] == [kind]


@pytest.mark.parametrize("global_id", [None, INBOUND])
def test_text_line(conf, app, global_id):
    stream = _set_up_logging(conf)
    headers = {"X-Openstack-Request-Id": global_id} if global_id else {}
    req_id = _hello(app, **headers)
    (line,) = stream.getvalue().splitlines()
    # oslo.log's default context format; no global id reads "None".
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ INFO "
        r"greeter\.api\.middleware\.request_log "
        + re.escape(f"[{global_id} {req_id} - - - - - -] ")
        + r'- "GET /greeting/hello" status: 200 time: \d+\.\d\dms '
        r"token: presented", line), line


def test_debug_line_has_oslos_debug_suffix(conf, app):
    stream = _set_up_logging(conf, debug=True)
    req_id = _hello(app, "/healthcheck")
    (line,) = stream.getvalue().splitlines()
    assert f" DEBUG greeter.api.middleware.request_log [None {req_id} " \
        in line
    assert '"GET /healthcheck" status: 200' in line
    assert re.search(r" \w+ \S+request_log\.py:\d+$", line), line


def test_json_line(conf, app):
    stream = _set_up_logging(conf, use_json=True)
    req_id = _hello(app, X_Openstack_Request_Id=INBOUND)
    line = json.loads(stream.getvalue())
    assert line["name"] == request_log.__name__
    assert line["context"]["request_id"] == req_id
    assert line["context"]["global_request_id"] == INBOUND
    assert line["args"] == {
        "remote": "-", "method": "GET", "path": "/greeting/hello",
        "status": "200", "ms": line["args"]["ms"], "token": "presented"}
    assert line["message"].startswith('- "GET /greeting/hello" status: 200')


def _with_caller(environ, start_response):
    """A filter further in (auth with Keystone, say) leaves the request's
    RequestContext, with the caller's user and project, in the environ."""
    environ[greeter_context.CONTEXT_ENV] = context.RequestContext(
        user_id="alice", project_id="p1", user_name="Alice",
        project_name="Project One",
        request_id=environ[request_id.ENV_REQUEST_ID])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


def test_text_line_names_the_callers_user_and_project(conf):
    stream = _set_up_logging(conf)
    request = webob.Request.blank("/x")
    request.environ[request_id.ENV_REQUEST_ID] = "req-mine"
    request.get_response(request_log.RequestLog(_with_caller))
    assert "[None req-mine alice p1 - - - -] " in stream.getvalue()


@pytest.fixture
def journal(conf, monkeypatch):
    """What oslo.log's own journal handler sends, with systemd's journal
    (which need not be installed) replaced by a recorder of entries."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(handlers, "journal", type(
        "Journal", (), {"send": staticmethod(
            lambda message, **fields: sent.append((message, fields)))}))
    conf.set_override("use_journal", True)
    yield sent
    # Before systemd's journal is back: no handler left to write to it.
    conf.clear_override("use_journal")
    log.setup(conf, config.PROJECT)


@pytest.mark.parametrize("use_json", [False, True])
def test_journal_gets_the_callers_fields(conf, journal, use_json):
    # The handler reads the request's ids, user and project from the
    # record once the record is formatted.
    conf.set_override("use_json", use_json)
    log.setup(conf, config.PROJECT)
    assert [type(handler) for handler in logging.getLogger().handlers] == \
        [handlers.OSJournalHandler]
    request = webob.Request.blank("/x")
    request.environ[request_id.ENV_REQUEST_ID] = "req-mine"
    request.get_response(request_log.RequestLog(_with_caller))
    (message, fields), = journal
    text = json.loads(message)["message"] if use_json else message
    assert '- "GET /x" status: 200' in text
    assert {name: fields.get(name) for name in (
        "REQUEST_ID", "PROJECT_ID", "PROJECT_NAME", "USER_NAME",
        "LOGGER_NAME")} == {
        "REQUEST_ID": "req-mine", "PROJECT_ID": "p1",
        "PROJECT_NAME": "Project One", "USER_NAME": "Alice",
        "LOGGER_NAME": request_log.__name__}
    # The handler reads user_id, which oslo.context's logging values name
    # "user" (as the logging guide says): the user id is in the message.
    assert "USER_ID" not in fields
    assert "alice" in message


def test_a_moved_log_file_is_reopened(conf, app, tmp_path):
    # oslo.log watches log_file (log_rotation_type none): once logrotate
    # moves the file, the next line goes to a new file at its path.
    log_file = tmp_path / "greeter-api.log"
    moved = tmp_path / "greeter-api.log.1"
    conf.set_override("log_file", str(log_file))
    log.setup(conf, config.PROJECT)
    first = _hello(app)
    log_file.rename(moved)
    after = _hello(app)
    assert first in moved.read_text()
    assert after in log_file.read_text()
    assert after not in moved.read_text()


def test_oslo_log_set_up_again_is_followed(conf, app):
    # A reload sets oslo.log up again: the pipeline built before writes
    # the next line in the new format.
    _set_up_logging(conf)
    stream = _set_up_logging(conf, use_json=True)
    req_id = _hello(app)
    assert json.loads(stream.getvalue())["context"]["request_id"] == req_id


def test_a_format_that_cannot_be_filled_does_not_fail_the_request(
        conf, app, capsys):
    # As with any line: logging reports it on stderr, the request is
    # served.
    _set_up_logging(conf, logging_context_format_string=(
        "%(no_such_value)s %(message)s"))
    response = webob.Request.blank("/greeting/hello", headers={
        "X-Auth-Token": SHIPPED_TOKEN}).get_response(app)
    assert response.status_int == 200
    assert "no_such_value" in capsys.readouterr().err


@pytest.mark.parametrize("use_json", [False, True])
def test_the_longest_line_is_one_atomic_write_to_a_pipe(conf, app,
                                                        use_json):
    # Lines to a pipe (a container's log) from several workers never
    # interleave only if each is at most PIPE_BUF bytes.
    stream = _set_up_logging(conf, use_json=use_json)
    request = webob.Request.blank("/", headers={
        "X-Auth-Token": SHIPPED_TOKEN,
        "X-Openstack-Request-Id": "req-" + "f" * 36})
    # Each byte quoted is three: the longest values a client can send.
    request.environ.update(PATH_INFO="/" + "\x85" * 5000,
                           REQUEST_METHOD="\x85" * 500,
                           REMOTE_ADDR="\x85" * 500)
    request.get_response(app)
    (line,) = stream.getvalue().splitlines(keepends=True)
    assert request_log.TRUNCATED in line
    # With room to spare for a Keystone caller's user and project ids.
    assert len(line.encode()) + 512 <= select.PIPE_BUF

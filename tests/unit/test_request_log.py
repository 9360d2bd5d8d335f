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

"""The request log's line: its fields, quoting, context and level."""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys

import pytest
import webob
from oslo_context import context
from oslo_log import formatters

from greeter.api.middleware import request_log
from greeter.common import config
from greeter.common import context as greeter_context
from tests.conftest import SHIPPED_TOKEN


@pytest.fixture
def records():
    """The request log's records, as its handlers get them."""
    caught: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = caught.append
    request_log.LOG.addHandler(handler)
    yield caught
    request_log.LOG.removeHandler(handler)


def _get(app, path: str, **headers) -> webob.Response:
    return webob.Request.blank(path, headers=headers).get_response(app)


def _text(conf, record: logging.LogRecord, oslo: bool = False) -> str:
    kind = formatters.ContextFormatter if oslo else config.log.ContextFormatter
    return kind(project=config.PROJECT, version="1",
                datefmt=conf.log_date_format,
                config=conf).format(copy.copy(record))


def _as_oslo_would_make_it(record: logging.LogRecord,
                           request_context) -> logging.LogRecord:
    """The record LOG.info(MESSAGE, fields, context=...) would have made."""
    same = copy.copy(record)
    same.context = request_context
    return same


@pytest.mark.parametrize("value, quoted", [
    ("/greeting/hello", "/greeting/hello"),
    ("/a b", "/a%20b"),
    ('/a"b', "/a%22b"),
    ("/a\r\nb", "/a%0D%0Ab"),
    ("/a\x85b", "/a%85b"),
    ("/\xe2\x80\xa8", "/%E2%80%A8"),
    ("/%41", "/%2541"),
])
def test_printable_quotes_what_could_forge_or_split_a_line(value, quoted):
    assert request_log.printable(value) == quoted


def test_printable_keeps_a_value_at_the_bound_whole():
    value = "/" + "x" * (request_log.MAX_FIELD - 1)
    assert request_log.printable(value) == value


def test_printable_cuts_long_values():
    quoted = request_log.printable("/" + "x" * 10000)
    assert len(quoted) == request_log.MAX_FIELD + len(request_log.TRUNCATED)
    assert quoted.endswith(request_log.TRUNCATED)


@pytest.mark.parametrize("address, quoted", [
    ("192.0.2.1", "192.0.2.1"),
    ("[2001:db8::1]:4711", "[2001:db8::1]:4711"),
    ("1.2.3.4 status: 200", "1.2.3.4%20status%3A%20200"),
    ("1.2.3.4\x85x", "1.2.3.4%85x"),
])
def test_printable_addresses(address, quoted):
    assert request_log.printable(address, request_log.ADDRESS_SAFE) == \
        quoted.replace("%3A", ":")


@pytest.mark.parametrize("ids", [
    ("req-1", None, None, None),
    ("req-1", "req-g", None, None),
    ("req-1", "req-g", "alice", None),
    ("req-1", None, None, "p1"),
    ("req-1", "req-g", "alice", "p1"),
])
def test_logging_values_are_oslo_contexts(ids):
    req_id, global_id, user, project = ids
    expected = context.RequestContext(
        request_id=req_id, global_request_id=global_id, user_id=user,
        project_id=project, overwrite=False).get_logging_values()
    assert request_log.logging_values(*ids) == expected


def test_line_reads_as_oslos(conf, app, records):
    response = _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    (record,) = records
    line = _text(conf, record)
    # oslo's formatter, given the same record, and given the record that
    # LOG.info with a real RequestContext would have made.
    assert line == _text(conf, record, oslo=True)
    req_id = response.headers["x-openstack-request-id"]
    oslo_record = _as_oslo_would_make_it(record, context.RequestContext(
        request_id=req_id, overwrite=False))
    assert line == _text(conf, oslo_record, oslo=True)
    # No global request id reads "None", as in every oslo.log line.
    assert line.endswith(
        f"INFO greeter.api.middleware.request_log [None {req_id} - - - - - -] "
        f'- "GET /greeting/hello" status: 200 time: '
        f"{record.args['ms']:.2f}ms token: presented")


def test_json_line_reads_as_oslos(conf, app, records):
    response = _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    (record,) = records
    req_id = response.headers["x-openstack-request-id"]
    datefmt = conf.log_date_format
    line = json.loads(config.log.JSONFormatter(datefmt=datefmt).format(
        copy.copy(record)))
    oslo_record = _as_oslo_would_make_it(record, context.RequestContext(
        request_id=req_id, overwrite=False))
    oslo_line = json.loads(formatters.JSONFormatter(datefmt=datefmt).format(
        oslo_record))
    assert line == oslo_line
    assert line["context"]["request_id"] == req_id
    assert line["args"]["path"] == "/greeting/hello"
    assert line["message"].startswith('- "GET /greeting/hello" status: 200')


def test_user_and_project_from_the_requests_context(conf, records):
    # A filter further in (auth with Keystone, say) leaves the request's
    # RequestContext in the environ.
    def inner(environ, start_response):
        environ[greeter_context.CONTEXT_ENV] = context.RequestContext(
            user_id="alice", project_id="p1", overwrite=False)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]

    app = request_log.RequestLog(inner)
    request = webob.Request.blank("/x")
    request.environ["openstack.request_id"] = "req-mine"
    request.get_response(app)
    (record,) = records
    line = _text(conf, record)
    assert "[None req-mine alice p1 - - - -]" in line
    oslo_record = _as_oslo_would_make_it(record, context.RequestContext(
        request_id="req-mine", user_id="alice", project_id="p1",
        overwrite=False))
    assert line == _text(conf, oslo_record, oslo=True)


@pytest.fixture
def debug_on():
    """The request log's DEBUG lines let through, as debug = true does."""
    level = request_log.LOG.level
    request_log.LOG.setLevel(logging.DEBUG)
    yield
    request_log.LOG.setLevel(level)


def test_health_traffic_is_not_logged_by_default(app, records):
    _get(app, "/healthcheck")
    _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    assert [r.args["path"] for r in records] == ["/greeting/hello"]


def test_health_traffic_at_debug_api_requests_at_info(app, records,
                                                      debug_on):
    _get(app, "/healthcheck")
    _get(app, "/healthcheck/")
    _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    _get(app, "/healthcheckx")
    assert [(r.levelno, r.args["path"]) for r in records] == [
        (logging.DEBUG, "/healthcheck"),
        (logging.DEBUG, "/healthcheck/"),
        (logging.INFO, "/greeting/hello"),
        (logging.INFO, "/healthcheckx"),
    ]


def test_health_level_and_paths_are_options(conf, records):
    conf.set_override("health_level", "INFO", group="request_log")
    conf.set_override("health_paths", ["/healthcheck", "/"],
                      group="request_log")
    app = config.load_paste_app(conf)
    _get(app, "/healthcheck")
    _get(app, "/")
    _get(app, "/greeting/hello")
    assert [r.levelno for r in records] == [logging.INFO] * 3


@pytest.fixture
def current_at_log(monkeypatch):
    """The context current when each request's line is written."""
    seen = []
    original = request_log.RequestLog.log

    def spy(self, environ, *args):
        seen.append(context.get_current())
        return original(self, environ, *args)

    monkeypatch.setattr(request_log.RequestLog, "log", spy)
    return seen


def test_request_context_is_current_while_serving(app, current_at_log):
    # Every line logged while a request is served carries its ids.
    inbound = "req-12345678-1234-1234-1234-123456789012"
    response = _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN,
                    X_Openstack_Request_Id=inbound)
    (current,) = current_at_log
    assert current.request_id == response.headers["x-openstack-request-id"]
    assert current.global_request_id == inbound


def test_refused_request_has_its_own_context_not_the_last_ones(
        app, current_at_log):
    # A request refused before the context filter still logs with its
    # own ids, not those of the request this thread served before.
    _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    refused = _get(app, "/greeting/hello")
    assert refused.status_int == 401
    assert current_at_log[-1].request_id == \
        refused.headers["x-openstack-request-id"]
    assert current_at_log[-1].global_request_id is None


def test_importing_the_request_log_makes_no_context_current():
    # A context made current at import would be every later line's
    # context in that thread (the master's, say).
    code = ("from oslo_context import context\n"
            "import greeter.api.middleware.request_log\n"
            "assert context.get_current() is None\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_health_prefix_keeps_the_paths_last_character(conf, records,
                                                      debug_on):
    conf.set_override("health_paths", ["/probeX"], group="request_log")
    app = config.load_paste_app(conf)
    _get(app, "/probeX/deep")
    _get(app, "/probe/deep")
    assert [(r.levelno, r.args["path"]) for r in records] == [
        (logging.DEBUG, "/probeX/deep"), (logging.INFO, "/probe/deep")]

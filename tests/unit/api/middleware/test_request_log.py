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

import logging
import subprocess
import sys
from urllib.parse import quote

import pytest
import webob
from oslo_context import context
from oslo_middleware import request_id

from greeter.api.middleware import request_log
from greeter.common import config
from tests.fixtures.shipped import SHIPPED_TOKEN


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


@pytest.mark.parametrize("safe", [request_log.PATH_SAFE,
                                  request_log.ADDRESS_SAFE])
def test_printable_leaves_unquoted_only_what_quote_leaves(safe):
    # Values with nothing to quote skip quote(): every character, alone
    # and after a safe one, comes out exactly as quote() gives it.
    for code in range(256):
        raw = chr(code)
        expected = quote(raw.encode("latin-1"), safe=safe)
        assert request_log.printable(raw, safe) == expected, repr(raw)
        assert request_log.printable("a" + raw, safe) == "a" + expected


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


def test_the_line_is_under_the_requests_context(app, records):
    inbound = "req-12345678-1234-1234-1234-123456789012"
    response = _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN,
                    X_Openstack_Request_Id=inbound)
    (record,) = records
    assert record.context.request_id == \
        response.headers["x-openstack-request-id"]
    assert record.context.global_request_id == inbound
    assert record.args["path"] == "/greeting/hello"
    assert record.args["token"] == "presented"


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


def test_health_prefix_keeps_the_paths_last_character(conf, records,
                                                      debug_on):
    conf.set_override("health_paths", ["/probeX"], group="request_log")
    app = config.load_paste_app(conf)
    _get(app, "/probeX/deep")
    _get(app, "/probe/deep")
    assert [(r.levelno, r.args["path"]) for r in records] == [
        (logging.DEBUG, "/probeX/deep"), (logging.INFO, "/probe/deep")]


def test_silenced_request_log_writes_nothing(app, records):
    # default_log_levels can set the request log's level above INFO.
    level = request_log.LOG.level
    request_log.LOG.setLevel(logging.WARNING)
    try:
        _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    finally:
        request_log.LOG.setLevel(level)
    assert not records


def test_request_context_is_current_while_serving():
    # Every line logged while a request is served carries its ids.
    seen = []

    def inner(environ, start_response):
        seen.append(context.get_current())
        start_response("204 No Content", [])
        return []

    request = webob.Request.blank("/x")
    request.environ[request_id.ENV_REQUEST_ID] = "req-mine"
    request.environ[request_id.GLOBAL_REQ_ID] = "req-global"
    request.get_response(request_log.RequestLog(inner))
    (current,) = seen
    assert current.request_id == "req-mine"
    assert current.global_request_id == "req-global"


@pytest.mark.parametrize("path", ["/greeting/hello", "/healthcheck"])
def test_no_context_is_current_once_a_request_is_done(app, path):
    # A later line of this thread (gunicorn's, for a malformed request)
    # must not name this request, whose global id the client chose.
    _get(app, path, X_Auth_Token=SHIPPED_TOKEN,
         X_Openstack_Request_Id="req-12345678-1234-1234-1234-123456789012")
    assert context.get_current() is None


def test_no_context_is_current_after_a_request_that_raised():
    def broken(environ, start_response):
        context.RequestContext(request_id="req-inner")
        raise RuntimeError("escaped")

    with pytest.raises(RuntimeError, match="escaped"):
        webob.Request.blank("/x").get_response(
            request_log.RequestLog(broken))
    assert context.get_current() is None


def test_oslo_context_still_keeps_the_current_context_in_its_store():
    # Where clear_current_context deletes it from: no public call does.
    current = context.RequestContext(request_id="req-stored")
    assert getattr(getattr(context, "_request_store", None), "context",
                   None) is current, (
        "oslo.context no longer keeps the current context in "
        "_request_store.context: request_log.clear_current_context must "
        "follow it")
    request_log.clear_current_context()
    assert context.get_current() is None
    request_log.clear_current_context()  # nothing current: no error


def test_refused_request_has_its_own_context_not_the_last_ones(
        app, records):
    # A request refused before the context filter still logs with its
    # own ids, not those of the request this thread served before.
    _get(app, "/greeting/hello", X_Auth_Token=SHIPPED_TOKEN)
    refused = _get(app, "/greeting/hello")
    assert refused.status_int == 401
    assert records[-1].context.request_id == \
        refused.headers["x-openstack-request-id"]
    assert records[-1].context.global_request_id is None


def test_importing_the_request_log_makes_no_context_current():
    # A context made current at import would be every later line's
    # context in that thread (the master's, say).
    code = ("from oslo_context import context\n"
            "import greeter.api.middleware.request_log\n"
            "assert context.get_current() is None\n")
    subprocess.run([sys.executable, "-c", code], check=True)

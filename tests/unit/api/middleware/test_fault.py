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

"""Unexpected failures: a 500 in the error shape, the details only logged;
and the fault wrapper's reshaping of other layers' errors."""

from __future__ import annotations

import logging

import pytest
import webob
import webob.exc
from oslo_context import context

from greeter.api.middleware import fault
from greeter.api.v1 import greetings
from tests.fixtures.responses import errors_of


class ContextAtEmit(logging.Handler):
    """Records each ERROR with the request id oslo.log would put on it:
    the context current when the record is emitted."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[tuple[logging.LogRecord, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        current = context.get_current()
        self.seen.append((record, current.request_id if current else None))


@pytest.fixture
def errors_logged():
    handler = ContextAtEmit()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.seen
    root.removeHandler(handler)


def test_unexpected_error_is_500_without_internals(conf, monkeypatch,
                                                   caplog, call,
                                                   errors_logged):
    def broken(self, req):
        raise RuntimeError("internal detail 42")

    monkeypatch.setattr(greetings.GreetingController, "hello", broken)
    caplog.set_level(logging.INFO)
    # Another request's context is current beforehand: the traceback must
    # carry this request's id, not a stale one.
    context.RequestContext(request_id="req-stale", overwrite=True)
    response = call("/greeting/hello")

    assert response.status_int == 500
    (error,) = response.json["errors"]
    assert error["code"] == "greeter.internal_error"
    assert "internal detail 42" not in response.text
    assert "Traceback" not in response.text
    request_id = response.headers["x-openstack-request-id"]
    assert error["request_id"] == request_id
    # The operator gets the traceback, tagged with the request id.
    ((record, logged_request_id),) = errors_logged
    assert record.exc_info[1].args == ("internal detail 42",)
    assert logged_request_id == request_id
    assert "status: 500" in caplog.text


def test_error_for_head_has_no_body(call):
    response = call("/nope", method="HEAD")
    assert response.status_int == 404
    assert response.body == b""


def wrapped(app) -> fault.FaultWrapper:
    return fault.FaultWrapper(app)


def get(app, accept: str | None = None) -> webob.Response:
    request = webob.Request.blank("/x")
    request.environ["openstack.request_id"] = "req-test"
    if accept:
        request.headers["Accept"] = accept
    return request.get_response(app)


def test_lazy_start_response_is_passed_through():
    def lazy(environ, start_response):
        # PEP 3333: start_response may wait for the first body chunk.
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("X-Kept", "yes")])
        yield b"one "
        yield b"two"

    response = get(wrapped(lazy))
    assert response.status_int == 200
    assert response.body == b"one two"
    assert response.headers["X-Kept"] == "yes"


def test_lazy_error_response_is_reshaped():
    def lazy(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/html")])
        yield b"<html>not here</html>"

    response = get(wrapped(lazy))
    assert response.status_int == 404
    (error,) = errors_of(response)
    assert error["code"] == "greeter.not_found"
    assert error["request_id"] == "req-test"


def test_error_while_iterating_the_body_is_a_500_in_shape(caplog):
    closed = []

    class FailingBody:
        def __iter__(self):
            yield b"partial"
            raise RuntimeError("while streaming")

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return FailingBody()

    caplog.set_level(logging.ERROR)
    response = get(wrapped(app))
    assert response.status_int == 500
    assert errors_of(response)[0]["code"] == "greeter.internal_error"
    assert b"partial" not in response.body
    assert closed == [True]
    assert "while streaming" in caplog.text


def test_error_before_start_response_in_a_lazy_app_is_a_500():
    def app(environ, start_response):
        raise RuntimeError("before anything")
        yield b""  # a generator: nothing runs until it is iterated

    response = get(wrapped(app))
    assert response.status_int == 500
    assert errors_of(response)[0]["code"] == "greeter.internal_error"


def test_app_that_never_starts_a_response_is_a_500():
    response = get(wrapped(lambda environ, start_response: [b"no status"]))
    assert response.status_int == 500
    assert errors_of(response)[0]["code"] == "greeter.internal_error"


@pytest.mark.parametrize("status, title", [
    (418, "I'm a Teapot"), (499, "Client Error"), (599, "Server Error"),
])
def test_statuses_webob_does_not_map_keep_their_status(status, title):
    def app(environ, start_response):
        start_response(f"{status} Whatever", [("Content-Type", "text/html")])
        return [b"<html>odd</html>"]

    response = get(wrapped(app))
    assert response.status_int == status
    (error,) = errors_of(response)
    assert (error["status"], error["title"]) == (status, title)
    assert error["code"] == "greeter.undefined"


@pytest.mark.parametrize("raise_it", [True, False])
def test_reshape_keeps_only_the_headers_that_matter(raise_it):
    headers = [("allow", "GET"), ("Retry-After", "5"),
               ("WWW-Authenticate", "Token"), ("X-Internal", "secret"),
               ("Content-Type", "text/html"), ("Set-Cookie", "a=b")]

    def app(environ, start_response):
        if raise_it:
            raise webob.exc.HTTPServiceUnavailable(headers=headers)
        start_response("503 Service Unavailable", headers)
        return [b"<html>busy</html>"]

    response = get(wrapped(app))
    assert response.status_int == 503
    assert errors_of(response)[0]["status"] == 503
    assert response.headers["Allow"] == "GET"
    assert response.headers["Retry-After"] == "5"
    assert response.headers["WWW-Authenticate"] == "Token"
    for dropped in ("X-Internal", "Set-Cookie"):
        assert dropped not in response.headers
    assert b"busy" not in response.body


def test_reshaped_error_as_text_when_text_preferred():
    def app(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/html")])
        return [b"<html>gone</html>"]

    response = get(wrapped(app), accept="text/plain")
    assert response.status_int == 404
    assert response.content_type == "text/plain"
    assert response.text == ("404 Not Found: The resource could not be "
                             "found.\n")


@pytest.mark.parametrize("status, code", [
    (400, "greeter.bad_request"), (401, "greeter.auth.missing"),
    (404, "greeter.not_found"), (405, "greeter.method_not_allowed"),
    (406, "greeter.not_acceptable"), (413, "greeter.request_too_large"),
    (500, "greeter.internal_error"), (503, "greeter.undefined"),
])
def test_other_layers_errors_get_greeters_codes(status, code):
    # 400 included: it is the first status reshaped.
    def app(environ, start_response):
        start_response(f"{status} Whatever", [("Content-Type", "text/html")])
        return [b"<html>theirs</html>"]

    response = get(wrapped(app))
    assert response.status_int == status
    (error,) = errors_of(response)
    assert (error["status"], error["code"]) == (status, code)


def test_success_below_400_passes_untouched():
    def app(environ, start_response):
        start_response("399 Odd But Fine", [("Content-Type", "text/plain")])
        return [b"theirs"]

    response = get(wrapped(app))
    assert response.status == "399 Odd But Fine"
    assert response.body == b"theirs"


def test_write_is_refused_and_becomes_a_500(caplog):
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"legacy")
        return []

    caplog.set_level(logging.ERROR)
    response = get(wrapped(app))
    assert response.status_int == 500
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(record.exc_info[1]) == \
        "greeter's filters do not support write()"


def test_500_detail_and_log_line(caplog):
    def app(environ, start_response):
        raise RuntimeError("boom")

    caplog.set_level(logging.ERROR)
    response = get(wrapped(app))
    (error,) = errors_of(response)
    assert error["detail"] == ("The server could not complete the request; "
                               "it has been logged.")
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "Unexpected error serving GET"


def test_no_response_started_is_logged_as_such(caplog):
    caplog.set_level(logging.ERROR)
    get(wrapped(lambda environ, start_response: [b"no status"]))
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(record.exc_info[1]) == \
        "the app returned without starting a response"

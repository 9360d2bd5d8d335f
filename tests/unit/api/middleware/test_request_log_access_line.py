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

"""request_log, its access line exactly as it is written."""

from __future__ import annotations

import logging

import pytest
import webob

from greeter.api.middleware import request_log


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger=request_log.__name__)

    def _lines() -> list[str]:
        return [record.getMessage() for record in caplog.records
                if record.name == request_log.__name__]

    return _lines


@pytest.fixture
def clock(monkeypatch):
    """request_log's clock: 10 s when a request starts, 11.5 s after."""
    ticks = iter([10.0, 11.5])
    monkeypatch.setattr(request_log.time, "monotonic", lambda: next(ticks))


def answer(status: str):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "text/plain")])
        return [b""]

    return app


def test_access_line(conf, lines, clock):
    request = webob.Request.blank("/", method="GET", headers={
        "X-Auth-Token": "anything"})
    # WSGI carries the path's bytes as latin-1 code points.
    request.environ["SCRIPT_NAME"] = "/mount"
    request.environ["PATH_INFO"] = "/a b/\xc3\xbc"
    request.environ["REMOTE_ADDR"] = "10.0.0.1"
    request.get_response(request_log.RequestLog(answer("204 No Content"),
                                                conf))
    assert lines() == ['10.0.0.1 "GET /mount/a%20b/%C3%BC" status: 204 '
                       'time: 1500.00ms token: presented']


def test_path_beyond_latin1_is_still_logged(conf, lines, clock):
    # Only a server breaking WSGI's latin-1 rule hands over such a
    # string; the line is still written, the character replaced.
    request = webob.Request.blank("/")
    request.environ["PATH_INFO"] = "/\u20ac"
    request.environ["REMOTE_ADDR"] = "10.0.0.3"
    request_log.RequestLog(answer("200 OK"), conf)(
        request.environ, lambda status, headers, exc_info=None: None)
    assert lines() == ['10.0.0.3 "GET /%3F" status: 200 time: 1500.00ms '
                       'token: absent']


def test_access_line_without_address_or_method(conf, lines, clock):
    request = webob.Request.blank("/")
    for name in ("REMOTE_ADDR", "REQUEST_METHOD", "SCRIPT_NAME",
                 "PATH_INFO"):
        request.environ.pop(name, None)
    request_log.RequestLog(answer("200 OK"), conf)(
        request.environ, lambda status, headers, exc_info=None: None)
    assert lines() == ['- "- " status: 200 time: 1500.00ms token: absent']


def test_an_exception_is_logged_as_a_500_and_goes_on(conf, lines, clock):
    def broken(environ, start_response):
        raise RuntimeError("escaped")

    request = webob.Request.blank("/x")
    request.environ["REMOTE_ADDR"] = "10.0.0.2"
    with pytest.raises(RuntimeError, match="escaped"):
        request.get_response(request_log.RequestLog(broken, conf))
    assert lines() == ['10.0.0.2 "GET /x" status: 500 time: 1500.00ms '
                       'token: absent']

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

"""greeter.common.wsgi: content negotiation, routing, and errors in one
shape (JSON, or a line of text for a client that prefers text)."""

from __future__ import annotations

import pytest
import routes
import webob

from greeter.common import wsgi
from tests.fixtures.responses import errors_of


@pytest.mark.parametrize("accept, offers, chosen", [
    (None, (wsgi.TEXT, wsgi.JSON), wsgi.TEXT),
    (None, (wsgi.JSON, wsgi.TEXT), wsgi.JSON),
    ("*/*", (wsgi.TEXT, wsgi.JSON), wsgi.TEXT),
    ("*/*", (wsgi.JSON, wsgi.TEXT), wsgi.JSON),
    ("application/json", (wsgi.TEXT, wsgi.JSON), wsgi.JSON),
    ("text/plain;q=0.5, application/json", (wsgi.TEXT, wsgi.JSON),
     wsgi.JSON),
    ("image/png", (wsgi.TEXT, wsgi.JSON), None),
    # Any type, but none of them acceptable: parsed, not taken as "*/*".
    ("*/*;q=0", (wsgi.TEXT, wsgi.JSON), None),
])
def test_best_match(accept, offers, chosen):
    environ = {} if accept is None else {"HTTP_ACCEPT": accept}
    assert wsgi.best_match(environ, wsgi.Offers(*offers)) == chosen


@pytest.mark.parametrize("accept", [None, "", "*/*"])
def test_any_type_is_the_first_offer_without_parsing(monkeypatch, accept):
    # No Accept header, or "*/*" (what curl and most HTTP libraries send),
    # accepts anything: the first offer, with no header parsed for it.
    def unparsable(header):
        raise AssertionError(f"{header!r} was parsed")

    monkeypatch.setattr(wsgi, "create_accept_header", unparsable)
    environ = {} if accept is None else {"HTTP_ACCEPT": accept}
    offers = wsgi.Offers(wsgi.JSON, wsgi.TEXT)
    assert wsgi.best_match(environ, offers) == wsgi.JSON


def test_unknown_path_is_404(call):
    (error,) = errors_of(call("/greeting/howdy"))
    assert error["status"] == 404
    assert error["code"] == "greeter.not_found"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405_with_allow(call, method):
    response = call("/greeting/hello", method=method)
    assert response.status_int == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert errors_of(response)[0]["code"] == "greeter.method_not_allowed"


def test_error_as_text_when_text_preferred(call):
    response = call("/nope", headers={"Accept": "text/plain"})
    assert response.status_int == 404
    assert response.content_type == "text/plain"
    assert response.text == "404 Not Found: No such resource.\n"


@pytest.mark.parametrize("raw_path", ["/greeting/\xff\xfe", "/\xff"])
def test_path_that_is_not_utf8_is_404(call, raw_path):
    # WSGI carries the request's bytes as latin-1 code points.
    response = call("/", environ={"PATH_INFO": raw_path})
    assert response.status_int == 404
    assert errors_of(response)[0]["code"] == "greeter.not_found"


@pytest.mark.parametrize("status, request_args, text", [
    (401, {"token": None},
     "401 Unauthorized: This request needs an X-Auth-Token header.\n"),
    (401, {"token": "wrong"},
     "401 Unauthorized: The X-Auth-Token is not valid.\n"),
    (405, {"method": "DELETE"},
     "405 Method Not Allowed: Method DELETE is not allowed here.\n"),
    (406, {"accept": "text/plain;q=0, image/png"}, None),
    (413, {"method": "POST", "body": b"x" * (114688 + 1)},
     "413 Request Entity Too Large: The request body is larger than "
     "114688 bytes.\n"),
])
def test_errors_as_text(call, status, request_args, text):
    # A client that prefers text gets each error as one line of text.
    args = dict(request_args)
    accept = args.pop("accept", "text/plain")
    response = call("/greeting/hello", headers={"Accept": accept}, **args)
    assert response.status_int == status
    if text is None:
        # 406: the client refused text, so the error comes as JSON.
        assert errors_of(response)[0]["status"] == 406
        return
    assert response.content_type == "text/plain"
    assert response.text == text
    assert response.headers["x-openstack-request-id"]


def test_path_with_a_final_newline_is_404(call):
    # Routes' patterns end in "$", which also matches before a final
    # newline; "/greeting/hello%0A" is no route of greeter's.
    response = call("/greeting/hello\n")
    assert response.status_int == 404
    assert errors_of(response)[0]["code"] == "greeter.not_found"


def test_router_sets_wsgiorg_routing_args(conf):
    seen = {}

    def controller(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return []

    mapper = routes.Mapper()
    mapper.connect("/x/{name}", controller=controller, action="show",
                   conditions={"method": ["GET"]})
    webob.Request.blank("/x/y").get_response(wsgi.Router(mapper))
    assert seen["wsgiorg.routing_args"] == ((), {
        "controller": controller, "action": "show", "name": "y"})

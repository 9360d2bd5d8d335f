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

"""The shipped paste pipeline, driven with webob requests."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
import routes
import webob
import webob.exc
from oslo_config import cfg
from oslo_log import formatters
from oslo_middleware import request_id

from greeter.api.middleware import chunked_body_limit
from greeter.api.middleware import exact_path
from greeter.api.middleware import request_log
from greeter.api.middleware import versions
from greeter.common import config
from greeter.common import wsgi

REQUEST_ID = re.compile(r"^req-[0-9a-f-]{36}$")


def errors_of(response) -> list[dict]:
    assert response.content_type == "application/json"
    return json.loads(response.body)["errors"]


@pytest.mark.parametrize("path, message", [
    ("/greeting/hello", "Hello, Wilkommen, Phred !!\n"),
    ("/greeting/goodbye", "Good Bye, Wilkommen, Phred !!\n"),
])
def test_greetings_as_text(call, path, message):
    response = call(path)
    assert response.status_int == 200
    assert response.content_type == "text/plain"
    assert response.text == message


def test_json_on_request(call):
    response = call("/greeting/hello",
                    headers={"Accept": "application/json"})
    assert response.status_int == 200
    assert response.json == {"message": "Hello, Wilkommen, Phred !!",
                             "name": "Phred", "greeting": "Wilkommen"}


def test_text_preferred_for_any(call):
    assert call("/greeting/hello", headers={"Accept": "*/*"}
                ).content_type == "text/plain"


def test_head_has_headers_but_no_body(call):
    response = call("/greeting/hello", method="HEAD")
    assert response.status_int == 200
    assert response.body == b""
    assert response.content_length == len("Hello, Wilkommen, Phred !!\n")


def test_every_response_has_request_id(call):
    for response in (call("/greeting/hello"), call("/nope"),
                     call("/greeting/hello", token=None),
                     call("/healthcheck", token=None), call("/")):
        assert REQUEST_ID.match(
            response.headers["x-openstack-request-id"])


@pytest.mark.parametrize("token, code", [
    (None, "greeter.auth.missing"),
    ("", "greeter.auth.missing"),
    ("open-sesam", "greeter.auth.invalid"),
    ("open-sesame ", "greeter.auth.invalid"),
    ("open-sesame,open-sesame", "greeter.auth.invalid"),
])
def test_bad_token_is_401_in_error_shape(call, token, code):
    response = call("/greeting/hello", token=token)
    assert response.status_int == 401
    assert response.headers["WWW-Authenticate"] == 'Token realm="greeter"'
    (error,) = errors_of(response)
    assert error["status"] == 401
    assert error["code"] == code
    assert error["title"] == "Unauthorized"
    assert error["request_id"] == response.headers["x-openstack-request-id"]


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


def test_unacceptable_type_is_406(call):
    response = call("/greeting/hello", headers={"Accept": "image/png"})
    assert response.status_int == 406
    assert errors_of(response)[0]["code"] == "greeter.not_acceptable"


def test_error_as_text_when_text_preferred(call):
    response = call("/nope", headers={"Accept": "text/plain"})
    assert response.status_int == 404
    assert response.content_type == "text/plain"
    assert response.text == "404 Not Found: No such resource.\n"


def test_body_over_limit_is_413_in_error_shape(call):
    response = call("/greeting/hello", method="POST",
                    body=b"x" * (114688 + 1))
    assert response.status_int == 413
    assert errors_of(response)[0]["code"] == "greeter.request_too_large"


def test_versions_need_no_token(call):
    response = call("/", token=None)
    assert response.status_int == 200
    (version,) = response.json["versions"]
    assert version["id"] == "v1.0"
    assert version["links"][0]["href"] == "http://localhost/"


def test_versions_follow_proxy_headers(conf):
    conf.set_override("enable_proxy_headers_parsing", True,
                      group="oslo_middleware")
    request = webob.Request.blank("/", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"})
    response = request.get_response(config.load_paste_app(conf))
    assert response.json["versions"][0]["links"][0]["href"] == \
        "https://api.example/"


def test_proxy_headers_ignored_unless_enabled(call):
    response = call("/", token=None, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"})
    assert response.json["versions"][0]["links"][0]["href"] == \
        "http://localhost/"


def test_inbound_global_request_id_is_kept_apart(call, caplog):
    inbound = "req-12345678-1234-1234-1234-123456789012"
    with caplog.at_level(logging.INFO, logger=request_log.LOG.name):
        response = call("/greeting/hello",
                        headers={"X-Openstack-Request-Id": inbound})
    own = response.headers["x-openstack-request-id"]
    assert REQUEST_ID.match(own)
    assert own != inbound
    # The inbound id is the global request id of the request's log line,
    # beside greeter's own.
    (record,) = [r for r in caplog.records if r.name == request_log.LOG.name]
    assert record.context.global_request_id == inbound
    assert record.context.request_id == own
    line = formatters.ContextFormatter(config=cfg.CONF).format(record)
    assert f"[{inbound} {own} " in line


def test_versions_reject_post_with_405(call):
    response = call("/", method="POST")
    assert response.status_int == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_healthcheck_needs_no_token_and_drains(call, conf, tmp_path):
    assert call("/healthcheck", token=None).status_int == 200
    (tmp_path / "drain").touch()
    assert call("/healthcheck", token=None).status_int == 503
    assert call("/greeting/hello").status_int == 200


def test_noauth_strategy_lets_requests_through(conf):
    conf.set_override("strategy", "noauth", group="auth")
    app = config.load_paste_app(conf)
    response = webob.Request.blank("/greeting/hello").get_response(app)
    assert response.status_int == 200


def test_name_and_greeting_from_config(conf):
    conf.set_override("name", "Bob", group="greeting")
    conf.set_override("greeting", "Howdy", group="greeting")
    app = config.load_paste_app(conf)
    request = webob.Request.blank("/greeting/goodbye",
                                  headers={"X-Auth-Token": "open-sesame"})
    assert request.get_response(app).text == "Good Bye, Howdy, Bob !!\n"


@pytest.mark.parametrize("raw_path", ["/greeting/\xff\xfe", "/\xff"])
def test_path_that_is_not_utf8_is_404(call, raw_path):
    # WSGI carries the request's bytes as latin-1 code points.
    response = call("/", environ={"PATH_INFO": raw_path})
    assert response.status_int == 404
    assert errors_of(response)[0]["code"] == "greeter.not_found"


@pytest.mark.parametrize("proxy_parsing", [False, True])
def test_versions_links_use_the_public_endpoint(conf, proxy_parsing):
    conf.set_override("public_endpoint", "https://greeter.example/api/",
                      group="api")
    conf.set_override("enable_proxy_headers_parsing", proxy_parsing,
                      group="oslo_middleware")
    request = webob.Request.blank("/", headers={
        "Host": "evil.example", "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http"})
    response = request.get_response(config.load_paste_app(conf))
    assert response.json["versions"][0]["links"][0]["href"] == \
        "https://greeter.example/api/"


def test_versions_links_follow_host_without_public_endpoint(call):
    response = call("/", token=None, headers={"Host": "api.example:8080"})
    assert response.json["versions"][0]["links"][0]["href"] == \
        "http://api.example:8080/"


@pytest.mark.parametrize("accept", ["image/png", "text/plain",
                                    "application/json;q=0"])
def test_versions_with_unacceptable_accept_is_406(call, accept):
    response = call("/", token=None, headers={"Accept": accept})
    assert response.status_int == 406
    if accept == "text/plain":
        assert response.text == ("406 Not Acceptable: This resource can be "
                                 "served as application/json.\n")
    else:
        assert errors_of(response)[0]["code"] == "greeter.not_acceptable"


@pytest.mark.parametrize("path", ["/healthcheck/anything", "/healthcheck/",
                                  "/healthcheck/healthcheck"])
def test_below_healthcheck_is_404(call, path):
    response = call(path, token=None)
    assert response.status_int == 404
    (error,) = errors_of(response)
    assert error["code"] == "greeter.not_found"
    assert error["detail"] == "No such resource."
    assert error["request_id"] == response.headers["x-openstack-request-id"]


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


def chunked_request(body: bytes) -> webob.Request:
    """A request whose body comes chunked: no Content-Length.

    The server marks the input as ending with the body, as gunicorn does
    for a chunked request (PEP 3333's ``wsgi.input_terminated``).
    """
    request = webob.Request.blank("/greeting/hello", headers={
        "X-Auth-Token": "open-sesame", "Transfer-Encoding": "chunked"})
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["wsgi.input_terminated"] = True
    request.environ.pop("CONTENT_LENGTH", None)
    return request


def test_chunked_body_over_the_limit_is_413(app):
    stream = io.BytesIO(b"x" * 200000)
    request = chunked_request(b"")
    request.environ["wsgi.input"] = stream
    response = request.get_response(app)
    assert response.status_int == 413
    assert errors_of(response)[0]["code"] == "greeter.request_too_large"
    # No more than the limit and the byte that shows it is exceeded.
    assert stream.tell() == 114688 + 1


def test_chunked_body_within_the_limit_reaches_the_app(conf):
    seen = []

    def reader(environ, start_response):
        seen.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read"]

    limiter = chunked_body_limit.ChunkedBodySizeLimiter(reader, conf)
    body = b"y" * 114688
    response = chunked_request(body).get_response(limiter)
    assert response.status_int == 200
    assert seen == [body]


def test_exact_path_passes_a_request_without_path_info():
    # PATH_INFO may be missing altogether (the mount point itself).
    exact = exact_path.ExactPath(
        lambda environ, start_response: webob.Response("passed")(
            environ, start_response))
    request = webob.Request.blank("/")
    del request.environ["PATH_INFO"]
    assert request.get_response(exact).text == "passed"


def test_path_with_a_final_newline_is_404(call):
    # Routes' patterns end in "$", which also matches before a final
    # newline; "/greeting/hello%0A" is no route of greeter's.
    response = call("/greeting/hello\n")
    assert response.status_int == 404
    assert errors_of(response)[0]["code"] == "greeter.not_found"


def test_versions_document(call):
    for method in ("GET", "HEAD"):
        response = call("/", method=method, token=None)
        assert response.status_int == 200
        assert response.content_type == "application/json"
    assert call("/", token=None).json == {"versions": [{
        "id": "v1.0", "status": "CURRENT", "min_version": "", "version": "",
        "updated": "2026-11-25T00:00:00Z",
        "links": [{"rel": "self", "href": "http://localhost/"}]}]}


def test_versions_answer_an_empty_path_too(call):
    # Mounted at the root, the API may see PATH_INFO "" (the mount point).
    response = call("/", token=None, environ={"PATH_INFO": ""})
    assert response.status_int == 200
    assert response.json["versions"][0]["id"] == "v1.0"


def test_versions_answer_without_path_info(conf):
    # PATH_INFO may be missing altogether for the mount point itself.
    discovery = versions.VersionDiscovery(lambda environ, start: [], conf)
    request = webob.Request.blank("/")
    del request.environ["PATH_INFO"]
    response = request.get_response(discovery)
    assert response.json["versions"][0]["id"] == "v1.0"


@pytest.mark.parametrize("endpoint, href", [
    ("https://greeter.example/API-X/", "https://greeter.example/API-X/"),
    ("http://greeter.internal:8004/", "http://greeter.internal:8004/"),
    ("https://greeter.example/API-X", "https://greeter.example/API-X/"),
    ("https://greeter.example", "https://greeter.example/"),
])
def test_public_endpoint_with_or_without_slash(conf, endpoint, href):
    conf.set_override("public_endpoint", endpoint, group="api")
    response = webob.Request.blank("/").get_response(
        config.load_paste_app(conf))
    assert response.json["versions"][0]["links"][0]["href"] == href


@pytest.mark.parametrize("endpoint", ["ftp://greeter.example/",
                                      "greeter.example"])
def test_public_endpoint_must_be_an_http_url(conf, endpoint):
    with pytest.raises(ValueError):
        conf.set_override("public_endpoint", endpoint, group="api")


def test_greeting_content_type_names_its_charset(call):
    assert call("/greeting/hello").headers["Content-Type"] == \
        "text/plain; charset=UTF-8"
    assert call("/greeting/hello", headers={
        "Accept": "application/json"}).headers["Content-Type"] == \
        "application/json; charset=UTF-8"


def test_unacceptable_detail_names_the_types(call):
    response = call("/greeting/hello", headers={"Accept": "image/png"})
    assert errors_of(response)[0]["detail"] == (
        "This resource can be served as text/plain or application/json.")


def test_body_of_exactly_the_limit_is_accepted(call):
    response = call("/greeting/hello", body=b"x" * 114688)
    assert response.status_int == 200


class Trickle(io.RawIOBase):
    """A body that comes a few bytes per read, as a socket's may."""

    def __init__(self, size: int, piece: int = 1000) -> None:
        self.left, self.piece, self.taken = size, piece, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = min(self.left, self.piece, size if size >= 0 else self.left)
        self.left -= n
        self.taken += n
        return b"t" * n


@pytest.mark.parametrize("size, piece, status", [
    (114688, 1000, 200), (114688 + 1, 1000, 413), (500000, 1000, 413),
    # The whole limit in one read, then the one byte more.
    (500000, 114688, 413)])
def test_chunked_body_arriving_in_pieces(conf, size, piece, status):
    seen = []

    def reader(environ, start_response):
        seen.append(len(environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read"]

    limiter = chunked_body_limit.ChunkedBodySizeLimiter(reader, conf)
    request = chunked_request(b"")
    stream = Trickle(size, piece)
    request.environ["wsgi.input"] = stream
    try:
        got = request.get_response(limiter).status_int
    except webob.exc.HTTPException as exc:
        got = exc.status_code
    assert got == status
    assert stream.taken == min(size, 114688 + 1)
    assert seen == ([size] if status == 200 else [])


def test_body_without_length_or_chunking_is_limited_as_read(conf):
    # Neither Content-Length nor chunked (HTTP/1.0 to EOF, say): oslo's
    # LimitingReader refuses the read past the limit.
    def reader(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read"]

    limiter = chunked_body_limit.ChunkedBodySizeLimiter(reader, conf)
    request = webob.Request.blank("/greeting/hello")
    request.environ["wsgi.input"] = io.BytesIO(b"z" * (114688 + 1))
    request.environ["wsgi.input_terminated"] = True
    request.environ.pop("CONTENT_LENGTH", None)
    assert request.get_response(limiter).status_int == 413
    request.environ["wsgi.input"] = io.BytesIO(b"z" * 114688)
    assert request.get_response(limiter).status_int == 200


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


@pytest.mark.parametrize("inbound", ["not-a-request-id", "req-123", ""])
def test_malformed_inbound_request_id_is_not_a_global_id(conf, inbound):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return []

    request = webob.Request.blank("/", headers={
        "X-Openstack-Request-Id": inbound})
    request.get_response(request_id.RequestId(app, conf))
    assert "openstack.global_request_id" not in seen
    assert REQUEST_ID.match(seen["openstack.request_id"])


@pytest.mark.parametrize("raw_path, status", [
    ("/healthcheckx", 404), ("//nope", 404), ("//healthcheck//x", 404),
    ("http://host/nope", 404), ("//greeting//hello", 200),
    ("http://host/greeting/hello", 200), ("//healthcheck", 200)])
def test_paths_paste_normalises_reach_the_api_or_healthcheck(call, raw_path,
                                                             status):
    # paste's urlmap collapses repeated slashes and strips a scheme and
    # host; what it maps to the API gets the API's answer, in its shape.
    response = call("/", environ={"PATH_INFO": raw_path})
    assert response.status_int == status
    assert REQUEST_ID.match(response.headers["x-openstack-request-id"])
    if status == 404:
        (error,) = errors_of(response)
        assert error["code"] == "greeter.not_found"
        assert error["request_id"] == \
            response.headers["x-openstack-request-id"]

"""The shipped paste pipeline, driven with webob requests."""

from __future__ import annotations

import json
import logging
import re

import pytest
import webob
from oslo_config import cfg

from greeter.api.middleware import request_log
from greeter.common import config
from greeter.common import log

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
    assert "WWW-Authenticate" in response.headers
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
    assert record.context["global_request_id"] == inbound
    assert record.context["request_id"] == own
    line = log.ContextFormatter(config=cfg.CONF).format(record)
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

"""Unexpected failures: a 500 in the error shape, the details only logged."""

from __future__ import annotations

import logging

from greeter.api.v1 import greetings


def test_unexpected_error_is_500_without_internals(conf, monkeypatch,
                                                   caplog, call):
    def broken(self, req):
        raise RuntimeError("internal detail 42")

    monkeypatch.setattr(greetings.GreetingController, "hello", broken)
    caplog.set_level(logging.INFO)
    response = call("/greeting/hello")

    assert response.status_int == 500
    (error,) = response.json["errors"]
    assert error["code"] == "greeter.internal_error"
    assert "internal detail 42" not in response.text
    assert "Traceback" not in response.text
    request_id = response.headers["x-openstack-request-id"]
    assert error["request_id"] == request_id
    # The operator gets the traceback, tagged with the request id.
    failure = [record for record in caplog.records
               if record.levelno == logging.ERROR]
    assert failure and failure[0].exc_info[1].args == ("internal detail 42",)
    assert "status: 500" in caplog.text


def test_error_for_head_has_no_body(call):
    response = call("/nope", method="HEAD")
    assert response.status_int == 404
    assert response.body == b""

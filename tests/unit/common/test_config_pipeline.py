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

"""greeter.common.config.load_paste_app: the shipped pipeline as a whole,
the request id every response carries and /healthcheck beside the API."""

from __future__ import annotations

import logging

import pytest
import webob
import webob.exc
from oslo_config import cfg
from oslo_log import formatters
from oslo_middleware import request_id

from greeter.api.middleware import request_log
from tests.fixtures.responses import REQUEST_ID


def test_every_response_has_request_id(call):
    for response in (call("/greeting/hello"), call("/nope"),
                     call("/greeting/hello", token=None),
                     call("/healthcheck", token=None), call("/")):
        assert REQUEST_ID.match(
            response.headers["x-openstack-request-id"])


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


def test_healthcheck_needs_no_token_and_drains(call, conf, tmp_path):
    assert call("/healthcheck", token=None).status_int == 200
    (tmp_path / "drain").touch()
    assert call("/healthcheck", token=None).status_int == 503
    assert call("/greeting/hello").status_int == 200


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

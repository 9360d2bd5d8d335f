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

"""The context filters: the request context each strategy builds."""

from __future__ import annotations

import pytest
import webob
from oslo_middleware import request_id

from greeter.api.middleware import context_filters
from greeter.common import context
from greeter.common import exception

# Every identity header keystonemiddleware sets or oslo.context reads, as
# a client could forge them.
_FIELDS = ("User-Id", "User-Name", "User-Domain-Id", "User-Domain-Name",
           "Project-Id", "Project-Name", "Project-Domain-Id",
           "Project-Domain-Name", "Domain-Id", "Domain-Name", "Roles")
FORGED = {
    **{f"X-{field}": "admin" for field in _FIELDS},
    **{f"X-Service-{field}": "service" for field in _FIELDS},
    "X-Identity-Status": "Confirmed",
    "X-Service-Identity-Status": "Confirmed",
    "X-Is-Admin-Project": "True", "OpenStack-System-Scope": "all",
    "X-Service-Catalog": "[]", "X-Service-Token": "forged",
    "X-User": "admin", "X-Role": "admin", "X-Tenant": "p1",
    "X-Tenant-Id": "p1", "X-Tenant-Name": "p1"}


class Recorder:
    """The app after a filter: keeps the environ it was handed."""

    def __call__(self, environ, start_response):
        self.environ = dict(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def test_static_context_drops_identity_headers_and_uses_token_roles(conf):
    conf.set_override("token_roles", ["reader"], group="auth")
    inner = Recorder()
    webob.Request.blank("/", headers=FORGED).get_response(
        context_filters.StaticContext(inner))
    assert not context.IDENTITY_HEADERS.intersection(inner.environ)
    assert not [key for key in inner.environ
                if key.startswith("HTTP_") and key != "HTTP_HOST"]
    ctx = inner.environ[context.CONTEXT_ENV]
    assert ctx.roles == ["reader"]
    assert (ctx.user_id, ctx.project_id, ctx.system_scope) == \
        (None, None, None)
    assert ctx.is_admin_project is False


def test_static_context_carries_the_request_ids(conf):
    # The request_id filter's ids, set before this filter runs.
    inner = Recorder()
    request = webob.Request.blank("/")
    request.environ[request_id.ENV_REQUEST_ID] = "req-local"
    request.environ[request_id.GLOBAL_REQ_ID] = "req-global"
    request.get_response(context_filters.StaticContext(inner))
    ctx = inner.environ[context.CONTEXT_ENV]
    assert (ctx.request_id, ctx.global_request_id) == \
        ("req-local", "req-global")


def test_keystone_context_reads_confirmed_identity(conf):
    inner = Recorder()
    headers = {"X-Identity-Status": "Confirmed", "X-User-Id": "u1",
               "X-Project-Id": "p1", "X-Roles": "reader,member",
               "X-Auth-Token": "secret-token"}
    webob.Request.blank("/", headers=headers).get_response(
        context_filters.KeystoneContext(inner))
    ctx = inner.environ[context.CONTEXT_ENV]
    assert (ctx.user_id, ctx.project_id, ctx.roles) == \
        ("u1", "p1", ["reader", "member"])
    assert "secret-token" not in str(ctx.get_logging_values())


@pytest.mark.parametrize("status", [None, "Invalid"])
def test_keystone_context_refuses_unconfirmed_identity(conf, status):
    inner = Recorder()
    headers = {"X-User-Id": "u1", "X-Roles": "admin"}
    if status:
        headers["X-Identity-Status"] = status
    response = webob.Request.blank("/", headers=headers).get_response(
        context_filters.KeystoneContext(inner))
    assert response.status_int == 401
    (error,) = response.json["errors"]
    assert error["code"] == exception.AUTH_INVALID
    assert error["detail"] == "The X-Auth-Token is missing or not valid."
    assert not hasattr(inner, "environ")

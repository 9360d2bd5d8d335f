"""The context filters, and the strategy switch that picks them."""

from __future__ import annotations

import pathlib

import pytest
import webob

from greeter.api.middleware import context as context_filters
from greeter.common import config
from greeter.common import context
from greeter.common import exception

FORGED = {"X-Roles": "admin", "X-Role": "admin", "X-User-Id": "admin",
          "X-User": "admin", "X-Project-Id": "p1", "X-Tenant-Id": "p1",
          "X-Identity-Status": "Confirmed", "X-Is-Admin-Project": "True",
          "OpenStack-System-Scope": "all", "X-Service-Roles": "service",
          "X-Domain-Id": "default"}


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
    assert response.json["errors"][0]["code"] == exception.AUTH_INVALID
    assert not hasattr(inner, "environ")


def test_strategy_picks_the_pipeline(conf):
    conf.set_override("strategy", "noauth", group="auth")
    app = config.load_paste_app(conf)
    response = webob.Request.blank("/greeting/hello").get_response(app)
    assert response.status_int == 200


def test_keystone_strategy_builds_auth_token(conf):
    conf.set_override("strategy", "keystone", group="auth")
    conf.set_override("www_authenticate_uri", "http://keystone.test/v3",
                      group="keystone_authtoken")
    app = config.load_paste_app(conf)
    # Refused before Keystone is asked: no token at all.
    response = webob.Request.blank("/greeting/hello").get_response(app)
    assert response.status_int == 401
    assert response.headers["WWW-Authenticate"] == \
        'Keystone uri="http://keystone.test/v3"'
    (error,) = response.json["errors"]
    assert error["code"] == exception.AUTH_MISSING


def test_paste_file_without_the_strategys_pipeline(conf, tmp_path):
    paste = tmp_path / "api-paste.ini"
    shipped = pathlib.Path(config.paste_config_path(conf)).read_text()
    paste.write_text(shipped.replace("\nkeystone = ", "\n#keystone = "))
    conf.set_override("config_file", str(paste), group="paste_deploy")
    conf.set_override("strategy", "keystone", group="auth")
    with pytest.raises(exception.ConfigError, match="strategy = keystone"):
        config.load_paste_app(conf)

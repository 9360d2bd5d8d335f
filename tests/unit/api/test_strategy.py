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

"""The ``[auth] strategy`` switch: paste builds the pipeline it names."""

from __future__ import annotations

import pathlib

import pytest
import webob
from paste import deploy

from greeter.common import config
from greeter.common import exception

# A composite as api-paste.ini writes it, over filters that sign the
# request on its way in, and an app that answers with their signatures.
PASTE = """\
[composite:api]
use = call:greeter.api.strategy:pipeline_factory
token = outer inner signatures
noauth = signatures

[filter:outer]
use = call:tests.unit.api.test_strategy:signing_filter
signature = outer

[filter:inner]
use = call:tests.unit.api.test_strategy:signing_filter
signature = inner

[app:signatures]
use = call:tests.unit.api.test_strategy:signatures_app
"""
SIGNED = "tests.signatures"


def signing_filter(global_conf: dict, signature: str):
    """paste.filter_factory: a filter that signs the request."""
    def _filter(app):
        def signing(environ, start_response):
            environ.setdefault(SIGNED, []).append(signature)
            return app(environ, start_response)
        return signing
    return _filter


def signatures_app(global_conf: dict):
    """paste.app_factory: the signatures, in the order they were made."""
    def signatures(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [" ".join(environ.get(SIGNED, ())).encode()]
    return signatures


def _load(tmp_path, **global_conf):
    path = tmp_path / "api-paste.ini"
    path.write_text(PASTE)
    return deploy.loadapp(f"config:{path}", name="api",
                          global_conf=global_conf)


def _signatures(app) -> str:
    return webob.Request.blank("/").get_response(app).text


@pytest.mark.parametrize("strategy, signatures", [
    ("token", "outer inner"),
    ("noauth", ""),
])
def test_the_strategys_pipeline_first_filter_outermost(conf, tmp_path,
                                                       strategy, signatures):
    conf.set_override("strategy", strategy, group="auth")
    assert _signatures(_load(tmp_path)) == signatures


def test_strategy_picks_the_pipeline(conf):
    conf.set_override("strategy", "noauth", group="auth")
    app = config.load_paste_app(conf)
    response = webob.Request.blank("/greeting/hello").get_response(app)
    assert response.status_int == 200


SERVICE_USER = {"www_authenticate_uri": "http://keystone.test/v3",
                "auth_type": "password", "auth_url": "http://127.0.0.1:9/v3",
                "username": "greeter", "password": "secret"}


def test_keystone_strategy_builds_auth_token(keystone_conf):
    conf = keystone_conf(**SERVICE_USER)
    # greeter's bound on waiting for Keystone, not keystonemiddleware's
    # none, unless the operator sets one.
    app = config.load_paste_app(conf)
    assert conf.keystone_authtoken.http_connect_timeout == 5
    # Refused before Keystone is asked: no token at all.
    response = webob.Request.blank("/greeting/hello").get_response(app)
    assert response.status_int == 401
    assert response.headers["WWW-Authenticate"] == \
        'Keystone uri="http://keystone.test/v3"'
    (error,) = response.json["errors"]
    assert error["code"] == exception.AUTH_MISSING


def test_keystone_strategy_without_a_service_user_fails_closed(conf):
    conf.set_override("strategy", "keystone", group="auth")
    with pytest.raises(exception.ConfigError) as raised:
        config.load_paste_app(conf)
    assert str(raised.value) == (
        "[auth] strategy = keystone needs [keystone_authtoken] auth_type "
        "(e.g. password) and greeter's service user (auth_url, username, "
        "password, ...)")


def test_keystone_strategy_with_an_incomplete_service_user(keystone_conf):
    settings = {key: value for key, value in SERVICE_USER.items()
                if key != "auth_url"}
    with pytest.raises(exception.ConfigError) as raised:
        config.load_paste_app(keystone_conf(**settings))
    # keystoneauth's reason, under the section it is about.
    assert str(raised.value).startswith("[keystone_authtoken]: ")
    assert "auth_url" in str(raised.value)


def test_paste_file_without_the_strategys_pipeline(conf, tmp_path):
    paste = tmp_path / "api-paste.ini"
    shipped = pathlib.Path(config.paste_config_path(conf)).read_text()
    paste.write_text(shipped.replace("\nkeystone = ", "\n#keystone = "))
    conf.set_override("config_file", str(paste), group="paste_deploy")
    conf.set_override("strategy", "keystone", group="auth")
    with pytest.raises(exception.ConfigError, match="strategy = keystone"):
        config.load_paste_app(conf)

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

"""The keystone strategy's refusals, against a stand-in Keystone.

tests/keystone checks the same against a real Keystone; these run with
the unit tests (and so judge mutants of auth_token.py), with
keystonemiddleware and the whole pipeline real and only Keystone's HTTP
answers played by a small server on loopback.
"""

from __future__ import annotations

import datetime
import http.server
import json
import re
import socket
import threading

import pytest
import webob
from oslo_config import cfg

from greeter.api.middleware import keystone_auth
from greeter.common import config
from greeter.common import exception

SERVICE_TOKEN = "service-token"  # nosec B105
GOOD_TOKEN = "good-token"  # nosec B105
BAD_TOKEN = "bad-token"  # nosec B105


class StandInKeystone(http.server.ThreadingHTTPServer):
    """Keystone's v3 token API as auth_token uses it, on loopback."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        # The identity endpoint's interfaces in the service catalog.
        self.interfaces = ("public", "internal", "admin")
        # The status of every token validation (GET /v3/auth/tokens).
        self.validation_status: int | None = None

    def token(self, user_id: str = "u1", project_id: str = "p1",
              roles: tuple[str, ...] = ("reader",)) -> dict:
        """A v3 token body, as Keystone answers a validation."""
        now = datetime.datetime.now(datetime.UTC)
        domain = {"id": "default", "name": "Default"}
        return {"token": {
            "methods": ["password"],
            "issued_at": now.isoformat(),
            "expires_at": (now + datetime.timedelta(hours=1)).isoformat(),
            "user": {"id": user_id, "name": user_id, "domain": domain},
            "project": {"id": project_id, "name": project_id,
                        "domain": domain},
            "roles": [{"id": role, "name": role} for role in roles],
            "catalog": [{"type": "identity", "name": "keystone",
                         "id": "identity", "endpoints": [
                             {"id": interface, "interface": interface,
                              "region": "RegionOne",
                              "region_id": "RegionOne",
                              "url": f"{self.url}/v3"}
                             for interface in self.interfaces]}]}}


class _Handler(http.server.BaseHTTPRequestHandler):
    server: StandInKeystone

    def log_message(self, *args) -> None:
        pass

    def _json(self, status: int, body: dict, **headers: str) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("", "/v3"):
            self._json(200, {"version": {
                "id": "v3.14", "status": "stable",
                "links": [{"rel": "self",
                           "href": f"{self.server.url}/v3/"}]}})
            return
        subject = self.headers.get("X-Subject-Token")
        status = self.server.validation_status
        if status is not None:
            self._json(status, {"error": {"code": status}})
        elif subject == GOOD_TOKEN:
            self._json(200, self.server.token(), **{
                "X-Subject-Token": subject})
        else:
            self._json(404, {"error": {"code": 404,
                                       "message": "token not found"}})

    def do_POST(self) -> None:
        # greeter's service user logs in.
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        self._json(201, self.server.token("greeter", "service",
                                          ("service",)),
                   **{"X-Subject-Token": SERVICE_TOKEN})


@pytest.fixture
def keystone():
    server = StandInKeystone()
    # A short poll: shutdown() waits for it.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,),
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _service_user(url: str) -> dict[str, str]:
    """``[keystone_authtoken]``'s settings for greeter's service user with
    Keystone at ``url``."""
    return {"auth_type": "password", "auth_url": f"{url}/v3",
            "username": "greeter", "password": "secret",
            "user_domain_id": "default", "project_name": "service",
            "project_domain_id": "default"}


@pytest.fixture
def keystone_app(keystone_conf):
    """The keystone strategy's pipeline, its service user at ``url``."""
    def _build(url: str, **settings: str):
        return config.load_paste_app(keystone_conf(**{
            **_service_user(url), "www_authenticate_uri": f"{url}/v3",
            "http_request_max_retries": "0", **settings}))

    return _build


def _hello(app, token: str) -> webob.Response:
    return webob.Request.blank("/greeting/hello", headers={
        "X-Auth-Token": token}).get_response(app)


def _code(response: webob.Response) -> str:
    (error,) = response.json["errors"]
    assert error["status"] == response.status_int
    return error["code"]


def test_a_token_keystone_accepts_is_greeted(keystone, keystone_app):
    response = _hello(keystone_app(keystone.url), GOOD_TOKEN)
    assert response.status_int == 200
    assert response.text.startswith("Hello")


def test_a_token_keystone_rejects_is_401_invalid(keystone, keystone_app):
    response = _hello(keystone_app(keystone.url), BAD_TOKEN)
    assert response.status_int == 401
    assert _code(response) == exception.AUTH_INVALID
    assert response.headers["WWW-Authenticate"] == \
        f'Keystone uri="{keystone.url}/v3"'
    assert response.json["errors"][0]["detail"] == \
        "The X-Auth-Token is not valid."


def test_no_token_is_401_missing(keystone, keystone_app):
    response = webob.Request.blank("/greeting/hello").get_response(
        keystone_app(keystone.url))
    assert response.status_int == 401
    assert _code(response) == exception.AUTH_MISSING
    assert response.json["errors"][0]["detail"] == \
        "This request needs an X-Auth-Token header."


def test_keystone_failing_is_503(keystone, keystone_app):
    keystone.validation_status = 500
    response = _hello(keystone_app(keystone.url), GOOD_TOKEN)
    assert response.status_int == 503
    assert _code(response) == "greeter.auth.unavailable"  # as documented
    assert response.json["errors"][0]["detail"] == (
        "The identity service (Keystone) cannot be reached; try again "
        "later.")
    assert "WWW-Authenticate" not in response.headers


def test_greeters_keystone_defaults_go_to_the_filters_conf(keystone,
                                                         tmp_path):
    # The ConfigOpts the filter is given (oslo_config_config, as for
    # keystonemiddleware) gets greeter's bounded wait for Keystone, and
    # the filter validates tokens with it.
    path = tmp_path / "keystone.conf"
    path.write_text("[keystone_authtoken]\n" + "".join(
        f"{name} = {value}\n"
        for name, value in _service_user(keystone.url).items()))
    own = cfg.ConfigOpts()
    own([], project="greeter", default_config_files=[str(path)])
    greeted = webob.Response(text="greeted")
    app = keystone_auth.KeystoneAuth(greeted, {"oslo_config_config": own})
    assert own.keystone_authtoken.http_connect_timeout == \
        config.KEYSTONE_DEFAULTS["http_connect_timeout"]
    assert own.keystone_authtoken.http_request_max_retries == \
        config.KEYSTONE_DEFAULTS["http_request_max_retries"]
    assert _hello(app, GOOD_TOKEN).text == "greeted"


def test_keystone_refusing_connections_is_503(keystone_app):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    response = _hello(keystone_app(url), GOOD_TOKEN)
    assert response.status_int == 503
    assert _code(response) == exception.AUTH_UNAVAILABLE


def test_keystone_not_answering_is_503(keystone_app, capsys):
    # Connections are accepted (the listen backlog) and never answered:
    # keystoneauth's timeout, not keystonemiddleware's 503.
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(8)
        url = f"http://127.0.0.1:{frozen.getsockname()[1]}"
        app = keystone_app(url, http_connect_timeout="1")
        response = _hello(app, GOOD_TOKEN)
    assert response.status_int == 503
    assert _code(response) == exception.AUTH_UNAVAILABLE
    logged = capsys.readouterr().out
    assert re.search(r"ERROR greeter\.api\.middleware\.keystone_auth "
                     r"\[[^]]*\] "
                     r"Unable to validate token: \S", logged), logged
    assert GOOD_TOKEN not in logged


def test_catalog_without_the_identity_endpoint_is_503(keystone,
                                                      keystone_app, capsys):
    keystone.interfaces = ("public",)
    app = keystone_app(keystone.url, interface="internal")
    response = _hello(app, GOOD_TOKEN)
    assert response.status_int == 503
    assert _code(response) == exception.AUTH_UNAVAILABLE
    logged = capsys.readouterr().out
    assert re.search(r"ERROR greeter\.api\.middleware\.keystone_auth "
                     r"\[[^]]*\] "
                     r"Keystone's catalog has no identity endpoint for "
                     r"\[keystone_authtoken\] interface: \S", logged), logged


def test_greeters_configuration_wins_over_a_paste_config_project(
        keystone, keystone_conf):
    # A paste section copied from another service may name its own
    # oslo_config_project: keystonemiddleware would then read that
    # project's files. The factory hands it greeter's ConfigOpts instead,
    # and keystonemiddleware uses the ConfigOpts it is given.
    keystone_conf(**_service_user(keystone.url))
    greeted = webob.Response(text="greeted")
    app = keystone_auth.KeystoneAuth.factory(
        {}, oslo_config_project="another-service")(greeted)
    assert _hello(app, GOOD_TOKEN).text == "greeted"

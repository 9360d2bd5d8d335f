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

"""greeter with ``[auth] strategy = keystone`` against a real Keystone.

Real tokens from keystoneauth1, a real greeter-api over HTTP: roles and
policy, the 401s with Keystone's challenge, revocation through the token
cache, Keystone down or frozen, a policy.yaml override.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.fixtures.process import GreeterProcess
from tests.keystone.greeter_conf import CONNECT_TIMEOUT
from tests.keystone.greeter_conf import MAX_RETRIES
from tests.keystone.greeter_conf import TOKEN_CACHE_TIME
from tests.keystone.greeter_conf import write_greeter_conf

HELLO = "/greeting/hello"
GOODBYE = "/greeting/goodbye"
# The most one call to Keystone may take before greeter gives up on it:
# every attempt times out, with keystoneauth's pauses (0.5 s, doubling)
# between them. SLACK is room for a loaded machine.
OUTAGE_BOUND = ((MAX_RETRIES + 1) * CONNECT_TIMEOUT
                + sum(0.5 * 2 ** n for n in range(MAX_RETRIES)))
SLACK = 5.0


@pytest.fixture(scope="module")
def greeter(identity, greeter_logs, tmp_path_factory):
    """One greeter-api, strategy keystone, for the module."""
    workdir = tmp_path_factory.mktemp("greeter-keystone")
    conf = write_greeter_conf(workdir / "greeter.conf", identity)
    server = GreeterProcess(workdir, args=["--config-file", str(conf)])
    server.log_path = greeter_logs / server.log_path.name
    server.start()
    yield server
    server.stop()


def get(server, path: str, token: str | None = None,
        headers: dict | None = None) -> requests.Response:
    sent = dict(headers or {})
    if token is not None:
        sent["X-Auth-Token"] = token
    return requests.get(server.url + path, headers=sent, timeout=60)


def error_code(response: requests.Response) -> str:
    (error,) = response.json()["errors"]
    assert error["status"] == response.status_code
    assert error["request_id"] == response.headers["x-openstack-request-id"]
    return error["code"]


def test_reader_may_say_hello_not_goodbye(greeter, identity):
    token = identity.token("reader")
    response = get(greeter, HELLO, token)
    assert response.status_code == 200
    assert response.text == "Hello, Wilkommen, Phred !!\n"
    refused = get(greeter, GOODBYE, token)
    assert refused.status_code == 403
    assert error_code(refused) == "greeter.policy.not_authorized"


def test_member_may_say_both(greeter, identity):
    token = identity.token("member")
    assert get(greeter, HELLO, token).status_code == 200
    assert get(greeter, GOODBYE, token).text == \
        "Good Bye, Wilkommen, Phred !!\n"


def test_user_without_a_role_is_refused(greeter, identity):
    # Keystone gives a user with no role on the project only an unscoped
    # token: valid, but with no project and no role.
    token = identity.token("norole", scoped=False)
    for path in (HELLO, GOODBYE):
        response = get(greeter, path, token)
        assert response.status_code == 403
        assert error_code(response) == "greeter.policy.not_authorized"


@pytest.mark.parametrize("token, code", [
    (None, "greeter.auth.missing"),
    ("gAAAAABnot-a-real-fernet-token", "greeter.auth.invalid"),
])
def test_no_or_garbage_token_is_401_with_keystones_challenge(
        greeter, identity, token, code):
    response = get(greeter, HELLO, token)
    assert response.status_code == 401
    assert error_code(response) == code
    assert response.headers["WWW-Authenticate"] == \
        f'Keystone uri="{identity.keystone.url}"'


def test_forged_identity_headers_are_not_trusted(greeter, identity):
    forged = {"X-Roles": "admin,member", "X-Identity-Status": "Confirmed",
              "X-User-Id": "someone", "X-Project-Id": identity.project_id}
    assert get(greeter, HELLO, headers=forged).status_code == 401
    assert get(greeter, GOODBYE, identity.token("reader"),
               headers=forged).status_code == 403


def test_log_carries_user_and_project_never_the_token(greeter, identity):
    token = identity.token("member")
    response = get(greeter, GOODBYE, token)
    assert response.status_code == 200
    request_id = response.headers["x-openstack-request-id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in greeter.log().splitlines()
                 if request_id in line and "GET /greeting/goodbye" in line]
        if lines:
            break
        time.sleep(0.1)
    (line,) = lines
    assert identity.user_ids["member"] in line
    assert identity.project_id in line
    assert "status: 200" in line
    assert token not in greeter.log()


def test_revoked_token_is_refused_once_the_cache_expires(greeter, identity):
    # Each worker caches a validated token for token_cache_time, so a
    # revoked token may still be accepted until then, by any worker that
    # had cached it: that time is the bound on revocation. After it,
    # every worker asks Keystone again, and refuses.
    token = identity.token("member")
    cached_at = time.monotonic()
    assert get(greeter, HELLO, token).status_code == 200
    identity.revoke(token)
    bound = cached_at + TOKEN_CACHE_TIME
    during: list[int] = []
    while time.monotonic() < bound:
        during.append(get(greeter, HELLO, token).status_code)
        time.sleep(0.25)
    assert set(during) <= {200, 401}, during
    time.sleep(1)  # the cache's clock and ours need not tick together
    after = [get(greeter, HELLO, token) for _ in range(8)]
    assert [response.status_code for response in after] == [401] * 8
    assert error_code(after[-1]) == "greeter.auth.invalid"


def test_keystone_down_is_503_in_bounded_time_then_recovers(
        greeter, identity, keystone):
    cached = identity.token("member")
    assert get(greeter, HELLO, cached).status_code == 200
    fresh = identity.token("member")  # never seen by greeter: not cached
    keystone.stop()
    try:
        started = time.monotonic()
        response = get(greeter, HELLO, fresh)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert error_code(response) == "greeter.auth.unavailable"
        assert "Traceback" not in response.text
        assert elapsed < OUTAGE_BOUND + SLACK
    finally:
        keystone.start()
    deadline = time.monotonic() + 30
    while get(greeter, HELLO, fresh).status_code != 200:
        assert time.monotonic() < deadline, "no 200 after Keystone returned"
        time.sleep(0.5)


def test_frozen_keystone_is_503_within_the_timeout(greeter, identity,
                                                    keystone):
    fresh = identity.token("member")
    with keystone.frozen():
        started = time.monotonic()
        response = get(greeter, HELLO, fresh)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert error_code(response) == "greeter.auth.unavailable"
    assert elapsed < OUTAGE_BOUND + SLACK
    assert get(greeter, HELLO, fresh).status_code == 200


def test_policy_file_overrides_a_default(start_keystone_greeter, identity,
                                         tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('"greeting:goodbye": "rule:admin_api or '
                      'rule:project_reader_api"\n')
    server = start_keystone_greeter(
        f"[oslo_policy]\npolicy_file = {policy}\n")
    assert get(server, GOODBYE, identity.token("reader")).status_code == 200


def test_missing_catalog_endpoint_is_503_not_500(start_keystone_greeter,
                                                 identity):
    # Keystone was bootstrapped with a public identity endpoint only;
    # keystonemiddleware's default interface is internal.
    server = start_keystone_greeter(
        "[keystone_authtoken]\ninterface = internal\n")
    response = get(server, HELLO, identity.token("member"))
    assert response.status_code == 503
    assert error_code(response) == "greeter.auth.unavailable"
    assert "no identity endpoint" in server.log()

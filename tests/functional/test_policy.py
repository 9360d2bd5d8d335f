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

"""Policy over real HTTP, with the token and noauth strategies."""

from __future__ import annotations

import requests

from tests.fixtures.shipped import SHIPPED_TOKEN

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}
# What a client might send to claim more than it has.
FORGED = {"X-Roles": "admin,member", "X-Identity-Status": "Confirmed",
          "X-User-Id": "admin", "X-Project-Id": "admin"}


def test_token_roles_decide_what_token_callers_may_do(start_greeter):
    server = start_greeter({"OS_AUTH__TOKEN_ROLES": "reader"})
    assert requests.get(server.url + "/greeting/hello", headers=AUTH,
                        timeout=10).status_code == 200
    refused = requests.get(server.url + "/greeting/goodbye",
                           headers={**AUTH, **FORGED}, timeout=10)
    assert refused.status_code == 403
    (error,) = refused.json()["errors"]
    assert error["code"] == "greeter.policy.not_authorized"
    assert error["request_id"] == refused.headers["x-openstack-request-id"]


def test_noauth_callers_cannot_forge_roles(start_greeter):
    server = start_greeter({"OS_AUTH__STRATEGY": "noauth",
                            "OS_AUTH__TOKEN_ROLES": "reader"})
    assert requests.get(server.url + "/greeting/goodbye", headers=FORGED,
                        timeout=10).status_code == 403


def test_policy_file_overrides_a_rule(start_greeter, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"greeting:hello": "role:admin"\n')
    server = start_greeter({"OS_OSLO_POLICY__POLICY_FILE": str(policy_file)})
    assert requests.get(server.url + "/greeting/hello", headers=AUTH,
                        timeout=10).status_code == 403
    assert requests.get(server.url + "/greeting/goodbye", headers=AUTH,
                        timeout=10).status_code == 200

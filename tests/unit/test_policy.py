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

"""Policy: the rules in code, their sample, overrides, and the 403."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import webob
from oslo_policy import policy as oslo_policy

from greeter import policy
from greeter.common import config
from greeter.common import exception
from tests.fixtures.contexts import ctx
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN


@pytest.mark.parametrize("roles, hello, goodbye", [
    ((), False, False),
    (("reader",), True, False),
    (("member",), False, True),
    (("reader", "member"), True, True),
    (("admin",), True, True),
    (("service",), False, False),
])
def test_default_rules(enforcer, roles, hello, goodbye):
    for action, allowed in (("greeting:hello", hello),
                            ("greeting:goodbye", goodbye)):
        if allowed:
            enforcer.authorize(action, ctx(*roles))
        else:
            with pytest.raises(exception.PolicyNotAuthorizedError):
                enforcer.authorize(action, ctx(*roles))


def test_no_context_fails_closed(enforcer):
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", None)


def test_system_scoped_admin_is_refused_on_project_rules(enforcer):
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello",
                           ctx("admin", project_id=None, system_scope="all"))


def test_policy_file_overrides_a_default(conf, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"greeting:hello": "role:greeter"\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    enforcer = policy.Enforcer(conf)
    enforcer.authorize("greeting:hello", ctx("greeter"))
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", ctx("reader"))


@pytest.mark.parametrize("text, reason", [
    ('"greeting:hello": "rule:no_such_rule"\n',
     "['greeting:hello'] reference a rule that is not defined"),
    ('"greeting:hello": "rule:greeting:hello"\n',
     "['greeting:hello'] are part of a cyclical reference"),
    ('"greeting:hello": "role:reader and ("\n',
     "rule 'greeting:hello': Failed to understand rule role:reader and ("),
    ('"greeting:hello": [unclosed\n', "while parsing"),
])
def test_broken_policy_file_is_a_config_error(conf, tmp_path, text, reason):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(text)
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    with pytest.raises(exception.ConfigError) as error:
        policy.Enforcer(conf)
    assert str(error.value).startswith(
        f"[oslo_policy] policy_file {policy_file}: ")
    assert reason in str(error.value)


def test_the_target_is_the_callers_own_user_and_project(conf, tmp_path):
    # An operator's rule may compare the caller with the target: the
    # target holds the caller's own user and project ids.
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        '"greeting:hello": "user_id:%(user_id)s"\n'
        '"greeting:goodbye": "project_id:%(project_id)s"\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    enforcer = policy.Enforcer(conf)
    enforcer.authorize("greeting:hello", ctx())
    enforcer.authorize("greeting:goodbye", ctx())


def test_sample_policy_is_current(tmp_path):
    """Fails when a rule changed and `tox -e genpolicy` was not run."""
    generated = tmp_path / "policy.yaml.sample"
    subprocess.run(
        [sys.executable, "-c",
         "from oslo_policy.generator import generate_sample; "
         "generate_sample()",
         "--config-file", str(ETC / "greeter-policy-generator.conf"),
         "--output-file", str(generated)], check=True, cwd=REPO)
    assert generated.read_text() == \
        (ETC / "policy.yaml.sample").read_text(), \
        "etc/greeter/policy.yaml.sample is stale: run tox -e genpolicy"


def test_enforcer_entry_point_serves_oslo_policys_tools():
    """oslopolicy-policy-generator finds greeter's enforcer and rules."""
    result = subprocess.run(
        [sys.executable, "-c",
         "from oslo_policy.generator import generate_policy; "
         "generate_policy()", "--namespace", "greeter",
         "--config-file", str(ETC / "greeter.conf")],
        check=True, cwd=REPO, capture_output=True, text=True)
    assert '"greeting:goodbye": "rule:admin_api or ' \
        'rule:project_member_api"' in result.stdout


def request(app, path: str, token: str | None = SHIPPED_TOKEN,
            headers: dict | None = None) -> webob.Response:
    req = webob.Request.blank(path)
    if token is not None:
        req.headers["X-Auth-Token"] = token
    req.headers.update(headers or {})
    return req.get_response(app)


def test_token_callers_get_token_roles(conf):
    conf.set_override("token_roles", ["reader"], group="auth")
    app = config.load_paste_app(conf)
    assert request(app, "/greeting/hello").status_int == 200
    refused = request(app, "/greeting/goodbye")
    assert refused.status_int == 403
    (error,) = json.loads(refused.body)["errors"]
    assert error["code"] == "greeter.policy.not_authorized"
    assert error["title"] == "Forbidden"
    assert error["detail"] == "Policy does not allow greeting:goodbye."
    assert error["request_id"] == refused.headers["x-openstack-request-id"]


@pytest.mark.parametrize("strategy", ["token", "noauth"])
def test_client_identity_headers_are_dropped(conf, strategy):
    conf.set_override("strategy", strategy, group="auth")
    conf.set_override("token_roles", ["reader"], group="auth")
    app = config.load_paste_app(conf)
    forged = {"X-Roles": "admin,member", "X-Role": "member",
              "X-Identity-Status": "Confirmed", "X-User-Id": "admin",
              "X-Project-Id": "p1", "X-Is-Admin-Project": "True",
              "OpenStack-System-Scope": "all"}
    assert request(app, "/greeting/goodbye",
                   headers=forged).status_int == 403


def test_a_token_of_the_wrong_scope_is_refused_by_older_oslo_policy(
        enforcer, monkeypatch):
    # oslo.policy before 6 raises InvalidScope (with enforce_scope on)
    # where 6 answers False: both are a 403, never a 500.
    def older_authorize(rule, target, creds, *args, **kwargs):
        raise oslo_policy.InvalidScope(rule, ["project"], "system")

    monkeypatch.setattr(enforcer._enforcer, "authorize", older_authorize)
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", ctx("admin"))


def test_the_refusal_names_its_action():
    refused = exception.PolicyNotAuthorizedError("greeting:goodbye")
    assert refused.action == "greeting:goodbye"
    assert refused.code == "greeter.policy.not_authorized"


def test_a_rule_that_guards_nothing_is_warned_of(conf, tmp_path, caplog):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"greeting:helo": "!"\n'
                           '"greeting:hello": "rule:readers"\n'
                           '"readers": "role:reader"\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    caplog.set_level(logging.WARNING)
    enforcer = policy.Enforcer(conf)
    # "readers" is used by a rule: no typo.
    assert [record.getMessage() for record in caplog.records
            if record.name == "greeter.policy"] == [
        f"{policy_file}: policy rule 'greeting:helo' is not one of "
        "greeter's rules (did you mean 'greeting:hello'?); it guards "
        "nothing"]
    enforcer.authorize("greeting:hello", ctx("reader"))


def test_a_missing_policy_file_named_in_the_configuration(conf, tmp_path):
    conf.set_override("policy_file", str(tmp_path / "absent.yaml"),
                      group="oslo_policy")
    with pytest.raises(exception.ConfigError) as error:
        policy.Enforcer(conf)
    assert str(error.value).startswith(
        f"[oslo_policy] policy_file = '{tmp_path / 'absent.yaml'}': "
        "not found")


def test_unparsable_rule_is_refused_whatever_oslo_policys_log_level(
        conf, tmp_path):
    # As with default_log_levels = oslo_policy=CRITICAL.
    library = logging.getLogger("oslo_policy")
    level = library.level
    library.setLevel(logging.CRITICAL)
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"greeting:hello": "role:reader and ("\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    try:
        with pytest.raises(exception.ConfigError):
            policy.Enforcer(conf)
        assert library.level == logging.CRITICAL
    finally:
        library.setLevel(level)

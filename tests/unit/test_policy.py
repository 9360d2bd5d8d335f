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
import os
import subprocess
import sys
import time

import pytest
import webob
from oslo_context import context
from oslo_policy import policy as oslo_policy

from greeter import policy
from greeter.common import config
from greeter.common import exception
from tests.conftest import ETC
from tests.conftest import REPO
from tests.conftest import SHIPPED_TOKEN


def ctx(*roles: str, project_id: str | None = "p1",
        **kwargs) -> context.RequestContext:
    return context.RequestContext(roles=list(roles), project_id=project_id,
                                  user_id="u1", overwrite=False, **kwargs)


@pytest.fixture
def enforcer(conf):
    return policy.Enforcer(conf)


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
    ('"greeting:hello": "rule:no_such_rule"\n', "not well defined"),
    ('"greeting:hello": [unclosed\n', "while parsing"),
])
def test_broken_policy_file_is_a_config_error(conf, tmp_path, text, reason):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(text)
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    with pytest.raises(exception.ConfigError) as error:
        policy.Enforcer(conf)
    assert str(error.value).startswith("[oslo_policy] policy_file: ")
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


def test_remembered_decisions_are_bounded(enforcer):
    # One decision per distinct caller: a caller more than the bound
    # starts the memory afresh rather than growing it.
    for number in range(policy.MAX_DECISIONS + 1):
        enforcer.authorize("greeting:hello",
                           ctx("reader", project_id=f"p{number}"))
        assert len(enforcer._decisions) <= policy.MAX_DECISIONS


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


def test_policy_file_change_applies_once_the_decision_expires(
        conf, tmp_path, monkeypatch):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"greeting:hello": "role:reader"\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    enforcer = policy.Enforcer(conf)
    enforcer.authorize("greeting:hello", ctx("reader"))
    policy_file.write_text('"greeting:hello": "role:admin"\n')
    stat = policy_file.stat()
    os.utime(policy_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    # Remembered for DECISION_TTL: the same answer...
    enforcer.authorize("greeting:hello", ctx("reader"))
    # ...and the file's answer once that has passed.
    later = time.monotonic() + policy.DECISION_TTL + 1
    monkeypatch.setattr(policy.time, "monotonic", lambda: later)
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", ctx("reader"))


class ServiceContext(context.RequestContext):
    """A service's context whose policy values hold one value more, as
    oslo.context invites services to add: greeter's code names none."""

    def __init__(self, tier, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tier = tier

    def to_policy_values(self):
        values = dict(super().to_policy_values().items())
        values["tier"] = self.tier
        return values


def rule_enforcer(conf, tmp_path, rule: str) -> policy.Enforcer:
    """An Enforcer whose hello rule is ``rule``: ``name:text`` compares
    the text of the caller's policy value ``name``, or of each item of a
    list, with ``text``."""
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(f'"greeting:hello": "{rule}"\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    return policy.Enforcer(conf)


def may_greet(enforcer: policy.Enforcer, ctx: context.RequestContext
              ) -> bool:
    try:
        enforcer.authorize("greeting:hello", ctx)
    except exception.PolicyNotAuthorizedError:
        return False
    return True


def service_ctx(tier) -> ServiceContext:
    return ServiceContext(tier, roles=["reader"], project_id="p1",
                          user_id="u1", overwrite=False)


@pytest.mark.parametrize("rule, allowed, refused", [
    ("tier:gold", "gold", "silver"),
    ("tier:gold", ["gold"], ["silver"]),
    # The same item, and equal values: yet their text differs.
    ("tier:gold", ["gold"], ("gold",)),
    ("tier:True", True, 1),
    # A value that cannot be hashed as it is.
    ("tier.level:gold", {"level": ["gold"]}, {"level": ["silver"]}),
])
@pytest.mark.parametrize("allowed_first", [True, False])
def test_callers_differing_in_any_policy_value_never_share_a_decision(
        conf, tmp_path, rule, allowed, refused, allowed_first):
    enforcer = rule_enforcer(conf, tmp_path, rule)
    callers = [(allowed, True), (refused, False)]
    if not allowed_first:
        callers.reverse()
    for tier, expected in callers:
        assert may_greet(enforcer, service_ctx(tier)) is expected, tier
        # The remembered decision: the same answer.
        assert may_greet(enforcer, service_ctx(tier)) is expected, tier


@pytest.mark.parametrize("name, rule, allowed, refused", [
    ("user_domain_id", "user_domain_id:d1", "d1", "d2"),
    ("service_project_id", "service_project_id:s1", "s1", "s2"),
    ("service_roles", "service_roles:service", ["service"], ["reader"]),
    ("is_admin_project", "is_admin_project:True", True, False),
])
def test_callers_differing_in_one_of_oslo_contexts_values(
        conf, tmp_path, name, rule, allowed, refused):
    enforcer = rule_enforcer(conf, tmp_path, rule)
    assert may_greet(enforcer, ctx("reader", **{name: allowed}))
    assert not may_greet(enforcer, ctx("reader", **{name: refused}))


class Level:
    """A policy value of a kind a decision is not remembered by: it may
    change once a decision has been made on it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name


def test_a_value_that_may_change_is_decided_on_each_time(conf, tmp_path):
    enforcer = rule_enforcer(conf, tmp_path, "tier:gold")
    level = Level("gold")
    caller = service_ctx(level)
    assert may_greet(enforcer, caller)
    level.name = "silver"
    assert not may_greet(enforcer, caller)
    assert policy.decision_key("greeting:hello", {}, {"tier": level}) is None


def test_a_caller_with_other_roles_is_decided_afresh(enforcer):
    enforcer.authorize("greeting:hello", ctx("reader"))
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", ctx())


def test_a_decision_is_remembered_for_one_second(enforcer, monkeypatch):
    # A changed policy.yaml takes effect within a second, as documented.
    decided = []
    decide = policy.Enforcer._decide

    def counted(self, action, *args):
        decided.append(action)
        return decide(self, action, *args)

    monkeypatch.setattr(policy.Enforcer, "_decide", counted)
    clock = [100.0]
    monkeypatch.setattr(policy.time, "monotonic", lambda: clock[-1])
    for moment in (100.0, 100.5, 100.999):
        clock.append(moment)
        enforcer.authorize("greeting:hello", ctx("reader"))
    assert decided == ["greeting:hello"]
    clock.append(101.0)
    enforcer.authorize("greeting:hello", ctx("reader"))
    assert decided == ["greeting:hello"] * 2


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

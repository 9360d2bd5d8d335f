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

"""greeter.policy, the decisions its Enforcer remembers (and for whom)."""

from __future__ import annotations

import os

import pytest
from oslo_context import context

from greeter import policy
from greeter.common import exception
from tests.fixtures.contexts import ctx


@pytest.fixture
def decided(monkeypatch) -> list[str]:
    """The actions the Enforcer decides on (rather than remembers), in
    order."""
    actions = []
    decide = policy.Enforcer._decide

    def counted(self, action, *args):
        actions.append(action)
        return decide(self, action, *args)

    monkeypatch.setattr(policy.Enforcer, "_decide", counted)
    return actions


def test_remembered_decisions_are_bounded(enforcer):
    # One decision per distinct caller: a caller more than the bound
    # starts the memory afresh rather than growing it.
    for number in range(policy.MAX_DECISIONS + 1):
        enforcer.authorize("greeting:hello",
                           ctx("reader", project_id=f"p{number}"))
        assert len(enforcer._decisions) <= policy.MAX_DECISIONS


@pytest.mark.parametrize("change", [
    '"greeting:hello": "role:admin"\n',   # another rule
    '"greeting:hello": "rule:nothing"\n',  # a broken one
    None,                                  # the file removed
])
def test_a_changed_policy_file_changes_no_decision(conf, tmp_path, change):
    """The rules are those read when the Enforcer was built: only a new
    Enforcer (a reload) reads the file again."""
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"greeting:hello": "role:greeter"\n')
    conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    enforcer = policy.Enforcer(conf)
    enforcer.authorize("greeting:hello", ctx("greeter"))
    if change is None:
        policy_file.unlink()
    else:
        policy_file.write_text(change)
        stat = policy_file.stat()
        os.utime(policy_file,
                 ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    # A caller already decided on, and one decided on afresh.
    enforcer.authorize("greeting:hello", ctx("greeter"))
    enforcer.authorize("greeting:hello", ctx("greeter", project_id="p2"))
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", ctx("admin", project_id="p3"))


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
    ("tier:1.0", 1.0, 1),
    ("tier:{'gold'}", {"gold"}, {"silver"}),
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
    # Keys that do not sort together: not remembered either.
    assert policy.decision_key(
        "greeting:hello", {}, {"tier": {1: "gold", "a": "gold"}}) is None


@pytest.mark.parametrize("tier", [
    None, "gold", 1, 1.0, True, ["gold"], ("gold",), {"gold"},
    frozenset({"gold"}), {"level": ["gold"], "sets": {"gold"}}, {2: "gold"},
])
def test_a_decision_on_a_value_of_any_kind_the_key_holds_is_remembered(
        enforcer, decided, tier):
    for _ in range(2):
        may_greet(enforcer, service_ctx(tier))
    assert decided == ["greeting:hello"]


def test_a_caller_with_other_roles_is_decided_afresh(enforcer):
    enforcer.authorize("greeting:hello", ctx("reader"))
    with pytest.raises(exception.PolicyNotAuthorizedError):
        enforcer.authorize("greeting:hello", ctx())


def test_a_decision_is_made_once_per_caller(enforcer, decided):
    # The rules never change under an Enforcer: neither does a decision.
    for _ in range(3):
        enforcer.authorize("greeting:hello", ctx("reader"))
    assert decided == ["greeting:hello"]
    enforcer.authorize("greeting:hello", ctx("reader", project_id="p2"))
    assert decided == ["greeting:hello"] * 2

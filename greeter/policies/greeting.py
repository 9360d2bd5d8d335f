"""Rules for the greetings, one per action of the v1 API."""

from __future__ import annotations

from collections.abc import Iterable

from oslo_policy import policy

from greeter.policies import base

HELLO = "greeting:hello"
GOODBYE = "greeting:goodbye"

rules = [
    policy.DocumentedRuleDefault(
        name=HELLO,
        check_str=base.ADMIN_OR_PROJECT_READER,
        description="Be greeted hello. Any reader of a project may.",
        operations=[{"method": "GET", "path": "/greeting/hello"},
                    {"method": "HEAD", "path": "/greeting/hello"}],
        scope_types=["project"]),
    policy.DocumentedRuleDefault(
        name=GOODBYE,
        check_str=base.ADMIN_OR_PROJECT_MEMBER,
        description="Be greeted goodbye. Only a member of a project may.",
        operations=[{"method": "GET", "path": "/greeting/goodbye"},
                    {"method": "HEAD", "path": "/greeting/goodbye"}],
        scope_types=["project"]),
]


def list_rules() -> Iterable[policy.RuleDefault]:
    return rules

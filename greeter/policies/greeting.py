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

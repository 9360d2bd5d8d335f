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

"""The personas greeter's rules are built from.

They follow the roles ``keystone-manage bootstrap`` creates (admin
implies manager, manager implies member, member implies reader; Keystone
puts the implied roles in the token). A project's reader may read, its
member may also act, and admin may do anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from oslo_policy import policy

ADMIN = "rule:admin_api"
PROJECT_READER = "rule:project_reader_api"
PROJECT_MEMBER = "rule:project_member_api"

ADMIN_OR_PROJECT_READER = f"{ADMIN} or {PROJECT_READER}"
ADMIN_OR_PROJECT_MEMBER = f"{ADMIN} or {PROJECT_MEMBER}"

rules = [
    policy.RuleDefault(
        "admin_api", "role:admin",
        description="An administrator: may do anything."),
    policy.RuleDefault(
        "project_reader_api",
        "role:reader and project_id:%(project_id)s",
        description="A reader of the project the request is made in."),
    policy.RuleDefault(
        "project_member_api",
        "role:member and project_id:%(project_id)s",
        description="A member of the project the request is made in."),
]


def list_rules() -> Iterable[policy.RuleDefault]:
    return rules

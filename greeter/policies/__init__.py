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

"""greeter's policy in code: every rule, with its default and its doc.

``list_rules`` is the ``oslo.policy.policies`` entry point: the sample
generator (``tox -e genpolicy``) writes etc/greeter/policy.yaml.sample
from it, and ``greeter.policy`` registers it on its Enforcer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from oslo_policy import policy

from greeter.policies import base
from greeter.policies import greeting


def list_rules() -> Iterable[policy.RuleDefault]:
    """All of greeter's rules: the personas first, then each resource's."""
    return itertools.chain(base.list_rules(), greeting.list_rules())

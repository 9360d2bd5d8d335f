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

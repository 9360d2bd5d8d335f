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

"""Policy enforcement: the one owner of greeter's oslo.policy Enforcer.

An ``Enforcer`` is built with the v1 API from the ``ConfigOpts`` it is
handed, so rebuilding the app from fresh configuration rebuilds the
policy with it; there is no module-level enforcer. The rules' defaults
are in code (``greeter.policies``); a ``policy.yaml`` (``[oslo_policy]
policy_file``, looked for beside the config files) overrides any of
them, and oslo.policy re-reads it, in every worker, when it changes.

oslo.policy evaluates a rule from scratch on every call: it inspects each
check's signature and looks for the policy file again, about 150 us per
request on a small machine, ten times the rest of greeter's request
path. So each decision is remembered for ``DECISION_TTL`` seconds per
(action, caller's policy values): a changed policy.yaml takes effect
within that second.
"""

from __future__ import annotations

import operator
import time
from typing import Any

from oslo_config import cfg
from oslo_context import context
from oslo_policy import policy

from greeter import policies
from greeter.common import exception

DECISION_TTL = 1.0
# Bounded: many distinct callers (users, projects) cannot grow it.
MAX_DECISIONS = 4096


# The RequestContext attributes oslo.context's to_policy_values() is made
# of (a test checks they are the same), lists apart. A decision is
# remembered per their values, read straight from the context: building
# the policy values mapping for every request cost more than the rest of
# the cache hit.
SCALAR_POLICY_ATTRIBUTES = (
    "user_id", "user_domain_id", "system_scope", "domain_id", "project_id",
    "project_domain_id", "is_admin_project", "service_user_id",
    "service_user_domain_id", "service_project_id",
    "service_project_domain_id")
LIST_POLICY_ATTRIBUTES = ("roles", "service_roles")
_scalar_policy_values = operator.attrgetter(*SCALAR_POLICY_ATTRIBUTES)


def caller_key(ctx: context.RequestContext) -> tuple:
    """A hashable form of a caller's policy values."""
    return (_scalar_policy_values(ctx), tuple(ctx.roles),
            tuple(ctx.service_roles))


def _enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


def get_enforcer() -> policy.Enforcer:
    """The ``oslo.policy.enforcer`` entry point, for oslo.policy's tools.

    oslopolicy-policy-generator, -checker and -upgrade parse their own
    arguments (``--config-file`` included) into ``cfg.CONF`` before they
    call this; greeter's service never does.
    """
    return _enforcer(cfg.CONF)


class Enforcer:
    """Authorise the API's actions against greeter's rules."""

    def __init__(self, conf: cfg.ConfigOpts,
                 decision_ttl: float = DECISION_TTL) -> None:
        self._enforcer = _enforcer(conf)
        self._decision_ttl = decision_ttl
        # (action, frozen policy values) -> (expiry, allowed)
        self._decisions: dict[tuple, tuple[float, bool]] = {}
        # Read policy.yaml now: a file that does not parse, or refers to
        # a rule that does not exist, stops start-up rather than failing
        # the first request.
        try:
            self._enforcer.load_rules()
            self._enforcer.check_rules(raise_on_violation=True)
        except (ValueError, policy.InvalidDefinitionError) as exc:
            raise exception.ConfigError(
                f"[oslo_policy] policy_file: {exc}") from None

    def authorize(self, action: str,
                  ctx: context.RequestContext | None) -> None:
        """Return if ``ctx`` may do ``action``; else raise
        PolicyNotAuthorizedError.

        The target is the caller's own project and user (greetings belong
        to no project), as placement does for actions on no resource. No
        context (a pipeline without a context filter) fails closed.
        """
        if ctx is None:
            raise exception.PolicyNotAuthorizedError(action)
        key = (action, caller_key(ctx))
        now = time.monotonic()
        remembered = self._decisions.get(key)
        if remembered is not None and remembered[0] > now:
            allowed = remembered[1]
        else:
            # What oslo.policy makes of a context, made once here.
            allowed = self._decide(action,
                                   dict(ctx.to_policy_values().items()))
            if len(self._decisions) >= MAX_DECISIONS:
                self._decisions.clear()
            self._decisions[key] = (now + self._decision_ttl, allowed)
        if not allowed:
            raise exception.PolicyNotAuthorizedError(action)

    def _decide(self, action: str, creds: dict[str, Any]) -> bool:
        target = {"project_id": creds["project_id"],
                  "user_id": creds["user_id"]}
        try:
            # A copy: oslo.policy adds keys to the creds it is given.
            return self._enforcer.authorize(action, target, dict(creds))
        except policy.InvalidScope:
            # A system- or domain-scoped token on a project rule.
            return False

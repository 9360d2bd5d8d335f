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

oslo.policy evaluates a rule from scratch on every call (it inspects each
check's signature and looks for the policy file again), which costs far
more than the rest of a request's path through greeter. So each worker
remembers a decision for ``DECISION_TTL`` seconds, keyed on the action,
the target and the whole of the caller's policy values, whatever
oslo.context or a subclass of its ``RequestContext`` puts in them: two
callers that differ in any value a rule could read never share a
decision. A changed policy.yaml takes effect within ``DECISION_TTL``.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from collections.abc import Mapping
from typing import Any

from oslo_config import cfg
from oslo_context import context
from oslo_policy import policy

from greeter import policies
from greeter.common import exception

DECISION_TTL = 1.0
# Bounded: many distinct callers (users, projects) cannot grow it.
MAX_DECISIONS = 4096

# How each kind of value is held in a decision's key. str and None stand
# as they are: no value of another kind equals one of theirs. Any other
# value is tagged with its type, since True == 1 == 1.0, and ["a"] holds
# what ("a",) holds, yet a rule that compares a value's text tells them
# apart. A value of a kind not listed may change after a decision was
# made on it: that decision is not remembered.
_AS_IS = frozenset((str, type(None)))
_SCALARS = (str, int, float, bool)
_SEQUENCES = (list, tuple)
_SETS = (set, frozenset)


def _frozen(value: Any) -> Hashable:
    """``value`` as an immutable, hashable equivalent; TypeError for a
    value of any other kind."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, _SCALARS):
        return kind, value
    if isinstance(value, _SEQUENCES):
        return kind, tuple(map(_frozen, value))
    if isinstance(value, _SETS):
        return kind, frozenset(map(_frozen, value))
    if isinstance(value, Mapping):
        return kind, _frozen_mapping(value)
    raise TypeError(f"a decision cannot be keyed on a {kind.__name__}")


def _frozen_mapping(values: Mapping) -> tuple:
    # Sorted by key (keys are unique, so values are never compared); keys
    # of kinds that do not sort together raise TypeError.
    return tuple([
        (name if type(name) in _AS_IS else _frozen(name),
         value if type(value) in _AS_IS else _frozen(value))
        for name, value in sorted(values.items())])


def decision_key(action: str, target: Mapping,
                 creds: Mapping) -> tuple | None:
    """What a decision is remembered by: the action, the target and every
    one of the caller's policy values; None when a value is of a kind
    that cannot be held (that decision is then made afresh each time)."""
    try:
        return action, _frozen_mapping(target), _frozen_mapping(creds)
    except TypeError:
        return None


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
        # decision_key(...) -> (expiry, allowed)
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
        # What oslo.policy makes of a context, made once here (and a
        # dict of greeter's own: oslo.policy adds keys to the creds).
        creds = dict(ctx.to_policy_values().items())
        target = {"project_id": creds["project_id"],
                  "user_id": creds["user_id"]}
        key = decision_key(action, target, creds)
        now = time.monotonic()
        remembered = None if key is None else self._decisions.get(key)
        if remembered is not None and remembered[0] > now:
            allowed = remembered[1]
        else:
            allowed = self._decide(action, target, creds)
            if key is not None:
                if len(self._decisions) >= MAX_DECISIONS:
                    self._decisions.clear()
                self._decisions[key] = (now + self._decision_ttl, allowed)
        if not allowed:
            raise exception.PolicyNotAuthorizedError(action)

    def _decide(self, action: str, target: dict[str, Any],
                creds: dict[str, Any]) -> bool:
        try:
            return self._enforcer.authorize(action, target, creds)
        except policy.InvalidScope:
            # A system- or domain-scoped token on a project rule.
            return False

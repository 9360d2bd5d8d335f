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
them. The policy file is part of greeter's configuration: read and
checked when the Enforcer is built (at start-up, and by the pipeline's
rebuild on SIGHUP), refused as a whole when it does not work, and never
read again behind greeter's back: oslo.policy would otherwise re-read it
in every worker whenever it changes, so that a broken file would reach
callers that no reload had checked.

oslo.policy evaluates a rule from scratch on every call (it inspects each
check's signature), which costs far more than the rest of a request's
path through greeter. So each worker's Enforcer remembers its decisions,
keyed on the action, the target and the whole of the caller's policy
values, whatever oslo.context or a subclass of its ``RequestContext``
puts in them: two callers that differ in any value a rule could read
never share a decision. An Enforcer's rules never change, so neither
does a decision it made; a reload builds a new Enforcer, which starts
with none.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Hashable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from oslo_config import cfg
from oslo_context import context
from oslo_log import log
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from greeter import policies
from greeter.common import exception
from greeter.common import unknown_options

LOG = log.getLogger(__name__)

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


class _HeldBack(logging.Handler):
    """What oslo.policy logs while it reads the policy files."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _held_back() -> Iterator[_HeldBack]:
    """Hold back every line oslo.policy logs, to judge them first.

    A rule string oslo.policy cannot parse is no exception: it logs an
    ERROR, with a traceback, and enforces the rule as a deny-all. An
    ERROR among these lines means the files do not work; the others are
    passed on when they do. Every line is held, whatever level the
    operator set for oslo.policy's loggers, so that none goes unjudged.
    """
    library = logging.getLogger("oslo_policy")
    held = _HeldBack()
    propagate, level = library.propagate, library.level
    library.addHandler(held)
    library.propagate = False
    library.setLevel(logging.DEBUG)
    try:
        yield held
    finally:
        library.removeHandler(held)
        library.propagate = propagate
        library.setLevel(level)


def _pass_on(records: list[logging.LogRecord]) -> None:
    """Log the held lines as oslo.policy would have (at its levels)."""
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def _policy_file_default() -> str:
    ((_, opts),) = policy_opts.list_opts()
    return next(opt.default for opt in opts if opt.name == "policy_file")


def read_policy_files(enforcer: policy.Enforcer,
                      conf: cfg.ConfigOpts) -> None:
    """Read and check the policy files now; these are the rules for good.

    ConfigError when the policy file does not parse, holds a rule string
    that does not parse, refers to a rule that does not exist (or to
    itself), or is named in the configuration and cannot be found. The
    default ``policy.yaml`` may be absent: the rules in code apply.
    """
    name = conf.oslo_policy.policy_file
    if name != _policy_file_default() and not conf.find_file(name):
        raise exception.ConfigError(
            f"[oslo_policy] policy_file = {name!r}: not found (looked for "
            "beside the config files)")
    with _held_back() as held:
        try:
            enforcer.load_rules(force_reload=True)
            checked = len(held.records)
            enforcer.check_rules(raise_on_violation=True)
        except ValueError as exc:  # YAML that does not parse
            raise exception.ConfigError(
                f"[oslo_policy] policy_file {enforcer.policy_path or name}: "
                f"{' '.join(str(exc).split())}") from None
        except policy.InvalidDefinitionError:
            # Its message points to the log: the lines check_rules
            # wrote there are the reason.
            reasons = dict.fromkeys(
                record.getMessage() for record in held.records[checked:])
            raise exception.ConfigError(
                f"[oslo_policy] policy_file {enforcer.policy_path}: "
                f"{' '.join(reasons)}") from None
    for record in held.records:
        if record.levelno >= logging.ERROR:
            raise exception.ConfigError(
                f"[oslo_policy] policy_file {enforcer.policy_path}: "
                f"{_refusal(enforcer, record)}")
    _pass_on(held.records)
    _warn_unknown_rules(enforcer)
    # From now on oslo.policy applies the rules it holds and never looks
    # for the files again (use_conf=False); a reload builds a new
    # Enforcer, which reads them again.
    enforcer.set_rules(enforcer.rules, use_conf=False)


def _refusal(enforcer: policy.Enforcer, record: logging.LogRecord) -> str:
    """The one line for an ERROR oslo.policy logged, naming the rules."""
    names = [name for name, rule in enforcer.file_rules.items()
             if record.args and rule.check_str == record.args[0]]
    where = f"rule {', '.join(map(repr, names))}: " if names else ""
    return where + " ".join(record.getMessage().split())


def _used_by_a_rule(enforcer: policy.Enforcer, name: str) -> bool:
    reference = re.compile(
        rf"(?:^|[\s(])rule:{re.escape(name)}(?=[\s)]|$)")
    rules = (*enforcer.registered_rules.values(),
             *enforcer.file_rules.values())
    return any(reference.search(rule.check_str) for rule in rules)


def _warn_unknown_rules(enforcer: policy.Enforcer) -> None:
    """A WARNING for each rule of the files that guards nothing: it is
    neither one of greeter's rules nor used by another rule."""
    registered = sorted(enforcer.registered_rules)
    for name in sorted(enforcer.file_rules):
        if name in enforcer.registered_rules or _used_by_a_rule(enforcer,
                                                                name):
            continue
        LOG.warning("%s: policy rule %r is not one of greeter's rules%s; "
                    "it guards nothing", enforcer.policy_path,
                    unknown_options.bounded(name),
                    unknown_options.suggestion(name, registered))


class Enforcer:
    """Authorise the API's actions against greeter's rules."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = _enforcer(conf)
        # decision_key(...) -> allowed
        self._decisions: dict[tuple, bool] = {}
        read_policy_files(self._enforcer, conf)

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
        allowed = None if key is None else self._decisions.get(key)
        if allowed is None:
            allowed = self._decide(action, target, creds)
            if key is not None:
                if len(self._decisions) >= MAX_DECISIONS:
                    self._decisions.clear()
                self._decisions[key] = allowed
        if not allowed:
            raise exception.PolicyNotAuthorizedError(action)

    def _decide(self, action: str, target: dict[str, Any],
                creds: dict[str, Any]) -> bool:
        try:
            return self._enforcer.authorize(action, target, creds)
        except policy.InvalidScope:
            # A system- or domain-scoped token on a project rule.
            return False

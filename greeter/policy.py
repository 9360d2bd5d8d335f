"""Policy enforcement: the one owner of greeter's oslo.policy Enforcer.

An ``Enforcer`` is built with the v1 API from the ``ConfigOpts`` it is
handed, so rebuilding the app from fresh configuration rebuilds the
policy with it; there is no module-level enforcer. The rules' defaults
are in code (``greeter.policies``); a ``policy.yaml`` (``[oslo_policy]
policy_file``, looked for beside the config files) overrides any of
them, and oslo.policy re-reads it, in every worker, when it changes.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_context import context
from oslo_policy import policy

from greeter import policies
from greeter.common import exception


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

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = _enforcer(conf)
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
        """Return if ``ctx`` may do ``action``; else PolicyNotAuthorizedError.

        The target is the caller's own project and user (greetings belong
        to no project), as placement does for actions on no resource. No
        context (a pipeline without a context filter) fails closed.
        """
        if ctx is None:
            raise exception.PolicyNotAuthorizedError(action)
        target = {"project_id": ctx.project_id, "user_id": ctx.user_id}
        try:
            self._enforcer.authorize(
                action, target, ctx, True,
                exception.PolicyNotAuthorizedError, action)
        except policy.InvalidScope:
            # A system- or domain-scoped token on a project rule.
            raise exception.PolicyNotAuthorizedError(action) from None

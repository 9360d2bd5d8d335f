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

"""The greetings controller: ``/greeting/hello`` and ``/greeting/goodbye``."""

from __future__ import annotations

from typing import Any

import webob
from oslo_config import cfg

from greeter import policy
from greeter.common import context
from greeter.policies import greeting as greeting_policies


class GreetingController:
    """Greets ``[greeting] name`` with ``[greeting] greeting``.

    The answers depend only on configuration, so they are made once here
    rather than on every request. Each action first asks policy whether
    the caller (the request's context) may have it.
    """

    def __init__(self, conf: cfg.ConfigOpts,
                 enforcer: policy.Enforcer) -> None:
        self.enforcer = enforcer
        name, greeting = conf.greeting.name, conf.greeting.greeting
        self._hello = self._greet("Hello", greeting, name)
        self._goodbye = self._greet("Good Bye", greeting, name)

    @staticmethod
    def _greet(salutation: str, greeting: str, name: str) -> dict[str, Any]:
        return {"message": f"{salutation}, {greeting}, {name} !!",
                "name": name, "greeting": greeting}

    def hello(self, req: webob.Request) -> dict[str, Any]:
        """GET /greeting/hello"""
        self.enforcer.authorize(greeting_policies.HELLO,
                                context.get_context(req.environ))
        return self._hello

    def goodbye(self, req: webob.Request) -> dict[str, Any]:
        """GET /greeting/goodbye"""
        self.enforcer.authorize(greeting_policies.GOODBYE,
                                context.get_context(req.environ))
        return self._goodbye

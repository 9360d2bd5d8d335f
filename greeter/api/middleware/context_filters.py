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

"""Context filters: turn "who is calling" into an oslo.context RequestContext.

Each auth strategy's pipeline (api-paste.ini) ends with one of these,
just before the v1 API. The context is stored in the environ under
``greeter.common.context.CONTEXT_ENV`` and made oslo.context's current
one, so that every line logged while the request is served carries the
user and project ids; policy is checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from oslo_context import context
from oslo_middleware import request_id

from greeter.common import context as greeter_context
from greeter.common import exception
from greeter.common import wsgi


class KeystoneContext(wsgi.Middleware):
    """The context from the identity headers keystonemiddleware has set.

    It sits right after ``authtoken``, which removes any identity header
    the client sent and sets its own once the token is valid. A request
    whose identity is not confirmed (possible only with
    ``delay_auth_decision``) is refused here, with a 401 that goes back
    through auth_token, which adds its ``WWW-Authenticate``.
    """

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        if environ.get("HTTP_X_IDENTITY_STATUS") != "Confirmed":
            response = wsgi.error(environ, 401, "The X-Auth-Token is "
                                  "missing or not valid.",
                                  exception.AUTH_INVALID)
            return response(environ, start_response)
        environ[greeter_context.CONTEXT_ENV] = \
            context.RequestContext.from_environ(environ)
        return self.application(environ, start_response)


class StaticContext(wsgi.Middleware):
    """The context of the token and noauth strategies: roles from config.

    These strategies know no user or project, so every caller they let
    through gets ``[auth] token_roles``. Identity headers the client sent
    are dropped first: nothing validated them.
    """

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        self.roles = list(self.oslo_conf.auth.token_roles)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        greeter_context.drop_identity_headers(environ)
        environ[greeter_context.CONTEXT_ENV] = context.RequestContext(
            roles=self.roles, is_admin_project=False,
            request_id=environ.get(request_id.ENV_REQUEST_ID),
            global_request_id=environ.get(request_id.GLOBAL_REQ_ID))
        return self.application(environ, start_response)

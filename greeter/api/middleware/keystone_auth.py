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

"""keystonemiddleware's auth_token, answering in greeter's error shape.

The ``keystone`` strategy's pipeline puts this filter where the token
strategy has ``auth``. It is keystonemiddleware's ``AuthProtocol``
unchanged (token validation, its cache, the identity headers, the
``WWW-Authenticate`` challenge), configured from ``[keystone_authtoken]``
of the same ``ConfigOpts`` as the rest of greeter. Only its refusals are
rendered here, as placement's subclass does, so that clients get
greeter's error codes rather than a second error format:

- no token: 401 ``greeter.auth.missing``; a token Keystone does not
  accept (invalid, expired, revoked): 401 ``greeter.auth.invalid``; both
  with ``WWW-Authenticate: Keystone uri="<www_authenticate_uri>"``;
- Keystone unreachable, timing out, failing, or rejecting greeter's own
  service credentials: 503 ``greeter.auth.unavailable``, after at most
  the bound ``[keystone_authtoken]`` ``http_connect_timeout`` and
  ``http_request_max_retries`` set (greeter's defaults for them are in
  greeter.common.config, applied when this filter is built).
"""

from __future__ import annotations

from collections.abc import Callable

import webob.exc
from keystoneauth1 import exceptions as ksa_exceptions
from keystonemiddleware import auth_token
from keystonemiddleware import exceptions as ksm_exceptions
from oslo_config import cfg
from oslo_log import log as logging

from greeter.common import config
from greeter.common import exception
from greeter.common import wsgi

LOG = logging.getLogger(__name__)

UNAVAILABLE = ("The identity service (Keystone) cannot be reached; try "
               "again later.")


class KeystoneAuth(auth_token.AuthProtocol):
    """Validate ``X-Auth-Token`` with Keystone; 401 or 503 in one shape."""

    def __init__(self, app: Callable, conf: dict) -> None:
        # greeter's defaults (a bounded wait for Keystone) before
        # keystonemiddleware reads the options.
        config.register_keystone_opts(
            conf.get("oslo_config_config") or cfg.CONF)
        # A configuration auth_token cannot work with stops start-up with
        # one line, rather than failing every request.
        try:
            super().__init__(app, conf)
        except (ksa_exceptions.ClientException,
                ksm_exceptions.ConfigurationError) as exc:
            raise exception.ConfigError(
                f"[keystone_authtoken]: {exc}") from None
        if not self._conf.get("auth_type"):
            # Without it keystonemiddleware falls back to long-deprecated
            # settings, and every request would fail.
            raise exception.ConfigError(
                "[auth] strategy = keystone needs [keystone_authtoken] "
                "auth_type (e.g. password) and greeter's service user "
                "(auth_url, username, password, ...)")

    def process_request(self, request: webob.Request) -> None:
        try:
            return super().process_request(request)
        except webob.exc.HTTPUnauthorized:
            if request.user_token:
                detail, code = ("The X-Auth-Token is not valid.",
                                exception.AUTH_INVALID)
            else:
                detail, code = ("This request needs an X-Auth-Token "
                                "header.", exception.AUTH_MISSING)
            raise wsgi.error(request.environ, 401, detail, code,
                             self._reject_auth_headers) from None
        except webob.exc.HTTPServiceUnavailable:
            # auth_token has logged why, without the token.
            raise wsgi.error(request.environ, 503, UNAVAILABLE,
                             exception.AUTH_UNAVAILABLE) from None
        except ksa_exceptions.ConnectionError as exc:
            # auth_token turns a refused connection into its 503, but lets
            # a timeout (Keystone accepting connections and not answering)
            # through as an exception: the same outage, the same answer.
            LOG.error("Unable to validate token: %s", exc)
            raise wsgi.error(request.environ, 503, UNAVAILABLE,
                             exception.AUTH_UNAVAILABLE) from None
        except ksa_exceptions.EndpointNotFound as exc:
            # A configuration fault ([keystone_authtoken] interface names
            # an endpoint the catalog lacks); the client can do nothing
            # about it, and it is no reason for a 500.
            LOG.error("Keystone's catalog has no identity endpoint for "
                      "[keystone_authtoken] interface: %s", exc)
            raise wsgi.error(request.environ, 503, UNAVAILABLE,
                             exception.AUTH_UNAVAILABLE) from None

    @classmethod
    def factory(cls, global_conf: dict,
                **local_conf: str) -> Callable[[Callable], KeystoneAuth]:
        """paste.filter_factory: options from greeter's ConfigOpts.

        Settings in the paste section would still win (keystonemiddleware
        reads them first); greeter keeps them in greeter.conf, so that
        files, --config-file and OS_* variables all reach them.
        """
        conf = {**global_conf, **local_conf}
        conf.setdefault("oslo_config_config", cfg.CONF)

        def auth_filter(app: Callable) -> KeystoneAuth:
            return cls(app, conf)
        return auth_filter

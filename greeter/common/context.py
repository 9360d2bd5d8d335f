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

"""The request context: who is calling, as the API's filters agree on it.

The context filter of each auth strategy (``greeter/api/middleware/
context_filters.py``) stores an oslo.context ``RequestContext`` in the WSGI
environ under ``CONTEXT_ENV``; the controller authorises with it and the
request log reads the user and project ids from it. It never carries a
static token, and oslo.context masks a Keystone token when it is logged.
"""

from __future__ import annotations

from oslo_context import context

# The environ key holding the request's RequestContext. Written and read
# only through this name, so another spelling behaves the same. (mutmut's
# pragma covers the line: it also skips None here, which the tests kill.)
CONTEXT_ENV = "greeter.context"  # pragma: no mutate

# The identity headers keystonemiddleware's auth_token sets after it has
# validated a token (and removes from what the client sent), and those
# oslo.context reads, as WSGI environ keys. In the token and noauth
# strategies nobody validated them: they are dropped before anything
# could trust them. Written out here because neither library offers the
# list publicly.
_IDENTITY_FIELDS = (
    "USER_ID", "USER_NAME", "USER_DOMAIN_ID", "USER_DOMAIN_NAME",
    "PROJECT_ID", "PROJECT_NAME", "PROJECT_DOMAIN_ID", "PROJECT_DOMAIN_NAME",
    "DOMAIN_ID", "DOMAIN_NAME", "ROLES",
)
IDENTITY_HEADERS = frozenset(
    [f"HTTP_X_{field}" for field in _IDENTITY_FIELDS]
    + [f"HTTP_X_SERVICE_{field}" for field in _IDENTITY_FIELDS]
    + [
        "HTTP_X_IDENTITY_STATUS", "HTTP_X_SERVICE_IDENTITY_STATUS",
        "HTTP_X_IS_ADMIN_PROJECT", "HTTP_OPENSTACK_SYSTEM_SCOPE",
        "HTTP_X_SERVICE_CATALOG", "HTTP_X_SERVICE_TOKEN",
        # Deprecated spellings oslo.context still reads.
        "HTTP_X_USER", "HTTP_X_ROLE", "HTTP_X_TENANT", "HTTP_X_TENANT_ID",
        "HTTP_X_TENANT_NAME",
    ])


def drop_identity_headers(environ: dict) -> None:
    """Remove every identity header a client may have sent."""
    for key in IDENTITY_HEADERS.intersection(environ):
        del environ[key]


def get_context(environ: dict) -> context.RequestContext | None:
    """The request's context, None if no context filter has run."""
    return environ.get(CONTEXT_ENV)

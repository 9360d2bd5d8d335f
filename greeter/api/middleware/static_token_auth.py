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

"""Token authentication: the filter in front of the v1 API.

``[auth] strategy = token`` lets a request through only when its
``X-Auth-Token`` is one of the configured tokens (``[auth] tokens`` and
``[auth] token_file``). Tokens are compared as SHA-256 digests with
``hmac.compare_digest`` against every configured token, so the time taken
says nothing about how much of a token matched. No token is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from collections.abc import Iterable

from oslo_config import cfg
from oslo_log import log as logging

from greeter.common import exception
from greeter.common import wsgi

LOG = logging.getLogger(__name__)

# The header carrying the token (its name, not a secret).
TOKEN_HEADER = "HTTP_X_AUTH_TOKEN"  # nosec B105
CHALLENGE = ("WWW-Authenticate", 'Token realm="greeter"')
# Tokens published with greeter (greeter.conf, the compose secret): anyone
# who has read the README holds them.
DEMO_TOKENS = frozenset({"open-sesame"})


def _digest(token: str) -> bytes:
    # WSGI hands header values over as latin-1 strings; any str we get from
    # a config file is encoded as UTF-8, as the client would send it.
    return hashlib.sha256(token.encode("utf-8")).digest()


def load_tokens(conf: cfg.ConfigOpts) -> list[str]:
    """The accepted tokens, from ``[auth] tokens`` and ``[auth] token_file``.

    Raises ConfigError when the file cannot be read.
    """
    tokens = [token for token in conf.auth.tokens if token]
    path = conf.auth.token_file
    if path:
        try:
            # utf-8-sig drops the byte-order mark some editors write.
            with open(path, encoding="utf-8-sig") as token_file:
                lines = token_file.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise exception.ConfigError(
                f"cannot read [auth] token_file {path}: {reason}") from None
        # Strip first (indentation, the \r of a CRLF file), then skip
        # blanks and comments, so "  # old-token" is never a token.
        stripped = (line.strip() for line in lines)
        tokens.extend(line for line in stripped
                      if line and not line.startswith("#"))
    return tokens


class StaticTokenAuth(wsgi.Middleware):
    """Reject requests without a valid ``X-Auth-Token`` (401)."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        self.enabled = self.oslo_conf.auth.strategy == "token"
        if not self.enabled:
            LOG.warning("[auth] strategy = noauth: the API is open to "
                        "anyone who can reach it")
            self.digests: list[bytes] = []
            return
        tokens = load_tokens(self.oslo_conf)
        if not tokens:
            raise exception.ConfigError(
                "[auth] strategy = token but no token is configured: set "
                "[auth] tokens or [auth] token_file")
        if DEMO_TOKENS.intersection(tokens):
            # Named, never quoted: a token does not reach a log line.
            LOG.warning("[auth] accepts greeter's published demo token: "
                        "anyone who has read greeter's README can call "
                        "this API. Replace it ([auth] tokens, "
                        "[auth] token_file) outside a demo.")
        self.digests = [_digest(token) for token in tokens]

    def is_valid(self, presented: str) -> bool:
        digest = hashlib.sha256(presented.encode("latin-1")).digest()
        valid = False
        for known in self.digests:
            # No early exit: every token is compared every time.
            valid |= hmac.compare_digest(digest, known)
        return valid

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        if self.enabled:
            presented = environ.get(TOKEN_HEADER)
            if not presented:
                raise wsgi.error(environ, 401, "This request needs an "
                                 "X-Auth-Token header.",
                                 exception.AUTH_MISSING, [CHALLENGE])
            if not self.is_valid(presented):
                raise wsgi.error(environ, 401, "The X-Auth-Token is not "
                                 "valid.", exception.AUTH_INVALID,
                                 [CHALLENGE])
        return self.application(environ, start_response)

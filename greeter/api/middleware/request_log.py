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

"""Request log: one line per request, the API's access log.

It sits just inside oslo's request_id filter, so it sees every request,
healthchecks and errors included. It makes an oslo.context
``RequestContext`` holding the request's ids current for the request, so
that every line logged while the request is served (a 500's traceback,
say) carries them, and leaves the thread with no current context when the
request is done, so that a later line of that thread (gunicorn's own, for
a malformed request or a worker exiting) names no request.

The line is written with the module's logger, at INFO; health traffic
(``[request_log] health_paths``, load balancers' and containers' probes)
at ``[request_log] health_level``, DEBUG by default, so that probes do not
bury the API's requests. Its context is the ``RequestContext`` a context
filter further in stored in the environ (``CONTEXT_ENV``), with the
caller's user and project, else the request's own. oslo.log does the
rest, as for any line: its text or JSON format (``use_json``), and its
handlers (stdout, ``log_file``, syslog, journal).

The line says whether an X-Auth-Token was presented, never its value.
Every value a client controls (method, path without query string, and the
remote address, which proxy headers may set) is percent-quoted and cut to
a bounded length, so nothing a client sends can forge a field or split
the line, and a line stays one short write.
"""

from __future__ import annotations

import functools
import logging
import re
import string
import time
from collections.abc import Callable
from collections.abc import Iterable
from urllib.parse import quote

from oslo_context import context
from oslo_middleware import request_id

from greeter.api.middleware import static_token_auth
from greeter.common import context as greeter_context
from greeter.common import wsgi

# Its name is how default_log_levels silences or lowers the request log.
LOG = logging.getLogger(__name__)

MESSAGE = ('%(remote)s "%(method)s %(path)s" status: %(status)s '
           'time: %(ms).2fms token: %(token)s')

# RFC 3986 sub-delimiters and the characters a path may hold unquoted.
PATH_SAFE = "/:@!$&'()*+,;=-._~"
# An address: IPv4, IPv6 (with brackets and port), a host name.
ADDRESS_SAFE = ":[].-_"
# A quoted value longer than these is cut, and ends with TRUNCATED (which
# no quoted value can hold). Keeps a line well below PIPE_BUF (4096
# bytes), so that a line to a pipe (a container's log driver) is one
# atomic write too: a JSON line holds each value twice, in its message
# and in its args.
MAX_FIELD = 800
MAX_SHORT_FIELD = 64  # method, address
TRUNCATED = "[...]"
# The characters quote() never quotes (RFC 3986's unreserved ones).
UNRESERVED = string.ascii_letters + string.digits + "-._~"


@functools.cache
def _matches_unquoted(safe: str) -> Callable[[str], re.Match | None]:
    """A matcher of the strings quote(raw, safe) returns unchanged."""
    return re.compile(f"[{re.escape(UNRESERVED + safe)}]*").fullmatch


def printable(raw: str, safe: str = PATH_SAFE, limit: int = MAX_FIELD) -> str:
    """A WSGI string as printable ASCII with no space or quote in it."""
    # Most values (a path, a method, an address) have nothing to quote:
    # they are returned as they are, without encoding and quoting them.
    if len(raw) <= limit and _matches_unquoted(safe)(raw):
        return raw
    # WSGI strings carry the request's bytes as latin-1 code points.
    quoted = quote(raw.encode("latin-1", "replace"), safe=safe)
    if len(quoted) > limit:
        return quoted[:limit] + TRUNCATED
    return quoted


def clear_current_context() -> None:
    """Leave this thread with no current oslo.context context.

    oslo.context has no public call for this; its own test fixture
    (``oslo_context.fixture.ClearRequestContext``) deletes the context
    from the thread-local store it keeps it in, and so does this, the one
    place greeter reads a private name of oslo.context. A unit test fails
    naming the store if oslo.context keeps the context elsewhere.
    """
    store = context._request_store
    if hasattr(store, "context"):
        del store.context


class RequestLog(wsgi.Middleware):
    """Log method, path, status, duration, remote address and token use."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        options = self.oslo_conf.request_log
        self.health_level = logging.getLevelName(options.health_level)
        self.health_paths = frozenset(options.health_paths)
        self.health_prefixes = tuple(path.rstrip("/") + "/"
                                     for path in options.health_paths)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        start = time.monotonic()
        # Made current (overwrite), for every line logged while serving.
        request_context = context.RequestContext(
            request_id=environ.get(request_id.ENV_REQUEST_ID),
            global_request_id=environ.get(request_id.GLOBAL_REQ_ID))
        # As the client asked for it, before any filter rewrites it.
        raw_path = environ.get("SCRIPT_NAME", "") + environ.get(
            "PATH_INFO", "")
        sent: list = []

        def record_status(status: str, headers: list,
                          exc_info=None) -> Callable:
            sent.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.application(environ, record_status)
        finally:
            try:
                self.log(environ, raw_path, sent[-1][:3] if sent else "500",
                         (time.monotonic() - start) * 1000,
                         greeter_context.get_context(environ)
                         or request_context)
            finally:
                clear_current_context()

    def log(self, environ: dict, raw_path: str, status: str, ms: float,
            request_context: context.RequestContext) -> None:
        """Log the request's line, under ``request_context``."""
        level = (self.health_level
                 if raw_path in self.health_paths
                 or raw_path.startswith(self.health_prefixes)
                 else logging.INFO)
        if not LOG.isEnabledFor(level):
            return
        LOG.log(level, MESSAGE, {
            "remote": printable(environ.get("REMOTE_ADDR") or "-",
                                ADDRESS_SAFE, MAX_SHORT_FIELD),
            "method": printable(environ.get("REQUEST_METHOD", "-"),
                                PATH_SAFE, MAX_SHORT_FIELD),
            "path": printable(raw_path),
            "status": status,
            "ms": ms,
            "token": ("presented"
                      if environ.get(static_token_auth.TOKEN_HEADER)
                      else "absent"),
        }, extra={"context": request_context})

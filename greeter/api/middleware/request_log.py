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
healthchecks and errors included, and it makes the oslo.context
``RequestContext`` current for the request, so every line logged while the
request is served (a 500's traceback, say) carries its request id.

The line is oslo.log's, written where oslo.log writes (``log_file``,
stdout, syslog, journal, ...) in its text or JSON format by the access
log writer (``greeter.common.access_log``), at INFO; health traffic
(``[request_log] health_paths``, load balancers' and containers'
probes) at ``[request_log] health_level``, DEBUG by default, so that
probes do not bury the API's requests. Its context
carries the request id, the global request id and, when a filter further
in stored a ``RequestContext`` in the environ (``CONTEXT_ENV``), that
context's user and project.

The line says whether an X-Auth-Token was presented, never its value.
Every value a client controls (method, path without query string, and the
remote address, which proxy headers may set) is percent-quoted and cut to
a bounded length, so nothing a client sends can forge a field or split
the line, and a line stays one short write.
"""

from __future__ import annotations

import functools
import logging as std_logging
import time
from collections.abc import Callable
from collections.abc import Iterable
from urllib.parse import quote

from oslo_context import context
from oslo_middleware import request_id

from greeter.api.middleware import static_token_auth
from greeter.common import access_log
from greeter.common import context as greeter_context
from greeter.common import wsgi

# A plain stdlib logger: its level (debug, default_log_levels) decides
# whether a line is written; oslo.log's KeywordArgumentAdapter would add
# nothing this line uses.
LOG = std_logging.getLogger(__name__)

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


# Clients send the same few values again and again: their quoted forms
# are remembered, in a bounded cache so that endless new values cannot
# grow it.
@functools.lru_cache(maxsize=512)
def printable(raw: str, safe: str = PATH_SAFE, limit: int = MAX_FIELD) -> str:
    """A WSGI string as printable ASCII with no space or quote in it."""
    # WSGI strings carry the request's bytes as latin-1 code points.
    quoted = quote(raw.encode("latin-1", "replace"), safe=safe)
    if len(quoted) > limit:
        return quoted[:limit] + TRUNCATED
    return quoted


class _NeverCurrent(context.RequestContext):
    """A RequestContext that never makes itself the thread's current one
    (oslo.context stores a new context when none is current, whatever
    ``overwrite`` says: at import, that would be the master's)."""

    def update_store(self) -> None:
        pass


# What oslo.log makes of a RequestContext holding only a request id:
# the line's context is this dict with the request's own values, so that
# formatting a line costs no RequestContext.get_logging_values() (a
# test checks that both read the same).
_BLANK_VALUES = _NeverCurrent(request_id="-").get_logging_values()
_USER_IDENTITY = context.RequestContext.user_idt_format


def logging_values(request_id_: str | None, global_request_id: str | None,
                   user_id: str | None = None,
                   project_id: str | None = None) -> dict:
    """oslo.context's logging values of a context with these ids."""
    values = _BLANK_VALUES.copy()
    values["request_id"] = request_id_
    values["global_request_id"] = global_request_id
    if user_id or project_id:
        values["user"] = user_id
        values["project"] = values["project_id"] = project_id
        values["user_identity"] = _USER_IDENTITY.format(
            user=user_id or "-", project_id=project_id or "-", domain="-",
            user_domain="-", p_domain="-")
    return values


class RequestLog(wsgi.Middleware):
    """Log method, path, status, duration, remote address and token use."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        options = self.oslo_conf.request_log
        self.health_level = std_logging.getLevelName(options.health_level)
        self.health_paths = frozenset(options.health_paths)
        self.health_prefixes = tuple(path.rstrip("/") + "/"
                                     for path in options.health_paths)
        code = RequestLog.__call__.__code__
        self.access_log = access_log.AccessLog(
            LOG, code.co_filename, code.co_firstlineno, code.co_name)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        start = time.monotonic()
        req_id = environ.get(request_id.ENV_REQUEST_ID)
        global_req_id = environ.get(request_id.GLOBAL_REQ_ID)
        context.RequestContext(request_id=req_id,
                               global_request_id=global_req_id,
                               overwrite=True)
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
            level = (self.health_level
                     if raw_path in self.health_paths
                     or raw_path.startswith(self.health_prefixes)
                     else std_logging.INFO)
            if LOG.isEnabledFor(level):
                self.log(environ, level, raw_path,
                         sent[-1][:3] if sent else "500",
                         (time.monotonic() - start) * 1000,
                         req_id, global_req_id)

    def log(self, environ: dict, level: int, raw_path: str, status: str,
            ms: float, req_id: str | None,
            global_req_id: str | None) -> None:
        """Write the line where oslo.log writes, as ``LOG.log`` would."""
        request_context = environ.get(greeter_context.CONTEXT_ENV)
        if request_context is None:
            values = logging_values(req_id, global_req_id)
        else:
            values = logging_values(req_id, global_req_id,
                                    request_context.user_id,
                                    request_context.project_id)
        fields = {
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
        }
        self.access_log.write(level, MESSAGE, fields, values)

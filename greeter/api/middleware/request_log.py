"""Request log: one INFO line per request, the API's access log.

It sits just inside oslo's request_id filter, so it sees every request,
healthchecks and errors included, and it makes the oslo.context
``RequestContext`` current for the request, so every line logged while the
request is served (a 500's traceback, say) carries its request id.

The line says whether an X-Auth-Token was presented, never its value, and
logs the path re-quoted (no query string), so nothing a client sends can
forge or break a log line.
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

from greeter.api.middleware import auth
from greeter.common import wsgi

# A plain stdlib logger: oslo.log's handlers and formatters (set up on the
# root logger) still write the line; its KeywordArgumentAdapter adds
# nothing this line uses and costs a few microseconds per request.
LOG = std_logging.getLogger(__name__)

# RFC 3986 sub-delimiters and the characters a path may hold unquoted.
PATH_SAFE = "/:@!$&'()*+,;=-._~"


# Clients ask for the same few paths again and again: their quoted forms
# are remembered, in a bounded cache so that endless new paths cannot
# grow it.
@functools.lru_cache(maxsize=256)
def printable(raw: str) -> str:
    """A WSGI string as printable ASCII."""
    # WSGI strings carry the request's bytes as latin-1 code points.
    return quote(raw.encode("latin-1", "replace"), safe=PATH_SAFE)


def loggable_path(environ: dict) -> str:
    """SCRIPT_NAME + PATH_INFO as printable ASCII."""
    return printable(environ.get("SCRIPT_NAME", "")
                     + environ.get("PATH_INFO", ""))


class RequestLog(wsgi.Middleware):
    """Log method, path, status, duration, remote address and token use."""

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        start = time.monotonic()
        context.RequestContext(
            request_id=environ.get(request_id.ENV_REQUEST_ID),
            global_request_id=environ.get(request_id.GLOBAL_REQ_ID),
            overwrite=True)
        sent: list = []

        def record(status: str, headers: list, exc_info=None) -> Callable:
            sent.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.application(environ, record)
        finally:
            status = sent[-1].split(" ", 1)[0] if sent else "500"
            LOG.info('%(remote)s "%(method)s %(path)s" status: %(status)s '
                     'time: %(ms).2fms token: %(token)s',
                     {"remote": environ.get("REMOTE_ADDR", "-"),
                      "method": printable(environ.get("REQUEST_METHOD", "-")),
                      "path": loggable_path(environ),
                      "status": status,
                      "ms": (time.monotonic() - start) * 1000,
                      "token": "presented"
                      if environ.get(auth.TOKEN_HEADER) else "absent"})

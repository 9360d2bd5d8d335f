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

"""oslo.middleware's request_id, http_proxy_to_wsgi and sizelimit, unwrapped.

oslo's filters wrap every request in ``webob.dec.wsgify``: a Request and
a Response object per layer, ``inspect.getfullargspec`` per call, and an
oslo.config lookup per request. For the three filters every request passes,
that was most of greeter's cost (see the README's Performance section).
These subclasses keep oslo's options, environ keys, headers and helpers and
only replace ``__call__`` with plain WSGI, reading their options once.
"""

from __future__ import annotations

import collections
import io
import os
import re
from collections.abc import Callable
from collections.abc import Iterable

import webob
import webob.exc
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
from oslo_middleware import sizelimit

from greeter.common import wsgi

_INBOUND_REQUEST_ID = "HTTP_" + request_id.INBOUND_HEADER.upper().replace(
    "-", "_")
_REQUEST_ID_FORMAT = re.compile(request_id.ID_FORMAT)
# A UUID's variant digit (RFC 4122: 8, 9, a or b) for any hex digit.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3]
            for digit in "0123456789abcdef"}


# Request ids made ahead, a batch from one os.urandom call: a system call
# per request was a measurable part of a request's cost in a worker.
# deque.popleft is atomic, so threads never take the same id; a forked
# child drops the ids its parent made, so no two workers share one.
_IDS_PER_BATCH = 256
_ready_ids: collections.deque[str] = collections.deque()
os.register_at_fork(after_in_child=_ready_ids.clear)


def _request_ids(random_bytes: bytes) -> list[str]:
    """oslo.context's ``req-<random UUID>`` for each 16 random bytes."""
    digits = random_bytes.hex()
    return [f"req-{d[:8]}-{d[8:12]}-4{d[13:16]}-{_VARIANT[d[16]]}{d[17:20]}-"
            f"{d[20:32]}"
            for d in (digits[at:at + 32] for at in range(0, len(digits), 32))]


def generate_request_id() -> str:
    """oslo.context's ``req-<random UUID>``, without making a UUID object.

    Same randomness (16 bytes from os.urandom each) and form, at a
    fraction of the cost on every request.
    """
    while True:
        try:
            return _ready_ids.popleft()
        except IndexError:
            _ready_ids.extend(_request_ids(os.urandom(16 * _IDS_PER_BATCH)))


class RequestId(request_id.RequestId):
    """Outermost filter: a request id in the environ and on every response."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        # The response headers that carry the id, and their lower case
        # forms, to see whether a response already has one.
        names = (request_id.HTTP_RESP_HEADER_REQUEST_ID, *self.compat_headers)
        self.id_headers = tuple((name, name.lower()) for name in names)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        inbound = environ.get(_INBOUND_REQUEST_ID)
        if inbound and _REQUEST_ID_FORMAT.match(inbound):
            environ[request_id.GLOBAL_REQ_ID] = inbound
        req_id = generate_request_id()
        environ[request_id.ENV_REQUEST_ID] = req_id
        id_headers = self.id_headers

        def add_request_id(status: str, headers: list, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend((name, req_id) for name, lower in id_headers
                           if lower not in present)
            return start_response(status, headers, exc_info)

        return self.application(environ, add_request_id)


class HTTPProxyToWSGI(http_proxy_to_wsgi.HTTPProxyToWSGI):
    """Take scheme, host and client address from proxy headers, if enabled."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        self.enabled = self._conf_get("enable_proxy_headers_parsing")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        if self.enabled:
            self.process_request(webob.Request(environ))
        return self.application(environ, start_response)


class RequestBodySizeLimiter(sizelimit.RequestBodySizeLimiter):
    """413 for a body over ``[oslo_middleware] max_request_body_size``.

    A body announced with Content-Length is judged by that length. A
    chunked body announces none, and oslo's LimitingReader only counts the
    bytes an app reads: greeter reads none, so an oversized chunked body
    would pass. It is read here instead, at most the limit and one byte
    more: over the limit is a 413 (and the server drops the connection
    rather than read the rest); within it, the app reads the buffered
    bytes as it would have read the socket's.
    """

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        self.max_size = self._conf_get("max_request_body_size")

    def too_large(self, environ: dict) -> webob.exc.HTTPError:
        return wsgi.error(environ, 413, "The request body is larger than "
                          f"{self.max_size} bytes.")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        length = environ.get("CONTENT_LENGTH", "")
        if length.isdigit():
            if int(length) > self.max_size:
                raise self.too_large(environ)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = _read_at_most(environ["wsgi.input"], self.max_size + 1)
            if len(body) > self.max_size:
                raise self.too_large(environ)
            environ["wsgi.input"] = io.BytesIO(body)
        else:
            # Neither: count the bytes as they are read, as oslo does.
            environ["wsgi.input"] = sizelimit.LimitingReader(
                environ["wsgi.input"], self.max_size)
        return self.application(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``: fewer only at its end."""
    parts = []
    while size > 0:
        part = stream.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)

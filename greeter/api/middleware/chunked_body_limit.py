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

"""oslo.middleware's request body size limit, for chunked bodies too.

oslo's ``RequestBodySizeLimiter`` judges a body announced with
Content-Length by that length, and any other body by oslo's
``LimitingReader``, which counts the bytes as the app reads them. A
chunked body announces no length, and greeter's API reads no body: an
oversized chunked body would pass unseen. This filter reads a chunked
body through oslo's ``LimitingReader`` before anything else, at most the
limit and one byte more: over the limit is oslo's 413 (the fault wrapper
gives it greeter's shape, and the server drops the connection rather than
read the rest); within it, the app reads the buffered bytes as it would
have read the socket's. Every other request is left to oslo's filter.

A chunked body gunicorn cannot parse (a chunk size that is not a number,
a chunk without its line end) is a 400 in greeter's error shape, and one
that ends before its last chunk (the client has gone, or timed out) a
400 too, which a client that has gone never reads: the request log's
line says what happened, and no traceback is logged.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from collections.abc import Iterable
from typing import IO

from gunicorn.http import errors as http_errors
from oslo_middleware import sizelimit

from greeter.common import wsgi


class ChunkedBodySizeLimiter(sizelimit.RequestBodySizeLimiter):
    """413 for a body over ``[oslo_middleware] max_request_body_size``."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        self.max_size = self.oslo_conf.oslo_middleware.max_request_body_size

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        # Any default without "chunked" in it is the same default.
        encoding = environ.get("HTTP_TRANSFER_ENCODING",
                               "")  # pragma: no mutate
        if "chunked" in encoding.lower():
            try:
                body = self.read_limited(environ["wsgi.input"])
            except http_errors.ParseException:
                return wsgi.error(environ, 400, "The chunked request body "
                                  "is malformed.")(environ, start_response)
            except OSError:  # the connection closed, reset or timed out
                return wsgi.error(environ, 400, "The request body ended "
                                  "before its last chunk.")(environ,
                                                            start_response)
            environ["wsgi.input"] = io.BytesIO(body)
        return super().__call__(environ, start_response)

    def read_limited(self, stream: IO[bytes]) -> bytes:
        """The whole body; oslo's 413 once it is over the limit."""
        reader = sizelimit.LimitingReader(stream, self.max_size)
        parts = []
        # Never more than one byte past the limit: the reader raises as
        # soon as it has counted that byte.
        while part := reader.read(self.max_size + 1 - reader.bytes_read):
            parts.append(part)
        return b"".join(parts)

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

"""The request body limit: oslo's for a Content-Length, greeter's
ChunkedBodySizeLimiter for a body without one."""

from __future__ import annotations

import io

import pytest
import webob
import webob.exc

from greeter.api.middleware import chunked_body_limit
from tests.fixtures.responses import errors_of


def test_body_over_limit_is_413_in_error_shape(call):
    response = call("/greeting/hello", method="POST",
                    body=b"x" * (114688 + 1))
    assert response.status_int == 413
    assert errors_of(response)[0]["code"] == "greeter.request_too_large"


def chunked_request(body: bytes) -> webob.Request:
    """A request whose body comes chunked: no Content-Length.

    The server marks the input as ending with the body, as gunicorn does
    for a chunked request (PEP 3333's ``wsgi.input_terminated``).
    """
    request = webob.Request.blank("/greeting/hello", headers={
        "X-Auth-Token": "open-sesame", "Transfer-Encoding": "chunked"})
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["wsgi.input_terminated"] = True
    request.environ.pop("CONTENT_LENGTH", None)
    return request


def test_chunked_body_over_the_limit_is_413(app):
    stream = io.BytesIO(b"x" * 200000)
    request = chunked_request(b"")
    request.environ["wsgi.input"] = stream
    response = request.get_response(app)
    assert response.status_int == 413
    assert errors_of(response)[0]["code"] == "greeter.request_too_large"
    # No more than the limit and the byte that shows it is exceeded.
    assert stream.tell() == 114688 + 1


def test_chunked_body_within_the_limit_reaches_the_app(conf):
    seen = []

    def reader(environ, start_response):
        seen.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read"]

    limiter = chunked_body_limit.ChunkedBodySizeLimiter(reader, conf)
    body = b"y" * 114688
    response = chunked_request(body).get_response(limiter)
    assert response.status_int == 200
    assert seen == [body]


def test_body_of_exactly_the_limit_is_accepted(call):
    response = call("/greeting/hello", body=b"x" * 114688)
    assert response.status_int == 200


class Trickle(io.RawIOBase):
    """A body that comes a few bytes per read, as a socket's may."""

    def __init__(self, size: int, piece: int = 1000) -> None:
        self.left, self.piece, self.taken = size, piece, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = min(self.left, self.piece, size if size >= 0 else self.left)
        self.left -= n
        self.taken += n
        return b"t" * n


@pytest.mark.parametrize("size, piece, status", [
    (114688, 1000, 200), (114688 + 1, 1000, 413), (500000, 1000, 413),
    # The whole limit in one read, then the one byte more.
    (500000, 114688, 413)])
def test_chunked_body_arriving_in_pieces(conf, size, piece, status):
    seen = []

    def reader(environ, start_response):
        seen.append(len(environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read"]

    limiter = chunked_body_limit.ChunkedBodySizeLimiter(reader, conf)
    request = chunked_request(b"")
    stream = Trickle(size, piece)
    request.environ["wsgi.input"] = stream
    try:
        got = request.get_response(limiter).status_int
    except webob.exc.HTTPException as exc:
        got = exc.status_code
    assert got == status
    assert stream.taken == min(size, 114688 + 1)
    assert seen == ([size] if status == 200 else [])


def test_body_without_length_or_chunking_is_limited_as_read(conf):
    # Neither Content-Length nor chunked (HTTP/1.0 to EOF, say): oslo's
    # LimitingReader refuses the read past the limit.
    def reader(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read"]

    limiter = chunked_body_limit.ChunkedBodySizeLimiter(reader, conf)
    request = webob.Request.blank("/greeting/hello")
    request.environ["wsgi.input"] = io.BytesIO(b"z" * (114688 + 1))
    request.environ["wsgi.input_terminated"] = True
    request.environ.pop("CONTENT_LENGTH", None)
    assert request.get_response(limiter).status_int == 413
    request.environ["wsgi.input"] = io.BytesIO(b"z" * 114688)
    assert request.get_response(limiter).status_int == 200

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

"""Hostile and malformed requests, over raw sockets to a real greeter-api.

Each gets a 4xx (never a 5xx, never a hang). What reaches greeter's code
is answered in the documented error shape; what gunicorn rejects before
any application code runs (a malformed request line, oversize headers or
URL) gets gunicorn's own 400, as doc/source/reference/api.rst says.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.fixtures.shipped import SHIPPED_TOKEN

TIMEOUT = 10
TOKEN = f"X-Auth-Token: {SHIPPED_TOKEN}\r\n".encode()


def exchange(server, raw: bytes, responses: int = 1) -> list[tuple]:
    """Send ``raw``; read ``responses`` HTTP responses (status, headers,
    body). Fails on a timeout: a hang is a defect."""
    with socket.create_connection(("127.0.0.1", server.port),
                                  timeout=TIMEOUT) as sock:
        sock.sendall(raw)
        buffer = b""
        parsed = []
        while len(parsed) < responses:
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    return parsed + ([(0, {}, buffer)] if buffer else [])
                buffer += chunk
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", 0))
            while len(buffer) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
            body, buffer = buffer[:length], buffer[length:]
            parsed.append((int(status_line.split()[1]), headers, body))
        return parsed


def assert_api_error(response, status: int) -> None:
    got_status, headers, body = response
    assert got_status == status, body
    assert headers["content-type"].startswith("application/json")
    (error,) = json.loads(body)["errors"]
    assert error["status"] == status
    assert error["code"].startswith("greeter.")
    assert error["request_id"] == headers["x-openstack-request-id"]


def get(path: bytes, extra: bytes = TOKEN, version: bytes = b"HTTP/1.1",
        host: bytes = b"Host: localhost\r\n") -> bytes:
    return (b"GET " + path + b" " + version + b"\r\n" + host + extra
            + b"Connection: close\r\n\r\n")


@pytest.mark.parametrize("path", [
    b"/nope", b"/greeting", b"/greeting/hello/extra", b"/greeting/%zz",
    b"/greeting/%ff%fe", b"/greeting/%00", b"/greeting/hello%00",
    b"/..%2f..%2fetc/passwd", b"/greeting/hello;x=1", b"/%e2%82%ac",
])
def test_unknown_and_odd_paths_are_404(greeter, path):
    (response,) = exchange(greeter, get(path))
    assert_api_error(response, 404)


@pytest.mark.parametrize("method", [b"POST", b"PUT", b"DELETE", b"PATCH",
                                    b"OPTIONS", b"TRACE", b"PROPFIND"])
def test_wrong_methods_are_405(greeter, method):
    raw = (method + b" /greeting/hello HTTP/1.1\r\nHost: x\r\n" + TOKEN
           + b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    (response,) = exchange(greeter, raw)
    assert_api_error(response, 405)
    assert response[1]["allow"] == "GET, HEAD"


def test_body_over_the_limit_is_413(greeter):
    raw = (b"POST /greeting/hello HTTP/1.1\r\nHost: x\r\n" + TOKEN
           + b"Content-Length: 10000000\r\nConnection: close\r\n\r\n"
           + b"x" * 1000)
    (response,) = exchange(greeter, raw)
    assert_api_error(response, 413)


MAX_BODY = 114688  # [oslo_middleware] max_request_body_size's default


def chunked(body: bytes, size: int = 16384) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]),
                                         body[i:i + size])
                    for i in range(0, len(body), size))


def test_chunked_body_within_the_limit_is_read_and_served(greeter):
    # The body is read off the connection: the next request on the same
    # connection is parsed where it starts, and answered.
    raw = (b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n" + TOKEN
           + b"Transfer-Encoding: chunked\r\n\r\n"
           + chunked(b"x" * MAX_BODY) + b"0\r\n\r\n"
           + get(b"/greeting/goodbye"))
    first, second = exchange(greeter, raw, responses=2)
    assert first[0] == 200
    assert first[2] == b"Hello, Wilkommen, Phred !!\n"
    assert second[0] == 200
    assert second[2] == b"Good Bye, Wilkommen, Phred !!\n"


def test_chunked_body_over_the_limit_is_413_before_the_rest(greeter):
    # One byte over the limit, and the body never ends: greeter answers
    # 413 having read no more than that, then the connection is closed
    # (the client never said Connection: close).
    with socket.create_connection(("127.0.0.1", greeter.port),
                                  timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n" + TOKEN
                     + b"Transfer-Encoding: chunked\r\n\r\n"
                     + chunked(b"x" * (MAX_BODY + 1)))
        received = b""
        sock.settimeout(30)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), received[:200]
    (error,) = json.loads(body)["errors"]
    assert error["code"] == "greeter.request_too_large"


def lines_after(server, mark: int, request_id: str) -> list[str]:
    """The log's lines since ``mark``, once the request's line is in it
    and anything that would follow it has had time to."""
    server.wait_for_log(request_id)
    time.sleep(0.5)
    return server.log()[mark:].splitlines()


def assert_one_line(server, mark: int, response, status: int) -> None:
    """The request's access line, and no other line (no traceback)."""
    request_id = response[1]["x-openstack-request-id"]
    (line,) = lines_after(server, mark, request_id)
    assert request_id in line and f"status: {status} " in line


@pytest.mark.parametrize("raw", [
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"OPTIONS * HTTP/1.0\r\n\r\n",
    b"CONNECT host:22 HTTP/1.1\r\nHost: host:22\r\n\r\n",
    b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\n" + TOKEN + b"\r\n",
    b"CONNECT x HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_request_target_that_is_not_a_path_is_400(greeter, raw):
    # No token needed: the target is refused before the API's filters.
    mark = len(greeter.log())
    (response,) = exchange(greeter, raw)
    assert_api_error(response, 400)
    assert_one_line(greeter, mark, response, 400)


CHUNKED_POST = (b"POST /greeting/hello HTTP/1.1\r\nHost: x\r\n" + TOKEN
                + b"Transfer-Encoding: chunked\r\n\r\n")


@pytest.mark.parametrize("body", [
    b"zz\r\nabc\r\n0\r\n\r\n",        # a chunk size that is no number
    b"3\r\nabcXY0\r\n\r\n",              # a chunk without its line end
    b"3;a=\"\r\nabc\r\n0\r\n\r\n",       # a broken chunk extension
    b"-3\r\nabc\r\n0\r\n\r\n",
])
def test_malformed_chunked_body_is_400(greeter, body):
    mark = len(greeter.log())
    (response,) = exchange(greeter, CHUNKED_POST + body)
    assert_api_error(response, 400)
    assert_one_line(greeter, mark, response, 400)


def test_chunked_body_cut_short_is_logged_once(greeter):
    # The client stops mid-chunk and closes: no one is left to answer,
    # and the log has the request's line only, with no traceback.
    mark = len(greeter.log())
    with socket.create_connection(("127.0.0.1", greeter.port),
                                  timeout=TIMEOUT) as sock:
        sock.sendall(CHUNKED_POST + b"100\r\nabc")
    greeter.wait_for_log('"POST /greeting/hello" status: 400')
    time.sleep(0.5)
    (line,) = greeter.log()[mark:].splitlines()
    assert '"POST /greeting/hello" status: 400 ' in line


def test_chunked_body_cut_short_by_a_half_close_is_400(greeter):
    # The client stops sending but still listens: it hears why.
    mark = len(greeter.log())
    with socket.create_connection(("127.0.0.1", greeter.port),
                                  timeout=TIMEOUT) as sock:
        sock.sendall(CHUNKED_POST + b"100\r\nabc")
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while data := sock.recv(65536):
            received += data
    head, _, body = received.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in
                   head.decode("latin-1").lower().split("\r\n")[1:])
    assert_api_error((int(head.split()[1]), headers, body), 400)
    assert_one_line(greeter, mark, (0, headers, body), 400)


@pytest.mark.parametrize("accept, status", [
    (b";;;", 200), (b"*/*;q=abc", 200), (b"text/plain;q=0", 406),
    (b"application/json;q=0, text/plain;q=0", 406),
    (b"\xff\xfe", 200), (b"image/png", 406), (b"a" * 4000, 200),
    (b"text/*", 200), (b"application/*;q=0.5, */*;q=0.1", 200),
])
def test_odd_accept_values(greeter, accept, status):
    (response,) = exchange(greeter, get(b"/greeting/hello",
                                        TOKEN + b"Accept: " + accept
                                        + b"\r\n"))
    if status == 200:
        assert response[0] == 200
    else:
        assert_api_error(response, status)


@pytest.mark.parametrize("headers", [
    TOKEN + TOKEN,
    b"X-Auth-Token: \r\n",
    b"X-Auth-Token:\r\n",
    TOKEN + b"X-Auth-Token: wrong\r\n",
    b"X-Auth-Token: " + b"a" * 4000 + b"\r\n",
    b"X-Auth-Token: open-sesame\x00\r\n",
    b"X-Auth-Token: \xffopen-sesame\r\n",
    b"X-Auth_Token: open-sesame\r\n",
])
def test_odd_tokens_are_401(greeter, headers):
    (response,) = exchange(greeter, get(b"/greeting/hello", headers))
    assert response[0] in (400, 401), response
    if response[0] == 401:
        assert_api_error(response, 401)


def test_http10_without_host(greeter):
    (response,) = exchange(greeter, get(b"/greeting/hello",
                                        version=b"HTTP/1.0", host=b""))
    assert response[0] == 200
    assert response[2] == b"Hello, Wilkommen, Phred !!\n"


def test_pipelined_requests_each_answered(greeter):
    one = b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n" + TOKEN + b"\r\n"
    two = b"GET /nope HTTP/1.1\r\nHost: x\r\n" + TOKEN + b"\r\n"
    last = get(b"/greeting/goodbye")
    responses = exchange(greeter, one + two + last, responses=3)
    assert [status for status, _, _ in responses] == [200, 404, 200]
    assert responses[2][2] == b"Good Bye, Wilkommen, Phred !!\n"


@pytest.mark.parametrize("raw, status", [
    (get(b"/greeting/hello", b"X-Big: " + b"a" * 20000 + b"\r\n"), 431),
    (get(b"/greeting/" + b"a" * 10000), 414),
    (get(b"/greeting/hello", b"".join(b"X-%d: a\r\n" % i
                                      for i in range(200))), 431),
    (b"GET /greeting/hello\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /greeting/hello HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    # Raw non-ASCII bytes in the request line (percent-encoded ones reach
    # greeter, which answers 404: see test_unknown_and_odd_paths_are_404).
    (get(b"/greeting/\xff\xfe"), 400),
    (b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
    (b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length: -1\r\n\r\n", 400),
    (b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
])
def test_malformed_http_is_a_4xx_from_gunicorn(greeter, raw, status):
    # gunicorn answers before greeter's code runs (so no request id and
    # not greeter's error shape): never a 5xx, a hang or a silent close.
    (response,) = exchange(greeter, raw)
    got_status, headers, body = response
    assert got_status == status, response
    assert "x-openstack-request-id" not in headers
    assert headers["content-type"].startswith("text/html")


def test_junk_connection_does_not_block_others(greeter):
    """A TLS hello (or any junk with no line end) sent to the plain-HTTP
    port: gunicorn waits for a request line on that connection only."""
    with socket.create_connection(("127.0.0.1", greeter.port),
                                  timeout=TIMEOUT) as junk:
        junk.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                     + b"\x00" * 64)
        (response,) = exchange(greeter, get(b"/greeting/hello"))
        assert response[0] == 200


def test_doubled_slashes_still_reach_the_route(greeter):
    (response,) = exchange(greeter, get(b"//greeting//hello"))
    assert response[0] == 200


def test_service_still_healthy_afterwards(greeter):
    (response,) = exchange(greeter, get(b"/greeting/hello"))
    assert response[0] == 200

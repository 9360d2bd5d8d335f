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


"""No credential a client sends reaches a log, however malformed.

gunicorn answers a request it cannot parse itself, and its line about it
quoted what the client sent: a credential header whose colon was
forgotten (``X-Auth-Token open-sesame``) went to the log whole, twice.
Each credential header greeter or keystonemiddleware reads, sent that
way and other broken ways, to a real greeter-api logging text and one
logging JSON: the value is in no line, and the line saying gunicorn
refused the request is there.
"""

from __future__ import annotations

import itertools
import json
import socket

import pytest

from tests.fixtures.process import CONFIGURED_TOKENS
from tests.fixtures.process import GreeterProcess
from tests.fixtures.waiting import wait_for

TIMEOUT = 10
CREDENTIAL_HEADERS = [b"X-Auth-Token", b"X-Service-Token",
                      b"X-Subject-Token", b"X-Storage-Token",
                      b"Authorization", b"Proxy-Authorization", b"Cookie"]
NUMBERS = itertools.count()


def secret() -> str:
    """A value of its own per request, searched for in every log when the
    session ends too."""
    value = f"hostile-credential-{next(NUMBERS)}-sesame"
    CONFIGURED_TOKENS.add(value)
    return value


def header_without_colon(name: bytes, value: bytes) -> bytes:
    return name + b" " + value


def header_with_bad_name(name: bytes, value: bytes) -> bytes:
    return name + b"\x01: " + value


def folded_header(name: bytes, value: bytes) -> bytes:
    # Obsolete line folding: the value on a continuation line.
    return name + b": Bearer\r\n " + value


def header_with_bare_cr(name: bytes, value: bytes) -> bytes:
    return name + b": " + value + b"\rX-Other: 1"


BREAKAGES = [header_without_colon, header_with_bad_name, folded_header,
             header_with_bare_cr]


@pytest.fixture(scope="module", params=["text", "json"])
def server(request, greeter_logs, tmp_path_factory):
    env = {"OS_DEFAULT__USE_JSON": "true"} if request.param == "json" else {}
    process = GreeterProcess(tmp_path_factory.mktemp("secrets"), env,
                             log_dir=greeter_logs)
    process.start()
    process.use_json = request.param == "json"
    yield process
    process.stop()


def refused(server, line: bytes) -> bytes:
    """Send a request carrying ``line``; gunicorn's answer."""
    with socket.create_connection(("127.0.0.1", server.port),
                                  timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n" + line
                     + b"\r\nConnection: close\r\n\r\n")
        received = b""
        while data := sock.recv(65536):
            received += data
    return received


def refusal_logged(server, mark: int) -> None:
    wait_for(lambda: "Invalid request from ip=127.0.0.1: "
             in server.log()[mark:], what="gunicorn's line")


@pytest.mark.parametrize("breakage", BREAKAGES)
@pytest.mark.parametrize("name", CREDENTIAL_HEADERS)
def test_a_credential_in_a_malformed_header_is_not_logged(server, name,
                                                          breakage):
    value = secret()
    mark = len(server.log())
    answer = refused(server, breakage(name, value.encode()))
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    refusal_logged(server, mark)
    lines = server.log()[mark:].splitlines()
    assert value not in server.log()
    (line,) = [line for line in lines if "Invalid request" in line]
    if server.use_json:
        record = json.loads(line)
        assert record["name"] == "gunicorn.error"
        assert record["message"].startswith(
            "Invalid request from ip=127.0.0.1: ")
        assert record["error_summary"] == ""
    else:
        assert " gunicorn.error [-] Invalid request from ip=127.0.0.1: " \
            in line


def test_a_credential_in_the_request_line_is_not_logged(server):
    value = secret()
    mark = len(server.log())
    with socket.create_connection(("127.0.0.1", server.port),
                                  timeout=TIMEOUT) as sock:
        # A raw byte that is not ASCII: gunicorn refuses the whole line.
        sock.sendall(b"GET /greeting/hello?token=" + value.encode()
                     + b"\xff HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 400 ")
    refusal_logged(server, mark)
    assert value not in server.log()

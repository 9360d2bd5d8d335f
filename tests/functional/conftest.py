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

"""A real greeter-api process on a loopback port of its own, over real HTTP."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
import requests

from tests.conftest import SHIPPED_CONF
from tests.conftest import SHIPPED_TOKEN

T = TypeVar("T")

# Generous: on a loaded machine start-up and the first answers can be slow;
# every wait polls for its condition and returns as soon as it holds.
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
# Every token any greeter-api of the session was configured with: none of
# them may appear in any log line (checked when the session ends).
CONFIGURED_TOKENS = {SHIPPED_TOKEN}
# gunicorn's line naming the address it bound (port 0: the kernel chose).
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def wait_for(condition: Callable[[], T], timeout: float = START_TIMEOUT,
             what: str = "the condition",
             interval: float = 0.05) -> T:
    """Poll ``condition`` until it returns something true; return that.

    Fails after ``timeout`` seconds, naming ``what`` it waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for "
                                 f"{what}")
        time.sleep(interval)


def listening_port(log: Callable[[], str]) -> int | None:
    """The port in gunicorn's "Listening at" line, once it is logged."""
    found = LISTENING.search(log())
    return int(found.group(1)) if found else None


def greeter_api_command() -> list[str]:
    """The installed console script, as a user would run it."""
    script = shutil.which("greeter-api",
                          path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "greeter.cmd.api"]


class GreeterProcess:
    """greeter-api started with the shipped config plus ``env`` overrides.

    It binds port 0, so the kernel picks a free port and no other process
    can take it between choosing and binding; the port is read from
    gunicorn's "Listening at" line. Its stdout and stderr go to a log file
    of its own in ``log_dir`` (read with ``log()``).
    """

    def __init__(self, workdir: pathlib.Path, env: dict | None = None,
                 args: list[str] | None = None,
                 log_dir: pathlib.Path | None = None) -> None:
        self.port: int | None = None
        self.url = ""
        self.drain_file = workdir / "drain"
        handle, name = tempfile.mkstemp(prefix="greeter-api-", suffix=".log",
                                        dir=log_dir or workdir)
        os.close(handle)
        self.log_path = pathlib.Path(name)
        self.env = {
            **os.environ,
            "OS_API__BIND_HOST": "127.0.0.1",
            "OS_API__BIND_PORT": "0",
            "OS_HEALTHCHECK__DISABLE_BY_FILE_PATH": str(self.drain_file),
            **(env or {}),
        }
        CONFIGURED_TOKENS.update(
            token for token in self.env.get("OS_AUTH__TOKENS", "").split(",")
            if token)
        self.args = args if args is not None else [
            "--config-file", str(SHIPPED_CONF)]
        self.process: subprocess.Popen | None = None

    def startup_log(self) -> str:
        """Where gunicorn's "Listening at" line is: stdout, or log_file."""
        log_file = self.env.get("OS_DEFAULT__LOG_FILE")
        if log_file and os.path.exists(log_file):
            return pathlib.Path(log_file).read_text(errors="replace")
        return self.log()

    def start(self) -> GreeterProcess:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                greeter_api_command() + self.args, env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

        def running_port() -> int | None:
            if self.process.poll() is not None:
                raise RuntimeError(f"greeter-api exited: {self.log()}")
            return listening_port(self.startup_log)

        try:
            self.port = wait_for(running_port, what="greeter-api to bind")
            self.url = f"http://127.0.0.1:{self.port}"
            wait_for(self.healthy, what="/healthcheck to answer 200")
        except AssertionError:
            raise RuntimeError(f"greeter-api did not start: {self.log()}"
                               ) from None
        return self

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"greeter-api exited: {self.log()}")
        try:
            return requests.get(self.url + "/healthcheck",
                                timeout=REQUEST_TIMEOUT).status_code == 200
        except requests.ConnectionError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = START_TIMEOUT) -> str:
        """The log, once ``text`` is in it (lines are written after the
        response may already have reached the client)."""
        return wait_for(lambda: text in self.log() and self.log(), timeout,
                        f"{text!r} in {self.log_path.name}")

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
        server = GreeterProcess(tmp_path, env, args, log_dir=greeter_logs)
        started.append(server)
        return server.start()

    yield _start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def greeter(greeter_logs, tmp_path_factory):
    """One greeter-api with the shipped configuration, for a module."""
    server = GreeterProcess(tmp_path_factory.mktemp("greeter"),
                            log_dir=greeter_logs)
    server.start()
    yield server
    server.stop()

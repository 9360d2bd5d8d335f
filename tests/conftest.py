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

"""The fixtures every suite shares, registered once: the parsed shipped
configuration, and real greeter-api processes (tests/fixtures/process.py)
whose logs are searched for tokens when the session ends."""

from __future__ import annotations

import pathlib
import shutil

import pytest
from oslo_config import cfg

from greeter.common import config
from tests.fixtures.process import CONFIGURED_TOKENS
from tests.fixtures.process import Config
from tests.fixtures.process import GreeterProcess
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_CONF

# Programs from the OS that the tests in a folder run, and how to get
# them. tox installs everything else (httpie included).
REQUIRED_PROGRAMS = {
    "functional": {"curl": "apt-get install curl"},
    "docker": {"curl": "apt-get install curl",
               "docker": "apt-get install docker.io"},
}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop before the first test if a program the tests run is missing.

    One line naming the program and its package reads better than a
    FileNotFoundError deep inside a test.
    """
    if session.config.option.collectonly:
        return
    folders = {item.path.relative_to(REPO / "tests").parts[0]
               for item in session.items
               if item.path.is_relative_to(REPO / "tests")}
    missing = {
        f"{program} is not installed (tests/{folder} run it): {how}"
        for folder in folders
        for program, how in REQUIRED_PROGRAMS.get(folder, {}).items()
        if shutil.which(program) is None}
    if missing:
        pytest.exit("\n".join(sorted(missing)),
                    returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture
def conf(tmp_path):
    """cfg.CONF parsed from the shipped greeter.conf, cleared afterwards.

    oslo.middleware's filters read cfg.CONF, so the tests use it too.
    """
    conf = cfg.CONF
    config.parse_args(conf, ["--config-file", str(SHIPPED_CONF)])
    conf.set_override("disable_by_file_path", str(tmp_path / "drain"),
                      group="healthcheck")
    yield conf
    conf.reset()
    conf.clear()


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

    def _start(env: dict | None = None, args: list[str] | None = None,
               config: Config | None = None) -> GreeterProcess:
        server = GreeterProcess(tmp_path, env, args, log_dir=greeter_logs,
                                config=config)
        started.append(server)
        return server.start()

    yield _start
    for server in started:
        server.stop()


@pytest.fixture
def start_server(start_greeter):
    """Start greeter-api on a ``Config`` of the test's own, which the test
    rewrites before sending SIGHUP; stopped after the test."""
    def _start(config: Config, env: dict | None = None,
               args: tuple[str, ...] = ()) -> GreeterProcess:
        return start_greeter(env, list(args), config=config)

    return _start


@pytest.fixture(scope="module")
def greeter(greeter_logs, tmp_path_factory):
    """One greeter-api with the shipped configuration, for a module."""
    server = GreeterProcess(tmp_path_factory.mktemp("greeter"),
                            log_dir=greeter_logs)
    server.start()
    yield server
    server.stop()

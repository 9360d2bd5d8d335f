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

"""Fixtures shared by the unit and functional tests."""

from __future__ import annotations

import pathlib
import shutil

import pytest
from oslo_config import cfg

from greeter.common import config

REPO = pathlib.Path(__file__).resolve().parent.parent
ETC = REPO / "etc" / "greeter"
SHIPPED_CONF = ETC / "greeter.conf"
SHIPPED_TOKEN = "open-sesame"  # the shipped demo token

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

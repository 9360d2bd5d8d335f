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

"""The worked example of "Make it your own", applied to a copy of greeter.

doc/source/contributor/welcome-endpoint.patch is what the guide shows,
step by step; here it is applied to a copy of the tree, the tests it
touches run there, and greeter-api from the copy serves the new
endpoint. A guide that no longer matches the code fails this test.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest
import requests

from tests.fixtures.process import listening_port
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT
from tests.fixtures.waiting import wait_for

PATCH = REPO / "doc" / "source" / "contributor" / "welcome-endpoint.patch"
# Not copied: environments, caches and build output.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".tox", "node_modules", "build", "__pycache__", ".*_cache",
    "*.egg-info")
# The tests the patch changes or makes necessary (the samples are
# current, the OpenAPI description names every route).
TESTS = [
    "tests/unit/api/v1/test_greetings.py",
    "tests/unit/test_policy.py",
    "tests/unit/common/test_config.py",
    "tests/functional/test_openapi.py::test_description_names_every_route",
]


@pytest.fixture(scope="module")
def your_own(tmp_path_factory) -> pathlib.Path:
    """A copy of the tree with the guide's patch applied."""
    tree = tmp_path_factory.mktemp("make-it-your-own") / "greeter"
    shutil.copytree(REPO, tree, ignore=NOT_COPIED)
    result = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", str(PATCH)], cwd=tree,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, (
        f"{PATCH.relative_to(REPO)} no longer applies: make the change "
        f"on a copy and regenerate it with git diff.\n{result.stderr}")
    return tree


def in_copy(tree: pathlib.Path) -> dict[str, str]:
    """An environment that imports greeter from ``tree``, not the
    installed one."""
    return {**os.environ, "PYTHONPATH": str(tree),
            "PYTHONDONTWRITEBYTECODE": "1"}


def test_tests_pass_with_the_worked_example(your_own):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider",
         *TESTS], cwd=your_own, env=in_copy(your_own), capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # The patch's own tests ran, against the copy.
    assert "test_greetings_as_text[/greeting/welcome" in result.stdout
    assert "test_welcome_is_for_readers[roles0-True] PASSED" in result.stdout


def test_greeter_api_serves_the_new_endpoint(your_own, tmp_path):
    log_path = tmp_path / "greeter-api.log"
    env = {**in_copy(your_own), "OS_API__BIND_HOST": "127.0.0.1",
           "OS_API__BIND_PORT": "0", "OS_API__WORKERS": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "greeter.cmd.api", "--config-file",
             str(your_own / "etc" / "greeter" / "greeter.conf")],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        def bound() -> int | None:
            assert process.poll() is None, log_path.read_text()
            return listening_port(log_path.read_text)

        port = wait_for(bound, what="greeter-api to bind")
        url = f"http://127.0.0.1:{port}/greeting/welcome"
        response = requests.get(url, headers={"X-Auth-Token": SHIPPED_TOKEN},
                                timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.text == "Welcome, Wilkommen, Phred !!\n"
        assert requests.get(url, timeout=REQUEST_TIMEOUT).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

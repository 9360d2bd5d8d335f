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

"""The repository as a whole: every source file carries the Apache
licence header (hacking's H102; empty files, a package's ``__init__.py``,
need none, as in hacking), and the test run names a missing OS program at
once (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fixtures.shipped import REPO

SOURCES = sorted(
    path for folder in ("greeter", "tests", "benchmarks", "tools")
    for path in (REPO / folder).rglob("*.py")
    if "node_modules" not in path.parts)
HEADER = 'Licensed under the Apache License, Version 2.0 (the "License")'


@pytest.mark.parametrize("path", SOURCES,
                         ids=[str(p.relative_to(REPO)) for p in SOURCES])
def test_source_file_has_the_licence_header(path):
    text = path.read_text()
    if text.strip():
        assert HEADER in text[:400], f"{path.relative_to(REPO)} has no " \
                                     "Apache licence header"



def run_pytest(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """pytest in a child whose PATH holds no program at all."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=REPO, env={**os.environ, "PATH": str(empty)},
        capture_output=True, text=True, timeout=120, check=False)


def test_functional_tests_without_curl_stop_with_one_line(tmp_path):
    result = run_pytest(tmp_path, "tests/functional/test_api.py")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout
    assert ("curl is not installed (tests/functional run it): "
            "apt-get install curl") in result.stdout
    assert "FileNotFoundError" not in result.stdout
    assert " passed" not in result.stdout


def test_unit_tests_need_no_program(tmp_path):
    result = run_pytest(tmp_path, "tests/unit/api/middleware/test_fault.py")
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "not installed" not in result.stdout

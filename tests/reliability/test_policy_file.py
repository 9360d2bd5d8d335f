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

"""policy.yaml is configuration: checked at start-up and on SIGHUP, and
read at no other time, against a real greeter-api.

The token callers are readers and members (``[auth] token_roles``), so
with the rules in code both greetings answer 200. Each server starts
with a policy file that forbids goodbye: an answer of 200 to goodbye
means that override was lost.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import time

import pytest

from tests.fixtures.process import Config
from tests.fixtures.process import assert_one_line_error
from tests.fixtures.process import get
from tests.fixtures.process import start_up
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.waiting import wait_for

FORBID_GOODBYE = '"greeting:goodbye": "!"\n'


def undefined_rule(path: pathlib.Path) -> str:
    path.write_text('"greeting:hello": "rule:no_such_rule"\n')
    return "['greeting:hello'] reference a rule that is not defined"


def invalid_yaml(path: pathlib.Path) -> str:
    path.write_text('"greeting:hello": [unclosed\n')
    return "while parsing a flow sequence"


def unparsable_rule(path: pathlib.Path) -> str:
    path.write_text('"greeting:hello": "role:reader and ("\n')
    return ("rule 'greeting:hello': Failed to understand rule "
            "role:reader and (")


def removed(path: pathlib.Path) -> str:
    path.unlink()
    return f"[oslo_policy] policy_file = '{path}': not found"


BREAKAGES = [undefined_rule, invalid_yaml, unparsable_rule, removed]


def answers(server, tries: int = 8) -> set[tuple[int, int]]:
    """(hello, goodbye) statuses over several requests: with two
    workers, each is likely to answer some."""
    return {(get(server).status_code,
             get(server, path="/greeting/goodbye").status_code)
            for _ in range(tries)}


def policy_config(tmp_path: pathlib.Path) -> tuple[Config, pathlib.Path]:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(FORBID_GOODBYE)
    config = Config(tmp_path)
    config.set("oslo_policy", "policy_file", str(policy_file)).write()
    return config, policy_file


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_broken_policy_file_stops_start_up(tmp_path, breakage):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(FORBID_GOODBYE)
    reason = breakage(policy_file)
    result = start_up(tmp_path, "--config-file", str(SHIPPED_CONF),
                      OS_OSLO_POLICY__POLICY_FILE=str(policy_file))
    assert_one_line_error(result, "[oslo_policy] policy_file")
    assert reason in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_broken_policy_file_on_sighup_keeps_the_previous_rules(
        start_server, tmp_path, breakage):
    config, policy_file = policy_config(tmp_path)
    server = start_server(config, {"OS_API__WORKERS": "2"})
    workers = server.settled(2)
    assert answers(server) == {(200, 403)}

    reason = breakage(policy_file)
    mark = server.hup()
    error = server.wait_for_line(mark, "Reload failed")
    time.sleep(1)  # time for anything that would follow to follow
    refusal = error.partition(
        " Reload failed, still serving the previous configuration: ")[2]
    assert refusal.startswith(
        reason if breakage is removed
        else f"[oslo_policy] policy_file {policy_file}: ")
    assert reason in refusal
    new_lines = server.log_since(mark).splitlines()
    assert [line for line in new_lines if " ERROR " in line] == [error]
    assert "Traceback" not in server.log_since(mark)
    assert answers(server) == {(200, 403)}
    # A worker started now has the previous rules too.
    os.kill(workers[0], signal.SIGKILL)
    server.replaced(workers[:1], 2)
    assert answers(server) == {(200, 403)}
    # Nothing else went wrong (but the worker killed above).
    assert [line for line in server.log_since(mark).splitlines()
            if " ERROR " in line and "was sent SIGKILL" not in line
            ] == [error]


@pytest.mark.parametrize("breakage", [*BREAKAGES, None])
def test_policy_file_changes_nothing_without_sighup(start_server, tmp_path,
                                                    breakage):
    """Broken (or valid: None), the file is not read until a SIGHUP."""
    config, policy_file = policy_config(tmp_path)
    server = start_server(config, {"OS_API__WORKERS": "2"})
    server.settled(2)
    assert answers(server) == {(200, 403)}
    mark = len(server.log())
    if breakage is None:
        policy_file.write_text('"greeting:hello": "!"\n')
    else:
        breakage(policy_file)
    stat = os.stat(config.path)  # a later mtime, whatever the clock says
    if policy_file.exists():
        os.utime(policy_file, ns=(stat.st_atime_ns,
                                  stat.st_mtime_ns + 2 * 10**9))
    time.sleep(1.5)
    assert answers(server, tries=16) == {(200, 403)}
    later = server.log_since(mark)
    assert " ERROR " not in later and " WARNING " not in later
    assert "Traceback" not in later
    if breakage is None:
        # The change is configuration: a SIGHUP applies it.
        mark = server.hup()
        server.wait_for_line(mark, "Reloaded the configuration")
        # The new file no longer forbids goodbye.
        wait_for(lambda: answers(server) == {(403, 200)},
                 "the new rules to apply")


def test_policy_rule_typo_warns(start_server, tmp_path):
    config, policy_file = policy_config(tmp_path)
    policy_file.write_text(FORBID_GOODBYE + '"greeting:helo": "!"\n')
    server = start_server(config)
    warning = ("WARNING greeter.policy [-] "
               f"{policy_file}: policy rule 'greeting:helo' is not one of "
               "greeter's rules (did you mean 'greeting:hello'?); it "
               "guards nothing")
    assert warning in server.log()
    # A rule that other rules use is no typo.
    policy_file.write_text('"greeting:goodbye": "rule:nobody"\n'
                           '"nobody": "!"\n')
    mark = server.hup()
    server.wait_for_line(mark, "Reloaded the configuration")
    assert "guards nothing" not in server.log_since(mark)
    # On reload as at start-up.
    policy_file.write_text(FORBID_GOODBYE + '"greeting:godbye": "!"\n')
    mark = server.hup()
    server.wait_for_line(mark, "Reloaded the configuration")
    assert "policy rule 'greeting:godbye' is not one of greeter's rules " \
           "(did you mean 'greeting:goodbye'?)" in server.log_since(mark)
    assert answers(server) == {(200, 403)}


def test_policy_file_error_is_json_with_use_json(tmp_path):
    policy_file = tmp_path / "policy.yaml"
    reason = unparsable_rule(policy_file)
    result = start_up(tmp_path, "--config-file", str(SHIPPED_CONF),
                      OS_OSLO_POLICY__POLICY_FILE=str(policy_file),
                      OS_DEFAULT__USE_JSON="true")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert reason in json.loads(line)["message"]

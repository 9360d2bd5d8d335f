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

"""SIGHUP with logging options that cannot work, on a real greeter-api.

oslo.log's set-up fails on them only when it runs (a log file in a
directory that does not exist, a missing ``log_config_append`` file, an
unknown syslog facility): the reload must fail as any other broken
configuration does, with one error line in the log as it was, and the
old configuration still serving.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.process import NEW_BODY
from tests.fixtures.process import OLD_BODY
from tests.fixtures.process import Config
from tests.fixtures.process import get
from tests.fixtures.waiting import wait_for


def _log_file_in_a_missing_directory(config: Config) -> str:
    missing = config.path.parent / "no-such-directory" / "greeter.log"
    config.set("DEFAULT", "log_file", str(missing))
    return f"No such file or directory: '{missing}'"


def _missing_log_config_append(config: Config) -> str:
    missing = config.path.parent / "no-such-logging.conf"
    config.set("DEFAULT", "log_config_append", str(missing))
    return f"Error loading logging config {missing}"


def _unknown_syslog_facility(config: Config) -> str:
    config.set("DEFAULT", "use_syslog", "true")
    config.set("DEFAULT", "syslog_log_facility", "LOG_NO_SUCH_FACILITY")
    return "syslog facility must be one of"


def _is_error(line: str, use_json: bool) -> bool:
    if use_json:
        return json.loads(line)["levelname"] == "ERROR"
    return " ERROR " in line


@pytest.mark.parametrize("use_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("breakage", [
    _log_file_in_a_missing_directory, _missing_log_config_append,
    _unknown_syslog_facility])
def test_broken_logging_option_changes_nothing_until_fixed(
        start_server, tmp_path, breakage, use_json):  # noqa: F811
    config = Config(tmp_path)
    if use_json:
        config.set("DEFAULT", "use_json", "true").write()
    server = start_server(config, {"OS_API__WORKERS": "1"})
    workers = server.settled(1)
    wait_for(lambda: "Booting worker" in server.log(), "the worker to boot")

    config.set("greeting", "name", "Reloaded")
    expected = breakage(config)
    config.write()
    mark = server.hup()
    error = server.wait_for_line(mark, "Reload failed")
    time.sleep(1)  # time for anything that would follow to follow
    assert get(server).text == OLD_BODY.decode()
    # Logging still works as it did: the request just served is logged.
    wait_for(lambda: "GET /greeting/hello" in server.log_since(mark),
             "the request's line")
    lines = server.log_since(mark).splitlines()
    assert [line for line in lines if _is_error(line, use_json)] == [error]
    assert "still serving the previous configuration: cannot set up " \
        "logging: " in error
    assert expected in error
    assert "Traceback" not in server.log_since(mark)
    if use_json:
        for line in server.log().splitlines():
            json.loads(line)
    assert server.process.poll() is None
    assert server.worker_pids() == workers
    assert len([line for line in server.log().splitlines()
                if "Booting worker" in line]) == 1

    # Fixed, and reloaded: the new configuration applies.
    fixed = Config(tmp_path)
    fixed.set("greeting", "name", "Reloaded")
    if use_json:
        fixed.set("DEFAULT", "use_json", "true")
    fixed.write()
    mark = server.hup()
    server.wait_for_line(mark, "Reloaded the configuration")
    wait_for(lambda: get(server).text == NEW_BODY.decode(),
             "the new greeting")

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

"""Start-up errors that say what is wrong, where it was set, and why.

One line each: the option, the value, where the value came from (the
environment variable or the file) and the rule it breaks; and a paste
file greeter cannot load, named with the fault.
"""

from __future__ import annotations

import json

from tests.fixtures.process import assert_one_line_error
from tests.fixtures.process import start_up
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import SHIPPED_CONF


def test_bad_value_in_the_environment_names_the_variable(tmp_path):
    assert_one_line_error(
        start_up(tmp_path, OS_API__WORKERS="0"),
        "[api] workers = '0' from the environment variable OS_API__WORKERS "
        "is not valid: Should be greater than or equal to 1")


def test_environment_is_blamed_not_the_file_that_also_sets_it(tmp_path):
    # The shipped greeter.conf sets bind_port too; the environment wins,
    # and its value is the bad one.
    assert "bind_port = 8004" in SHIPPED_CONF.read_text()
    result = start_up(tmp_path, "--config-file", str(SHIPPED_CONF),
                      OS_API__BIND_PORT="99999")
    assert_one_line_error(
        result, "[api] bind_port = '99999' from the environment variable "
        "OS_API__BIND_PORT is not valid: Should be less than or equal to "
        "65535")
    assert "greeter.conf" not in result.stderr


def test_bad_value_in_a_file_names_the_file(tmp_path):
    extra = tmp_path / "workers.conf"
    extra.write_text("[api]\nworkers = 0\n")
    assert_one_line_error(
        start_up(tmp_path, "--config-file", str(SHIPPED_CONF),
                 "--config-file", str(extra)),
        f"[api] workers = '0' from {extra} is not valid: Should be greater "
        "than or equal to 1")


def test_bad_value_in_a_config_dir_file_names_that_file(tmp_path):
    conf_d = tmp_path / "greeter.conf.d"
    conf_d.mkdir()
    (conf_d / "50-class.conf").write_text("[api]\nworker_class = eventlet\n")
    assert_one_line_error(
        start_up(tmp_path, "--config-file", str(SHIPPED_CONF),
                 "--config-dir", str(conf_d)),
        f"[api] worker_class = 'eventlet' from {conf_d / '50-class.conf'} "
        "is not valid: Valid values are [sync, gthread]")


def test_paste_file_without_a_section_header(tmp_path):
    paste = tmp_path / "api-paste.ini"
    paste.write_text("pipeline = request_id apiv1\n")
    assert_one_line_error(
        start_up(tmp_path, OS_PASTE_DEPLOY__CONFIG_FILE=str(paste)),
        f"{paste}: line 1: 'pipeline = request_id apiv1' comes before any "
        "[section] header")


def test_paste_file_naming_a_factory_that_does_not_exist(tmp_path):
    paste = tmp_path / "api-paste.ini"
    paste.write_text((ETC / "api-paste.ini").read_text().replace(
        "StaticTokenAuth.factory", "StaticTokenAuth.no_such_factory"))
    assert_one_line_error(
        start_up(tmp_path, OS_PASTE_DEPLOY__CONFIG_FILE=str(paste)),
        "[filter:auth] paste.filter_factory = "
        "greeter.api.middleware.static_token_auth:"
        "StaticTokenAuth.no_such_factory: "
        "greeter.api.middleware.static_token_auth has no "
        "attribute 'StaticTokenAuth.no_such_factory'")


def test_with_use_json_the_error_line_is_json_too(tmp_path):
    result = start_up(tmp_path, OS_API__WORKERS="0",
                      OS_DEFAULT__USE_JSON="true")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["levelname"] == "CRITICAL"
    assert record["message"].startswith(
        "greeter-api: error: [api] workers = '0' from the environment "
        "variable OS_API__WORKERS")
    assert result.stdout == ""


def _file_that_does_not_parse(tmp_path):
    """A config file with a token whose "=" was forgotten (the line is a
    secret); the file, and what the error line must say."""
    secret = "SuperSecret-Token-123"  # nosec B105
    conf = tmp_path / "greeter.conf"
    conf.write_text(SHIPPED_CONF.read_text() + f"[auth]\ntokens {secret}\n")
    number = len(conf.read_text().splitlines())
    return secret, conf, (f"{conf}, line {number}: No ':' or '=' found in "
                          "assignment (the line is not shown: it may hold "
                          "a secret)")


def test_a_line_that_does_not_parse_is_located_not_shown(tmp_path):
    secret, conf, expected = _file_that_does_not_parse(tmp_path)
    result = start_up(tmp_path, "--config-file", str(conf),
                      OS_DEFAULT__USE_JSON="false")
    assert secret not in result.stderr + result.stdout
    assert_one_line_error(result, expected)


def test_a_line_that_does_not_parse_is_json_with_use_json(tmp_path):
    # oslo.config stops before it has read any option when a file does
    # not parse: use_json comes from the environment then.
    secret, conf, expected = _file_that_does_not_parse(tmp_path)
    result = start_up(tmp_path, "--config-file", str(conf),
                      OS_DEFAULT__USE_JSON="true")
    assert secret not in result.stderr + result.stdout
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["levelname"] == "CRITICAL"
    assert record["message"] == f"greeter-api: error: {expected}"
    assert result.stdout == ""

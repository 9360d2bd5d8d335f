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

"""greeter-api's one start-up error line, plain or JSON."""

from __future__ import annotations

import json

import pytest
from oslo_config import cfg

from greeter.cmd import api
from greeter.common import exception

ERROR = exception.ConfigError("[api] workers: must be at least 1")


@pytest.fixture(autouse=True)
def no_use_json_variable(monkeypatch):
    monkeypatch.delenv(api.USE_JSON_VARIABLE, raising=False)


def test_plain_line(conf):
    assert api.error_line(conf, ERROR) == \
        "greeter-api: error: [api] workers: must be at least 1"


def test_json_line_with_use_json(conf):
    conf.set_override("use_json", True)
    record = json.loads(api.error_line(conf, ERROR))
    assert record["message"] == \
        "greeter-api: error: [api] workers: must be at least 1"
    assert record["levelname"] == "CRITICAL"
    assert record["name"] == "greeter-api"


def test_plain_line_when_logging_options_are_not_registered():
    # The error came before oslo.log's options were registered.
    assert api.error_line(cfg.ConfigOpts(), ERROR) == \
        "greeter-api: error: [api] workers: must be at least 1"


def test_json_line_from_the_environment_when_no_option_was_read(
        monkeypatch):
    # A config file that does not parse: oslo.config read no option.
    monkeypatch.setenv(api.USE_JSON_VARIABLE, "true")
    record = json.loads(api.error_line(cfg.ConfigOpts(), ERROR))
    assert record["message"] == \
        "greeter-api: error: [api] workers: must be at least 1"


@pytest.mark.parametrize("value", ["false", "0", "maybe", ""])
def test_plain_line_when_the_environment_says_no_or_nonsense(
        monkeypatch, value):
    monkeypatch.setenv(api.USE_JSON_VARIABLE, value)
    assert api.error_line(cfg.ConfigOpts(), ERROR) == \
        "greeter-api: error: [api] workers: must be at least 1"

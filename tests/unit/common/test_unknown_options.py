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

"""Names in the config files that no registered option has."""

from __future__ import annotations

import logging

import pytest

from greeter.common import config
from greeter.common import unknown_options
from tests.fixtures.shipped import SHIPPED_CONF


@pytest.fixture
def warnings_for(conf, tmp_path, caplog):
    """The warnings for ``text`` in a second config file."""

    def _warnings(text: str) -> list[str]:
        extra = tmp_path / "extra.conf"
        extra.write_text(text)
        conf.clear()
        config.parse_args(conf, ["--config-file", str(SHIPPED_CONF),
                                 "--config-file", str(extra)])
        # oslo.log's set-up (in parse_args) drops the root's handlers.
        logging.getLogger().addHandler(caplog.handler)
        caplog.clear()
        caplog.set_level(logging.WARNING)
        unknown_options.warn(conf)
        return [record.getMessage().replace(f"{extra}: ", "", 1)
                for record in caplog.records]

    return _warnings


def test_known_names_give_no_warning(warnings_for):
    assert warnings_for(
        "[DEFAULT]\ndebug = true\nuse_json = false\n"
        "[Greeting]\nname = Bob\n"          # section names in any case
        "[oslo_policy]\npolicy_file = policy.yaml\n"
        "[oslo_middleware]\nenable_proxy_headers_parsing = true\n"
        "[healthcheck]\nbackends = disable_by_file\n") == []


def test_deprecated_names_are_known(warnings_for, tmp_path):
    # oslo.log's old name for log_dir (which applies with log_file only).
    assert warnings_for(f"[DEFAULT]\nlogdir = {tmp_path}\n") == []


def test_misspelt_names_are_warned_of_with_the_name_meant(warnings_for):
    assert warnings_for(
        "[greeting]\nnmae = Bob\ntokens = x\nzzz = 1\n"
        "[greetings]\nname = Bob\n[qqq]\n") == [
        "[greeting] nmae is not an option greeter knows (did you mean "
        "'name'?); it is ignored",
        "[greeting] tokens is not an option greeter knows (it is an "
        "option of [auth]); it is ignored",
        "[greeting] zzz is not an option greeter knows; it is ignored",
        "[greetings] is not a section greeter knows (did you mean "
        "[greeting]?); its options are ignored",
        "[qqq] is not a section greeter knows; its options are ignored"]


def test_keystone_section_is_not_read_by_other_strategies(warnings_for):
    assert warnings_for("[keystone_authtoken]\nanything = 1\n") == []


def test_a_long_name_is_cut(warnings_for):
    (warning,) = warnings_for("[greeting]\n" + "x" * 500 + " = 1\n")
    assert "x" * unknown_options.MAX_NAME + "... is not" in warning
    assert "x" * (unknown_options.MAX_NAME + 1) not in warning

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

"""Tests of greeter/common/log_setup.py: oslo.log set up again, or put back."""

from __future__ import annotations

import logging

import pytest

from greeter.common import exception
from greeter.common import log_setup


@pytest.mark.parametrize("option, value, expected", [
    ("log_file", "/no-such-directory/greeter.log", r"\[Errno 2\] No such"),
    ("log_config_append", "/no-such-logging.conf",
     "Error loading logging config"),
    ("syslog_log_facility", "LOG_NO_SUCH", "syslog facility must be"),
])
def test_logging_that_cannot_be_set_up_is_put_back(conf, option, value,
                                                   expected):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    conf.set_override("use_syslog", option == "syslog_log_facility")
    conf.set_override(option, value)
    with pytest.raises(exception.ConfigError,
                       match=f"^cannot set up logging: {expected}"):
        log_setup.set_up_again(conf, ["amqp=WARN"])
    assert root.handlers == handlers
    assert root.level == level
    assert logging.getLogger("amqp").level == logging.WARN


def test_logging_set_up_again_closes_the_handlers_it_replaced(conf,
                                                              tmp_path):
    conf.set_override("log_file", str(tmp_path / "one.log"))
    log_setup.set_up_again(conf, [])
    (first,) = logging.getLogger().handlers
    conf.set_override("log_file", str(tmp_path / "two.log"))
    log_setup.set_up_again(conf, [])
    assert first.stream is None  # closed
    conf.clear_override("log_file")
    log_setup.set_up_again(conf, [])

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

"""A configuration that cannot work stops start-up: one clear line, exit 1."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.fixtures.process import assert_one_line_error
from tests.fixtures.process import start_up
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN


def test_missing_config_file(tmp_path):
    assert_one_line_error(
        start_up(tmp_path, "--config-file", str(tmp_path / "absent.conf")),
        "absent.conf")


@pytest.mark.parametrize("variable, value, expected", [
    ("OS_API__BIND_PORT", "eighty", "bind_port"),
    ("OS_API__BIND_PORT", "70000", "bind_port"),
    ("OS_API__WORKERS", "0", "workers"),
    ("OS_API__WORKER_CLASS", "eventlet", "worker_class"),
    ("OS_AUTH__STRATEGY", "maybe", "strategy"),
])
def test_bad_option_value(tmp_path, variable, value, expected):
    assert_one_line_error(start_up(tmp_path, **{variable: value}), expected)


def test_bad_value_in_config_file(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(SHIPPED_CONF.read_text() + "\n[api]\nkeepalive = x\n")
    paste = SHIPPED_CONF.parent / "api-paste.ini"
    assert_one_line_error(
        start_up(tmp_path, "--config-file", str(conf),
                 OS_PASTE_DEPLOY__CONFIG_FILE=str(paste)), "keepalive")


def test_no_token_configured_fails_closed(tmp_path):
    assert_one_line_error(start_up(tmp_path, OS_AUTH__TOKENS=""),
                          "no token is configured")


def test_unreadable_token_file(tmp_path):
    assert_one_line_error(
        start_up(tmp_path, OS_AUTH__TOKENS="",
                 OS_AUTH__TOKEN_FILE=str(tmp_path / "missing")),
        "cannot read [auth] token_file")


def test_token_file_is_a_directory(tmp_path):
    assert_one_line_error(
        start_up(tmp_path, OS_AUTH__TOKEN_FILE=str(tmp_path)),
        "cannot read [auth] token_file")


def test_missing_paste_file(tmp_path):
    assert_one_line_error(
        start_up(tmp_path, OS_PASTE_DEPLOY__CONFIG_FILE="nowhere.ini"),
        "nowhere.ini")


@pytest.mark.parametrize("content, expected", [
    ("[pipeline:main]\npipeline = nosuchfilter\n", "nosuchfilter"),
    ("[app:main]\npaste.app_factory = greeter.nosuch:API.factory\n",
     "greeter.nosuch"),
])
def test_broken_paste_file(tmp_path, content, expected):
    paste = tmp_path / "api-paste.ini"
    paste.write_text(content)
    assert_one_line_error(
        start_up(tmp_path, OS_PASTE_DEPLOY__CONFIG_FILE=str(paste)),
        expected)


def test_port_in_use(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert_one_line_error(start_up(tmp_path,
                                       OS_API__BIND_PORT=str(port)),
                              "already in use")


UNKNOWN = "greeter knows"  # in each warning of a name greeter does not know


def test_misspelt_names_warn_and_start(start_greeter, tmp_path):
    conf = tmp_path / "greeter.conf"
    conf.write_text(SHIPPED_CONF.read_text() + "[greeting]\nnmae = Bob\n"
                    "tokens = x\n[greetings]\nname = Bob\n")
    server = start_greeter(
        args=["--config-file", str(conf)],
        env={"OS_PASTE_DEPLOY__CONFIG_FILE": str(ETC / "api-paste.ini")})
    log = server.log()
    for warning in [
            f"{conf}: [greeting] nmae is not an option greeter knows (did "
            "you mean 'name'?); it is ignored",
            f"{conf}: [greeting] tokens is not an option greeter knows (it "
            "is an option of [auth]); it is ignored",
            f"{conf}: [greetings] is not a section greeter knows (did you "
            "mean [greeting]?); its options are ignored"]:
        (line,) = [line for line in log.splitlines() if warning in line]
        assert " WARNING greeter.common.unknown_options " in line
    answer = requests.get(server.url + "/greeting/hello", timeout=10,
                          headers={"X-Auth-Token": SHIPPED_TOKEN})
    assert answer.text == "Hello, Wilkommen, Phred !!\n"


def test_shipped_configuration_names_nothing_unknown(start_greeter):
    assert UNKNOWN not in start_greeter().log()


@pytest.mark.parametrize("auth_type_from", ["file", "environment"])
def test_keystone_sections_options_are_known(start_greeter, tmp_path,
                                             auth_type_from):
    """auth_token's options and its auth plugin's are known, the plugin
    named in the file or (as compose does) in the environment; a typo
    among them is not."""
    auth_type = "auth_type = password\n" if auth_type_from == "file" else ""
    conf = tmp_path / "keystone.conf"
    conf.write_text(
        "[auth]\nstrategy = keystone\n"
        "[keystone_authtoken]\n"
        "www_authenticate_uri = http://127.0.0.1:9/v3\n"
        f"{auth_type}auth_url = http://127.0.0.1:9/v3\n"
        "username = greeter\npassword = keystone-secret\n"
        "user_domain_name = Default\nproject_name = service\n"
        "project_domain_name = Default\ninterface = public\n"
        "usrname = greeter\n")
    env = ({} if auth_type_from == "file"
           else {"OS_KEYSTONE_AUTHTOKEN__AUTH_TYPE": "password"})
    server = start_greeter(env=env,
                           args=["--config-file", str(SHIPPED_CONF),
                                 "--config-file", str(conf)])
    (line,) = [line for line in server.log().splitlines() if UNKNOWN in line]
    assert line.endswith(
        f"{conf}: [keystone_authtoken] usrname is not an option greeter "
        "knows (did you mean 'username'?); it is ignored")

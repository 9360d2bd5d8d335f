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

"""greeter-api with no arguments, as installed: the package's demo.

The installed console script runs from an empty directory, with a home of
its own, so nothing but the package can supply its configuration.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import requests
from oslo_config import cfg

from greeter.common import config
from tests.fixtures.process import GreeterProcess
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT


@pytest.mark.parametrize("name", ["greeter.conf", "api-paste.ini"])
def test_package_demo_is_a_copy_of_etc(name):
    packaged = pathlib.Path(config.DEMO_CONFIG_DIR) / name
    assert packaged.read_text() == (ETC / name).read_text(), (
        f"{packaged.relative_to(REPO)} differs from "
        f"{(ETC / name).relative_to(REPO)}: copy the one you edited "
        "over the other")


@pytest.fixture
def no_config_anywhere(tmp_path, monkeypatch):
    """An empty working directory and home; none in /etc either."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    if cfg.find_config_files("greeter", "greeter-api"):
        pytest.skip("this machine has a greeter.conf in /etc")
    workdir = tmp_path / "empty"
    workdir.mkdir()
    monkeypatch.chdir(workdir)


def test_no_arguments_serve_the_packaged_demo_on_loopback(
        no_config_anywhere, greeter_logs, tmp_path):
    server = GreeterProcess(tmp_path, args=[], log_dir=greeter_logs)
    # Only the port is chosen here: the address is the demo's own.
    del server.env["OS_API__BIND_HOST"]
    server.start()
    try:
        # start() reads the port from "Listening at: http://127.0.0.1:".
        response = requests.get(server.url + "/greeting/hello",
                                headers={"X-Auth-Token": SHIPPED_TOKEN},
                                timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200
        assert response.text == "Hello, Wilkommen, Phred !!\n"
        log = server.wait_for_log("serving the demo configuration in")
    finally:
        server.stop()
    # The demo of the package greeter-api runs, wherever it is installed
    # (site-packages; the checkout only for a develop install), never a
    # folder found from the working directory.
    demo_dir = log.split("serving the demo configuration in ", 1)[1]
    demo_dir = pathlib.Path(demo_dir.split(",", 1)[0])
    installed = subprocess.run(
        [sys.executable, "-c",
         "import greeter, os; print(os.path.dirname(greeter.__file__))"],
        cwd=tmp_path, capture_output=True, text=True, check=True)
    assert demo_dir == pathlib.Path(installed.stdout.strip()) / "etc"


def test_config_file_given_is_used_instead_of_the_demo(
        no_config_anywhere, start_greeter, tmp_path):
    conf = tmp_path / "mine.conf"
    conf.write_text("[greeting]\nname = Wilma\n"
                    f"[paste_deploy]\nconfig_file = {ETC / 'api-paste.ini'}\n")
    server = start_greeter(env={"OS_AUTH__STRATEGY": "noauth"},
                           args=["--config-file", str(conf)])
    response = requests.get(server.url + "/greeting/hello",
                            timeout=REQUEST_TIMEOUT)
    assert response.text == "Hello, Howdy, Wilma !!\n"
    assert "demo configuration" not in server.log()


@pytest.mark.parametrize("given", ["--config-file", "--config-dir"])
def test_a_configuration_given_replaces_the_demo(conf, no_config_anywhere,
                                                 tmp_path, given):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "mine.conf").write_text("[greeting]\nname = Wilma\n")
    path = mine / "mine.conf" if given == "--config-file" else mine
    conf.clear()
    config.parse_args(conf, [given, str(path)],
                      fallback_config_files=config.demo_config_files())
    assert conf.greeting.name == "Wilma"
    assert conf.greeting.greeting == "Howdy"  # the default, not the demo's
    assert conf.api.bind_host == "0.0.0.0"  # the default, not loopback


def test_no_configuration_reads_the_demo_then_loopback(
        conf, no_config_anywhere):
    conf.clear()
    config.parse_args(conf, [],
                      fallback_config_files=config.demo_config_files())
    assert conf.config_file == config.demo_config_files()
    assert (conf.greeting.greeting, conf.api.bind_host) == \
        ("Wilkommen", "127.0.0.1")


def test_an_empty_config_dir_given_is_not_replaced_by_the_demo(
        conf, no_config_anywhere, tmp_path):
    conf.clear()
    config.parse_args(conf, ["--config-dir", str(tmp_path)],
                      fallback_config_files=config.demo_config_files())
    assert conf.config_file == []
    assert conf.greeting.greeting == "Howdy"

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

"""Options, the sample config, and start-up failures that must be clear."""

from __future__ import annotations

import logging
import py_compile
import re
import subprocess
import sys

import pytest

from greeter.api.middleware import static_token_auth
from greeter.common import config
from greeter.common import exception
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN


def test_defaults_are_the_seeds(conf, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.greeter/greeter.conf
    conf.clear()
    config.parse_args(conf, [])
    assert (conf.greeting.name, conf.greeting.greeting) == \
        ("Johnny", "Howdy")
    assert conf.api.bind_port == 8004
    assert conf.auth.strategy == "token"
    assert conf.api.public_endpoint is None


def test_config_file_found_in_the_projects_search_path(conf, monkeypatch,
                                                       tmp_path):
    # oslo looks for greeter.conf in ~/.greeter/, ~/, /etc/greeter/, /etc/.
    (tmp_path / ".greeter").mkdir()
    (tmp_path / ".greeter" / "greeter.conf").write_text(
        "[greeting]\nname = Homer\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    conf.clear()
    config.parse_args(conf, [])
    assert conf.project == "greeter"
    assert conf.greeting.name == "Homer"


def test_shipped_config(conf):
    assert (conf.greeting.name, conf.greeting.greeting) == \
        ("Phred", "Wilkommen")


def test_environment_overrides_files(conf, monkeypatch):
    conf.clear()
    monkeypatch.setenv("OS_GREETING__NAME", "Bob")
    config.parse_args(conf, ["--config-file", str(ETC / "greeter.conf")])
    assert conf.greeting.name == "Bob"


def test_tokens_are_masked_when_options_are_logged(conf, caplog):
    caplog.set_level(logging.DEBUG)
    conf.log_opt_values(logging.getLogger("test"), logging.DEBUG)
    assert re.search(r"auth\.tokens +=  ?\*\*\*\*", caplog.text)
    assert SHIPPED_TOKEN not in caplog.text


@pytest.mark.parametrize("content", [
    b"# comment\n\nfirst\n  second  \n  # old-token\n\t#tabbed\n",
    # Written on Windows: CRLF line ends and a UTF-8 byte-order mark.
    b"\xef\xbb\xbf# comment\r\n\r\nfirst\r\n  second  \r\n"
    b"  # old-token\r\n",
    b"\xef\xbb\xbffirst\r\nsecond",
])
def test_token_file_lines(conf, tmp_path, content):
    token_file = tmp_path / "tokens"
    token_file.write_bytes(content)
    conf.set_override("tokens", [], group="auth")
    conf.set_override("token_file", str(token_file), group="auth")
    assert static_token_auth.load_tokens(conf) == ["first", "second"]


def _auth_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == static_token_auth.__name__
            and record.levelno == logging.WARNING]


def test_demo_token_is_warned_about(conf, caplog):
    caplog.set_level(logging.WARNING)
    config.load_paste_app(conf)
    (warning,) = _auth_warnings(caplog)
    assert warning == (
        "[auth] accepts greeter's published demo token: anyone who has "
        "read greeter's README can call this API. Replace it ([auth] "
        "tokens, [auth] token_file) outside a demo.")
    assert SHIPPED_TOKEN not in caplog.text


def test_demo_token_in_token_file_is_warned_about(conf, caplog, tmp_path):
    token_file = tmp_path / "tokens"
    token_file.write_text("a-real-secret\n" + SHIPPED_TOKEN + "\n")
    conf.set_override("tokens", [], group="auth")
    conf.set_override("token_file", str(token_file), group="auth")
    caplog.set_level(logging.WARNING)
    config.load_paste_app(conf)
    assert "demo token" in " ".join(_auth_warnings(caplog))


def test_no_demo_warning_for_other_tokens(conf, caplog):
    conf.set_override("tokens", ["a-real-secret"], group="auth")
    caplog.set_level(logging.WARNING)
    config.load_paste_app(conf)
    assert _auth_warnings(caplog) == []


@pytest.mark.parametrize("make, reason", [
    (lambda path: None, "No such file or directory"),
    (lambda path: path.mkdir(), "Is a directory"),
    (lambda path: path.write_bytes(b"\xff\xfe not UTF-8\n"),
     "UnicodeDecodeError"),
])
def test_unreadable_token_file_is_a_config_error(conf, tmp_path, make,
                                                 reason):
    path = tmp_path / "tokens"
    make(path)
    conf.set_override("token_file", str(path), group="auth")
    with pytest.raises(exception.ConfigError) as raised:
        static_token_auth.load_tokens(conf)
    assert str(raised.value) == \
        f"cannot read [auth] token_file {path}: {reason}"


def test_token_strategy_without_tokens_fails_closed(conf):
    conf.set_override("tokens", [], group="auth")
    with pytest.raises(exception.ConfigError) as raised:
        config.load_paste_app(conf)
    assert str(raised.value) == (
        "[auth] strategy = token but no token is configured: set "
        "[auth] tokens or [auth] token_file")


def test_noauth_is_warned_about(conf, caplog):
    conf.set_override("strategy", "noauth", group="auth")
    caplog.set_level(logging.WARNING)
    config.load_paste_app(conf)
    assert _auth_warnings(caplog) == [
        "[auth] strategy = noauth: the API is open to anyone who can "
        "reach it"]


def test_missing_paste_file_is_a_config_error(conf):
    conf.set_override("config_file", "absent.ini", group="paste_deploy")
    with pytest.raises(exception.ConfigError) as raised:
        config.load_paste_app(conf)
    assert str(raised.value) == (
        "paste config 'absent.ini' not found (set [paste_deploy] "
        "config_file, or put it beside the config file)")


def test_paste_file_naming_a_missing_filter_is_a_config_error(conf,
                                                              tmp_path):
    paste = tmp_path / "api-paste.ini"
    paste.write_text("[pipeline:main]\npipeline = nosuchfilter\n")
    conf.set_override("config_file", str(paste), group="paste_deploy")
    with pytest.raises(exception.ConfigError) as raised:
        config.load_paste_app(conf)
    assert str(raised.value).startswith(f"{paste}: ")
    assert "nosuchfilter" in str(raised.value)


@pytest.mark.parametrize("section, key", [
    ("app:main", "paste.app_factory"),
    ("composite:main", "paste.composite_factory"),
    ("filter:f", "paste.filter_factory"),
    ("filter-app:f", "paste.filter_app_factory"),
])
def test_paste_file_naming_a_missing_factory_is_a_config_error(
        conf, tmp_path, section, key):
    # Each way paste names a factory is resolved by the check.
    paste = tmp_path / "api-paste.ini"
    spec = "greeter.api.strategy:no_such_factory"
    paste.write_text(f"[{section}]\n{key} = {spec}\n")
    with pytest.raises(exception.ConfigError) as raised:
        config.check_paste_file(str(paste))
    assert str(raised.value) == (
        f"{paste}: [{section}] {key} = {spec}: greeter.api.strategy has "
        "no attribute 'no_such_factory'")


def test_paste_file_naming_a_missing_module_is_a_config_error(conf,
                                                              tmp_path):
    paste = tmp_path / "api-paste.ini"
    spec = "no_such_package.api:factory"
    paste.write_text(f"[app:main]\npaste.app_factory = {spec}\n")
    conf.set_override("config_file", str(paste), group="paste_deploy")
    with pytest.raises(exception.ConfigError) as raised:
        config.load_paste_app(conf)
    assert str(raised.value) == (
        f"{paste}: [app:main] paste.app_factory = {spec}: no module named "
        "'no_such_package'")


def test_factory_module_failing_to_import_is_not_a_config_error(
        conf, tmp_path, monkeypatch):
    # A module that is there but whose own import fails is a bug in it,
    # not a mistake in the paste file: its ImportError goes on.
    source = tmp_path / "broken_factories.py"
    source.write_text("import no_such_dependency\n")
    py_compile.compile(str(source), cfile=str(tmp_path /
                                              "broken_factories.pyc"))
    source.unlink()
    monkeypatch.syspath_prepend(str(tmp_path))
    paste = tmp_path / "api-paste.ini"
    paste.write_text("[app:main]\npaste.app_factory = "
                     "broken_factories:factory\n")
    conf.set_override("config_file", str(paste), group="paste_deploy")
    with pytest.raises(ImportError) as raised:
        config.load_paste_app(conf)
    assert raised.value.name == "no_such_dependency"


def test_paste_file_given_by_absolute_path(conf):
    conf.set_override("config_file", str(ETC / "api-paste.ini"),
                      group="paste_deploy")
    assert config.paste_config_path(conf) == str(ETC / "api-paste.ini")


def test_start_up_error_is_one_line_and_exit_status_1(conf, tmp_path):
    from greeter.cmd import api

    conf.reset()
    conf.clear()
    missing = tmp_path / "absent.conf"
    with pytest.raises(SystemExit) as raised:
        api.main(["--config-file", str(missing)])
    # sys.exit with a message: printed on stderr, exit status 1.
    assert raised.value.code == (
        "greeter-api: error: Failed to find some config files: "
        f"{missing}")


def test_module_runs_as_a_script(tmp_path):
    # python -m greeter.cmd.api is greeter-api too.
    missing = tmp_path / "absent.conf"
    result = subprocess.run(
        [sys.executable, "-m", "greeter.cmd.api", "--config-file",
         str(missing)], capture_output=True, text=True, timeout=120,
        cwd=REPO)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "greeter-api: error: Failed to find some config files: "
        f"{missing}")


def test_config_files_from_env(monkeypatch):
    monkeypatch.setenv("OS_GREETER_CONFIG_FILES", "/a.conf::/b.conf:")
    assert config.config_files_from_env() == ["/a.conf", "/b.conf"]
    monkeypatch.delenv("OS_GREETER_CONFIG_FILES")
    assert config.config_files_from_env() is None


def test_sample_config_is_current(tmp_path):
    """Fails when an option changed and `tox -e genconfig` was not run."""
    generated = tmp_path / "greeter.conf.sample"
    subprocess.run(
        [sys.executable, "-m", "oslo_config.generator", "--config-file",
         str(ETC / "greeter-config-generator.conf"), "--output-file",
         str(generated)], check=True, cwd=REPO)
    assert generated.read_text() == \
        (ETC / "greeter.conf.sample").read_text(), \
        "etc/greeter/greeter.conf.sample is stale: run tox -e genconfig"


def test_token_strategy_does_not_load_keystonemiddleware():
    # Checking the paste file reads the keystone pipeline's factory rather
    # than importing it: keystonemiddleware and its clients would be a
    # third of every worker's memory.
    code = (
        "import sys\n"
        "from oslo_config import cfg\n"
        "from greeter.common import config\n"
        f"config.parse_args(cfg.CONF, ['--config-file', "
        f"{str(SHIPPED_CONF)!r}])\n"
        "config.load_paste_app(cfg.CONF)\n"
        "print(sorted(m for m in sys.modules if m.startswith('keystone')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, check=True, cwd=REPO)
    assert result.stdout.splitlines()[-1] == "[]", result.stdout

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

"""greeter.common.options: reading every option back, and the readable
errors a bad value or an unparsable file gives."""

from __future__ import annotations

import logging

import pytest
from oslo_config import cfg

from greeter.common import config
from greeter.common import exception
from greeter.common import options
from tests.fixtures.records import Records


def read_all_error(conf: cfg.ConfigOpts, *files) -> str:
    """The ConfigError text of reading every option of ``conf`` as parsed
    from ``files``."""
    conf([arg for path in files for arg in ("--config-file", str(path))])
    return read_error(conf)


def read_error(conf: cfg.ConfigOpts) -> str:
    """The ConfigError text of reading every option of ``conf``."""
    with pytest.raises(exception.ConfigError) as caught:
        options.read_all(conf)
    return str(caught.value)


def test_bad_value_blames_the_last_file_that_sets_it(tmp_path):
    first, second = tmp_path / "first.conf", tmp_path / "second.conf"
    first.write_text("[api]\nworkers = 0\n")
    second.write_text("[api]\nworkers = -1\n")
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    assert read_all_error(conf, first, second) == (
        f"[api] workers = '-1' from {second} is not valid: Should be "
        "greater than or equal to 1")


def test_secret_bad_value_is_masked(tmp_path):
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.IntOpt("pin", secret=True), group="vault")
    path = tmp_path / "vault.conf"
    path.write_text("[vault]\npin = not-a-number-1234\n")
    message = read_all_error(conf, path)
    # oslo.config's rule quotes the value: masked there too.
    assert message == (
        f"[vault] pin = **** from {path} is not valid: invalid literal for "
        "int() with base 10: '****'")


def test_rule_quoting_a_value_that_is_not_secret_keeps_it(tmp_path):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    path = tmp_path / "greeter.conf"
    path.write_text("[api]\nworker_class = fast\n")
    message = read_all_error(conf, path)
    assert message == (
        f"[api] worker_class = 'fast' from {path} is not valid: Valid "
        "values are [sync, gthread], but found 'fast'")


def test_bad_value_blames_a_file_even_after_an_earlier_one_went(tmp_path):
    # A file read at start-up and gone since cannot say what it set: the
    # files after it still can.
    first, second = tmp_path / "first.conf", tmp_path / "second.conf"
    first.write_text("[api]\nworkers = 2\n")
    second.write_text("[api]\nworkers = 0\n")
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf(["--config-file", str(first), "--config-file", str(second)])
    first.unlink()
    assert read_error(conf) == (
        f"[api] workers = '0' from {second} is not valid: Should be "
        "greater than or equal to 1")


@pytest.mark.parametrize("secret", [False, True])
def test_bad_value_under_a_deprecated_name_keeps_oslo_configs_words(
        tmp_path, secret):
    # No file sets the option by its own name, nor a variable: oslo.config
    # says where the value came from, greeter only names the option (and
    # masks a secret's message whole: it quotes the value).
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.IntOpt("pin", deprecated_name="code",
                                 secret=secret), group="vault")
    path = tmp_path / "vault.conf"
    path.write_text("[vault]\ncode = not-a-number-1234\n")
    message = read_all_error(conf, path)
    if secret:
        assert message == "[vault] pin: ****"
    else:
        assert message.startswith(
            "[vault] pin: Value for option pin from ")
        assert str(path) in message
        assert message.endswith(
            "invalid literal for int() with base 10: 'not-a-number-1234'")


def test_reference_to_no_option_is_named(tmp_path):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    path = tmp_path / "greeter.conf"
    path.write_text("[greeting]\nname = $nosuch\n")
    message = read_all_error(conf, path)
    assert message == (
        "[greeting] name: no such option nosuch in group [DEFAULT]")


def test_unparsable_file_is_a_config_error(tmp_path):
    conf = cfg.ConfigOpts()
    path = tmp_path / "greeter.conf"
    path.write_text("[api]\nworkers = 2\n")
    conf(["--config-file", str(path)])
    path.write_text("no section\n")
    oslo_records = Records()
    logging.getLogger("oslo_config.cfg").addHandler(oslo_records)
    try:
        with pytest.raises(exception.ConfigError) as caught:
            options.reread_files(conf)
    finally:
        logging.getLogger("oslo_config.cfg").removeHandler(oslo_records)
    # oslo.config's reason is the error, not a warning line of its own;
    # where the line is, not the line, which may hold a secret.
    assert str(caught.value).startswith(f"{path}, line 1: ")
    assert "no section" not in str(caught.value)
    assert oslo_records.records == []


def test_unparsable_file_with_oslo_config_quieted(tmp_path):
    # An operator's default_log_levels can quiet oslo.config, and its
    # reason with it: the error still says what failed.
    conf = cfg.ConfigOpts()
    path = tmp_path / "greeter.conf"
    path.write_text("[api]\nworkers = 2\n")
    conf(["--config-file", str(path)])
    path.write_text("no section\n")
    oslo_log = logging.getLogger("oslo_config.cfg")
    level = oslo_log.level
    oslo_log.setLevel(logging.ERROR)
    try:
        with pytest.raises(exception.ConfigError) as caught:
            options.reread_files(conf)
    finally:
        oslo_log.setLevel(level)
    assert str(caught.value) == "the config files cannot be read"


def test_changes_lists_changed_and_ignores_new_options():
    name = options.Option("greeting", "name", cfg.StrOpt("name"))
    token = options.Option("auth", "tokens",
                           cfg.ListOpt("tokens", secret=True))
    added = options.Option("new", "thing", cfg.StrOpt("thing"))
    assert options.changes(
        {name: "a", token: ["x"]},
        {name: "b", token: ["y"], added: "z"}) == [
        "[greeting] name = 'b' (was 'a')", "[auth] tokens (secret)"]
    # A new option read before the others (its group sorts first) hides
    # none of their changes.
    assert options.changes(
        {name: "a", token: ["x"]},
        {added: "z", name: "b", token: ["y"]}) == [
        "[greeting] name = 'b' (was 'a')", "[auth] tokens (secret)"]
    assert options.changes({name: "a"}, {name: "a"}) == []


def test_config_files_lists_config_dir_files_in_order(tmp_path):
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    for name in ("20-b.conf", "10-a.conf", "ignored.txt"):
        (conf_d / name).write_text("[DEFAULT]\n")
    main = tmp_path / "main.conf"
    main.write_text("[DEFAULT]\n")
    conf = cfg.ConfigOpts()
    conf(["--config-file", str(main), "--config-dir", str(conf_d)])
    assert options.config_files(conf) == [
        str(main), str(conf_d / "10-a.conf"), str(conf_d / "20-b.conf")]


def test_options_of_no_group_are_named_as_oslo_config_names_them():
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.BoolOpt("verbose_greetings", default=True))
    conf([])
    (option,) = [option for option in options.registered(conf)
                 if option.name == "verbose_greetings"]
    assert str(option) == "[DEFAULT] verbose_greetings"
    assert option.variable == "OS_DEFAULT__VERBOSE_GREETINGS"
    assert options.read_all(conf)[option] is True

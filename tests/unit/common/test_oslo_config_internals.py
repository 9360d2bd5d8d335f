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

"""oslo.config's private names greeter reads: still there, still doing
what greeter needs, and read nowhere else.

Each failure names the private name an oslo.config release changed and
what of greeter's depends on it.
"""

from __future__ import annotations

import contextlib
import pathlib
import re

import pytest
from oslo_config import cfg

from greeter.common import oslo_config_internals as internals

PACKAGE = pathlib.Path(internals.__file__).resolve().parent.parent
# A private attribute read off a ConfigOpts (conf, self.conf, cfg.CONF).
PRIVATE_ACCESS = re.compile(r"\bconf\._\w+", re.IGNORECASE)


def changed(name: str) -> str:
    return (f"oslo.config's ConfigOpts.{name} no longer behaves as greeter "
            f"needs: {internals.PRIVATE_NAMES[name]}")


@contextlib.contextmanager
def needs(name: str):
    """Any error inside is reported as a change of ``name``."""
    try:
        yield
    except Exception as exc:
        pytest.fail(f"{changed(name)} ({type(exc).__name__}: {exc})")


@pytest.mark.parametrize("name", sorted(internals.PRIVATE_NAMES))
def test_each_private_name_is_there(name):
    assert hasattr(cfg.ConfigOpts(), name), (
        f"oslo.config no longer has ConfigOpts.{name}: "
        f"{internals.PRIVATE_NAMES[name]}")


def test_registered_opt_is_the_opt_registered():
    conf = cfg.ConfigOpts()
    top = cfg.StrOpt("top")
    inner = cfg.StrOpt("inner", secret=True)
    conf.register_opt(top)
    conf.register_opt(inner, group="vault")
    with needs("_get_opt_info"):
        found = (internals.registered_opt(conf, "top"),
                 internals.registered_opt(conf, "inner", "vault"))
    assert found[0] is top and found[1] is inner, changed("_get_opt_info")
    # greeter tells a group's name from [DEFAULT]'s options by this.
    with pytest.raises(cfg.NoSuchOptError):
        internals.registered_opt(conf, "vault")


def test_restored_files_are_read_again(tmp_path):
    path = tmp_path / "greeter.conf"
    path.write_text("[greeting]\nname = before\n")
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.StrOpt("name"), group="greeting")
    conf(["--config-file", str(path)])
    with needs("_namespace"):
        before = internals.parsed_files(conf)
    path.write_text("[greeting]\nname = after\n")
    assert conf.reload_config_files()
    # Read, and so converted and kept, from the new files.
    assert conf.greeting.name == "after"
    assert internals.parsed_files(conf) is not before, (
        "reload_config_files changes the parsed files in place: "
        + changed("_namespace"))
    with needs("_ConfigOpts__cache"):
        internals.restore_parsed_files(conf, before)
    assert conf.greeting.name == "before", (
        changed("_namespace") + "; or " + changed("_ConfigOpts__cache"))


def test_every_private_name_read_is_listed():
    source = pathlib.Path(internals.__file__).read_text()
    read = {access.partition(".")[2]
            for access in PRIVATE_ACCESS.findall(source)}
    assert read == set(internals.PRIVATE_NAMES)


def test_no_other_module_reads_oslo_configs_private_names():
    readers = {
        str(path.relative_to(PACKAGE.parent)): PRIVATE_ACCESS.findall(
            path.read_text())
        for path in PACKAGE.rglob("*.py")
        if path.name != pathlib.Path(internals.__file__).name}
    assert {path: names for path, names in readers.items() if names} == {}, \
        "read oslo.config's private names in oslo_config_internals only"

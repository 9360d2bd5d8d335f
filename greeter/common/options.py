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

"""Every registered option at once: read and checked, compared, re-read.

oslo.config converts a value when something first asks for it, so a bad
value surfaces wherever some code happens to read it, with a message that
names an internal ``LocationInfo`` (and, for a bad value in the
environment that a file also sets, blames the file). ``read_all`` reads
every option that is registered, those a paste factory registered while
building the pipeline included, and turns a bad one into one line naming
the option, the value, where it came from and the rule it breaks.

``reread_files`` is the first half of a reload: the config files (and
``--config-dir``) read again, with a way back when the new configuration
turns out not to work.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from oslo_config import cfg

from greeter.common import exception
from greeter.common import oslo_config_internals

DEFAULT_GROUP = "DEFAULT"
MASK = "****"


@dataclass(frozen=True)
class Option:
    """A registered option: its group ("DEFAULT" for none) and name."""

    group: str
    name: str
    opt: cfg.Opt = field(compare=False, repr=False)

    def __str__(self) -> str:
        return f"[{self.group}] {self.name}"

    @property
    def variable(self) -> str:
        """The environment variable that sets it (oslo.config's rule)."""
        return f"OS_{self.group.upper()}__{self.name.upper()}"

    def shown(self, value: Any) -> str:
        return MASK if self.opt.secret else repr(value)


def registered(conf: cfg.ConfigOpts) -> Iterator[Option]:
    """Every option registered on ``conf``, whoever registered it:
    ``[DEFAULT]``'s first, then each group's, each sorted by name."""
    groups = []
    # Iterating conf gives [DEFAULT]'s options and the groups' names.
    for name in sorted(conf):
        try:
            opt = oslo_config_internals.registered_opt(conf, name)
        except cfg.NoSuchOptError:
            groups.append(name)
            continue
        yield Option(DEFAULT_GROUP, name, opt)
    for group in groups:
        for name in sorted(conf[group]):
            yield Option(group, name, oslo_config_internals.registered_opt(
                conf, name, group))


def _value(conf: cfg.ConfigOpts, option: Option) -> Any:
    if option.group == DEFAULT_GROUP:
        return conf[option.name]
    return conf[option.group][option.name]


def config_files(conf: cfg.ConfigOpts) -> list[str]:
    """The files read, in order: --config-file, then --config-dir's."""
    files = list(conf.config_file or [])
    directories = conf.config_dir or []
    if isinstance(directories, str):  # older oslo.config: only one
        directories = [directories]
    for directory in directories:
        files.extend(sorted(glob.glob(os.path.join(directory, "*.conf"))))
    return files


def _file_setting(conf: cfg.ConfigOpts,
                  option: Option) -> tuple[str, str] | None:
    """(file, raw value) of the last file that sets ``option``."""
    found = None
    for path in config_files(conf):
        sections: dict = {}
        try:
            cfg.ConfigParser(path, sections).parse()
        except (OSError, cfg.ParseError):
            continue
        values = sections.get(option.group, {}).get(option.name)
        if values:
            found = (path, values[-1])
    return found


def _bad_value(conf: cfg.ConfigOpts, option: Option,
               error: cfg.ConfigSourceValueError) -> str:
    # oslo.config's message ends with the rule the value breaks (which
    # may quote the value).
    rule = str(error).rpartition(" is not valid: ")[2]
    if option.variable in os.environ:
        value = os.environ[option.variable]
        source = f"the environment variable {option.variable}"
    else:
        setting = _file_setting(conf, option)
        if setting is None:
            return f"{option}: {MASK if option.opt.secret else error}"
        source, value = setting
    if option.opt.secret and value:
        rule = rule.replace(value, MASK)
    return f"{option} = {option.shown(value)} from {source} is not " \
           f"valid: {rule}"


def read_all(conf: cfg.ConfigOpts) -> dict[Option, Any]:
    """Every registered option's value; ConfigError for the first bad one."""
    values = {}
    for option in registered(conf):
        try:
            values[option] = _value(conf, option)
        except cfg.ConfigSourceValueError as exc:
            raise exception.ConfigError(
                _bad_value(conf, option, exc)) from None
        except cfg.Error as exc:  # e.g. a $reference to nothing
            raise exception.ConfigError(f"{option}: {exc}") from None
    return values


def changes(before: dict[Option, Any],
            after: dict[Option, Any]) -> list[str]:
    """What differs between two readings, secrets masked."""
    changed = []
    for option, value in after.items():
        if option not in before:
            continue  # registered since (by a paste factory): not a change
        if before[option] != value:
            if option.opt.secret:
                changed.append(f"{option} (secret)")
            else:
                changed.append(f"{option} = {value!r} "
                               f"(was {before[option]!r})")
    return changed


def parse_failure(error: cfg.ConfigFileParseError) -> str:
    """Where and why a config file does not parse, without the line.

    oslo.config's message quotes the line whole, and a line that does not
    parse may well hold a secret (``tokens SuperSecret``, its ``=``
    forgotten): the file and line number say where it is instead.
    """
    try:
        cfg.ConfigParser(error.config_file, {}).parse()
    except cfg.ParseError as exc:
        return (f"{error.config_file}, line {exc.lineno}: {exc.msg} (the "
                "line is not shown: it may hold a secret)")
    except OSError as exc:
        return f"{error.config_file}: {exc.strerror}"
    return f"{error.config_file}: does not parse"


class _Reason(logging.Filter):
    """Keeps oslo.config's reason a reload failed, instead of its line."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.args[0] if record.args else None
        if isinstance(error, cfg.ConfigFileParseError):
            self.reason = parse_failure(error)
        elif error is not None:
            self.reason = str(error)
        else:
            self.reason = record.getMessage()
        return False


def reread_files(conf: cfg.ConfigOpts) -> Callable[[], None]:
    """Read the config files again into ``conf``; return the way back.

    oslo.config's ``reload_config_files`` is what OpenStack services call
    on SIGHUP; it re-reads each ``--config-file`` and lists
    ``--config-dir`` again, and leaves ``conf`` as it was when they do not
    parse. It has no way back once they have parsed, though, and a value
    or the pipeline built from them may still be bad: the returned
    function puts the parsed files that were there before back (oslo.config
    keeps them, and the values it has converted from them, privately: see
    ``oslo_config_internals``).
    The environment is read as it was at start-up: a process's own
    environment does not change.

    Raises ConfigError when the files cannot be read or parsed.
    """
    previous = oslo_config_internals.parsed_files(conf)
    oslo_log = logging.getLogger("oslo_config.cfg")
    reason = _Reason()
    oslo_log.addFilter(reason)
    try:
        reread = conf.reload_config_files()
    finally:
        oslo_log.removeFilter(reason)
    if not reread:
        raise exception.ConfigError(
            reason.reason or "the config files cannot be read")

    def undo() -> None:
        oslo_config_internals.restore_parsed_files(conf, previous)

    return undo

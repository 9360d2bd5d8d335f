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

"""Names in the config files that greeter does not know, each warned of.

oslo.config ignores an option or a section that nothing registered, so a
typo (``nmae = Bob``, ``[greetings]``) starts greeter on the defaults
without a word. ``warn`` logs one WARNING for each such name, with the
file and, when one is close, the name probably meant. It runs once the
pipeline is built, since paste factories register their own options as
they build it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from oslo_config import cfg
from oslo_log import log

from greeter.common import options

LOG = log.getLogger(__name__)

KEYSTONE_GROUP = "keystone_authtoken"
# Long enough for any real name; a longer one is cut, not logged whole.
MAX_NAME = 64


def bounded(name: str) -> str:
    """``name``, cut if it is too long to be a real name."""
    return name if len(name) <= MAX_NAME else name[:MAX_NAME] + "..."


def suggestion(name: str, known: Iterable[str], shown: str = "{!r}") -> str:
    """`` (did you mean ...?)`` with the known name closest to ``name``,
    or nothing when none is close."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {shown.format(close[0])}?)" if close else ""


def known_names(conf: cfg.ConfigOpts) -> dict[str, set[str]]:
    """Each registered group's option names, deprecated names included,
    as a config file may spell them."""
    known: dict[str, set[str]] = {}
    for option in options.registered(conf):
        known.setdefault(option.group, set()).add(option.name)
        for old in option.opt.deprecated_opts:
            known.setdefault(old.group or option.group, set()).add(
                old.name or option.name)
    return known


def _keystone_plugin_names(conf: cfg.ConfigOpts) -> set[str] | None:
    """The names of the auth plugin's options for ``[keystone_authtoken]``,
    whether or not keystonemiddleware has registered them yet; None when
    the plugin is not known (the section's options are then not
    checked)."""
    from keystoneauth1 import exceptions
    from keystoneauth1 import loading
    names = {opt.dest for opt in loading.get_auth_common_conf_options()}
    try:
        auth_type = conf[KEYSTONE_GROUP].auth_type
        if auth_type is None:
            return names
        plugin_opts = loading.get_auth_plugin_conf_options(auth_type)
    except (cfg.NoSuchOptError, exceptions.NoMatchingPlugin):
        return None
    return names | {opt.dest for opt in plugin_opts}


def _group(section: str) -> str:
    # oslo.config reads section names in any case, but [DEFAULT].
    return section if section == options.DEFAULT_GROUP else section.lower()


def _warn_file(conf: cfg.ConfigOpts, path: str, sections: dict,
               known: dict[str, set[str]]) -> None:
    for section, values in sections.items():
        group = _group(section)
        names = known.get(group)
        if group == KEYSTONE_GROUP:
            if conf.auth.strategy != "keystone":
                continue  # read by that strategy only
            plugin_names = _keystone_plugin_names(conf)
            if plugin_names is None:
                continue
            names = (names or set()) | plugin_names
        if names is None:
            LOG.warning("%s: [%s] is not a section greeter knows%s; its "
                        "options are ignored", path, bounded(section),
                        suggestion(group, known, "[{}]"))
            continue
        for name in values:
            if name in names:
                continue
            elsewhere = sorted(other for other, its in known.items()
                               if name in its)
            hint = (f" (it is an option of [{elsewhere[0]}])" if elsewhere
                    else suggestion(name, names))
            LOG.warning("%s: [%s] %s is not an option greeter knows%s; it "
                        "is ignored", path, bounded(section), bounded(name),
                        hint)


def warn(conf: cfg.ConfigOpts) -> None:
    """A WARNING for each option or section of the config files that no
    registered option has."""
    known = known_names(conf)
    for path in options.config_files(conf):
        sections: dict = {}
        try:
            cfg.ConfigParser(path, sections).parse()
        except (OSError, cfg.ParseError):
            continue  # oslo.config has read it: it changed since
        _warn_file(conf, path, sections, known)

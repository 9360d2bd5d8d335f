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

"""The private names of oslo.config that greeter reads, and why.

Everything else greeter does with oslo.config goes through its public
API: iterating a ``ConfigOpts`` gives the options of ``[DEFAULT]`` and the
names of the groups, iterating a group gives its options' names, and
``reload_config_files`` re-reads the files. Two needs have no public API,
and are met here and nowhere else; ``PRIVATE_NAMES`` says which name
serves which need, and a unit test fails, naming it, when an oslo.config
release removes one or changes what it does.
"""

from __future__ import annotations

from oslo_config import cfg

# Each private attribute of ConfigOpts read below, with what greeter needs
# it for and the public API oslo.config lacks.
PRIVATE_NAMES = {
    "_get_opt_info": (
        "greeter's start-up errors and reload log mask secret values: "
        "oslo.config has no public way from a registered option's name to "
        "its Opt (and so to Opt.secret); its own log_opt_values reads it "
        "the same way"),
    "_namespace": (
        "greeter's reload puts the previously parsed config files back "
        "when the new ones do not work: reload_config_files replaces them "
        "and oslo.config has no public way back"),
    "_ConfigOpts__cache": (
        "greeter's reload, after putting the previously parsed files "
        "back, drops the values converted from the new ones: oslo.config "
        "has no public call that empties its cache of values without "
        "also resetting defaults, overrides or the files"),
}


def registered_opt(conf: cfg.ConfigOpts, name: str,
                   group: str | None = None) -> cfg.Opt:
    """The Opt registered as ``name`` in ``group`` (None: ``[DEFAULT]``).

    Raises NoSuchOptError when ``group`` has no such option, as for a
    name that ``iter(conf)`` gives because it names a group.
    """
    return conf._get_opt_info(name, group)["opt"]


def parsed_files(conf: cfg.ConfigOpts) -> object:
    """What ``conf`` holds of its parsed config files, for
    ``restore_parsed_files``."""
    return conf._namespace


def restore_parsed_files(conf: cfg.ConfigOpts, parsed: object) -> None:
    """Put back the config files ``parsed_files`` returned, and forget
    every value converted since, so that the next read uses them."""
    conf._namespace = parsed
    conf._ConfigOpts__cache.clear()

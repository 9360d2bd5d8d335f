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


"""The stages a request passes in a paste file, and the file without each.

Read from the paste file as paste reads it, not from a list kept here:
starting at ``[pipeline:main]``, each pipeline's filters are stages; a
composite is followed along the entry a request takes (the one named by
the ``[auth] strategy``, else the longest path prefix of the request's
path, as a URL map does) and, when that entry names a single app, the
composite itself is a stage (a URL map, say). The app at the end is not
a stage: nothing is left without it.

Removing a stage is an edit of the line naming it: a filter is dropped
from its pipeline; a composite is replaced by the entry the request
takes through it. The rest of the file stays as it is.
"""

from __future__ import annotations

import configparser
import pathlib
from typing import NamedTuple

# paste's section prefixes, by kind.
PREFIXES = {"filter": ("filter",),
            "app": ("app", "application"),
            "pipeline": ("pipeline",),
            "composite": ("composite",)}
# The keys of a section naming its factory, in paste's order of lookup.
FACTORY_KEYS = ("use", "paste.filter_factory", "paste.app_factory",
                "paste.composite_factory")


class Stage(NamedTuple):
    """A stage: its paste name, its factory, and the line that names it."""

    name: str
    factory: str
    section: str
    key: str
    replacement: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.factory})"


class Route(NamedTuple):
    """The stages a request passes, and the app at the end."""

    stages: tuple[Stage, ...]
    app: str
    app_factory: str


def read_paste(path: pathlib.Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True)
    with open(path, encoding="utf-8") as paste_file:
        parser.read_file(paste_file)
    return parser


def find_section(parser: configparser.RawConfigParser,
                 name: str) -> tuple[str, str]:
    """(kind, section) of the paste object called ``name``."""
    for kind, prefixes in PREFIXES.items():
        for prefix in prefixes:
            section = f"{prefix}:{name}"
            if parser.has_section(section):
                return kind, section
    raise LookupError(f"no paste section for {name!r}")


def factory(parser: configparser.RawConfigParser, section: str) -> str:
    for key in FACTORY_KEYS:
        if parser.has_option(section, key):
            return parser.get(section, key).strip().removeprefix("call:")
    return "?"


def entry_taken(parser: configparser.RawConfigParser, section: str,
                strategy: str, path: str) -> str:
    """The key of a composite's entry that the request goes through."""
    if parser.has_option(section, strategy):
        return strategy
    prefixes = [key for key in parser.options(section)
                if key.startswith("/") and (
                    path == key or path.startswith(key.rstrip("/") + "/"))]
    if not prefixes:
        raise LookupError(f"[{section}] has no entry for {path}")
    return max(prefixes, key=len)


def route(parser: configparser.RawConfigParser, strategy: str, path: str,
          name: str = "main") -> Route:
    """The stages a request for ``path`` passes, starting at ``name``."""
    stages: list[Stage] = []
    kind, section = find_section(parser, name)
    holder = None
    while True:
        if kind == "pipeline":
            key = "pipeline"
        elif kind == "composite":
            key = entry_taken(parser, section, strategy, path)
        else:
            return Route(tuple(stages), name, factory(parser, section))
        names = parser.get(section, key).split()
        if kind == "composite" and len(names) == 1:
            # A composite choosing one app (a URL map): a stage, removed
            # by naming that app in its place.
            stages.append(Stage(name, factory(parser, section), *holder,
                                (names[0],)))
        else:
            for filter_name in names[:-1]:
                _, filter_section = find_section(parser, filter_name)
                stages.append(Stage(filter_name,
                                    factory(parser, filter_section),
                                    section, key, ()))
        holder = (section, key)
        name = names[-1]
        kind, section = find_section(parser, name)


def without(parser: configparser.RawConfigParser,
            stage: Stage) -> configparser.RawConfigParser:
    """A copy of the paste file with ``stage`` taken out of the route."""
    copy = configparser.RawConfigParser(strict=True)
    copy.read_dict(parser)
    names = parser.get(stage.section, stage.key).split()
    position = names.index(stage.name)
    names[position:position + 1] = stage.replacement
    copy.set(stage.section, stage.key, " ".join(names))
    return copy


def write(parser: configparser.RawConfigParser, path: pathlib.Path) -> None:
    with open(path, "w", encoding="utf-8") as paste_file:
        parser.write(paste_file)

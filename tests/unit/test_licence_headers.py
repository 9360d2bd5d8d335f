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

"""Every source file carries the Apache licence header (hacking's H102).

Empty files (a package's ``__init__.py``) need none, as in hacking.
"""

from __future__ import annotations

import pytest

from tests.conftest import REPO

SOURCES = sorted(
    path for folder in ("greeter", "tests", "benchmarks", "tools")
    for path in (REPO / folder).rglob("*.py")
    if "node_modules" not in path.parts)
HEADER = 'Licensed under the Apache License, Version 2.0 (the "License")'


@pytest.mark.parametrize("path", SOURCES,
                         ids=[str(p.relative_to(REPO)) for p in SOURCES])
def test_source_file_has_the_licence_header(path):
    text = path.read_text()
    if text.strip():
        assert HEADER in text[:400], f"{path.relative_to(REPO)} has no " \
                                     "Apache licence header"

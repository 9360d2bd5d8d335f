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

"""greeter.common.config, the paste file's check: each fault is named."""

from __future__ import annotations

import pytest

from greeter.common import config
from greeter.common import exception
from tests.fixtures.shipped import ETC


@pytest.mark.parametrize("content, expected", [
    ("pipeline = apiv1\n",
     "line 1: 'pipeline = apiv1' comes before any [section] header"),
    ("[app:main]\npaste.app_factory = greeter.nosuch:API.factory\n",
     "[app:main] paste.app_factory = greeter.nosuch:API.factory: no module "
     "named 'greeter.nosuch'"),
    ("[app:main]\npaste.app_factory = greeter.api.v1:API.nope\n",
     "[app:main] paste.app_factory = greeter.api.v1:API.nope: "
     "greeter.api.v1 has no attribute 'API.nope'"),
    ("[filter:x]\npaste.filter_factory = greeter.api.v1:Nope.factory\n",
     "greeter.api.v1 has no attribute 'Nope.factory'"),
    ("[app:main]\na = 1\na = 2\n", "option 'a' in section 'app:main' "
     "already exists"),
])
def test_paste_file_faults_are_named(tmp_path, content, expected):
    paste = tmp_path / "api-paste.ini"
    paste.write_text(content)
    with pytest.raises(exception.ConfigError) as caught:
        config.check_paste_file(str(paste))
    assert str(caught.value).startswith(f"{paste}: ")
    assert expected in str(caught.value)


def test_shipped_paste_file_passes_the_check():
    config.check_paste_file(str(ETC / "api-paste.ini"))


def test_a_factory_module_that_fails_to_import_is_a_bug(tmp_path,
                                                        monkeypatch):
    # A module that exists but imports something missing: not the
    # operator's fault, so not a configuration error.
    (tmp_path / "broken_factory.py").write_text("import no_such_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    paste = tmp_path / "api-paste.ini"
    paste.write_text("[app:main]\npaste.app_factory = broken_factory:f\n")
    with pytest.raises(ModuleNotFoundError):
        config.check_paste_file(str(paste))

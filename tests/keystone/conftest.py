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

"""A real Keystone for the session, on loopback, and greeter against it.

Keystone (tests/keystone/server.py) runs from its own virtualenv
(``KEYSTONE_VENV``, made by ``tox -e keystone`` from PyPI), in a
temporary directory; every password and token made for it is added to
the session's scan of greeter's logs.
"""

from __future__ import annotations

import itertools
import os
import pathlib

import pytest

from tests.fixtures.process import CONFIGURED_TOKENS
from tests.fixtures.process import GreeterProcess
from tests.keystone import server
from tests.keystone.greeter_conf import write_greeter_conf
from tests.keystone.server import Identity


def keystone_venv() -> pathlib.Path:
    path = os.environ.get("KEYSTONE_VENV")
    if not path or not (pathlib.Path(path) / "bin" / "keystone-manage"
                        ).exists():
        pytest.fail("KEYSTONE_VENV must name a virtualenv with Keystone "
                    "installed: run these tests with tox -e keystone")
    return pathlib.Path(path)


@pytest.fixture(scope="session")
def keystone(tmp_path_factory) -> server.KeystoneServer:
    keystone_server = server.KeystoneServer(
        keystone_venv(), tmp_path_factory.mktemp("keystone"))
    keystone_server.set_up()
    keystone_server.start()
    yield keystone_server
    keystone_server.stop()


@pytest.fixture(scope="session")
def identity(keystone) -> Identity:
    # Every password and token made goes into the session's log scan.
    return server.make_identity(keystone, CONFIGURED_TOKENS)


@pytest.fixture
def start_keystone_greeter(start_greeter, identity, tmp_path):
    """Start greeter-api processes against Keystone; each stopped after."""
    confs = itertools.count()

    def _start(extra: str = "") -> GreeterProcess:
        conf = write_greeter_conf(tmp_path / f"greeter-{next(confs)}.conf",
                                  identity, extra)
        return start_greeter(args=["--config-file", str(conf)])

    return _start

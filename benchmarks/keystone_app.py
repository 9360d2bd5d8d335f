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

"""greeter with ``[auth] strategy = keystone``, for the bench.

A real Keystone on loopback (tests/keystone/server.py), installed on
first use into ``KEYSTONE_VENV`` (default ``.tox/keystone-server``, the
one ``tox -e keystone`` makes), a member token, and a greeter.conf
against it with keystonemiddleware's defaults otherwise: tokens are
cached for 300 s, longer than a run, so after each worker's first
request the cache is warm and Keystone is not asked again, as in a
steady service.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import pathlib
import urllib.request
from collections.abc import Iterator

from tests.keystone import install_keystone
from tests.keystone import server

REPO = pathlib.Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def keystone_greeter(workdir: pathlib.Path,
                     ) -> Iterator[tuple[pathlib.Path, str]]:
    """Keystone running; yields (greeter.conf, a member's token)."""
    venv = pathlib.Path(os.environ.get(
        "KEYSTONE_VENV", REPO / ".tox" / "keystone-server"))
    install_keystone.main([str(venv)])
    keystone = server.KeystoneServer(venv, workdir)
    keystone.set_up()
    keystone.start()
    try:
        identity = server.make_identity(keystone)
        conf = server.write_greeter_conf(workdir / "greeter.conf", identity)
        yield conf, identity.token("member")
    finally:
        keystone.stop()


def warm_token_cache(url: str, token: str, workers: int) -> None:
    """Have every worker validate the token once, before the load.

    Each worker caches on its own; requests sent together keep every
    worker busy, so each one gets some.
    """
    def get(_: int) -> int:
        request = urllib.request.Request(url, headers={"X-Auth-Token": token})
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec B310
            return response.status

    with concurrent.futures.ThreadPoolExecutor(8 * workers) as pool:
        statuses = set(pool.map(get, range(32 * workers)))
    if statuses != {200}:
        raise RuntimeError(f"warming the token cache got {statuses}")

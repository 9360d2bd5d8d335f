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

import contextlib
import os
import pathlib
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

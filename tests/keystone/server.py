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

"""A real Keystone on loopback, and identities in it, for tests and bench.

Keystone runs from its own virtualenv, with SQLite and fernet keys in a
working directory, bootstrapped with ``keystone-manage`` and served by
gunicorn through docker/keystone/keystone_wsgi.py. Its projects, users
and role assignments are made over its API with keystoneauth1, as an
operator's tools would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import grp
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import time

import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import REPO

# keystone_wsgi.py, shared with the keystone compose profile's image.
KEYSTONE_WSGI_DIR = REPO / "docker" / "keystone"
START_TIMEOUT = 90.0
REGION = "RegionOne"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KeystoneServer:
    """keystone-manage set-up, then Keystone under gunicorn on loopback."""

    def __init__(self, venv: pathlib.Path, workdir: pathlib.Path) -> None:
        self.venv = venv
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v3"
        self.admin_password = secrets.token_urlsafe(16)
        self.config = workdir / "keystone.conf"
        self.log_path = workdir / "keystone.log"
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str) -> None:
        subprocess.run(
            [str(self.venv / "bin" / "keystone-manage"),
             "--config-file", str(self.config), *args],
            check=True, capture_output=True, timeout=300)

    def set_up(self) -> None:
        for name in ("fernet-keys", "credential-keys"):
            (self.workdir / name).mkdir(mode=0o700)
        self.config.write_text(
            "[database]\n"
            f"connection = sqlite:///{self.workdir / 'keystone.db'}\n"
            "[fernet_tokens]\n"
            f"key_repository = {self.workdir / 'fernet-keys'}\n"
            # fernet_setup also makes receipt keys, by default in
            # /etc/keystone: keep them here.
            "[fernet_receipts]\n"
            f"key_repository = {self.workdir / 'fernet-keys'}\n"
            "[credential]\n"
            f"key_repository = {self.workdir / 'credential-keys'}\n")
        owner = ("--keystone-user", getpass.getuser(), "--keystone-group",
                 grp.getgrgid(os.getgid()).gr_name)
        self.manage("db_sync")
        self.manage("fernet_setup", *owner)
        self.manage("credential_setup", *owner)
        self.manage("bootstrap",
                    "--bootstrap-password", self.admin_password,
                    "--bootstrap-public-url", self.url,
                    "--bootstrap-region-id", REGION)

    def start(self) -> None:
        env = {**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(self.config)}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "gunicorn"),
                 "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                 "--pythonpath", str(KEYSTONE_WSGI_DIR),
                 "keystone_wsgi:application"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("keystone exited: "
                                   + self.log_path.read_text()[-3000:])
            # Each worker imports Keystone before it answers: slow at first.
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url, timeout=10).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("keystone did not start: "
                           + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    @contextlib.contextmanager
    def frozen(self):
        """Keystone still accepts connections but never answers."""
        os.killpg(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.process.pid, signal.SIGCONT)


@dataclasses.dataclass
class Identity:
    """The project, users and passwords the tests use."""

    keystone: KeystoneServer
    project_id: str
    passwords: dict[str, str]
    user_ids: dict[str, str]
    admin: ks_session.Session
    # Every secret made (passwords, tokens), for log scans.
    made: set[str]

    def token(self, user: str, scoped: bool = True) -> str:
        """A new token for ``user``; project-scoped unless ``scoped`` is
        False. Every token made is added to ``made``."""
        auth = v3.Password(
            auth_url=self.keystone.url, username=user,
            password=self.passwords[user], user_domain_id="default",
            **({"project_id": self.project_id} if scoped else {}))
        token = ks_session.Session(auth=auth).get_token()
        self.made.add(token)
        return token

    def revoke(self, token: str) -> None:
        self.admin.delete(self.keystone.url + "/auth/tokens",
                          headers={"X-Subject-Token": token})


def make_identity(keystone: KeystoneServer,
                  made: set[str] | None = None) -> Identity:
    """A project with a reader and a member, a user with no role, and
    greeter's service user (role service on project service)."""
    admin = ks_session.Session(auth=v3.Password(
        auth_url=keystone.url, username="admin",
        password=keystone.admin_password, project_name="admin",
        user_domain_id="default", project_domain_id="default"))
    url = keystone.url

    def create(kind: str, body: dict) -> str:
        response = admin.post(f"{url}/{kind}s", json={kind: body})
        return response.json()[kind]["id"]

    roles = {role["name"]: role["id"]
             for role in admin.get(f"{url}/roles").json()["roles"]}
    project_id = create("project", {"name": "greeter-demo",
                                    "domain_id": "default"})
    service_id = create("project", {"name": "service",
                                    "domain_id": "default"})
    passwords = {name: secrets.token_urlsafe(16)
                 for name in ("reader", "member", "norole", "greeter")}
    made = made if made is not None else set()
    made.update(passwords.values())
    user_ids = {name: create("user", {"name": name, "password": password,
                                      "domain_id": "default"})
                for name, password in passwords.items()}
    for user, project, role in (("reader", project_id, "reader"),
                                ("member", project_id, "member"),
                                ("greeter", service_id, "service")):
        admin.put(f"{url}/projects/{project}/users/{user_ids[user]}"
                  f"/roles/{roles[role]}")
    return Identity(keystone, project_id, passwords, user_ids, admin, made)



def write_greeter_conf(path: pathlib.Path, identity: Identity,
                       authtoken: dict | None = None,
                       extra: str = "") -> pathlib.Path:
    """greeter.conf with strategy = keystone against this Keystone.

    ``authtoken``: more [keystone_authtoken] settings; ``extra``: more
    sections, as ini text.
    """
    url = identity.keystone.url
    settings = {
        "www_authenticate_uri": url,
        "auth_url": url,
        # Bootstrapped with a public endpoint only.
        "interface": "public",
        "auth_type": "password",
        "username": "greeter",
        "password": identity.passwords["greeter"],
        "user_domain_id": "default",
        "project_name": "service",
        "project_domain_id": "default",
        **(authtoken or {}),
    }
    path.write_text(
        "[greeting]\n"
        "name = Phred\n"
        "greeting = Wilkommen\n"
        "[auth]\n"
        "strategy = keystone\n"
        "[paste_deploy]\n"
        f"config_file = {ETC / 'api-paste.ini'}\n"
        "[keystone_authtoken]\n"
        + "".join(f"{key} = {value}\n" for key, value in settings.items())
        + extra)
    return path

"""A real Keystone for the session, on loopback, and greeter against it.

Keystone runs from its own virtualenv (``KEYSTONE_VENV``, made by ``tox
-e keystone`` from PyPI), with SQLite and fernet keys in a temporary
directory, bootstrapped with ``keystone-manage`` and served by gunicorn
through ``keystone_wsgi.py``. Its project, users and role assignments
are made over its API with keystoneauth1, as an operator's tools would.
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
import subprocess
import time

import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.conftest import ETC
from tests.conftest import REPO
from tests.functional.conftest import CONFIGURED_TOKENS
from tests.functional.conftest import GreeterProcess
from tests.functional.conftest import free_port
from tests.functional.conftest import greeter_logs  # noqa: F401 (fixture)

# keystone_wsgi.py, shared with the keystone compose profile's image.
KEYSTONE_WSGI_DIR = REPO / "docker" / "keystone"
START_TIMEOUT = 90.0
REGION = "RegionOne"

# What greeter's [keystone_authtoken] uses in these tests: a short token
# cache, so that the revocation bound can be tested in seconds, and a
# short timeout, so that an outage is a 503 in seconds.
TOKEN_CACHE_TIME = 5
CONNECT_TIMEOUT = 2
MAX_RETRIES = 1


def keystone_venv() -> pathlib.Path:
    path = os.environ.get("KEYSTONE_VENV")
    if not path or not (pathlib.Path(path) / "bin" / "keystone-manage"
                        ).exists():
        pytest.fail("KEYSTONE_VENV must name a virtualenv with Keystone "
                    "installed: run these tests with tox -e keystone")
    return pathlib.Path(path)


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

    def token(self, user: str, scoped: bool = True) -> str:
        """A new token for ``user``; project-scoped unless ``scoped`` is
        False. Every token made is added to the log scan."""
        auth = v3.Password(
            auth_url=self.keystone.url, username=user,
            password=self.passwords[user], user_domain_id="default",
            **({"project_id": self.project_id} if scoped else {}))
        token = ks_session.Session(auth=auth).get_token()
        CONFIGURED_TOKENS.add(token)
        return token

    def revoke(self, token: str) -> None:
        self.admin.delete(self.keystone.url + "/auth/tokens",
                          headers={"X-Subject-Token": token})


def _make_identity(keystone: KeystoneServer) -> Identity:
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
    CONFIGURED_TOKENS.update(passwords.values())
    user_ids = {name: create("user", {"name": name, "password": password,
                                      "domain_id": "default"})
                for name, password in passwords.items()}
    for user, project, role in (("reader", project_id, "reader"),
                                ("member", project_id, "member"),
                                ("greeter", service_id, "service")):
        admin.put(f"{url}/projects/{project}/users/{user_ids[user]}"
                  f"/roles/{roles[role]}")
    return Identity(keystone, project_id, passwords, user_ids, admin)


@pytest.fixture(scope="session")
def keystone(tmp_path_factory) -> KeystoneServer:
    server = KeystoneServer(keystone_venv(),
                            tmp_path_factory.mktemp("keystone"))
    server.set_up()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def identity(keystone) -> Identity:
    return _make_identity(keystone)


def write_greeter_conf(path: pathlib.Path, identity: Identity,
                       extra: str = "") -> pathlib.Path:
    """greeter.conf with strategy = keystone against the test Keystone."""
    url = identity.keystone.url
    path.write_text(
        "[DEFAULT]\n"
        "debug = true\n"
        "[greeting]\n"
        "name = Phred\n"
        "greeting = Wilkommen\n"
        "[auth]\n"
        "strategy = keystone\n"
        "[paste_deploy]\n"
        f"config_file = {ETC / 'api-paste.ini'}\n"
        "[keystone_authtoken]\n"
        f"www_authenticate_uri = {url}\n"
        f"auth_url = {url}\n"
        "interface = public\n"
        "auth_type = password\n"
        "username = greeter\n"
        f"password = {identity.passwords['greeter']}\n"
        "user_domain_id = default\n"
        "project_name = service\n"
        "project_domain_id = default\n"
        f"token_cache_time = {TOKEN_CACHE_TIME}\n"
        f"http_connect_timeout = {CONNECT_TIMEOUT}\n"
        f"http_request_max_retries = {MAX_RETRIES}\n"
        + extra)
    return path


@pytest.fixture
def start_keystone_greeter(greeter_logs, identity, tmp_path):  # noqa: F811
    """Start greeter-api processes against Keystone; each stopped after."""
    started: list[GreeterProcess] = []

    def _start(extra: str = "") -> GreeterProcess:
        conf = write_greeter_conf(tmp_path / f"greeter-{len(started)}.conf",
                                  identity, extra)
        server = GreeterProcess(tmp_path, args=["--config-file", str(conf)])
        server.log_path = greeter_logs / server.log_path.name
        started.append(server)
        return server.start()

    yield _start
    for server in started:
        server.stop()

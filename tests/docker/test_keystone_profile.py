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

"""The keystone compose profile, for real: Keystone and greeter against it.

`docker compose --profile keystone up` builds and starts a Keystone
(bootstrapped on first start, state in a volume) and api-keystone, a
greeter with [auth] strategy = keystone. The flow of
doc/source/admin/authentication.rst is followed as written: `openstack
token issue`, then curl and http with the token; last, the teardown of
doc/source/admin/deployment.rst leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest
import requests

from tests.docker.compose import ComposeProject
from tests.docker.compose import free_port
from tests.docker.compose import http
from tests.docker.compose import leftovers
from tests.docker.compose import run
from tests.fixtures.shipped import REPO
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.docker

# Keystone imports slowly and bootstraps on first start.
HEALTHY_TIMEOUT = 300
# docker-compose.yml's demo values.
DEMO_PASSWORD = "demo-demo"
SERVICE_PASSWORD = "greeter-service-demo"  # nosec B105


class KeystoneProfile(ComposeProject):
    """`compose --profile keystone -p NAME` with its own host ports."""

    def __init__(self, name: str, workdir) -> None:
        self.keystone_port = free_port()
        self.greeter_port = free_port()
        super().__init__(name, workdir, env={
            "KEYSTONE_PORT": str(self.keystone_port),
            "GREETER_KEYSTONE_PORT": str(self.greeter_port)})
        self.command += ["--profile", "keystone"]
        self.url = f"http://127.0.0.1:{self.greeter_port}"
        self.keystone_url = f"http://127.0.0.1:{self.keystone_port}/v3"

    def health(self, service: str) -> str:
        container = self.compose("ps", "-q", service).stdout.strip()
        if not container:
            return "absent"
        return run("docker", "inspect", "-f", "{{.State.Health.Status}}",
                   container).stdout.strip()

    def wait_healthy(self, *services: str) -> None:
        try:
            wait_for(lambda: all(self.health(service) == "healthy"
                                 for service in services),
                     f"{', '.join(services)} to be healthy",
                     HEALTHY_TIMEOUT, interval=1)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\n{self.compose('logs').stdout[-5000:]}") from None

    def openstack_token(self) -> str:
        """`openstack token issue`, as the authentication guide shows."""
        script = shutil.which("openstack") or shutil.which(
            "openstack", path=os.path.dirname(sys.executable))
        env = {**os.environ, "OS_AUTH_URL": self.keystone_url,
               "OS_IDENTITY_API_VERSION": "3",
               "OS_USERNAME": "demo", "OS_PASSWORD": DEMO_PASSWORD,
               "OS_PROJECT_NAME": "demo", "OS_USER_DOMAIN_NAME": "Default",
               "OS_PROJECT_DOMAIN_NAME": "Default"}
        return run(script, "token", "issue", "-f", "value", "-c", "id",
                   env=env, timeout=120).stdout.strip()


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    project = KeystoneProfile(f"greeter-keystone-test-{os.getpid()}",
                              tmp_path_factory.mktemp("keystone-profile"))
    try:
        project.compose("up", "-d", "--build", timeout=1800)
        project.wait_healthy("keystone", "api-keystone")
        yield project
    finally:
        project.down()


def test_without_the_profile_compose_is_unchanged():
    services = run("docker", "compose", "config", "--services",
                   cwd=REPO).stdout.split()
    assert "keystone" not in services
    assert "api-keystone" not in services
    assert "api" in services


def test_token_issue_then_curl_and_http(profile):
    token = profile.openstack_token()
    assert token.startswith("gAAAAA")
    assert run("curl", "-sS", "-H", f"X-Auth-Token: {token}",
               profile.url + "/greeting/hello").stdout == \
        "Hello, Wilkommen, Phred !!\n"
    # demo is a member of its project: goodbye too.
    assert http(profile.url + "/greeting/goodbye",
                f"X-Auth-Token:{token}").stdout == \
        "Good Bye, Wilkommen, Phred !!\n"


def test_no_token_is_401_pointing_at_keystone(profile):
    response = requests.get(profile.url + "/greeting/hello", timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == \
        f'Keystone uri="{profile.keystone_url}"'
    assert response.json()["errors"][0]["code"] == "greeter.auth.missing"


def test_keystone_restart_keeps_its_keys_and_users(profile):
    token = profile.openstack_token()  # not yet seen by greeter
    profile.compose("restart", "keystone", timeout=120)
    profile.wait_healthy("keystone")
    response = requests.get(profile.url + "/greeting/hello",
                            headers={"X-Auth-Token": token}, timeout=60)
    assert response.status_code == 200
    listing = profile.compose("exec", "-T", "keystone", "ls",
                              "/var/lib/keystone").stdout.split()
    assert {"bootstrapped", "keystone.db", "fernet-keys"} <= set(listing)


def test_logs_hold_no_token_or_password(profile):
    token = profile.openstack_token()
    assert requests.get(profile.url + "/greeting/hello",
                        headers={"X-Auth-Token": token},
                        timeout=60).status_code == 200
    logs = profile.compose("logs", "--no-color", "api-keystone").stdout
    assert "GET /greeting/hello" in logs
    assert token not in logs
    assert SERVICE_PASSWORD not in logs


def test_down_with_the_profile_and_volumes_leaves_nothing_behind(profile):
    """Runs last in this module: the teardown the guide gives."""
    profile.compose("down", "--volumes", timeout=180)
    assert leftovers(profile.name) == {
        "containers": [], "networks": [], "volumes": []}

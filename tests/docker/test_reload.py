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

"""Reload in the container: edit the mounted greeter.conf and the token
secret, `docker compose kill -s HUP api`, under load, with nothing lost.

Compose runs the shipped docker-compose.yml with an override that mounts a
config directory and a token file of the test's own, as
doc/source/admin/reload.rst tells an operator to.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
import requests

from tests.docker.compose import ComposeProject
from tests.fixtures.load import Load as Clients
from tests.fixtures.process import CONFIGURED_TOKENS
from tests.fixtures.process import NEW_BODY
from tests.fixtures.process import OLD_BODY
from tests.fixtures.shipped import ETC
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.docker

TOKEN_A = "docker-reload-token-alpha"  # nosec B105
TOKEN_B = "docker-reload-token-bravo"  # nosec B105
CONFIGURED_TOKENS.update({TOKEN_A, TOKEN_B})
OVERRIDE = """\
services:
  api:
    volumes:
      - {etc}:/etc/greeter:ro
secrets:
  api_token:
    file: {token_file}
"""


class ReloadableProject(ComposeProject):
    """The shipped compose file, plus the test's config and token file."""

    def __init__(self, name: str, directory) -> None:
        self.etc = directory / "etc"
        shutil.copytree(ETC, self.etc)
        self.token_file = directory / "api_token"
        self.tokens(TOKEN_A)
        # Readable by the container's user (uid 42424), as a mounted
        # configuration must be.
        for path in [self.etc, *self.etc.iterdir(), self.token_file]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        super().__init__(name, directory, override=OVERRIDE.format(
            etc=self.etc, token_file=self.token_file))

    def tokens(self, *tokens: str) -> None:
        # Rewritten in place: the secret is a bind mount of this file.
        self.token_file.write_text("".join(f"{t}\n" for t in tokens))

    def name_greeted(self, name: str) -> None:
        conf = self.etc / "greeter.conf"
        conf.write_text(conf.read_text().replace(
            "name = Phred", f"name = {name}"))

    def hup(self) -> None:
        self.compose("kill", "-s", "HUP", "api")


def hello(project, token: str) -> requests.Response:
    return requests.get(project.url + "/greeting/hello", timeout=10,
                        headers={"X-Auth-Token": token})


@pytest.fixture
def project(tmp_path):
    deployment = ReloadableProject(f"greeter-reload-{os.getpid()}",
                                   tmp_path)
    try:
        deployment.up()
        yield deployment
    finally:
        deployment.down()


def test_hup_reloads_the_container_under_load(project):
    port = int(project.url.rsplit(":", 1)[1])
    assert hello(project, TOKEN_A).text == OLD_BODY.decode()
    clients = Clients(port, TOKEN_A, count=4).start()

    # A new name and token B beside A; one reload.
    project.name_greeted("Reloaded")
    project.tokens(TOKEN_A, TOKEN_B)
    hupped = time.monotonic()
    project.hup()
    wait_for(lambda: any(a.body == NEW_BODY for a in clients.since(hupped)),
             "the new greeting")
    first_new = min(a.sent for a in clients.since(hupped)
                    if a.body == NEW_BODY)
    wait_for(lambda: hello(project, TOKEN_B).ok, "token B to be accepted")
    clients.token = TOKEN_B

    # Token A removed; another reload.
    project.tokens(TOKEN_B)
    project.hup()
    wait_for(lambda: hello(project, TOKEN_A).status_code == 401,
             "token A to be refused")

    # A broken configuration changes nothing; fixed, it applies.
    conf = project.etc / "greeter.conf"
    good = conf.read_text()
    conf.write_text(good + "\n[api]\nthreads = 0\n")
    project.hup()
    wait_for(lambda: "Reload failed" in project.logs(), "the error line")
    assert project.inspect("{{.State.Running}}") == "true"
    assert hello(project, TOKEN_B).text == NEW_BODY.decode()
    conf.write_text(good.replace("greeting = Wilkommen",
                                 "greeting = Welcome"))
    project.hup()
    wait_for(lambda: hello(project, TOKEN_B).text
             == "Hello, Welcome, Reloaded !!\n", "the fixed configuration")

    answers = clients.stop()
    failed = [a for a in answers if a.status != 200]
    assert not failed, failed[:5]
    bodies = {a.body for a in answers}
    assert bodies <= {OLD_BODY, NEW_BODY,
                      b"Hello, Welcome, Reloaded !!\n"}
    logs = project.logs()
    errors = [line for line in logs.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "[api] threads = '0'" in errors[0], errors
    assert logs.count("Reloaded the configuration") == 3
    assert "Traceback" not in logs
    assert not [t for t in (TOKEN_A, TOKEN_B) if t in logs]
    assert project.inspect("{{.State.Health.Status}}") == "healthy"
    print(f"container reload under load: {len(answers)} requests, none "
          f"failed; new greeting {first_new - hupped:.2f}s after "
          "`compose kill -s HUP`")
    assert first_new - hupped < 5

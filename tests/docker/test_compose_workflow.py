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

"""An operator's first hour with compose, on a checkout of its own.

Plain `docker compose up` and `down`, as the deployment guide gives them,
run in a copy of this checkout: an edit to the code is served by the next
`up` without `--build`, greeter.env sets any option (the shell still wins
for the variables docker/shell.env names), and `down` leaves no
container, network or volume behind.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest
import requests

from tests.docker.compose import HEALTHY_TIMEOUT
from tests.docker.compose import compose_command
from tests.docker.compose import leftovers
from tests.docker.compose import run
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.docker

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}
GOODBYE = "Good Bye"  # the goodbye's words, in greeter's source


def copy_checkout(target: pathlib.Path) -> None:
    """The checkout's files as they are now, tracked or new, not ignored."""
    listed = run("git", "ls-files", "--cached", "--others",
                 "--exclude-standard", "-z", cwd=REPO).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


class Checkout:
    """`docker compose -p NAME` run in a copy of the checkout, with no
    option beyond the project name; Docker picks the host port."""

    def __init__(self, directory: pathlib.Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.env = {**os.environ, "GREETER_PORT": "0",
                    "GREETER_HA_STATS_PORT": "0"}
        self.url = ""

    def compose(self, *args: str, env: dict | None = None, **kwargs):
        return run(*compose_command(), "-p", self.name, *args,
                   cwd=self.directory, env={**self.env, **(env or {})},
                   **kwargs)

    def up(self, env: dict | None = None) -> None:
        """Plain `up`, detached; wait until the container is healthy."""
        self.compose("up", "-d", env=env, timeout=1800)
        container = self.compose("ps", "-q", "api").stdout.strip()

        def healthy() -> bool:
            return run("docker", "inspect", "-f",
                       "{{.State.Health.Status}}",
                       container).stdout.strip() == "healthy"

        wait_for(healthy, "the container to be healthy", HEALTHY_TIMEOUT,
                 interval=0.25)
        self.url = "http://" + self.compose("port", "haproxy",
                                            "8004").stdout.strip()
        wait_for(self.answers, "haproxy to pass requests on",
                 HEALTHY_TIMEOUT, interval=0.25)

    def answers(self) -> bool:
        try:
            return self.get("/healthcheck").status_code == 200
        except requests.RequestException:
            return False

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers=AUTH, timeout=10)

    def source_with(self, text: str) -> pathlib.Path:
        """The one module of greeter's code that holds ``text``."""
        found = [path for path in (self.directory / "greeter").rglob("*.py")
                 if f'"{text}"' in path.read_text()]
        assert len(found) == 1, (
            f'greeter\'s code should hold "{text}" once, in {found}: '
            "update this test to edit another served string")
        return found[0]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    directory = tmp_path_factory.mktemp("checkout")
    copy_checkout(directory)
    project = Checkout(directory, f"greeter-workflow-{os.getpid()}")
    try:
        yield project
    finally:
        project.compose("down", "--volumes", "--remove-orphans", "--rmi",
                        "local", check=False)


def test_plain_up_serves_the_code_as_it_is_now(checkout):
    checkout.up()
    assert checkout.get("/greeting/goodbye").text == \
        "Good Bye, Wilkommen, Phred !!\n"

    # A `git pull` or an edit: the next plain `up` serves the new code.
    source = checkout.source_with(GOODBYE)
    source.write_text(source.read_text().replace(f'"{GOODBYE}"',
                                                 '"Farewell"'))
    checkout.up()
    assert checkout.get("/greeting/goodbye").text == \
        "Farewell, Wilkommen, Phred !!\n"


def test_greeter_env_sets_any_option_and_the_shell_wins(checkout):
    (checkout.directory / "greeter.env").write_text(
        "# greeter's options, as the deployment guide shows\n"
        "OS_GREETING__NAME=Envfile\n"
        "OS_GREETING__GREETING=Ignored\n"
        # Not one of docker/shell.env's: a token gets the reader role only,
        # and goodbye needs member.
        "OS_AUTH__TOKEN_ROLES=reader\n")
    try:
        checkout.up(env={"OS_GREETING__GREETING": "Howdy"})
        hello = checkout.get("/greeting/hello")
        assert hello.text.startswith("Hello, Howdy, Envfile !!"), hello.text
        assert checkout.get("/greeting/goodbye").status_code == 403
    finally:
        (checkout.directory / "greeter.env").unlink()
    checkout.up()
    assert checkout.get("/greeting/hello").text.startswith(
        "Hello, Wilkommen, Phred !!")


def test_down_leaves_nothing_behind(checkout):
    checkout.compose("down", timeout=120)
    assert leftovers(checkout.name) == {
        "containers": [], "networks": [], "volumes": []}

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

"""Replicas behind haproxy, for the scale-out tests: the deployment as
haproxy's stats show it, and a steady load of GETs through haproxy.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time

import requests

from tests.docker.compose import ComposeProject
from tests.docker.compose import run
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import wait_for

REPLICAS = 3
WAIT_TIMEOUT = 120  # seconds, for any one state change
CLIENTS = 4  # concurrent clients of the steady load
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


def wait_until(condition, what: str) -> float:
    """Wait for ``condition`` (see wait_for); return the seconds it took."""
    start = time.monotonic()
    wait_for(condition, what, WAIT_TIMEOUT, interval=0.2)
    return time.monotonic() - start


class HAProject(ComposeProject):
    """One `compose -p NAME up --scale api=3` deployment."""

    stats_page = ""
    stats_url = ""

    def replicas(self) -> list[str]:
        """The api containers' names, in replica order."""
        names = self.compose("ps", "-a", "--format", "{{.Name}}",
                             "api").stdout.split()
        return sorted(names, key=lambda name: int(name.rsplit("-", 1)[1]))

    @staticmethod
    def inspect_replica(container: str, template: str) -> str:
        return run("docker", "inspect", "-f", template,
                   container).stdout.strip()

    def address(self, container: str) -> str:
        return self.inspect_replica(
            container, "{{range .NetworkSettings.Networks}}"
            "{{.IPAddress}}{{end}}")

    def healthy(self, container: str) -> bool:
        status = self.inspect_replica(container, "{{.State.Health.Status}}")
        return status == "healthy"

    def servers(self) -> dict[str, tuple[str, str]]:
        """haproxy's view: server name -> (status, address), the status
        UP, DOWN, MAINT..., the address empty while it has none."""
        try:
            text = requests.get(self.stats_url, timeout=5).text
        except requests.RequestException:
            return {}
        return {row["svname"]: (row["status"],
                                row["addr"].rsplit(":", 1)[0])
                for row in csv.DictReader(io.StringIO(text.lstrip("# ")))
                if row["pxname"] == "api"
                and row["svname"] not in ("FRONTEND", "BACKEND")}

    def servers_on_the_page(self) -> list[str]:
        """The api servers the HTML stats page lists, as an operator
        opening /stats sees them."""
        html = requests.get(self.stats_page, timeout=5).text
        return sorted(set(re.findall(r'<a name="api/(api-[0-9]+)">', html)))

    @staticmethod
    def server(container: str) -> str:
        """haproxy's name for a replica: api-N for <project>-api-N."""
        return "api-" + container.rsplit("-", 1)[1]

    def status(self, container: str) -> str:
        return self.servers().get(self.server(container), ("absent", ""))[0]

    def in_rotation(self, container: str) -> bool:
        return self.status(container) == "UP"

    def out_of_rotation(self, container: str) -> bool:
        """haproxy sends the replica nothing: DOWN, or MAINT once gone.

        ("UP 1/2", one failed check of two, still takes traffic.)
        """
        return self.status(container).startswith(("DOWN", "MAINT"))

    def all_in_rotation(self) -> bool:
        return len(self.replicas()) == REPLICAS and all(
            self.healthy(name) and self.in_rotation(name)
            for name in self.replicas())

    def replica_logs(self, container: str) -> str:
        return run("docker", "logs", container).stdout

    def up(self) -> float:
        """Build, start the replicas; return the seconds from start until
        haproxy has them all UP."""
        self.compose("build", timeout=1800)
        start = time.monotonic()
        self.compose("up", "-d", "--scale", f"api={REPLICAS}")
        self.url = "http://" + self.published(8004)
        self.stats_page = f"http://{self.published(8404)}/stats"
        self.stats_url = self.stats_page + ";csv"
        wait_until(self.all_in_rotation,
                   f"{REPLICAS} healthy replicas, UP in haproxy")
        return time.monotonic() - start

    def published(self, port: int) -> str:
        """The host address Docker published haproxy's ``port`` on."""
        return self.compose("port", "haproxy", str(port)).stdout.strip()


class SteadyLoad:
    """``clients`` threads sending GET /greeting/hello until stopped.

    Each client keeps its connection to haproxy alive and pauses briefly
    between requests, so the load is steady without filling the machine.
    A failure is anything but a 200: another status, a connection error or
    no answer within 10 s. The slowest answer's time is kept.
    """

    def __init__(self, url: str, clients: int = CLIENTS,
                 pause: float = 0.01) -> None:
        self.url = url + "/greeting/hello"
        self.pause = pause
        self.sent = 0
        self.slowest = 0.0
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, daemon=True)
                         for _ in range(clients)]

    def _client(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                start = time.monotonic()
                try:
                    response = session.get(self.url, headers=AUTH,
                                           timeout=10)
                    failure = None if response.status_code == 200 else \
                        f"{response.status_code} {response.text[:200]!r}"
                except requests.RequestException as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                took = time.monotonic() - start
                with self._lock:
                    self.sent += 1
                    self.slowest = max(self.slowest, took)
                    if failure:
                        self.failures.append(failure)
                time.sleep(self.pause)

    def __enter__(self) -> SteadyLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return self.sent, len(self.failures)

    def answered(self) -> int:
        """Requests answered 200 so far."""
        sent, failed = self.counts()
        return sent - failed

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

"""Three replicas behind haproxy, under load.

`docker compose up --scale api=3`, for real:
requests spread over every replica, each replica logs the real client,
haproxy's server api-N is compose's replica N (the one `exec --index N`
drains), a rolling restart (drain, wait until haproxy takes the replica
out, SIGTERM, start, wait until it is back) loses no request, a replica
killed with SIGKILL under load costs no request either (haproxy sends
the GETs in flight on it to the others) nor delays one beyond 5 s, and
`down` leaves nothing behind.

Everything listens on loopback, and every wait has a deadline.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
import time

import pytest
import requests

from tests.docker.compose import compose_command
from tests.docker.compose import free_port
from tests.docker.compose import leftovers
from tests.docker.compose import run
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.docker

REPLICAS = 3
WAIT_TIMEOUT = 120  # seconds, for any one state change
STOP_TIMEOUT = 40  # stop_grace_period in docker-compose.yml
CLIENTS = 4  # concurrent clients of the steady load
KILL_CLIENTS = 8  # concurrent clients while a replica is killed
# The longest a GET may take while a replica dies under it: haproxy's
# `timeout server` (3 s), then the retry on another replica.
KILL_LATENCY_LIMIT = 5.0
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


def wait_until(condition, what: str) -> float:
    """Wait for ``condition`` (see wait_for); return the seconds it took."""
    start = time.monotonic()
    wait_for(condition, what, WAIT_TIMEOUT, interval=0.2)
    return time.monotonic() - start


class HAProject:
    """One `compose -p NAME up --scale api=3` deployment."""

    def __init__(self, name: str) -> None:
        port, stats_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.stats_page = f"http://127.0.0.1:{stats_port}/stats"
        self.stats_url = self.stats_page + ";csv"
        self.env = {**os.environ, "GREETER_PORT": str(port),
                    "GREETER_HA_STATS_PORT": str(stats_port)}
        self.name = name
        self.command = [*compose_command(), "-p", name]

    def compose(self, *args: str, **kwargs):
        return run(*self.command, *args, cwd=REPO, env=self.env, **kwargs)

    def replicas(self) -> list[str]:
        """The api containers' names, in replica order."""
        names = self.compose("ps", "-a", "--format", "{{.Name}}",
                             "api").stdout.split()
        return sorted(names, key=lambda name: int(name.rsplit("-", 1)[1]))

    @staticmethod
    def inspect(container: str, template: str) -> str:
        return run("docker", "inspect", "-f", template,
                   container).stdout.strip()

    def address(self, container: str) -> str:
        return self.inspect(
            container, "{{range .NetworkSettings.Networks}}"
            "{{.IPAddress}}{{end}}")

    def healthy(self, container: str) -> bool:
        return self.inspect(container, "{{.State.Health.Status}}") == \
            "healthy"

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

    def logs(self, container: str) -> str:
        return run("docker", "logs", container).stdout

    def up(self) -> float:
        start = time.monotonic()
        self.compose("up", "-d", "--build", "--scale", f"api={REPLICAS}",
                     timeout=1200)
        wait_until(self.all_in_rotation,
                   f"{REPLICAS} healthy replicas, UP in haproxy")
        return time.monotonic() - start

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--rmi",
                     "local", check=False)


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


@pytest.fixture(scope="module")
def ha():
    project = HAProject(f"greeter-ha-test-{os.getpid()}")
    try:
        seconds = project.up()
        print(f"\nha: compose up, {REPLICAS} replicas UP in haproxy in "
              f"{seconds:.1f}s")
        yield project
    finally:
        project.down()


def test_requests_reach_every_replica_which_logs_the_real_client(ha):
    spoofed = "203.0.113.7"
    request_ids = []
    for _ in range(10 * REPLICAS):
        response = requests.get(ha.url + "/greeting/hello", timeout=10,
                                headers={**AUTH, "X-Forwarded-For": spoofed})
        assert response.text == "Hello, Wilkommen, Phred !!\n"
        request_ids.append(response.headers["x-openstack-request-id"])

    # haproxy sees the client arrive from the network's gateway (Docker's
    # port publishing); greeter must log that address, not haproxy's own
    # nor the one the client claimed.
    network = ha.inspect(ha.replicas()[0], "{{range $name, $_ := "
                         ".NetworkSettings.Networks}}{{$name}}{{end}}")
    gateway = run("docker", "network", "inspect", "-f",
                  "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
                  network).stdout.strip()
    haproxy = ha.compose("ps", "-q", "haproxy").stdout.strip()
    served = {}
    for replica in ha.replicas():
        lines = [line for line in ha.logs(replica).splitlines()
                 if any(rid in line for rid in request_ids)]
        served[replica] = len(lines)
        for line in lines:
            assert f'{gateway} "GET /greeting/hello" status: 200' in line
            assert spoofed not in line
            assert ha.address(haproxy) not in line
    print(f"ha: {len(request_ids)} requests, served per replica: {served}")
    assert sum(served.values()) == len(request_ids)
    assert all(count > 0 for count in served.values()), served


def test_the_replica_drained_is_the_one_haproxy_takes_out(ha):
    """`exec --index N` and haproxy's api-N are one replica, as the
    drain procedure in doc/source/admin/scaling.rst relies on."""
    servers = ha.servers()
    for number, replica in enumerate(ha.replicas(), start=1):
        assert ha.server(replica) == f"api-{number}"
        assert servers[f"api-{number}"] == ("UP", ha.address(replica)), \
            servers
    # Only the running replicas are on the page, not ten slots.
    assert ha.servers_on_the_page() == sorted(
        ha.server(name) for name in ha.replicas())
    index = 2
    replica = ha.replicas()[index - 1]
    drain = ["exec", "--index", str(index), "api"]
    ha.compose(*drain, "touch", "/tmp/greeter-api.drain")
    try:
        wait_until(lambda: ha.out_of_rotation(replica),
                   f"haproxy takes api-{index} out")
        others = [name for name in ha.replicas() if name != replica]
        assert all(ha.in_rotation(name) for name in others), ha.servers()
        assert f"api-{index}" in ha.servers_on_the_page()
    finally:
        ha.compose(*drain, "rm", "/tmp/greeter-api.drain")
    wait_until(ha.all_in_rotation, f"api-{index} UP again")


def test_rolling_restart_under_load_loses_no_request(ha):
    steps = []
    with SteadyLoad(ha.url) as load:
        wait_until(lambda: load.counts()[0] >= 50, "load started")
        roll_start = time.monotonic()
        for replica in ha.replicas():
            run("docker", "exec", replica, "touch", "/tmp/greeter-api.drain")
            drained = wait_until(lambda r=replica: ha.out_of_rotation(r),
                                 f"haproxy takes {replica} out")
            start = time.monotonic()
            run("docker", "stop", "--time", str(STOP_TIMEOUT), replica,
                timeout=STOP_TIMEOUT + 30)
            stopped = time.monotonic() - start
            assert ha.inspect(replica, "{{.State.ExitCode}}") == "0"
            run("docker", "start", replica)
            back = wait_until(
                lambda r=replica: ha.healthy(r) and ha.in_rotation(r),
                f"{replica} healthy and UP in haproxy")
            steps.append((replica, drained, stopped, back))
        roll = time.monotonic() - roll_start
        # The last replica takes traffic again before the load stops.
        wait_until(lambda: ha.all_in_rotation(), "all replicas UP")
        time.sleep(1)
    sent, failed = load.counts()
    for replica, drained, stopped, back in steps:
        print(f"ha: rolling restart {replica}: drain -> out of haproxy "
              f"{drained:.1f}s, SIGTERM -> exited {stopped:.1f}s, start -> "
              f"healthy and UP {back:.1f}s")
    print(f"ha: rolling restart of {REPLICAS} replicas in {roll:.1f}s "
          f"under load: {sent} requests sent, {failed} failed")
    assert failed == 0, load.failures[:10]
    assert sent > 100


def test_replica_killed_under_load_costs_no_request(ha):
    """A replica stops answering, then dies, under load: no GET fails.

    It is frozen first (`docker pause`: its connections stay open and
    silent, as when it hangs or its host or network is lost) for longer
    than a GET may take, then killed with SIGKILL. The GETs in flight on
    it, and those sent to it before haproxy takes it out, are answered by
    the others, each within ``KILL_LATENCY_LIMIT``.
    """
    victim = ha.replicas()[0]
    with SteadyLoad(ha.url, clients=KILL_CLIENTS) as load:
        wait_until(lambda: load.counts()[0] >= 50, "load started")
        sent_before = load.counts()[0]
        start = time.monotonic()
        run("docker", "pause", victim)
        out = wait_until(lambda: ha.out_of_rotation(victim),
                         f"haproxy takes the frozen {victim} out")
        # The service goes on with the other replicas.
        answered = load.answered()
        wait_until(lambda: load.answered() >= answered + 100,
                   "100 more requests answered after the freeze")
        time.sleep(max(0.0, start + KILL_LATENCY_LIMIT + 1
                       - time.monotonic()))
        run("docker", "kill", "--signal", "KILL", victim)
        after_kill = time.monotonic() - start
    sent, failed = load.counts()
    print(f"ha: {victim} frozen then killed under {KILL_CLIENTS} clients: "
          f"out of haproxy in {out:.1f}s; {sent - sent_before} requests "
          f"sent in the {after_kill:.1f}s from the freeze to the kill, "
          f"{failed} "
          f"failed, the slowest answered in {load.slowest:.2f}s")
    assert failed == 0, load.failures[:10]
    assert load.slowest < KILL_LATENCY_LIMIT
    assert ha.inspect(victim, "{{.State.ExitCode}}") == "137"

    start = time.monotonic()
    run("docker", "start", victim)
    wait_until(lambda: ha.healthy(victim) and ha.in_rotation(victim),
               f"{victim} healthy and UP in haproxy again")
    print(f"ha: {victim} started again, healthy and UP in "
          f"{time.monotonic() - start:.1f}s")


def test_down_leaves_nothing_behind(ha):
    """Runs last in this module: the teardown the guide gives."""
    ha.compose("down", timeout=120)
    assert leftovers(ha.name) == {
        "containers": [], "networks": [], "volumes": []}

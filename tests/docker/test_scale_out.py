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

import os
import time

import pytest
import requests

from tests.docker.compose import leftovers
from tests.docker.compose import run
from tests.docker.replicas import AUTH
from tests.docker.replicas import REPLICAS
from tests.docker.replicas import HAProject
from tests.docker.replicas import SteadyLoad
from tests.docker.replicas import wait_until

pytestmark = pytest.mark.docker

STOP_TIMEOUT = 40  # stop_grace_period in docker-compose.yml
KILL_CLIENTS = 8  # concurrent clients while a replica is killed
# The longest a GET may take while a replica dies under it: haproxy's
# `timeout server` (3 s), then the retry on another replica.
KILL_LATENCY_LIMIT = 5.0


@pytest.fixture(scope="module")
def ha(tmp_path_factory):
    project = HAProject(f"greeter-ha-test-{os.getpid()}",
                        tmp_path_factory.mktemp("ha"))
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
    network = ha.inspect_replica(
        ha.replicas()[0],
        "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}")
    gateway = run("docker", "network", "inspect", "-f",
                  "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
                  network).stdout.strip()
    haproxy = ha.compose("ps", "-q", "haproxy").stdout.strip()
    served = {}
    for replica in ha.replicas():
        lines = [line for line in ha.replica_logs(replica).splitlines()
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
            assert ha.inspect_replica(replica, "{{.State.ExitCode}}") == "0"
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
    assert ha.inspect_replica(victim, "{{.State.ExitCode}}") == "137"

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

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

"""The default deployment withstands slow and idle clients.

`docker compose up` as the README gives it: 200 connections that send
part of a request and then trickle or stop (headers, a body, a chunked
body framed with bare LFs) or send nothing at all are held open for 30 s,
each opened again as soon as it is closed, while a probe asks
/healthcheck and the API every second and must get its 200 each time,
promptly. gunicorn alone has 16 threads (2 workers of 8) that would each
wait on one such client; haproxy in front holds them instead.
"""

from __future__ import annotations

import os
import selectors
import socket
import statistics
import threading
import time

import pytest
import requests

from tests.docker.compose import ComposeProject
from tests.fixtures.shipped import SHIPPED_TOKEN

pytestmark = pytest.mark.docker

HOLD = 30  # seconds the slow clients are held
SLOW_CLIENTS = 200
PROBE_INTERVAL = 1.0
PROBE_TIMEOUT = 2.0  # a probe answered later than this has failed
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}

# How each kind of slow client starts, and what it sends every second
# after that (nothing, for a client that only holds its connection).
SLOW_REQUESTS = {
    "partial headers": (
        b"GET /greeting/hello HTTP/1.1\r\nHost: greeter\r\nX-Slow: ",
        b"a"),
    "partial body": (
        b"POST /greeting/hello HTTP/1.1\r\nHost: greeter\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 100000\r\n\r\n",
        b"a"),
    "chunked body, bare LF": (
        b"POST /greeting/hello HTTP/1.1\r\nHost: greeter\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\nhello\n",
        b"1\na\n"),
    "nothing": (b"", b""),
}


class SlowClients:
    """``SLOW_CLIENTS`` connections, as many of each kind, in one thread.

    Each sends its start, then its trickle every second; a connection the
    server closes is opened again at once, so that the count held stays
    the same. ``closed`` counts the connections the server closed.
    """

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.opened = 0
        self.closed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self, kind: str) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=5)
        sock.sendall(SLOW_REQUESTS[kind][0])
        sock.setblocking(False)
        self.opened += 1
        return sock

    def _run(self) -> None:
        kinds = list(SLOW_REQUESTS)
        selector = selectors.DefaultSelector()
        for number in range(SLOW_CLIENTS):
            kind = kinds[number % len(kinds)]
            selector.register(self._connect(kind), selectors.EVENT_READ,
                              kind)
        next_trickle = time.monotonic() + 1
        while not self._stop.is_set():
            gone = []
            for key, _ in selector.select(timeout=0.1):
                try:
                    if not key.fileobj.recv(65536):
                        gone.append(key)
                except OSError:
                    gone.append(key)
            if time.monotonic() >= next_trickle:
                next_trickle += 1
                for key in list(selector.get_map().values()):
                    trickle = SLOW_REQUESTS[key.data][1]
                    try:
                        if trickle and key not in gone:
                            key.fileobj.send(trickle)
                    except OSError:
                        gone.append(key)
            for key in gone:
                selector.unregister(key.fileobj)
                key.fileobj.close()
                self.closed += 1
                selector.register(self._connect(key.data),
                                  selectors.EVENT_READ, key.data)
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def probe(url: str, headers: dict) -> tuple[int | str, float]:
    """One request on a new connection: its status (or error) and time."""
    start = time.monotonic()
    try:
        status = requests.get(url, headers=headers,
                              timeout=PROBE_TIMEOUT).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return status, time.monotonic() - start


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    project = ComposeProject(f"greeter-slow-test-{os.getpid()}",
                             tmp_path_factory.mktemp("slow-clients"))
    try:
        project.up()
        yield project
    finally:
        project.down()


def test_probes_are_answered_while_slow_clients_are_held(deployment):
    host, port = deployment.url.removeprefix("http://").rsplit(":", 1)
    targets = [(deployment.url + "/healthcheck", {}),
               (deployment.url + "/greeting/hello", AUTH)]
    results: list[tuple[str, int | str, float]] = []
    with SlowClients(host, int(port)) as slow:
        start = time.monotonic()
        while time.monotonic() - start < HOLD:
            tick = time.monotonic()
            for url, headers in targets:
                results.append((url, *probe(url, headers)))
            time.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - tick)))
        opened, closed = slow.opened, slow.closed
    latencies = sorted(took for _, _, took in results)
    failed = [(url, status, round(took, 2))
              for url, status, took in results if status != 200]
    print(f"\nslow clients: {SLOW_CLIENTS} held for {HOLD}s "
          f"({opened} connections opened, {closed} closed by the server); "
          f"{len(results) - len(failed)} of {len(results)} probes answered "
          f"200, median {statistics.median(latencies) * 1000:.0f} ms, "
          f"slowest {latencies[-1] * 1000:.0f} ms")
    assert opened >= SLOW_CLIENTS
    assert not failed, failed[:10]
    assert len(results) >= HOLD  # two probes a second, at least half

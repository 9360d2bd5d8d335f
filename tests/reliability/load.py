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

"""A small, bounded load generator for the reliability tests (loopback)."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from dataclasses import field

from tests.conftest import SHIPPED_TOKEN


@dataclass
class Outcome:
    started: float
    ended: float
    status: int | None  # None: the request failed without a response
    error: str = ""


@dataclass
class Load:
    """``clients`` threads sending GET /greeting/hello back to back, each on
    a new connection, until ``stop()`` or ``max_seconds``."""

    port: int
    clients: int = 4
    max_seconds: float = 30.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, daemon=True)
                         for _ in range(self.clients)]

    def _one(self) -> Outcome:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port,
                                                timeout=10)
        try:
            connection.request("GET", "/greeting/hello",
                               headers={"X-Auth-Token": SHIPPED_TOKEN,
                                        "Connection": "close"})
            response = connection.getresponse()
            body = response.read()
            status = response.status
            if status == 200 and body != b"Hello, Wilkommen, Phred !!\n":
                return Outcome(started, time.monotonic(), None, "bad body")
            return Outcome(started, time.monotonic(), status)
        except OSError as exc:  # refused, reset, timed out
            return Outcome(started, time.monotonic(), None, repr(exc))
        except http.client.HTTPException as exc:
            return Outcome(started, time.monotonic(), None, repr(exc))
        finally:
            connection.close()

    def _client(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            outcome = self._one()
            with self._lock:
                self.outcomes.append(outcome)
            if outcome.status is None:
                time.sleep(0.01)  # do not spin on a refused port

    def answered(self) -> int:
        """How many requests got a 200 so far."""
        with self._lock:
            return sum(1 for o in self.outcomes if o.status == 200)

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        return self.outcomes

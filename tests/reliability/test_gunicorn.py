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

"""gunicorn as greeter-api runs it: the [api] settings reach it, and its
own lines (start-up, workers, signals, timeouts) are in oslo.log's format,
JSON included."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import time

import pytest
import requests

from tests.fixtures.process import CONFIGURED_TOKENS
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import wait_for

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}
# oslo.log's text format: date, time, pid, level, logger name.
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ "
                       r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+ ")


def hello(server, **kwargs) -> requests.Response:
    return requests.get(server.url + "/greeting/hello", headers=AUTH,
                        timeout=kwargs.pop("timeout", 10), **kwargs)


@pytest.mark.parametrize("use_json", ["true", "false"])
def test_every_line_is_in_one_format(start_greeter, tmp_path, use_json):
    """Start, requests, a reload, a failed reload, a worker timeout and
    its SIGKILL, a stop: every line on stdout and stderr is one JSON
    object with use_json, and an oslo.log text line without."""
    conf = tmp_path / "greeter.conf"
    shutil.copy(SHIPPED_CONF, conf)
    server = start_greeter(
        env={"OS_DEFAULT__USE_JSON": use_json, "OS_API__TIMEOUT": "3",
             "OS_PASTE_DEPLOY__CONFIG_FILE":
                 str(SHIPPED_CONF.parent / "api-paste.ini")},
        args=["--config-file", str(conf)])
    assert hello(server).ok
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "Reloaded the configuration" in server.log(),
             "the reload")
    with conf.open("a") as extra:
        extra.write("\n[api]\nthreads = 0\n")
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "Reload failed" in server.log(), "the failed reload")
    worker = wait_for(lambda: len(server.worker_pids()) == 2
                      and server.worker_pids(), "two workers")[0]
    os.kill(worker, signal.SIGSTOP)
    wait_for(lambda: "was sent SIGKILL" in server.log(),
             "the stopped worker to time out and be killed")
    assert hello(server).ok
    assert server.stop() == 0

    lines = server.log().splitlines()
    assert lines
    if use_json == "true":
        records = [json.loads(line) for line in lines]
        assert all(isinstance(record, dict) for record in records)
        messages = [record["message"] for record in records]
    else:
        bad = [line for line in lines if not TEXT_LINE.match(line)]
        assert not bad, bad[:5]
        messages = lines
    for expected in ("Starting gunicorn", "Booting worker",
                     "Handling signal: hup", "Reloaded the configuration",
                     "Reload failed", f"WORKER TIMEOUT (pid:{worker})",
                     f"Worker (pid:{worker}) was sent SIGKILL",
                     "Handling signal: term", "Shutting down: Master",
                     '"GET /greeting/hello" status: 200'):
        assert any(expected in message for message in messages), expected


def test_threads_setting_limits_a_worker(start_greeter):
    """Three threads: two slow clients leave one; a third takes it."""
    server = start_greeter(env={"OS_API__WORKERS": "1",
                                "OS_API__THREADS": "3"})
    slow = []

    def hold_a_thread() -> None:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n")
        slow.append(client)
        time.sleep(0.5)

    hold_a_thread()
    hold_a_thread()
    assert hello(server).ok
    hold_a_thread()
    with pytest.raises(requests.Timeout):
        hello(server, timeout=2)
    for client in slow:
        client.close()
    assert hello(server).ok


def test_keepalive_setting_closes_idle_connections(start_greeter):
    server = start_greeter(env={"OS_API__KEEPALIVE": "6"})
    connection = http.client.HTTPConnection("127.0.0.1", server.port,
                                            timeout=20)
    connection.request("GET", "/healthcheck")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b"OK"
    idle = time.monotonic()
    # Still open after 3 s (gunicorn's own default closes it after 2 s),
    # then closed by the server.
    readable, _, _ = select.select([connection.sock], [], [], 3)
    assert not readable, "closed before keepalive ran out"
    assert connection.sock.recv(1) == b""
    closed_after = time.monotonic() - idle
    connection.close()
    assert 3 < closed_after < 15, closed_after


def test_max_requests_setting_restarts_the_worker(start_greeter):
    server = start_greeter(env={"OS_API__WORKERS": "1",
                                "OS_API__MAX_REQUESTS": "10"})
    first = server.worker_pids()
    for _ in range(25):
        assert requests.get(server.url + "/greeting/hello", timeout=10,
                            headers={**AUTH, "Connection": "close"}).ok
    wait_for(lambda: server.worker_pids()
             and server.worker_pids() != first, "a new worker")
    assert "Autorestarting worker after current request" in server.log()


def test_worker_class_setting(start_greeter):
    # [api] threads (8 by default) is for gthread: gunicorn would run
    # gthread for any class given more than one thread.
    server = start_greeter(env={"OS_API__WORKER_CLASS": "sync"})
    assert hello(server).ok
    assert "Using worker: sync" in server.log()


def test_debug_start_up_logs_options_but_no_token(start_greeter, tmp_path):
    """--debug logs every option's value: the tokens are masked."""
    file_token = "debug-file-token-secret"  # nosec B105
    env_token = "debug-env-token-secret"  # nosec B105
    CONFIGURED_TOKENS.update({file_token, env_token})
    token_file = tmp_path / "tokens"
    token_file.write_text(file_token + "\n")
    server = start_greeter(
        env={"OS_AUTH__TOKENS": env_token,
             "OS_AUTH__TOKEN_FILE": str(token_file)},
        args=["--config-file", str(SHIPPED_CONF), "--debug"])
    for token in (file_token, env_token):
        assert requests.get(server.url + "/greeting/hello", timeout=10,
                            headers={"X-Auth-Token": token}).ok
    server.stop()
    log = server.log()
    assert re.search(r"DEBUG \S+ \[-\] auth\.tokens\s+= \*\*\*\*", log)
    assert re.search(r"auth\.token_file\s+= " + re.escape(str(token_file)),
                     log)
    assert file_token not in log and env_token not in log

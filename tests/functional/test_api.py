"""The API over real HTTP, against a real greeter-api: requests, curl, http."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
import requests

from tests.conftest import SHIPPED_TOKEN

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}
REQUEST_ID = re.compile(r"req-[0-9a-f-]{36}")


def httpie() -> list[str]:
    script = shutil.which("http")
    return [script] if script else [sys.executable, "-m", "httpie"]


@pytest.mark.parametrize("path, line", [
    ("/greeting/hello", "Hello, Wilkommen, Phred !!\n"),
    ("/greeting/goodbye", "Good Bye, Wilkommen, Phred !!\n"),
])
def test_curl_gets_the_shipped_greetings(greeter, path, line):
    result = subprocess.run(
        ["curl", "-sS", "-H", f"X-Auth-Token: {SHIPPED_TOKEN}",
         greeter.url + path], capture_output=True, text=True, check=True,
        timeout=10)
    assert result.stdout == line


def test_curl_without_token_gets_401(greeter):
    result = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
         greeter.url + "/greeting/hello"], capture_output=True, text=True,
        check=True, timeout=10)
    assert result.stdout == "401"


@pytest.mark.parametrize("path, line", [
    ("/greeting/hello", "Hello, Wilkommen, Phred !!\n"),
    ("/greeting/goodbye", "Good Bye, Wilkommen, Phred !!\n"),
])
def test_httpie_gets_the_shipped_greetings(greeter, path, line):
    result = subprocess.run(
        [*httpie(), "--ignore-stdin", "--body", greeter.url + path,
         f"X-Auth-Token:{SHIPPED_TOKEN}"], capture_output=True, text=True,
        check=True, timeout=20)
    assert result.stdout == line


def test_httpie_gets_json_when_asked(greeter):
    result = subprocess.run(
        [*httpie(), "--ignore-stdin", "--body",
         f"{greeter.url}/greeting/hello", f"X-Auth-Token:{SHIPPED_TOKEN}",
         "Accept:application/json"],
        capture_output=True, text=True, check=True, timeout=20)
    assert json.loads(result.stdout) == {
        "message": "Hello, Wilkommen, Phred !!", "name": "Phred",
        "greeting": "Wilkommen"}


def test_httpie_check_status_fails_on_401(greeter):
    result = subprocess.run(
        [*httpie(), "--ignore-stdin", "--check-status", "--body",
         f"{greeter.url}/greeting/hello"], capture_output=True, text=True,
        timeout=20)
    assert result.returncode == 4  # httpie's exit status for a 4xx
    assert json.loads(result.stdout)["errors"][0]["status"] == 401


def test_requests_json_and_headers(greeter):
    response = requests.get(greeter.url + "/greeting/hello", timeout=5,
                            headers={**AUTH, "Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["name"] == "Phred"
    assert REQUEST_ID.fullmatch(response.headers["x-openstack-request-id"])


def test_head(greeter):
    response = requests.head(greeter.url + "/greeting/hello", headers=AUTH,
                             timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "27"


def test_log_line_per_request_without_token(greeter):
    response = requests.get(greeter.url + "/greeting/goodbye", headers=AUTH,
                            timeout=5)
    request_id = response.headers["x-openstack-request-id"]
    lines = [line for line in greeter.log().splitlines()
             if request_id in line]
    assert len(lines) == 1
    (line,) = lines
    assert '"GET /greeting/goodbye" status: 200' in line
    assert "token: presented" in line
    assert "ms token" in line and "127.0.0.1" in line
    assert SHIPPED_TOKEN not in greeter.log()


def test_request_log_can_be_silenced(start_greeter):
    # The operator's switch the README gives for the access line's cost.
    server = start_greeter(env={
        "OS_DEFAULT__DEFAULT_LOG_LEVELS":
            "greeter.api.middleware.request_log=WARN"})
    response = requests.get(server.url + "/greeting/hello", headers=AUTH,
                            timeout=5)
    assert response.status_code == 200
    request_id = response.headers["x-openstack-request-id"]
    log = server.log()
    assert "Booting worker" in log
    assert request_id not in log
    assert '"GET /greeting/hello"' not in log


def test_env_overrides_config(start_greeter):
    server = start_greeter(env={"OS_GREETING__NAME": "Bob",
                                "OS_GREETING__GREETING": "Howdy"})
    response = requests.get(server.url + "/greeting/hello", headers=AUTH,
                            timeout=5)
    assert response.text == "Hello, Howdy, Bob !!\n"


def test_json_log_lines(start_greeter):
    server = start_greeter(env={"OS_DEFAULT__USE_JSON": "true"})
    response = requests.get(server.url + "/greeting/hello", headers=AUTH,
                            timeout=5)
    request_id = response.headers["x-openstack-request-id"]
    records = [json.loads(line) for line in server.log().splitlines()
               if line.startswith("{")]
    (record,) = [r for r in records if r.get("context", {}).get(
        "request_id") == request_id]
    assert "status: 200" in record["message"]


def test_sigterm_exits_zero(start_greeter):
    server = start_greeter()
    assert server.stop() == 0

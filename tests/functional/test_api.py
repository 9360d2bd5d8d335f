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

"""The API over real HTTP, against a real greeter-api: requests, curl, http."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import requests

from tests.fixtures.responses import REQUEST_ID
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT as TIMEOUT

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


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
    response = requests.get(greeter.url + "/greeting/hello", timeout=TIMEOUT,
                            headers={**AUTH, "Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["name"] == "Phred"
    assert REQUEST_ID.fullmatch(response.headers["x-openstack-request-id"])


def test_head(greeter):
    response = requests.head(greeter.url + "/greeting/hello", headers=AUTH,
                             timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "27"


def test_env_overrides_config(start_greeter):
    server = start_greeter(env={"OS_GREETING__NAME": "Bob",
                                "OS_GREETING__GREETING": "Howdy"})
    response = requests.get(server.url + "/greeting/hello", headers=AUTH,
                            timeout=TIMEOUT)
    assert response.text == "Hello, Howdy, Bob !!\n"


def test_demo_token_is_warned_about_at_start_up(start_greeter):
    server = start_greeter()
    (line,) = [line for line in server.log().splitlines()
               if "demo token" in line]
    assert "WARNING" in line
    assert SHIPPED_TOKEN not in line
    other = start_greeter(env={"OS_AUTH__TOKENS": "not-the-demo-token"})
    assert "demo token" not in other.log()


def test_token_file_written_on_windows(start_greeter, tmp_path):
    token_file = tmp_path / "tokens"
    # A byte-order mark, CRLF line ends and an indented comment.
    token_file.write_bytes(b"\xef\xbb\xbffile-token-1\r\n"
                           b"  # retired-token\r\n\r\n  file-token-2 \r\n")
    server = start_greeter(env={"OS_AUTH__TOKENS": "",
                                "OS_AUTH__TOKEN_FILE": str(token_file)})

    def status(token: str) -> int:
        return requests.get(server.url + "/greeting/hello", timeout=TIMEOUT,
                            headers={"X-Auth-Token": token}).status_code

    assert status("file-token-1") == 200
    assert status("file-token-2") == 200
    for refused in ("# retired-token", SHIPPED_TOKEN,
                    "\ufefffile-token-1".encode().decode("latin-1")):
        assert status(refused) == 401, refused


def test_versions_links_ignore_host_with_public_endpoint(start_greeter):
    server = start_greeter(env={
        "OS_API__PUBLIC_ENDPOINT": "https://greeter.example/",
        "OS_OSLO_MIDDLEWARE__ENABLE_PROXY_HEADERS_PARSING": "true"})
    for headers in ({"Host": "evil.example"},
                    {"X-Forwarded-Host": "evil.example",
                     "X-Forwarded-Proto": "http"}):
        response = requests.get(server.url + "/", headers=headers,
                                timeout=TIMEOUT)
        assert response.status_code == 200
        assert response.json()["versions"][0]["links"] == [
            {"rel": "self", "href": "https://greeter.example/"}]


def test_versions_links_follow_host_by_default(greeter):
    response = requests.get(greeter.url + "/", timeout=TIMEOUT,
                            headers={"Host": "api.example:8080"})
    assert response.json()["versions"][0]["links"][0]["href"] == \
        "http://api.example:8080/"


def test_versions_with_unacceptable_accept_is_406(greeter):
    response = requests.get(greeter.url + "/", timeout=TIMEOUT,
                            headers={"Accept": "image/png"})
    assert response.status_code == 406
    (error,) = response.json()["errors"]
    assert error["code"] == "greeter.not_acceptable"


@pytest.mark.parametrize("path", ["/healthcheck/anything", "/healthcheck/"])
def test_below_healthcheck_is_404(greeter, path):
    response = requests.get(greeter.url + path, timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "greeter.not_found"
    assert requests.get(greeter.url + "/healthcheck",
                        timeout=TIMEOUT).status_code == 200


MAX_BODY = 114688  # [oslo_middleware] max_request_body_size's default


def chunked_body(size: int, piece: int = 16384):
    """A body that requests sends chunked: a generator, no length."""
    while size > 0:
        yield b"x" * min(piece, size)
        size -= piece


def test_chunked_body_over_the_limit_is_413(greeter):
    # A chunked body announces no length; the API reads no body. The size
    # limit reads it all the same, and refuses it.
    response = requests.get(
        greeter.url + "/greeting/hello", data=chunked_body(MAX_BODY + 1),
        headers={"X-Auth-Token": SHIPPED_TOKEN}, timeout=TIMEOUT)
    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["code"] == "greeter.request_too_large"
    assert error["detail"] == (
        f"The request body is larger than {MAX_BODY} bytes.")
    assert error["request_id"] == response.headers["x-openstack-request-id"]


def test_chunked_body_within_the_limit_is_served(greeter):
    response = requests.get(
        greeter.url + "/greeting/hello", data=chunked_body(MAX_BODY),
        headers={"X-Auth-Token": SHIPPED_TOKEN}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.text == "Hello, Wilkommen, Phred !!\n"


@pytest.mark.parametrize("path, curl_args, status, line", [
    ("/greeting/hello", [], 401,
     "401 Unauthorized: This request needs an X-Auth-Token header.\n"),
    ("/greeting/hello", ["-H", "X-Auth-Token: wrong"], 401,
     "401 Unauthorized: The X-Auth-Token is not valid.\n"),
    ("/greeting/hello", ["-H", f"X-Auth-Token: {SHIPPED_TOKEN}", "-X",
                         "DELETE"], 405,
     "405 Method Not Allowed: Method DELETE is not allowed here.\n"),
    # The versions document is JSON only.
    ("/", [], 406, "406 Not Acceptable: This resource can be served as "
     "application/json.\n"),
    ("/greeting/hello", ["-H", f"X-Auth-Token: {SHIPPED_TOKEN}",
                         "--data-binary", "@-"], 413,
     "413 Request Entity Too Large: The request body is larger than "
     "114688 bytes.\n"),
])
def test_errors_as_text_for_curl(greeter, path, curl_args, status, line):
    # A client that prefers text gets every error as one line of text.
    result = subprocess.run(
        ["curl", "-sS", "-H", "Accept: text/plain", "-w", "%{http_code}",
         *curl_args, greeter.url + path],
        input=b"x" * (114688 + 1), capture_output=True, check=True,
        timeout=30)
    body, got = result.stdout[:-3].decode(), int(result.stdout[-3:])
    assert (got, body) == (status, line)


def test_sigterm_exits_zero(start_greeter):
    server = start_greeter()
    assert server.stop() == 0

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

"""The fault wrapper in a real greeter-api, in front of apps that misbehave.

Before greeter reads the body itself, a lazy start_response or an error
raised while the body is iterated left gunicorn to answer with its bare
500 page; every answer must be in greeter's error shape.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import REPO
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT

AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


@pytest.fixture(scope="module")
def broken(greeter_logs, tmp_path_factory):
    from tests.fixtures.process import GreeterProcess

    workdir = tmp_path_factory.mktemp("broken")
    paste = (ETC / "api-paste.ini").read_text()
    v1_factory = "greeter.api.v1:API.factory"
    assert v1_factory in paste
    paste_file = workdir / "api-paste.ini"
    paste_file.write_text(paste.replace(
        v1_factory, "tests.functional.broken_app:factory"))
    server = GreeterProcess(workdir, env={
        "OS_PASTE_DEPLOY__CONFIG_FILE": str(paste_file),
        # The test apps live in this checkout's tests package.
        "PYTHONPATH": str(REPO)}, log_dir=greeter_logs)
    server.start()
    yield server
    server.stop()


def get(server, path: str) -> requests.Response:
    return requests.get(server.url + path, headers=AUTH,
                        timeout=REQUEST_TIMEOUT)


def test_lazy_start_response_is_served(broken):
    response = get(broken, "/lazy")
    assert response.status_code == 200
    assert response.text == "lazy but fine\n"


def test_error_while_iterating_is_500_in_the_error_shape(broken):
    response = get(broken, "/fails-while-iterating")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    (error,) = response.json()["errors"]
    request_id = response.headers["x-openstack-request-id"]
    assert error["code"] == "greeter.internal_error"
    assert error["request_id"] == request_id
    assert "internal detail 42" not in response.text
    assert "half a body" not in response.text
    # The traceback is in the log, on lines tagged with the request id.
    log = broken.wait_for_log(f"{request_id} ").splitlines()
    (first,) = [line for line in log if "Unexpected error" in line]
    assert request_id in first
    assert any("internal detail 42" in line and request_id in line
               for line in log)


def test_status_webob_does_not_know_keeps_its_status(broken):
    response = get(broken, "/odd-status")
    assert response.status_code == 499
    (error,) = json.loads(response.text)["errors"]
    assert error["status"] == 499
    assert error["code"] == "greeter.undefined"

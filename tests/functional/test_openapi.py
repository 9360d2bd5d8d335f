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

"""greeter/api/openapi.yaml describes what the real service answers."""

from __future__ import annotations

import pathlib

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from openapi_core.contrib.requests import RequestsOpenAPIResponse

import greeter
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT as TIMEOUT

SPEC_PATH = pathlib.Path(greeter.__file__).parent / "api" / "openapi.yaml"
AUTH = {"X-Auth-Token": SHIPPED_TOKEN}


@pytest.fixture(scope="module")
def openapi(greeter):
    spec = yaml.safe_load(SPEC_PATH.read_text())
    spec["servers"] = [{"url": greeter.url}]
    return OpenAPI.from_dict(spec)


@pytest.mark.parametrize("method, path, headers, status", [
    ("GET", "/greeting/hello", AUTH, 200),
    ("GET", "/greeting/goodbye", {**AUTH, "Accept": "application/json"},
     200),
    ("GET", "/greeting/hello", {}, 401),
    ("GET", "/greeting/hello", {"X-Auth-Token": "wrong"}, 401),
    ("GET", "/greeting/hello", {**AUTH, "Accept": "text/plain"}, 200),
    ("GET", "/greeting/goodbye", {**AUTH, "Accept": "image/png"}, 406),
    ("GET", "/greeting/hello", {"Accept": "text/plain"}, 401),
    ("GET", "/", {}, 200),
    ("GET", "/healthcheck", {}, 200),
    ("GET", "/healthcheck", {"Accept": "application/json"}, 200),
])
def test_responses_match_the_description(greeter, openapi, method, path,
                                         headers, status):
    response = requests.request(method, greeter.url + path, headers=headers,
                                timeout=TIMEOUT)
    assert response.status_code == status
    openapi.validate_response(RequestsOpenAPIRequest(response.request),
                              RequestsOpenAPIResponse(response))


def test_description_names_every_route():
    from greeter.api import v1

    paths = yaml.safe_load(SPEC_PATH.read_text())["paths"]
    for path in v1.GREETING_ROUTES:
        assert "/greeting" + path in paths

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

"""greeter.api.middleware.request_target: a request target that is not a
path gets a 400 in greeter's shape; paths and absolute URLs pass."""

from __future__ import annotations

import pytest
import webob

from greeter.api.middleware import request_target
from tests.fixtures.responses import errors_of
from tests.fixtures.shipped import SHIPPED_TOKEN


def _answer(app, target: str) -> webob.Response:
    request = webob.Request.blank("/", headers={"X-Auth-Token": SHIPPED_TOKEN})
    request.environ["PATH_INFO"] = target
    return request.get_response(app)


@pytest.mark.parametrize("target", ["*", "host:22", "example.org:443",
                                    "ftp://example.org/greeting/hello"])
def test_a_target_that_is_not_a_path_is_400(app, target):
    response = _answer(app, target)
    assert response.status_int == 400
    (error,) = errors_of(response)
    assert error["detail"] == ("The request target is not a path: greeter "
                               "serves paths only.")
    assert error["request_id"] == response.headers["x-openstack-request-id"]


@pytest.mark.parametrize("target", [
    "/greeting/hello", "", "http://example.org/greeting/hello",
    "https://example.org/healthcheck"])
def test_paths_and_absolute_urls_pass(app, target):
    response = _answer(app, target)
    assert response.status_int == 200, response.text


def test_a_request_without_path_info_passes(conf):
    # PATH_INFO may be missing altogether (the mount point itself).
    def inner(environ, start_response):
        start_response("204 No Content", [])
        return []

    request = webob.Request.blank("/")
    del request.environ["PATH_INFO"]
    response = request.get_response(
        request_target.RequestTarget(inner, conf))
    assert response.status_int == 204

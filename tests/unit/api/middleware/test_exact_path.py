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

"""greeter.api.middleware.exact_path: only the exact path reaches
/healthcheck; the paths paste's urlmap normalises."""

from __future__ import annotations

import pytest
import webob
import webob.exc

from greeter.api.middleware import exact_path
from tests.fixtures.responses import REQUEST_ID
from tests.fixtures.responses import errors_of


@pytest.mark.parametrize("path", ["/healthcheck/anything", "/healthcheck/",
                                  "/healthcheck/healthcheck"])
def test_below_healthcheck_is_404(call, path):
    response = call(path, token=None)
    assert response.status_int == 404
    (error,) = errors_of(response)
    assert error["code"] == "greeter.not_found"
    assert error["detail"] == "No such resource."
    assert error["request_id"] == response.headers["x-openstack-request-id"]


def test_exact_path_passes_a_request_without_path_info():
    # PATH_INFO may be missing altogether (the mount point itself).
    exact = exact_path.ExactPath(
        lambda environ, start_response: webob.Response("passed")(
            environ, start_response))
    request = webob.Request.blank("/")
    del request.environ["PATH_INFO"]
    assert request.get_response(exact).text == "passed"


@pytest.mark.parametrize("raw_path, status", [
    ("/healthcheckx", 404), ("//nope", 404), ("//healthcheck//x", 404),
    ("http://host/nope", 404), ("//greeting//hello", 200),
    ("http://host/greeting/hello", 200), ("//healthcheck", 200)])
def test_paths_paste_normalises_reach_the_api_or_healthcheck(call, raw_path,
                                                             status):
    # paste's urlmap collapses repeated slashes and strips a scheme and
    # host; what it maps to the API gets the API's answer, in its shape.
    response = call("/", environ={"PATH_INFO": raw_path})
    assert response.status_int == status
    assert REQUEST_ID.match(response.headers["x-openstack-request-id"])
    if status == 404:
        (error,) = errors_of(response)
        assert error["code"] == "greeter.not_found"
        assert error["request_id"] == \
            response.headers["x-openstack-request-id"]

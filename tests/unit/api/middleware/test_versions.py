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

"""greeter.api.middleware.versions: the version document at the root."""

from __future__ import annotations

import pytest
import webob
import webob.exc

from greeter.api.middleware import versions
from greeter.common import config
from tests.fixtures.responses import errors_of


def test_versions_need_no_token(call):
    response = call("/", token=None)
    assert response.status_int == 200
    (version,) = response.json["versions"]
    assert version["id"] == "v1.0"
    assert version["links"][0]["href"] == "http://localhost/"


def test_versions_follow_proxy_headers(conf):
    conf.set_override("enable_proxy_headers_parsing", True,
                      group="oslo_middleware")
    request = webob.Request.blank("/", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"})
    response = request.get_response(config.load_paste_app(conf))
    assert response.json["versions"][0]["links"][0]["href"] == \
        "https://api.example/"


def test_proxy_headers_ignored_unless_enabled(call):
    response = call("/", token=None, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"})
    assert response.json["versions"][0]["links"][0]["href"] == \
        "http://localhost/"


def test_versions_reject_post_with_405(call):
    response = call("/", method="POST")
    assert response.status_int == 405
    assert response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("proxy_parsing", [False, True])
def test_versions_links_use_the_public_endpoint(conf, proxy_parsing):
    conf.set_override("public_endpoint", "https://greeter.example/api/",
                      group="api")
    conf.set_override("enable_proxy_headers_parsing", proxy_parsing,
                      group="oslo_middleware")
    request = webob.Request.blank("/", headers={
        "Host": "evil.example", "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http"})
    response = request.get_response(config.load_paste_app(conf))
    assert response.json["versions"][0]["links"][0]["href"] == \
        "https://greeter.example/api/"


def test_versions_links_follow_host_without_public_endpoint(call):
    response = call("/", token=None, headers={"Host": "api.example:8080"})
    assert response.json["versions"][0]["links"][0]["href"] == \
        "http://api.example:8080/"


@pytest.mark.parametrize("accept", ["image/png", "text/plain",
                                    "application/json;q=0"])
def test_versions_with_unacceptable_accept_is_406(call, accept):
    response = call("/", token=None, headers={"Accept": accept})
    assert response.status_int == 406
    if accept == "text/plain":
        assert response.text == ("406 Not Acceptable: This resource can be "
                                 "served as application/json.\n")
    else:
        assert errors_of(response)[0]["code"] == "greeter.not_acceptable"


def test_versions_document(call):
    for method in ("GET", "HEAD"):
        response = call("/", method=method, token=None)
        assert response.status_int == 200
        assert response.content_type == "application/json"
    assert call("/", token=None).json == {"versions": [{
        "id": "v1.0", "status": "CURRENT", "min_version": "", "version": "",
        "updated": "2026-11-25T00:00:00Z",
        "links": [{"rel": "self", "href": "http://localhost/"}]}]}


def test_versions_answer_an_empty_path_too(call):
    # Mounted at the root, the API may see PATH_INFO "" (the mount point).
    response = call("/", token=None, environ={"PATH_INFO": ""})
    assert response.status_int == 200
    assert response.json["versions"][0]["id"] == "v1.0"


def test_versions_answer_without_path_info(conf):
    # PATH_INFO may be missing altogether for the mount point itself.
    discovery = versions.VersionDiscovery(lambda environ, start: [], conf)
    request = webob.Request.blank("/")
    del request.environ["PATH_INFO"]
    response = request.get_response(discovery)
    assert response.json["versions"][0]["id"] == "v1.0"


@pytest.mark.parametrize("endpoint, href", [
    ("https://greeter.example/API-X/", "https://greeter.example/API-X/"),
    ("http://greeter.internal:8004/", "http://greeter.internal:8004/"),
    ("https://greeter.example/API-X", "https://greeter.example/API-X/"),
    ("https://greeter.example", "https://greeter.example/"),
])
def test_public_endpoint_with_or_without_slash(conf, endpoint, href):
    conf.set_override("public_endpoint", endpoint, group="api")
    response = webob.Request.blank("/").get_response(
        config.load_paste_app(conf))
    assert response.json["versions"][0]["links"][0]["href"] == href


@pytest.mark.parametrize("endpoint", ["ftp://greeter.example/",
                                      "greeter.example"])
def test_public_endpoint_must_be_an_http_url(conf, endpoint):
    with pytest.raises(ValueError):
        conf.set_override("public_endpoint", endpoint, group="api")

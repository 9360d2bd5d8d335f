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


"""The bench's stage variants: the shipped paste file less one stage."""

from __future__ import annotations

import pytest
import webob

from benchmarks import stage_variants
from greeter.common import config
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import SHIPPED_TOKEN

PASTE = ETC / "api-paste.ini"


@pytest.fixture
def route():
    parser = stage_variants.read_paste(PASTE)
    return parser, stage_variants.route(parser, "token", "/greeting/hello")


@pytest.fixture
def app_without(conf, tmp_path, route):
    """greeter's app built through paste from the file less one stage."""
    parser, found = route

    def _build(name: str):
        stage = next(s for s in found.stages if s.name == name)
        path = tmp_path / f"without-{name}.ini"
        stage_variants.write(stage_variants.without(parser, stage), path)
        conf.set_override("config_file", str(path), group="paste_deploy")
        return config.load_paste_app(conf)

    return _build


def get(app, path: str = "/greeting/hello",
        token: str | None = SHIPPED_TOKEN) -> webob.Response:
    request = webob.Request.blank(path)
    if token is not None:
        request.headers["X-Auth-Token"] = token
    return request.get_response(app)


def test_route_lists_the_stages_of_the_token_pipeline_in_order(route):
    _, found = route
    assert [stage.name for stage in found.stages] == [
        "request_id", "request_log", "request_target", "by_path", "fault",
        "http_proxy_to_wsgi", "sizelimit", "versions", "auth",
        "staticcontext"]
    assert found.app == "apiv1"
    # Each labelled with the factory its section names.
    assert all(stage.factory != "?" for stage in found.stages)


def test_route_takes_the_url_maps_longest_matching_prefix():
    parser = stage_variants.read_paste(PASTE)
    found = stage_variants.route(parser, "token", "/healthcheck")
    assert [stage.name for stage in found.stages] == [
        "request_id", "request_log", "request_target", "by_path",
        "exact_path"]
    assert found.app == "oslo_healthcheck"


def test_without_auth_a_request_needs_no_token(conf, app_without):
    assert get(config.load_paste_app(conf), token=None).status_int == 401
    assert get(app_without("auth"), token=None).status_int == 200


def test_without_request_id_responses_carry_no_request_id(conf, app_without):
    header = "x-openstack-request-id"
    assert header in get(config.load_paste_app(conf)).headers
    response = get(app_without("request_id"))
    assert response.status_int == 200
    assert header not in response.headers


def test_without_the_url_map_every_path_goes_to_the_api(conf, app_without):
    whole = get(config.load_paste_app(conf), "/healthcheck", token=None)
    assert whole.status_int == 200
    without = app_without("by_path")
    assert get(without, "/healthcheck", token=None).status_int == 401
    assert get(without).text == "Hello, Wilkommen, Phred !!\n"


def test_without_the_context_filter_policy_refuses(app_without):
    assert get(app_without("staticcontext")).status_int == 403

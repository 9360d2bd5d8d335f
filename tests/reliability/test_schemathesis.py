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

"""Schemathesis against greeter's OpenAPI description, over real HTTP.

Every generated request (valid and invalid, with and without the token)
must get no 5xx and a response that conforms to the description.
"""

from __future__ import annotations

import pathlib

import schemathesis
from hypothesis import settings
from schemathesis.specs.openapi.checks import unsupported_method

import greeter
from tests.fixtures.shipped import SHIPPED_TOKEN

SPEC = pathlib.Path(greeter.__file__).parent / "api" / "openapi.yaml"
schema = schemathesis.openapi.from_path(SPEC)


@schema.parametrize()
@settings(max_examples=60, deadline=None)
def test_api_conforms(case, greeter):
    # /healthcheck is oslo.middleware's app, which answers every method,
    # as in every OpenStack service (the description says so).
    excluded = [unsupported_method] if case.path == "/healthcheck" else []
    case.call_and_validate(base_url=greeter.url,
                           headers={"X-Auth-Token": SHIPPED_TOKEN},
                           excluded_checks=excluded)

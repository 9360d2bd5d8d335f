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

"""greeter.api.middleware.static_token_auth: the token strategy's check."""

from __future__ import annotations

import pytest

from tests.fixtures.responses import errors_of


@pytest.mark.parametrize("token, code", [
    (None, "greeter.auth.missing"),
    ("", "greeter.auth.missing"),
    ("open-sesam", "greeter.auth.invalid"),
    ("open-sesame ", "greeter.auth.invalid"),
    ("open-sesame,open-sesame", "greeter.auth.invalid"),
])
def test_bad_token_is_401_in_error_shape(call, token, code):
    response = call("/greeting/hello", token=token)
    assert response.status_int == 401
    assert response.headers["WWW-Authenticate"] == 'Token realm="greeter"'
    (error,) = errors_of(response)
    assert error["status"] == 401
    assert error["code"] == code
    assert error["title"] == "Unauthorized"
    assert error["request_id"] == response.headers["x-openstack-request-id"]

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

"""Property-based fuzzing of the auth and content-negotiation code."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from greeter.api.middleware import static_token_auth
from greeter.common import wsgi

OFFERS = wsgi.Offers(wsgi.TEXT, wsgi.JSON)
# Header values as WSGI hands them over: latin-1 code points.
header_text = st.text(alphabet=st.characters(max_codepoint=255),
                      max_size=300)


@pytest.fixture
def token_auth(conf):
    conf.set_override("tokens", ["open-sesame", "second-token"],
                      group="auth")
    return static_token_auth.StaticTokenAuth(
        lambda environ, start_response: [], conf)


# token_auth holds no state between examples, so sharing it is safe.
@settings(max_examples=500, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(presented=header_text | st.sampled_from(
    ["open-sesame", "second-token", "open-sesame ", "open-sesam"]))
def test_only_configured_tokens_are_valid(token_auth, presented):
    assert token_auth.is_valid(presented) == (
        presented in ("open-sesame", "second-token"))


def test_every_token_is_compared_every_time(token_auth, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def counting(a, b):
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr(static_token_auth.hmac, "compare_digest", counting)
    for presented in ("open-sesame", "second-token", "nope", ""):
        compared.clear()
        token_auth.is_valid(presented)
        # No early exit on a match or a mismatch: the time says nothing.
        assert compared == token_auth.digests


@settings(max_examples=1000, deadline=None)
@given(accept=header_text)
def test_negotiation_never_raises(accept):
    choice = wsgi.best_match({"HTTP_ACCEPT": accept}, OFFERS)
    assert choice is None or choice in OFFERS


@settings(max_examples=300, deadline=None)
@given(accept=header_text, status=st.sampled_from([400, 401, 404, 405, 406,
                                                   413, 500]),
       detail=st.text(max_size=100))
def test_errors_render_for_any_accept(accept, status, detail):
    environ = {"HTTP_ACCEPT": accept,
               "openstack.request_id": "req-x"}
    error = wsgi.error(environ, status, detail or None)
    assert error.status_code == status
    assert error.content_type in (wsgi.JSON, wsgi.TEXT)
    assert error.body

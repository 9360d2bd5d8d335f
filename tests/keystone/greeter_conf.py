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

"""The greeter.conf the Keystone tests run greeter-api with."""

from __future__ import annotations

import pathlib

from tests.keystone import server
from tests.keystone.server import Identity

# What greeter's [keystone_authtoken] uses in these tests: a short token
# cache, so that the revocation bound can be tested in seconds, and a
# short timeout, so that an outage is a 503 in seconds.
TOKEN_CACHE_TIME = 5
CONNECT_TIMEOUT = 2
MAX_RETRIES = 1


def write_greeter_conf(path: pathlib.Path, identity: Identity,
                       extra: str = "") -> pathlib.Path:
    """The tests' greeter.conf: --debug (the log scan then covers
    keystoneauth's and auth_token's debug lines too) and the short cache
    and timeouts above."""
    return server.write_greeter_conf(
        path, identity, authtoken={
            "token_cache_time": TOKEN_CACHE_TIME,
            "http_connect_timeout": CONNECT_TIMEOUT,
            "http_request_max_retries": MAX_RETRIES},
        extra="[DEFAULT]\ndebug = true\n" + extra)

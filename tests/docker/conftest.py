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

"""The images every compose deployment here needs, made once a session.

Each `docker compose up` starts haproxy in front of greeter-api: where
BASE_IMAGE or HAPROXY_IMAGE name local images that do not exist yet,
they are built before the first test.
"""

import pytest

from tests.docker.compose import ensure_base_image
from tests.docker.compose import ensure_haproxy_image


@pytest.fixture(scope="session", autouse=True)
def images() -> None:
    ensure_base_image()
    ensure_haproxy_image()

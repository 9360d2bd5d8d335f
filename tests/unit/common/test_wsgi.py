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

"""Content negotiation: the Accept header against what a resource offers."""

from __future__ import annotations

import pytest

from greeter.common import wsgi


@pytest.mark.parametrize("accept, offers, chosen", [
    (None, (wsgi.TEXT, wsgi.JSON), wsgi.TEXT),
    (None, (wsgi.JSON, wsgi.TEXT), wsgi.JSON),
    ("*/*", (wsgi.TEXT, wsgi.JSON), wsgi.TEXT),
    ("*/*", (wsgi.JSON, wsgi.TEXT), wsgi.JSON),
    ("application/json", (wsgi.TEXT, wsgi.JSON), wsgi.JSON),
    ("text/plain;q=0.5, application/json", (wsgi.TEXT, wsgi.JSON),
     wsgi.JSON),
    ("image/png", (wsgi.TEXT, wsgi.JSON), None),
])
def test_best_match(accept, offers, chosen):
    environ = {} if accept is None else {"HTTP_ACCEPT": accept}
    assert wsgi.best_match(environ, offers) == chosen


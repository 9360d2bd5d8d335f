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

"""The ``[auth] strategy`` switch: paste builds the pipeline it names."""

from __future__ import annotations

import pytest
import webob
from paste import deploy

# A composite as api-paste.ini writes it, over filters that sign the
# request on its way in, and an app that answers with their signatures.
PASTE = """\
[composite:api]
use = call:greeter.api.strategy:pipeline_factory
token = outer inner signatures
noauth = signatures

[filter:outer]
use = call:tests.unit.test_strategy:signing_filter
signature = outer

[filter:inner]
use = call:tests.unit.test_strategy:signing_filter
signature = inner

[app:signatures]
use = call:tests.unit.test_strategy:signatures_app
"""
SIGNED = "tests.signatures"


def signing_filter(global_conf: dict, signature: str):
    """paste.filter_factory: a filter that signs the request."""
    def _filter(app):
        def signing(environ, start_response):
            environ.setdefault(SIGNED, []).append(signature)
            return app(environ, start_response)
        return signing
    return _filter


def signatures_app(global_conf: dict):
    """paste.app_factory: the signatures, in the order they were made."""
    def signatures(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [" ".join(environ.get(SIGNED, ())).encode()]
    return signatures


def _load(tmp_path, **global_conf):
    path = tmp_path / "api-paste.ini"
    path.write_text(PASTE)
    return deploy.loadapp(f"config:{path}", name="api",
                          global_conf=global_conf)


def _signatures(app) -> str:
    return webob.Request.blank("/").get_response(app).text


@pytest.mark.parametrize("strategy, signatures", [
    ("token", "outer inner"),
    ("noauth", ""),
])
def test_the_strategys_pipeline_first_filter_outermost(conf, tmp_path,
                                                       strategy, signatures):
    conf.set_override("strategy", strategy, group="auth")
    assert _signatures(_load(tmp_path)) == signatures


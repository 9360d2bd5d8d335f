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

"""Version discovery: ``GET /`` lists the API versions, OpenStack style.

It sits outside the auth filter, so clients can discover the API before
they hold a token. Every other path passes through. Links point at
``[api] public_endpoint`` when it is set, else at the URL the request was
sent to.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

import webob

from greeter.common import wsgi

READ_METHODS = ("GET", "HEAD")
OFFERS = wsgi.Offers(wsgi.JSON)
VERSIONS = [
    {"id": "v1.0", "status": "CURRENT", "min_version": "",
     "version": "", "updated": "2026-11-25T00:00:00Z"},
]


class VersionDiscovery(wsgi.Middleware):
    """Answer ``/`` with the versions document; pass everything else on."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        public = self.oslo_conf.api.public_endpoint
        # Fixed at start-up when set: a client's Host (or X-Forwarded-Host)
        # header then cannot put its own host in the links a shared cache
        # might keep and serve to others.
        self.public_url = public.rstrip("/") if public else None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        # The raw WSGI path: webob's path_info would decode it as UTF-8,
        # and a client may send any bytes. Every other path passes on
        # without a webob Request made for it.
        if environ.get("PATH_INFO", "") not in ("", "/"):
            return self.application(environ, start_response)
        return super().__call__(environ, start_response)

    def process_request(self, req: webob.Request) -> webob.Response:
        if req.method not in READ_METHODS:
            raise wsgi.method_not_allowed(req.environ,
                                          ", ".join(READ_METHODS))
        if wsgi.best_match(req.environ, OFFERS) is None:
            raise wsgi.error(req.environ, 406, "This resource can be served "
                             f"as {wsgi.JSON}.")
        base = self.public_url or req.application_url
        links = [{"rel": "self", "href": base + "/"}]
        return webob.Response(json_body={
            "versions": [dict(version, links=links) for version in VERSIONS],
        })

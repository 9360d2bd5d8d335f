"""Version discovery: ``GET /`` lists the API versions, OpenStack style.

It sits outside the auth filter, so clients can discover the API before
they hold a token. Every other path passes through.
"""

from __future__ import annotations

import webob

from greeter.common import wsgi

READ_METHODS = ("GET", "HEAD")
VERSIONS = [
    {"id": "v1.0", "status": "CURRENT", "min_version": "",
     "version": "", "updated": "2026-11-25T00:00:00Z"},
]


class VersionDiscovery(wsgi.Middleware):
    """Answer ``/`` with the versions document; pass everything else on."""

    def process_request(self, req: webob.Request) -> webob.Response | None:
        # The raw WSGI path: webob's path_info would decode it as UTF-8,
        # and a client may send any bytes.
        if req.environ.get("PATH_INFO", "") not in ("", "/"):
            return None
        if req.method not in READ_METHODS:
            raise wsgi.method_not_allowed(req.environ,
                                          ", ".join(READ_METHODS))
        links = [{"rel": "self", "href": req.application_url + "/"}]
        return webob.Response(json_body={
            "versions": [dict(version, links=links) for version in VERSIONS],
        })

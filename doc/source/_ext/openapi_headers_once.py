"""sphinxcontrib-openapi's renderer, naming each response header once.

httpdomain shows one "Response Headers" list per operation, but the
renderer adds a header to it for every response that declares it, so a
header every response carries (x-openstack-request-id) was listed once
per status code. This keeps the first of each.
"""

from sphinxcontrib.openapi.renderers import HttpdomainRenderer


class HeadersOnceRenderer(HttpdomainRenderer):
    """The ``httpdomain`` renderer, without repeated response headers."""

    def render_operation(self, endpoint, method, operation):
        self._headers_listed = set()
        yield from super().render_operation(endpoint, method, operation)

    def render_response(self, status_code, response):
        headers = {name: header
                   for name, header in response.get("headers", {}).items()
                   if name.lower() not in self._headers_listed}
        self._headers_listed.update(name.lower() for name in headers)
        yield from super().render_response(
            status_code, {**response, "headers": headers})

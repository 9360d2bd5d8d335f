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

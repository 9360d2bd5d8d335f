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

"""Exact path: an app mounted at a path answers that path only.

Paste's urlmap sends ``/healthcheck`` and everything below it to the
healthcheck app, which answers any path alike: ``/healthcheck/anything``
would be a 200 that a typo in a load balancer's probe never notices. This
filter, in front of such an app, answers 404 in greeter's error shape for
any path below the mount point.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from greeter.common import wsgi


class ExactPath(wsgi.Middleware):
    """404 unless the request is for the mount point itself."""

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        # urlmap moved the mount point into SCRIPT_NAME: what is left in
        # PATH_INFO lies below it.
        if environ.get("PATH_INFO"):
            response = wsgi.error(environ, 404, "No such resource.")
            return response(environ, start_response)
        return self.application(environ, start_response)

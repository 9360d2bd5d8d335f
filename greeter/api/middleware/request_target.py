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


"""Request target: 400 for one that is not a path.

Besides a path, gunicorn passes on two request targets: ``*`` (``OPTIONS *
HTTP/1.1``, a question about the server as a whole) and an authority
(``CONNECT host:22 HTTP/1.1``, which asks a proxy for a tunnel), each
with a ``PATH_INFO`` that does not start with ``/``. paste's urlmap,
which routes by path, refuses them with an AssertionError, a 500 and a
traceback. greeter is not a proxy and has nothing to say about the server
as a whole: this filter, in front of the urlmap, answers such a request
with 400 in greeter's error shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable

from greeter.common import wsgi

# What paste's urlmap routes: a path, or an absolute URL (from which it
# takes the path); an empty PATH_INFO ("http://host" has no path) it
# routes as "/".
ROUTABLE = re.compile(r"(/|https?://)")


class RequestTarget(wsgi.Middleware):
    """400 unless the request target is a path."""

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        path = environ.get("PATH_INFO", "")
        if path and not ROUTABLE.match(path):
            response = wsgi.error(environ, 400, "The request target is not "
                                  "a path: greeter serves paths only.")
            return response(environ, start_response)
        return self.application(environ, start_response)

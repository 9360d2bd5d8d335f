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

"""Paste's urlmap, with a shorter way through for the usual request.

``[composite:by_path]`` sends ``/healthcheck`` to the health check and the
rest to the API with Paste's ``URLMap``. For every request, paste's map
lower-cases and splits the Host header, and runs two regular expressions
over the path (one for an absolute URL, one for repeated slashes), to
compare with the domains and paths of its entries. greeter's entries name
no domain, and a usual path holds no repeated slash and no scheme: for
such a path those steps change nothing, and are skipped. Any other path
(``//greeting``, ``http://host/...``) and any map with a domain take
paste's own way, so the answer is always paste's.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from paste import urlmap


class URLMap(urlmap.URLMap):
    """paste's URLMap; a plain path is matched without normalising it."""

    def __init__(self, not_found_app: Callable | None = None) -> None:
        super().__init__(not_found_app)
        self._index()

    def __setitem__(self, url, app) -> None:
        super().__setitem__(url, app)
        self._index()

    def __delitem__(self, url) -> None:
        super().__delitem__(url)
        self._index()

    def _index(self) -> None:
        # (path, path + "/", app) per entry, longest path first; None
        # while an entry names a domain.
        if any(domain for (domain, _), _ in self.applications):
            self._plain_entries = None
        else:
            self._plain_entries = tuple(
                (app_url, app_url + "/", app)
                for (_, app_url), app in self.applications)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        path = environ.get("PATH_INFO") or ""
        entries = self._plain_entries
        # A path paste would normalise to itself: no "//" to collapse, no
        # scheme and host to strip (a WSGI path is empty or starts with
        # "/").
        if entries is not None and "//" not in path and (
                not path or path[0] == "/"):
            for app_url, prefix, app in entries:
                if path == app_url or path.startswith(prefix):
                    environ["SCRIPT_NAME"] += app_url
                    environ["PATH_INFO"] = path[len(app_url):]
                    return app(environ, start_response)
        return super().__call__(environ, start_response)


def urlmap_factory(loader, global_conf: dict, **local_conf: str) -> URLMap:
    """``egg:Paste#urlmap``'s factory, making greeter's URLMap."""
    built = urlmap.urlmap_factory(loader, global_conf, **local_conf)
    fast = URLMap(not_found_app=built.not_found_application)
    for (domain, app_url), app in built.applications:
        fast[(domain, app_url)] = app
    return fast

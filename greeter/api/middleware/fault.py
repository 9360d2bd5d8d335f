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

"""Fault wrapper: the last word on every error the API returns.

It sits outside the API's filters and app (see api-paste.ini). Errors
greeter raises arrive already in the API-SIG shape (``wsgi.error``); this
filter gives that shape to the rest: errors that webob or oslo.middleware
render their own way (a 413 from the size limit, say), and unexpected
exceptions, which become a 500 logged with its traceback while the client
sees no internals. A reshaped error keeps only its status and the headers
that matter; its detail is greeter's own.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

import webob.exc
from oslo_log import log as logging
from oslo_middleware import sizelimit

from greeter.common import wsgi

LOG = logging.getLogger(__name__)

# Headers of another layer's error response worth keeping when reshaping it
# (lower case: header names are compared without regard to case).
KEPT_HEADERS = frozenset({"allow", "retry-after", "www-authenticate"})


class FaultWrapper(wsgi.Middleware):
    """Give every error response the one documented shape."""

    def __init__(self, application: Callable, conf=None) -> None:
        super().__init__(application, conf)
        # oslo's size limit says "too large" in its own words: the detail
        # names the limit the client went over.
        self.oslo_conf.register_opts(sizelimit.OPTS, group="oslo_middleware")
        limit = self.oslo_conf.oslo_middleware.max_request_body_size
        self.details = {
            413: f"The request body is larger than {limit} bytes.",
        }

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        # Hold back start_response until the status is known, so an error
        # response can still be replaced.
        started: list = []

        def hold(status: str, headers: list, exc_info=None) -> Callable:
            started[:] = [status, headers, exc_info]
            return _no_write

        try:
            app_iter = self.application(environ, hold)
            try:
                # The API's answers are small: reading the body here lets
                # an app that calls start_response only once its body is
                # iterated (as PEP 3333 allows), or that fails while it
                # is, still get a response in the error shape, rather
                # than the server's bare 500 once headers have gone out.
                body = list(app_iter)
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
            if not started:
                raise RuntimeError("the app returned without starting a "
                                   "response")
        except webob.exc.HTTPException as exc:
            response = (exc if environ.get(wsgi.ERROR_RENDERED)
                        else self.reshape(environ, exc.status_code,
                                          exc.headers.items()))
        except Exception:
            LOG.exception("Unexpected error serving %s",
                          environ.get("REQUEST_METHOD"))
            response = wsgi.error(environ, 500,
                                  "The server could not complete the "
                                  "request; it has been logged.")
        else:
            status, headers, exc_info = started
            if int(status[:3]) < 400 or environ.get(wsgi.ERROR_RENDERED):
                start_response(status, headers, exc_info)
                return body
            response = self.reshape(environ, int(status[:3]), headers)
        return response(environ, start_response)

    def reshape(self, environ: dict, status: int,
                headers: Iterable[tuple[str, str]]) -> webob.exc.HTTPError:
        kept = [(name, value) for name, value in headers
                if name.lower() in KEPT_HEADERS]
        return wsgi.error(environ, status, self.details.get(status),
                          headers=kept)


def _no_write(data: bytes) -> None:
    raise RuntimeError("greeter's filters do not support write()")

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

"""The small WSGI toolkit greeter's API is built from.

``Middleware`` is the base of greeter's own filters, ``Router`` dispatches
with a ``routes.Mapper``, ``Resource`` turns a controller's data into a
response, and ``error`` renders every error in one shape.
"""

from __future__ import annotations

import http
import json
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

import routes
import webob
import webob.exc
from oslo_middleware import base
from oslo_middleware import request_id
from webob.acceptparse import Accept
from webob.acceptparse import AcceptOffer
from webob.acceptparse import create_accept_header

from greeter.common import exception

# Set once an error has been rendered in greeter's shape, so the fault
# wrapper leaves it alone.
ERROR_RENDERED = "greeter.error_rendered"
ROUTING_ARGS = "wsgiorg.routing_args"

JSON = "application/json"
TEXT = "text/plain"
# The Accept header of a client that takes any type.
ANY_TYPE = "*/*"


class Offers(tuple):
    """The media types a response can be served as, the preferred first.

    Each is parsed here, once, into the form webob's negotiation takes
    (``Accept.parse_offer``), rather than on every request.
    """

    parsed: tuple[AcceptOffer, ...]

    def __new__(cls, *media_types: str) -> Offers:
        offers = super().__new__(cls, media_types)
        offers.parsed = tuple(map(Accept.parse_offer, media_types))
        return offers


# Errors default to JSON; text only for a client that prefers it.
ERROR_TYPES = Offers(JSON, TEXT)


def best_match(environ: Mapping[str, Any], offers: Offers) -> str | None:
    """The offer the client's Accept header prefers, None if none fits.

    No Accept header (or an unparsable one) means the first offer, and
    so does ``*/*``, what most clients send: both accept any type, so
    webob's parser is asked only about a header that names one.
    """
    header = environ.get("HTTP_ACCEPT")
    if not header or header == ANY_TYPE:
        return offers[0]
    acceptable = create_accept_header(header).acceptable_offers(
        offers.parsed)
    if not acceptable:
        return None
    return offers[offers.parsed.index(acceptable[0][0])]


def error(environ: dict[str, Any], status: int, detail: str | None = None,
          code: str | None = None,
          headers: Iterable[tuple[str, str]] = ()) -> webob.exc.HTTPError:
    """An error response in the OpenStack API-SIG shape, ready to raise.

    The body is rendered here, once, so it reads the same whichever layer
    finally serves it: the fault wrapper, or a ``webob.dec.wsgify`` filter
    an operator puts in between (oslo.middleware's stock classes, say),
    which would otherwise render it as webob's HTML page.
    """
    error_class = webob.exc.status_map.get(status) or _unmapped_error(status)
    title = error_class.title
    body = {
        "status": status,
        "code": code or exception.CODE_BY_STATUS.get(
            status, exception.UNDEFINED),
        "title": title,
        "detail": detail or error_class.explanation,
        "request_id": environ.get(request_id.ENV_REQUEST_ID),
    }
    environ[ERROR_RENDERED] = True
    if best_match(environ, ERROR_TYPES) == TEXT:
        text = f"{status} {title}: {body['detail']}\n"
        content = {"text": text, "content_type": TEXT, "charset": "UTF-8"}
    else:
        content = {"body": json.dumps({"errors": [body]}).encode(),
                   "content_type": JSON}
    return error_class(headers=list(headers), **content)


def _unmapped_error(status: int) -> type[webob.exc.HTTPError]:
    """An error class for a status webob has none for (418, 499, 599...).

    Another layer may answer with any status; the fault wrapper reshapes
    it like the rest rather than fail on it.
    """
    try:
        title = http.HTTPStatus(status).phrase
    except ValueError:
        title = "Client Error" if status < 500 else "Server Error"
    base = (webob.exc.HTTPClientError if status < 500
            else webob.exc.HTTPServerError)
    return type(f"HTTP{status}", (base,), {"code": status, "title": title})


def method_not_allowed(environ: dict[str, Any],
                       allowed: str) -> webob.exc.HTTPError:
    """405 naming the methods that are (``allowed``: "GET, HEAD")."""
    return error(environ, 405, f"Method {environ['REQUEST_METHOD']} is not "
                 "allowed here.", headers=[("Allow", allowed)])


class Middleware(base.ConfigurableMiddleware):
    """Base of greeter's filters: oslo.middleware's contract, as plain WSGI.

    ``process_request`` returns a response to answer early, or None to pass
    the request on. Unlike oslo's base there is no ``wsgify`` here, so an
    error raised further in reaches the fault wrapper untouched, and a
    request that passes costs one webob Request (a thin wrapper over the
    environ) and no Response.
    """

    def process_request(self, req: webob.Request) -> webob.Response | None:
        return None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        response = self.process_request(webob.Request(environ))
        if response is not None:
            return response(environ, start_response)
        return self.application(environ, start_response)


class Router:
    """Send each request to the WSGI app its ``routes.Mapper`` match names.

    A route that carries ``allowed_methods`` instead of a controller is a
    catch-all for a known path: it answers 405 with ``Allow``.
    """

    def __init__(self, mapper: routes.Mapper) -> None:
        self.mapper = mapper

    def match(self, environ: dict) -> dict | None:
        """The matching route's arguments, None when no route matches."""
        if environ.get("PATH_INFO", "").endswith("\n"):
            # Routes' patterns end in "$", which also matches before a
            # final newline: "/greeting/hello%0A" is no route of ours.
            return None
        found = self.mapper.routematch(environ=environ)
        return found[0] if found else None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        args = self.match(environ)
        if args is None:
            raise error(environ, 404, "No such resource.")
        allowed = args.get("allowed_methods")
        if allowed is not None:
            raise method_not_allowed(environ, allowed)
        environ[ROUTING_ARGS] = ((), args)
        return args["controller"](environ, start_response)


def text_body(data: Mapping[str, Any]) -> str:
    return f"{data['message']}\n"


def json_body(data: Mapping[str, Any]) -> str:
    return json.dumps(data)


class Resource:
    """Call the controller action a route names; serialise what it returns.

    Controllers are plain objects whose actions take the request and return
    data; the content type comes from the Accept header (text first, as
    the service always answered, then JSON).
    """

    serializers: dict[str, Callable[[Mapping[str, Any]], str]] = {
        TEXT: text_body,
        JSON: json_body,
    }

    def __init__(self, controller: object) -> None:
        self.controller = controller
        self.offers = Offers(*self.serializers)
        self.content_types = {offer: f"{offer}; charset=UTF-8"
                              for offer in self.offers}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable:
        content_type = best_match(environ, self.offers)
        if content_type is None:
            raise error(environ, 406, "This resource can be served as "
                        + " or ".join(self.offers) + ".")
        action = getattr(self.controller, environ[ROUTING_ARGS][1]["action"])
        try:
            data = action(webob.Request(environ))
        except exception.PolicyNotAuthorizedError as exc:
            raise error(environ, 403, str(exc), exc.code) from None
        body = self.serializers[content_type](data).encode("utf-8")
        # Plain WSGI rather than a webob Response: one less object per call.
        start_response("200 OK", [
            ("Content-Type", self.content_types[content_type]),
            ("Content-Length", str(len(body)))])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

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


"""greeter's job written the way a Flask user writes it: the bench's peer.

Two routes answering the greeting as text, a token check (``X-Auth-Token``
against the configured token, compared in constant time, 401 otherwise),
an ``x-openstack-request-id`` on every response, errors in the OpenStack
API-SIG shape (``{"errors": [{"status", "code", "title", "detail",
"request_id"}]}``) and one access line per request through Python's
logging to the server's output. Settings come from ``FLASK_*``
environment variables (``FLASK_TOKEN``, ``FLASK_NAME``,
``FLASK_GREETING``), as ``Config.from_prefixed_env`` reads them.

    gunicorn 'benchmarks.flask_peer:app'
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid

import flask
from werkzeug import exceptions

logging.basicConfig(
    level=logging.INFO,
    format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
ACCESS_LOG = logging.getLogger("flask_peer.access")

# The error codes clients match on, as greeter's.
ERROR_CODES = {401: "greeter.auth.invalid",
               404: "greeter.not_found",
               405: "greeter.method_not_allowed"}


class TokenMissing(exceptions.Unauthorized):
    description = "No X-Auth-Token header."
    error_code = "greeter.auth.missing"


class TokenInvalid(exceptions.Unauthorized):
    description = "The X-Auth-Token is not valid."
    error_code = "greeter.auth.invalid"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def create_app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(TOKEN="open-sesame", NAME="Phred",
                      GREETING="Wilkommen")
    app.config.from_prefixed_env()
    token_digest = digest(app.config["TOKEN"])
    name, greeting = app.config["NAME"], app.config["GREETING"]
    hello = f"Hello, {greeting}, {name} !!\n"
    goodbye = f"Good Bye, {greeting}, {name} !!\n"

    @app.before_request
    def start_request() -> None:
        flask.g.started = time.perf_counter()
        flask.g.request_id = f"req-{uuid.uuid4()}"

    @app.before_request
    def check_token() -> None:
        token = flask.request.headers.get("X-Auth-Token")
        if token is None:
            raise TokenMissing()
        if not hmac.compare_digest(digest(token), token_digest):
            raise TokenInvalid()

    @app.get("/greeting/hello")
    def say_hello() -> flask.Response:
        return flask.Response(hello, mimetype="text/plain")

    @app.get("/greeting/goodbye")
    def say_goodbye() -> flask.Response:
        return flask.Response(goodbye, mimetype="text/plain")

    @app.errorhandler(exceptions.HTTPException)
    def json_error(error: exceptions.HTTPException) -> flask.Response:
        # The exception's own response keeps its headers (405's Allow).
        response = error.get_response()
        code = getattr(error, "error_code", None)
        response.data = flask.json.dumps({"errors": [{
            "status": error.code,
            "code": code or ERROR_CODES.get(error.code, "greeter.undefined"),
            "title": error.name,
            "detail": error.description,
            "request_id": flask.g.request_id,
        }]})
        response.content_type = "application/json"
        return response

    @app.after_request
    def finish_request(response: flask.Response) -> flask.Response:
        response.headers["x-openstack-request-id"] = flask.g.request_id
        ACCESS_LOG.info(
            '[%s] %s "%s %s" status: %d time: %.2fms', flask.g.request_id,
            flask.request.remote_addr, flask.request.method,
            flask.request.path, response.status_code,
            (time.perf_counter() - flask.g.started) * 1000)
        return response

    return app


app = create_app()

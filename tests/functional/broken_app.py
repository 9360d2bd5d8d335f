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

"""WSGI apps that misbehave in ways PEP 3333 allows, or fail mid-body.

A test puts them in the place of the v1 API in a copy of the shipped paste
file, so a real greeter-api serves them behind the real filters.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator


def lazy(environ: dict, start_response: Callable) -> Iterator[bytes]:
    """start_response only once the body is iterated (PEP 3333 allows)."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"lazy but fine\n"


def fails_while_iterating(environ: dict,
                          start_response: Callable) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"half a body"
    raise RuntimeError("broken while streaming, internal detail 42")


def odd_status(environ: dict, start_response: Callable) -> list[bytes]:
    start_response("499 Client Closed Request",
                   [("Content-Type", "text/html")])
    return [b"<html>odd</html>"]


APPS = {"/lazy": lazy, "/fails-while-iterating": fails_while_iterating,
        "/odd-status": odd_status}


def factory(global_conf: dict, **local_conf: str) -> Callable:
    """paste.app_factory: the app named by the request's path."""

    def by_path(environ: dict, start_response: Callable):
        return APPS[environ["PATH_INFO"]](environ, start_response)

    return by_path

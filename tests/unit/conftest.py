from __future__ import annotations

import pytest
import webob

from greeter.common import config
from tests.conftest import SHIPPED_TOKEN


@pytest.fixture
def app(conf):
    """The real pipeline from the shipped api-paste.ini."""
    return config.load_paste_app(conf)


@pytest.fixture
def call(app):
    """Send one request through the pipeline; return the webob response."""

    def _call(path: str, method: str = "GET", token: str | None =
              SHIPPED_TOKEN, headers: dict | None = None,
              **kwargs) -> webob.Response:
        request = webob.Request.blank(path, method=method, **kwargs)
        if token is not None:
            request.headers["X-Auth-Token"] = token
        request.headers.update(headers or {})
        return request.get_response(app)

    return _call

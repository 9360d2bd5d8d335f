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

from __future__ import annotations

import contextlib

import pytest
import webob
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from greeter import policy
from greeter.common import config
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN


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


@pytest.fixture
def keystone_conf(conf, tmp_path):
    """cfg.CONF with strategy keystone and ``[keystone_authtoken]``.

    keystonemiddleware registers the password plugin's options (auth_url
    required) on the ConfigOpts when the filter is built: they are
    unregistered afterwards, so that later tests parse without them.
    """
    def _parse(**settings: str) -> cfg.ConfigOpts:
        path = tmp_path / "keystone.conf"
        path.write_text("[auth]\nstrategy = keystone\n[keystone_authtoken]\n"
                        + "".join(f"{key} = {value}\n"
                                  for key, value in settings.items()))
        conf.clear()
        config.parse_args(conf, ["--config-file", str(SHIPPED_CONF),
                                 "--config-file", str(path)])
        return conf

    yield _parse
    conf.reset()
    conf.clear()
    for opt in ks_loading.get_auth_plugin_conf_options("password"):
        with contextlib.suppress(cfg.NoSuchOptError):
            conf.unregister_opt(opt, group="keystone_authtoken")


@pytest.fixture
def enforcer(conf):
    """greeter's policy Enforcer on the shipped configuration."""
    return policy.Enforcer(conf)

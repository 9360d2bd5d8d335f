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

"""The v1 API: its routes, declared as data, and the Router that serves them.

The submapper connects each path to a controller action for GET and HEAD;
after those, a catch-all per path (any method) answers 405 with an
``Allow`` header built from the same table, and any other path gets 404.
"""

from __future__ import annotations

import routes
from oslo_config import cfg

from greeter import policy
from greeter.api.v1 import greetings
from greeter.common import wsgi

READ_METHODS = ["GET", "HEAD"]

# path under /greeting -> controller action
GREETING_ROUTES = {
    "/hello": "hello",
    "/goodbye": "goodbye",
}


class API(wsgi.Router):
    """WSGI router for greeter v1: the app at the end of the pipeline."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        mapper = routes.Mapper()
        enforcer = policy.Enforcer(conf)
        greetings_resource = wsgi.Resource(
            greetings.GreetingController(conf, enforcer))
        with mapper.submapper(controller=greetings_resource,
                              path_prefix="/greeting",
                              conditions={"method": READ_METHODS}) as m:
            for path, action in GREETING_ROUTES.items():
                m.connect(path, action=action)
        with mapper.submapper(path_prefix="/greeting",
                              allowed_methods=", ".join(READ_METHODS)) as m:
            for path in GREETING_ROUTES:
                m.connect(path)
        super().__init__(mapper)

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> API:
        """paste.app_factory: built from oslo.config, not the paste file."""
        return cls(cfg.CONF)

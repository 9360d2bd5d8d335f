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

"""Choose the API's pipeline by ``[auth] strategy``.

api-paste.ini's ``[composite:api]`` writes out one pipeline per
strategy, as heat's flavors do, and points here: this factory builds the
one the configuration names. The pipelines stay in the paste file, where
an operator reads and reorders them, and the choice is an ordinary
option, which files, ``--config-file`` and ``OS_AUTH__STRATEGY`` all
reach. (placement builds its pipeline in code instead; greeter keeps the
paste file the one place the request path is written.)
"""

from __future__ import annotations

from collections.abc import Callable

from oslo_config import cfg
from paste.deploy import loadwsgi

from greeter.common import exception


def pipeline_factory(loader: loadwsgi.ConfigLoader, global_conf: dict,
                     **local_conf: str) -> Callable:
    """paste composite factory: ``<strategy> = filter ... app`` per key."""
    # cfg.CONF, as oslo.middleware's filters in the same pipeline read it:
    # paste hands a factory only strings, never a ConfigOpts.
    strategy = cfg.CONF.auth.strategy
    try:
        names = local_conf[strategy].split()
    except KeyError:
        raise exception.ConfigError(
            f"the paste file has no pipeline for [auth] strategy = "
            f"{strategy}: add '{strategy} = ...' to its [composite:api]"
        ) from None
    app = loader.get_app(names[-1], global_conf=global_conf)
    # Wrap inside out: the last filter listed is the app's closest.
    for name in reversed(names[:-1]):
        app = loader.get_filter(name, global_conf=global_conf)(app)
    return app

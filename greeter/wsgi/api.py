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

"""WSGI entry point for any WSGI server::

    gunicorn 'greeter.wsgi.api:application'

Configuration comes from the files named in ``OS_GREETER_CONFIG_FILES``
(separated by ``os.pathsep``), else oslo.config's default search
(``/etc/greeter/greeter.conf`` and friends), plus ``OS_*`` environment
variables. The server's own argv is never parsed.
"""

from __future__ import annotations

from collections.abc import Callable

from oslo_config import cfg

from greeter.common import config


def init_application() -> Callable:
    """Parse configuration, set up logging and build the pipeline."""
    conf = cfg.CONF
    config.parse_args(conf, [],
                      default_config_files=config.config_files_from_env())
    return config.load_paste_app(conf)


application = init_application()

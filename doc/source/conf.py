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

"""Sphinx configuration for greeter's documentation (``tox -e docs``).

Built from the repository's root, with warnings as errors: the
configuration reference names the generator config by a path from there.
"""

import pathlib
import sys

# Local extensions and renderers.
sys.path.insert(0, str(pathlib.Path(__file__).parent / "_ext"))

from openapi_headers_once import HeadersOnceRenderer  # noqa: E402

project = "greeter"
copyright = "greeter developers"

extensions = [
    # `.. show-options::`: the configuration reference, from the options.
    "oslo_config.sphinxext",
    # The sample configuration file, generated at each build.
    "oslo_config.sphinxconfiggen",
    # `.. show-policy::`: the policy reference, from the rules in code.
    "oslo_policy.sphinxext",
    # The sample policy file, generated at each build.
    "oslo_policy.sphinxpolicygen",
    # `.. openapi::`: the API reference, from greeter/api/openapi.yaml.
    "sphinxcontrib.openapi",
]

# (generator config, output name under doc/source) for sphinxconfiggen.
config_generator_config_file = [
    ("../../etc/greeter/greeter-config-generator.conf",
     "_static/greeter"),
]
# The same for sphinxpolicygen: _static/greeter.policy.yaml.sample.
policy_generator_config_file = [
    ("../../etc/greeter/greeter-policy-generator.conf",
     "_static/greeter"),
]

# sphinxcontrib-openapi's current renderer (fields of JSON bodies, typed
# headers), with each response header listed once.
openapi_renderers = {"headers-once": HeadersOnceRenderer}
openapi_default_renderer = "headers-once"
# A class in the configuration cannot be pickled into Sphinx's cache;
# tox -e docs rebuilds everything (-E), so there is nothing to cache.
suppress_warnings = ["config.cache"]

# Sphinx's own theme: openstackdocstheme would brand every page as
# OpenStack's and point readers at OpenStack's bug tracker.
html_theme = "alabaster"
html_theme_options = {
    "description": "An OpenStack-style HTTP API service",
    "fixed_sidebar": True,
    # Wide enough for the request path's diagram.
    "page_width": "1240px",
    "body_max_width": "none",
}
html_last_updated_fmt = None
html_show_sourcelink = False

exclude_patterns = ["_ext"]

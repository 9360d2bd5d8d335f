"""Sphinx configuration for greeter's documentation (``tox -e docs``).

Built from the repository's root (paths below are relative to it, as
oslo.config's extensions expect), with warnings as errors.
"""

project = "greeter"
copyright = "greeter developers"

extensions = [
    # `.. show-options::`: the configuration reference, from the options.
    "oslo_config.sphinxext",
    # The sample configuration file, generated at each build.
    "oslo_config.sphinxconfiggen",
    # `.. openapi::`: the API reference, from greeter/api/openapi.yaml.
    "sphinxcontrib.openapi",
]

# (generator config, output name under doc/source) for sphinxconfiggen.
config_generator_config_file = [
    ("../../etc/greeter/greeter-config-generator.conf",
     "_static/greeter"),
]

# Sphinx's own theme: openstackdocstheme would brand every page as
# OpenStack's and point readers at OpenStack's bug tracker.
html_theme = "alabaster"
html_theme_options = {
    "description": "An OpenStack-style HTTP API service",
    "fixed_sidebar": True,
}
html_last_updated_fmt = None
html_show_sourcelink = False

exclude_patterns = ["_build"]
nitpicky = False

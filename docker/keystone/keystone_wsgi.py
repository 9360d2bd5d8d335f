"""Keystone's WSGI application, for gunicorn.

keystone.wsgi.api parses sys.argv with oslo.config when it is imported,
and gunicorn's own arguments there make the worker exit ("unrecognized
arguments"). Clearing argv first is all this wrapper does; Keystone reads
its configuration from OS_KEYSTONE_CONFIG_FILES.
"""

import sys

sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402

__all__ = ["application"]

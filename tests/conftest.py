"""Fixtures shared by the unit and functional tests."""

from __future__ import annotations

import pathlib

import pytest
from oslo_config import cfg

from greeter.common import config

REPO = pathlib.Path(__file__).resolve().parent.parent
ETC = REPO / "etc" / "greeter"
SHIPPED_CONF = ETC / "greeter.conf"
SHIPPED_TOKEN = "open-sesame"  # the shipped demo token


@pytest.fixture
def conf(tmp_path):
    """cfg.CONF parsed from the shipped greeter.conf, cleared afterwards.

    oslo.middleware's filters read cfg.CONF, so the tests use it too.
    """
    conf = cfg.CONF
    config.parse_args(conf, ["--config-file", str(SHIPPED_CONF)])
    conf.set_override("disable_by_file_path", str(tmp_path / "drain"),
                      group="healthcheck")
    yield conf
    conf.reset()
    conf.clear()

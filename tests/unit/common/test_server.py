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

"""What greeter-api hands gunicorn, and the port check before it starts."""

from __future__ import annotations

import logging
import socket

import pytest
from gunicorn.http import errors as http_errors

from greeter.common import exception
from greeter.common import server


def test_settings_come_from_the_api_options(conf):
    for name, value in (("workers", 3), ("threads", 5), ("timeout", 7),
                        ("graceful_timeout", 11), ("keepalive", 2),
                        ("max_requests", 1000), ("max_requests_jitter", 50),
                        ("worker_class", "gthread")):
        conf.set_override(name, value, group="api")
    conf.set_override("bind_host", "127.0.0.1", group="api")
    conf.set_override("bind_port", 9999, group="api")
    settings = server.gunicorn_settings(conf)
    assert {name: settings[name] for name in (
        "bind", "workers", "threads", "timeout", "graceful_timeout",
        "keepalive", "max_requests", "max_requests_jitter",
        "worker_class")} == {
        "bind": ["127.0.0.1:9999"], "workers": 3, "threads": 5,
        "timeout": 7, "graceful_timeout": 11, "keepalive": 2,
        "max_requests": 1000, "max_requests_jitter": 50,
        "worker_class": "gthread"}
    assert settings["proc_name"] == "greeter-api"
    # No access log (the request log is one), no control socket.
    assert settings["accesslog"] is None
    assert settings["control_socket_disable"] is True
    assert settings["worker_tmp_dir"] == "/dev/shm"


def test_ipv6_address_is_bracketed(conf):
    conf.set_override("bind_host", "::1", group="api")
    assert server.gunicorn_settings(conf)["bind"] == ["[::1]:8004"]


def test_settings_reach_gunicorn(conf):
    gunicorn_app = server.GreeterServer(lambda environ, start: [], conf)
    assert gunicorn_app.cfg.proc_name == "greeter-api"
    assert gunicorn_app.cfg.threads == conf.api.threads
    assert gunicorn_app.cfg.bind == ["0.0.0.0:8004"]
    assert gunicorn_app.load() is gunicorn_app.app


def test_port_in_use_is_a_config_error():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(exception.ConfigError) as raised:
            server.check_port_free("127.0.0.1", port)
    assert str(raised.value) == \
        f"cannot listen on 127.0.0.1:{port}: already in use"


def test_address_not_on_this_host_is_a_config_error():
    # 192.0.2.0/24 is reserved for documentation: never a local address.
    with pytest.raises(exception.ConfigError) as raised:
        server.check_port_free("192.0.2.1", 8004)
    assert str(raised.value) == ("cannot listen on 192.0.2.1:8004: Cannot "
                                 "assign requested address")


def test_free_ipv6_port_passes():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    server.check_port_free("::1", 0)


def test_gunicorn_line_about_a_bad_request_leaves_out_the_client_text():
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    gunicorn_log = logging.getLogger("gunicorn.error.unit-test")
    gunicorn_log.addHandler(handler)
    gunicorn_log.addFilter(server.CLIENT_TEXT_FILTER)
    try:
        try:
            raise http_errors.InvalidHeader("X-Auth-Token open-sesame")
        except http_errors.InvalidHeader as exc:
            gunicorn_log.warning(f"Invalid request from ip=127.0.0.1: {exc}")
        gunicorn_log.warning("Worker timeout (pid:%s)", 42)
    finally:
        gunicorn_log.removeHandler(handler)
    refused, timeout = records
    assert refused.getMessage() == \
        "Invalid request from ip=127.0.0.1: InvalidHeader"
    assert refused.levelno == logging.INFO
    # Lines about anything else are left as they are.
    assert timeout.getMessage() == "Worker timeout (pid:42)"
    assert timeout.levelno == logging.WARNING

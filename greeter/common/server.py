"""gunicorn, configured from oslo.config, serving an app built beforehand.

The app is loaded in the master before gunicorn starts (a broken pipeline
stops start-up with one clear line) and shared copy-on-write by the
workers. gunicorn never sees greeter's argv: its settings come from the
``[api]`` options only.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable

from gunicorn.app.base import BaseApplication
from oslo_config import cfg

from greeter.common import exception

# gunicorn's heartbeat file: on an overlay (container) filesystem a file
# under /tmp can stall workers; /dev/shm is memory.
SHM = "/dev/shm"  # nosec B108


def gunicorn_settings(conf: cfg.ConfigOpts) -> dict:
    """gunicorn settings for the ``[api]`` options."""
    api = conf.api
    settings = {
        "bind": [f"[{api.bind_host}]:{api.bind_port}"
                 if ":" in api.bind_host
                 else f"{api.bind_host}:{api.bind_port}"],
        "workers": api.workers,
        "worker_class": api.worker_class,
        "threads": api.threads,
        "timeout": api.timeout,
        "graceful_timeout": api.graceful_timeout,
        "keepalive": api.keepalive,
        "max_requests": api.max_requests,
        "max_requests_jitter": api.max_requests_jitter,
        "proc_name": "greeter-api",
        # The request log is the access log; gunicorn's would repeat it.
        "accesslog": None,
        "errorlog": "-",
        # No control socket: nothing uses it, and the container's root
        # filesystem is read-only.
        "control_socket_disable": True,
    }
    if os.path.isdir(SHM):
        settings["worker_tmp_dir"] = SHM
    return settings


def check_port_free(host: str, port: int) -> None:
    """ConfigError now, rather than gunicorn retrying for five seconds."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = ("already in use" if exc.errno == errno.EADDRINUSE
                      else exc.strerror)
            raise exception.ConfigError(
                f"cannot listen on {host}:{port}: {reason}") from None


class GreeterServer(BaseApplication):
    """A gunicorn application serving ``app`` with the ``[api]`` settings."""

    def __init__(self, app: Callable, conf: cfg.ConfigOpts) -> None:
        self.app = app
        self.settings = gunicorn_settings(conf)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        return self.app

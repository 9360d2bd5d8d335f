"""greeter.wsgi.api:application served by a plain gunicorn command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import requests

from tests.conftest import SHIPPED_CONF
from tests.conftest import SHIPPED_TOKEN
from tests.functional.conftest import free_port


def test_gunicorn_serves_the_wsgi_entry_point(tmp_path):
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    env = {**os.environ, "OS_GREETER_CONFIG_FILES": str(SHIPPED_CONF),
           "OS_GREETING__NAME": "Wsgi",
           "OS_HEALTHCHECK__DISABLE_BY_FILE_PATH": str(tmp_path / "drain")}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        # gunicorn's own options on the command line must not reach
        # oslo.config's parser.
        process = subprocess.Popen(
            [gunicorn, "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "greeter.wsgi.api:application"], env=env, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/greeting/hello", timeout=1,
                    headers={"X-Auth-Token": SHIPPED_TOKEN})
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.05)
        assert response.text == "Hello, Wilkommen, Wsgi !!\n"
    finally:
        process.terminate()
        assert process.wait(30) == 0

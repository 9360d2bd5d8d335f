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

"""greeter.wsgi.api:application served by a plain gunicorn command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import requests

from tests.fixtures.process import listening_port
from tests.fixtures.shipped import SHIPPED_CONF
from tests.fixtures.shipped import SHIPPED_TOKEN
from tests.fixtures.waiting import REQUEST_TIMEOUT
from tests.fixtures.waiting import wait_for


def test_gunicorn_serves_the_wsgi_entry_point(tmp_path):
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    env = {**os.environ, "OS_GREETER_CONFIG_FILES": str(SHIPPED_CONF),
           "OS_GREETING__NAME": "Wsgi",
           "OS_HEALTHCHECK__DISABLE_BY_FILE_PATH": str(tmp_path / "drain")}
    log_path = tmp_path / "gunicorn.log"

    def log() -> str:
        return log_path.read_text(errors="replace")

    with open(log_path, "wb") as log_file:
        # gunicorn's own options on the command line must not reach
        # oslo.config's parser. Port 0: the kernel picks a free one.
        process = subprocess.Popen(
            [gunicorn, "--workers", "1", "--bind", "127.0.0.1:0",
             "greeter.wsgi.api:application"], env=env, stdout=log_file,
            stderr=subprocess.STDOUT)
    try:
        def answer() -> requests.Response | None:
            assert process.poll() is None, log()
            port = listening_port(log)
            if port is None:
                return None
            try:
                # The worker imports and builds the app on its first
                # start: the first answer may take a while.
                return requests.get(
                    f"http://127.0.0.1:{port}/greeting/hello",
                    timeout=REQUEST_TIMEOUT,
                    headers={"X-Auth-Token": SHIPPED_TOKEN})
            except requests.ConnectionError:
                return None

        response = wait_for(answer, what="gunicorn to answer")
        assert response.text == "Hello, Wilkommen, Wsgi !!\n", log()
    finally:
        process.terminate()
        assert process.wait(60) == 0

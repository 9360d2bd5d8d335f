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

"""The access log across a graceful stop: every answer has its line."""

from __future__ import annotations

import json
import signal
import time

from tests.fixtures.load import Load
from tests.fixtures.process import OLD_BODY

GRACEFUL_TIMEOUT = 10


def test_sigterm_loses_no_line_of_a_json_log_file(start_greeter, tmp_path):
    # The same count as the SIGTERM test, with the lines going to a
    # log_file as JSON: whatever a worker answered before it exited has
    # reached the file.
    log_file = tmp_path / "api.log"
    server = start_greeter(env={
        "OS_API__GRACEFUL_TIMEOUT": str(GRACEFUL_TIMEOUT),
        "OS_DEFAULT__LOG_FILE": str(log_file),
        "OS_DEFAULT__USE_JSON": "true"})
    load = Load(server.port, count=6, expected_body=OLD_BODY).start()
    time.sleep(1.5)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(GRACEFUL_TIMEOUT + 5) == 0
    time.sleep(0.3)
    outcomes = load.stop()

    answered = [o for o in outcomes if o.status == 200]
    assert len(answered) > 100, "the load generator did not get going"
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    request_lines = [r for r in records
                     if r["name"] == "greeter.api.middleware.request_log"
                     and r["args"]["path"] == "/greeting/hello"]
    assert len(request_lines) == len(answered)
    assert {r["args"]["status"] for r in request_lines} == {"200"}

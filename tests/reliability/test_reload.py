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

"""SIGHUP reloads the configuration, against a real greeter-api under load.

Each server reads a config file of its own (in the test's directory),
which the test edits before sending SIGHUP to the master.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import requests

from tests.fixtures.load import Load as Clients
from tests.fixtures.process import CONFIGURED_TOKENS
from tests.fixtures.process import FILE_TOKEN as TOKEN_A
from tests.fixtures.process import NEW_BODY
from tests.fixtures.process import OLD_BODY
from tests.fixtures.process import Config
from tests.fixtures.process import get
from tests.fixtures.shipped import ETC
from tests.fixtures.waiting import wait_for

TOKEN_B = "reload-token-bravo"  # nosec B105
UNPARSED = "reload-secret-unparsed"  # nosec B105
CONFIGURED_TOKENS.update({TOKEN_A, TOKEN_B, UNPARSED})


def test_reload_under_load_changes_greeting_and_rotates_token(
        start_server, tmp_path):
    """The greeting changes and the token rotates with no failed request.

    Token rotation as doc/source/admin/reload.rst describes it: add the
    new token beside the old and reload; move clients to it; remove the
    old one and reload.
    """
    config = Config(tmp_path)
    server = start_server(config, {"OS_API__WORKERS": "2"})
    first_workers = server.settled(2)
    clients = Clients(server.port, TOKEN_A).start()

    # One reload: a new greeting, and token B accepted beside A.
    config.set("greeting", "name", "Reloaded").write()
    config.tokens(TOKEN_A, TOKEN_B)
    hupped = time.monotonic()
    mark = server.hup()
    wait_for(lambda: any(a.body == NEW_BODY for a in clients.since(hupped)),
             "the new greeting")
    first_new = min(a.sent for a in clients.since(hupped)
                    if a.body == NEW_BODY)
    reloaded = server.wait_for_line(mark, "Reloaded the configuration")
    assert "[greeting] name = 'Reloaded' (was 'Phred')" in reloaded
    server.replaced(first_workers, 2)
    old_workers_gone = time.monotonic()
    # Once the old workers are gone only the new greeting is served.
    assert get(server, TOKEN_B).text == NEW_BODY.decode()
    clients.token = TOKEN_B
    switched = time.monotonic()

    # A second reload: token A removed.
    config.tokens(TOKEN_B)
    mark = server.hup()
    server.wait_for_line(mark, "Reloaded the configuration")
    wait_for(lambda: get(server, TOKEN_A).status_code == 401,
             "token A to be refused")
    time.sleep(0.5)
    answers = clients.stop()

    failed = [a for a in answers if a.status != 200]
    assert not failed, failed[:5]
    assert all(a.body in (OLD_BODY, NEW_BODY) for a in answers)
    after = [a for a in answers if a.sent > old_workers_gone]
    assert after and all(a.body == NEW_BODY for a in after)
    assert len([a for a in answers if a.sent > switched]) > 50
    assert get(server, TOKEN_B).status_code == 200
    print(f"reload under load: {len(answers)} requests from "
          f"{clients.count} clients, none failed; new greeting "
          f"{first_new - hupped:.2f}s after SIGHUP")
    assert first_new - hupped < 5


def test_ten_reloads_under_load_lose_nothing(start_server, tmp_path):
    config = Config(tmp_path)
    server = start_server(config, {"OS_API__WORKERS": "2"})
    clients = Clients(server.port, TOKEN_A, count=4).start()
    kept_alive = Clients(server.port, TOKEN_A, count=2,
                         keepalive=True).start()
    pids = server.settled(2)
    server.hup()
    pids = server.replaced(pids, 2)
    rss_after_first = server.rss_kib()
    for number in range(10):
        config.set("greeting", "greeting", f"Hallo{number}").write()
        mark = server.hup()
        server.wait_for_line(mark, "Reloaded the configuration")
        time.sleep(0.2)
    pids = server.replaced(pids, 2)
    assert get(server).text == "Hello, Hallo9, Phred !!\n"
    answers = clients.stop() + kept_alive.stop()
    failed = [a for a in answers if a.status != 200]
    assert not failed, failed[:5]
    # The process count settles back to the configured workers.
    time.sleep(1)
    assert sorted(server.worker_pids()) == sorted(pids)
    rss_after_last = server.rss_kib()
    print(f"ten reloads under load: {len(answers)} requests, none failed; "
          f"RSS (master + 2 workers) {rss_after_first} KiB after the first "
          f"reload, {rss_after_last} KiB after the eleventh")
    assert rss_after_last < rss_after_first + 4096


def _bad_value(config: Config) -> str:
    config.set("api", "threads", "0").write()
    return "[api] threads = '0' from"


def _unreadable_token_file(config: Config) -> str:
    config.set("auth", "token_file", str(config.token_file) + ".gone").write()
    return "cannot read [auth] token_file"


def _broken_paste_file(config: Config) -> str:
    paste = config.path.parent / "broken-paste.ini"
    paste.write_text("pipeline = request_id\n")
    config.set("paste_deploy", "config_file", str(paste)).write()
    return "comes before any [section] header"


def _missing_factory(config: Config) -> str:
    paste = config.path.parent / "missing-factory.ini"
    paste.write_text((ETC / "api-paste.ini").read_text().replace(
        "API.factory", "API.no_such_factory"))
    config.set("paste_deploy", "config_file", str(paste)).write()
    return "has no attribute 'API.no_such_factory'"


def _no_token(config: Config) -> str:
    config.write()
    config.tokens()
    return "no token is configured"


def _unparsable_config(config: Config) -> str:
    config.write()
    with config.path.open("a") as conf:
        conf.write(f"[auth]\ntokens {UNPARSED}\n")
    number = len(config.path.read_text().splitlines())
    # The line is not shown: it may hold a secret (this one does).
    return f"{config.path}, line {number}: No ':' or '=' found"


@pytest.mark.parametrize("breakage", [
    _bad_value, _unreadable_token_file, _broken_paste_file,
    _missing_factory, _no_token, _unparsable_config])
def test_broken_config_changes_nothing_until_fixed(start_server, tmp_path,
                                                   breakage):
    config = Config(tmp_path)
    server = start_server(config, {"OS_API__WORKERS": "1"})
    workers = server.settled(1)
    wait_for(lambda: "Booting worker" in server.log(), "the worker to boot")

    # Besides the breakage, a new greeting and a drain file that exists.
    config.set("greeting", "name", "Reloaded")
    drain = tmp_path / "drain-if-reloaded"
    drain.touch()
    config.set("healthcheck", "disable_by_file_path", str(drain))
    expected = breakage(config)
    mark = server.hup()
    error = server.wait_for_line(mark, "Reload failed")
    time.sleep(1)  # time for anything that would follow to follow
    new_lines = server.log_since(mark).splitlines()
    assert expected in error
    assert "still serving the previous configuration" in error
    assert [line for line in new_lines if " ERROR " in line] == [error]
    assert "Traceback" not in server.log_since(mark)
    assert server.log().count("Booting worker") == 1
    assert server.process.poll() is None
    assert server.worker_pids() == workers
    assert get(server).text == OLD_BODY.decode()
    # A worker started now (here, to replace a crashed one) has the old
    # configuration too: the master's is as it was.
    os.kill(workers[0], signal.SIGKILL)
    server.replaced(workers, 1)
    assert get(server).text == OLD_BODY.decode()
    assert requests.get(server.url + "/healthcheck", timeout=10).ok

    # Fixed, and reloaded: the new configuration applies.
    fixed = Config(tmp_path)
    fixed.set("greeting", "name", "Reloaded").write()
    mark = server.hup()
    server.wait_for_line(mark, "Reloaded the configuration")
    wait_for(lambda: get(server).text == NEW_BODY.decode(),
             "the new greeting")


def test_what_the_factories_read_is_rebuilt(start_server, tmp_path):
    """Size limit, drain file, auth strategy and log levels, on reload."""
    config = Config(tmp_path)
    server = start_server(config)
    drain = tmp_path / "drain-after-reload"
    drain.touch()
    assert requests.get(server.url + "/healthcheck", timeout=10).ok
    assert get(server, data=b"x" * 2000).status_code == 200
    assert get(server, token="").status_code == 401

    config.set("oslo_middleware", "max_request_body_size", "1000")
    config.set("healthcheck", "disable_by_file_path", str(drain))
    config.set("auth", "strategy", "noauth")
    config.set("DEFAULT", "default_log_levels",
               "greeter.api.middleware.request_log=WARN")
    config.write()
    mark = server.hup()
    line = server.wait_for_line(mark, "Reloaded the configuration")
    server.settled(2)
    wait_for(lambda: "Worker exiting" in server.log_since(mark),
             "the old workers to exit")
    assert "[auth] strategy = 'noauth' (was 'token')" in line
    wait_for(lambda: requests.get(server.url + "/healthcheck",
                                  timeout=10).status_code == 503,
             "/healthcheck to answer 503")
    assert get(server, data=b"x" * 2000).status_code == 413
    assert get(server, token="").status_code == 200
    before = server.log().count('"GET /greeting/hello"')
    for _ in range(5):
        get(server, token="")
    time.sleep(0.5)
    assert server.log().count('"GET /greeting/hello"') == before


def test_config_dir_is_listed_again(start_server, tmp_path):
    config = Config(tmp_path)
    conf_d = tmp_path / "greeter.conf.d"
    conf_d.mkdir()
    server = start_server(config, args=("--config-dir", str(conf_d)))
    (conf_d / "50-name.conf").write_text("[greeting]\nname = Reloaded\n")
    mark = server.hup()
    line = server.wait_for_line(mark, "Reloaded the configuration")
    assert str(conf_d / "50-name.conf") in line
    wait_for(lambda: get(server).text == NEW_BODY.decode(),
             "the name from the new file")


def test_reload_line_masks_secrets(start_server, tmp_path):
    secret_old, secret_new = "reload-secret-one", "reload-secret-two"
    CONFIGURED_TOKENS.update({secret_old, secret_new})
    config = Config(tmp_path)
    config.set("auth", "tokens", secret_old).write()
    server = start_server(config)
    config.set("auth", "tokens", secret_new).write()
    mark = server.hup()
    line = server.wait_for_line(mark, "Reloaded the configuration")
    assert "[auth] tokens (secret)" in line
    wait_for(lambda: get(server, secret_new).status_code == 200,
             "the new token to be accepted")
    assert get(server, secret_old).status_code == 401
    # The whole log is searched for both when the session ends.


def test_restart_only_option_warns(start_server, tmp_path):
    config = Config(tmp_path)
    config.set("api", "bind_host", "127.0.0.1").write()
    # The address comes from the file here, not the environment.
    server = start_server(config, env={"OS_API__BIND_HOST": None})
    config.set("api", "bind_host", "127.0.0.2").write()
    mark = server.hup()
    warning = server.wait_for_line(mark, "takes effect on restart only")
    assert " WARNING " in warning
    assert "[api] bind_host = '127.0.0.2' (was '127.0.0.1')" in warning
    server.wait_for_line(mark, "Booting worker")
    assert get(server).status_code == 200


def test_unparsable_line_is_not_shown_with_use_json(start_server, tmp_path):
    config = Config(tmp_path)
    config.set("DEFAULT", "use_json", "true").write()
    server = start_server(config)
    expected = _unparsable_config(config)
    mark = server.hup()
    line = server.wait_for_line(mark, "Reload failed")
    message = json.loads(line)["message"]
    assert message.startswith("Reload failed, still serving the previous "
                              f"configuration: {expected}")
    assert UNPARSED not in server.log()  # and in every log, at the end


def test_misspelt_names_warn_on_reload(start_server, tmp_path):
    config = Config(tmp_path)
    server = start_server(config)
    assert "greeter knows" not in server.log()
    config.set("greeting", "nmae", "Bob").set("greetingz", "name", "Bob")
    config.write()
    mark = server.hup()
    server.wait_for_line(mark, "Reloaded the configuration")
    warnings = [line for line in server.log_since(mark).splitlines()
                if " WARNING " in line]
    assert [line.partition(" [-] ")[2] for line in warnings] == [
        f"{config.path}: [greeting] nmae is not an option greeter knows "
        "(did you mean 'name'?); it is ignored",
        f"{config.path}: [greetingz] is not a section greeter knows (did "
        "you mean [greeting]?); its options are ignored"]
    assert get(server).text == OLD_BODY.decode()

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


"""One app served by gunicorn and loaded with wrk: the figures of one run.

Every app is served with the same gunicorn settings (workers, worker
class, threads); greeter through ``greeter-api``, configured from
``OS_API__*`` variables, the others by gunicorn's command line. The
server writes its output to a file of its own, as in production.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from benchmarks import keystone_app

REPO = pathlib.Path(__file__).resolve().parent.parent
TOKEN = "open-sesame"
PATH = "/greeting/hello"
# The WSGI callables gunicorn serves for the apps that are not greeter.
GUNICORN_APPS = {"bare": "benchmarks.bare_app:application",
                 "seed": "benchmarks.seed_app:application",
                 "flask": "benchmarks.flask_peer:app"}
# The apps whose output must hold a request line for every request.
ACCESS_LOGGED = ("greeter", "greeter-baseline", "flask")
# oslo.log's default_log_levels, set so that the request log says nothing.
QUIET_REQUEST_LOG = "greeter.api.middleware.request_log=WARN"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def venv_script(name: str) -> str:
    return shutil.which(name, path=os.path.dirname(sys.executable)) or name


def server_command(app: str, port: int, mode: str, workers: int,
                   threads: int, args: argparse.Namespace,
                   ) -> tuple[list[str], dict]:
    """The command and environment that serve ``app`` with these settings."""
    env = dict(os.environ)
    if app == "greeter-quiet":
        env["OS_DEFAULT__DEFAULT_LOG_LEVELS"] = QUIET_REQUEST_LOG
    if app.startswith("greeter"):
        env.update({
            "OS_API__BIND_HOST": "127.0.0.1",
            "OS_API__BIND_PORT": str(port),
            "OS_API__WORKERS": str(workers),
            "OS_API__WORKER_CLASS": mode,
            "OS_API__THREADS": str(threads),
        })
        script = (args.baseline if app == "greeter-baseline"
                  else venv_script("greeter-api"))
        conf = args.keystone_conf if app == "greeter-keystone" else str(
            REPO / "etc" / "greeter" / "greeter.conf")
        return [script, "--config-file", conf], env
    return [venv_script("gunicorn"), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", mode,
            "--threads", str(threads), "--worker-tmp-dir", "/dev/shm",
            "--chdir", str(REPO), GUNICORN_APPS[app]], env


def wait_first_200(url: str, process: subprocess.Popen,
                   timeout: float = 30, token: str = TOKEN) -> None:
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"no 200 from {url} in {timeout}s")


def worker_pids(master_pid: int) -> list[str]:
    return pathlib.Path(
        f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()


def cpu_seconds(pids: list[str]) -> float:
    """User + system CPU time these processes have used, in seconds."""
    total = 0
    for pid in pids:
        # Fields after the command name; utime and stime are 14th and 15th.
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(
            ")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def worker_rss_mib(pids: list[str]) -> float:
    """Mean RSS of these processes (the workers), in MiB."""
    rss = []
    for pid in pids:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
        rss.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return statistics.mean(rss)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * UNITS[unit]


def run_wrk(url: str, duration: int, connections: int,
            token: str = TOKEN) -> dict:
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
         "-H", f"X-Auth-Token: {token}", url],
        capture_output=True, text=True, check=True)
    out = result.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
    }


# The request line greeter (and the Flask peer) log for each answer wrk
# counts.
REQUEST_LINE = f'"GET {PATH}" status: 200'.encode()


def count_request_lines(log_path: pathlib.Path) -> int:
    with open(log_path, "rb") as log:
        return sum(REQUEST_LINE in line for line in log)


def measure(app: str, mode: str, args: argparse.Namespace,
            log_path: pathlib.Path) -> dict:
    """Serve ``app`` with worker class ``mode``, load it, return figures."""
    port = free_port()
    # gunicorn turns "sync" with threads > 1 into gthread: give sync one.
    threads = 1 if mode == "sync" else args.threads
    command, env = server_command(app, port, mode, args.workers, threads,
                                  args)
    url = f"http://127.0.0.1:{port}{PATH}"
    token = args.keystone_token if app == "greeter-keystone" else TOKEN
    start = time.monotonic()
    with open(log_path, "wb") as log:
        # A process group of its own, to kill it whole; not a session of
        # its own: with the kernel's autogroup scheduling, a new session
        # is a new scheduling group, and the CPUs would be split between
        # the server's group and wrk's, which slows threaded workers
        # (GIL handoffs) more than the bare app, and unevenly.
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT,
                                   process_group=0)
    try:
        wait_first_200(url, process, token=token)
        startup = time.monotonic() - start
        # The first 200 can come before every worker has booted; load
        # then would fall on fewer workers than configured.
        time.sleep(1)
        if app == "greeter-keystone":
            keystone_app.warm_token_cache(url, token, args.workers)
        workers = worker_pids(process.pid)
        cpu_before = cpu_seconds(workers)
        figures = run_wrk(url, args.duration, args.connections, token)
        cpu_used = cpu_seconds(workers) - cpu_before
        figures.update(startup=startup, rss=worker_rss_mib(workers),
                       cpu_us=cpu_used / figures["requests"] * 1e6)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if app in ACCESS_LOGGED:
        # The access log was really on, and wrote every line.
        lines = count_request_lines(log_path)
        if lines < figures["requests"]:
            raise RuntimeError(f"{log_path}: {lines} request lines for "
                               f"{figures['requests']} requests")
    return figures

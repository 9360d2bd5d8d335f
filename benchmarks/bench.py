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

"""Side-by-side throughput of greeter, the seed pipeline and a bare app.

    python -m benchmarks.bench [--duration 8] [--rounds 3]
                               [--modes sync,gthread] [--workers 2]

Each app is served by gunicorn with the same settings (workers, worker
class, threads), started in turn, and loaded with wrk on /greeting/hello
with a valid token; rounds interleave the apps so that drift of the
machine falls on all of them alike. Reports the median over rounds of
req/s, p50 and p99 latency, start-up time (process start to first 200),
RSS per worker and the workers' CPU time per request (user + system,
from /proc: steadier than req/s on a shared machine); the ratios come
last. Any non-2xx answer, or a socket error, fails the run.

Every server writes its output (stdout and stderr) to a file of its own,
as in production, where the lines go to a file or a container's log
driver: sending them to /dev/null would hide what writing the access log
costs. ``--log-dir`` keeps the files; otherwise they go to a temporary
directory removed at the end. greeter's file must hold a request line for
every request wrk counted, or the run fails.

``--apps bare,seed,greeter,greeter-quiet`` adds greeter with its request
log silenced (through oslo.log's ``default_log_levels``), to show what the
access line costs. ``greeter-keystone`` adds greeter with ``[auth]
strategy = keystone`` against a real Keystone on loopback, its token
cache warm (benchmarks/keystone_app.py). ``--baseline PATH`` adds another
greeter-api (say, one installed from the commit before a change, in its
own virtualenv) to the same rounds, as ``greeter-baseline``, to compare a
change with its base on the same machine at the same time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchmarks import keystone_app

REPO = pathlib.Path(__file__).resolve().parent.parent
TOKEN = "open-sesame"
PATH = "/greeting/hello"
APPS = ("bare", "seed", "greeter")
OPTIONAL_APPS = ("greeter-quiet", "greeter-keystone", "greeter-baseline")
# oslo.log's default_log_levels, set so that the request log says nothing.
QUIET_REQUEST_LOG = "greeter.api.middleware.request_log=WARN"
# greeter-keystone's config file and token, once its Keystone is up.
KEYSTONE: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def venv_script(name: str) -> str:
    return shutil.which(name, path=os.path.dirname(sys.executable)) or name


def server_command(app: str, port: int, mode: str, workers: int,
                   threads: int, baseline: str | None = None,
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
        script = (baseline if app == "greeter-baseline"
                  else venv_script("greeter-api"))
        conf = KEYSTONE["conf"] if app == "greeter-keystone" else str(
            REPO / "etc" / "greeter" / "greeter.conf")
        return [script, "--config-file", conf], env
    module = {"bare": "benchmarks.bare_app", "seed": "benchmarks.seed_app"}
    return [venv_script("gunicorn"), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", mode,
            "--threads", str(threads), "--worker-tmp-dir", "/dev/shm",
            "--chdir", str(REPO), f"{module[app]}:application"], env


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


# The request line greeter logs for each answer wrk counts.
REQUEST_LINE = f'"GET {PATH}" status: 200'.encode()


def count_request_lines(log_path: pathlib.Path) -> int:
    with open(log_path, "rb") as log:
        return sum(REQUEST_LINE in line for line in log)


def measure(app: str, mode: str, args: argparse.Namespace,
            log_path: pathlib.Path) -> dict:
    port = free_port()
    # gunicorn turns "sync" with threads > 1 into gthread: give sync one.
    threads = 1 if mode == "sync" else args.threads
    command, env = server_command(app, port, mode, args.workers, threads,
                                  args.baseline)
    url = f"http://127.0.0.1:{port}{PATH}"
    token = KEYSTONE["token"] if app == "greeter-keystone" else TOKEN
    start = time.monotonic()
    with open(log_path, "wb") as log:
        # A process group of its own, to kill it whole; not a session of
        # its own: with the kernel's autogroup scheduling, a new session
        # is a new scheduling group, and the CPUs would be split between
        # the server's group and wrk's. That slowed greeter's threaded
        # workers (GIL handoffs) by a third against 15% for the bare app,
        # and moved from run to run.
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
    if app in ("greeter", "greeter-baseline"):
        # The access log was really on, and wrote every line.
        lines = count_request_lines(log_path)
        if lines < figures["requests"]:
            raise RuntimeError(f"{log_path}: {lines} request lines for "
                               f"{figures['requests']} requests")
    return figures


# What greeter aims for, to read the ratios against.
TARGETS = {"greeter/bare throughput": ">= 0.80",
           "greeter/seed throughput": ">= 1.25",
           "greeter/bare p99": "<= 2.00"}


def report(mode: str,
           results: dict[str, list[dict]]) -> tuple[list[str], list[str]]:
    """The table of medians for ``mode``, and its ratios."""
    median = {app: {key: statistics.median(r[key] for r in runs)
                    for key in runs[0]}
              for app, runs in results.items()}
    table = [f"== {mode}: median of {len(results['bare'])} rounds",
             f"{'app':16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
             f"{'start s':>8} {'RSS MiB':>8} {'CPU us/req':>11}"]
    for app, m in median.items():
        table.append(f"{app:16} {m['rps']:9.0f} {m['p50']:8.2f} "
                     f"{m['p99']:8.2f} {m['startup']:8.2f} {m['rss']:8.1f} "
                     f"{m['cpu_us']:11.1f}")
    greeter, bare, seed = median["greeter"], median["bare"], median["seed"]
    ratios = {
        "greeter/bare throughput": greeter["rps"] / bare["rps"],
        "greeter/seed throughput": greeter["rps"] / seed["rps"],
        "greeter/bare p99": greeter["p99"] / bare["p99"],
    }
    return table, [f"{mode}: {name} {value:.2f} (target {TARGETS[name]})"
                   for name, value in ratios.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--modes", default="sync,gthread")
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--baseline",
                        help="another greeter-api to measure beside "
                             "greeter, as greeter-baseline")
    parser.add_argument("--log-dir", type=pathlib.Path,
                        help="keep each server's output here (default: a "
                             "temporary directory, removed afterwards)")
    args = parser.parse_args()
    apps = tuple(args.apps.split(","))
    if args.baseline and "greeter-baseline" not in apps:
        apps += ("greeter-baseline",)
    if "greeter-baseline" in apps and not args.baseline:
        parser.error("greeter-baseline needs --baseline")
    unknown = set(apps) - set(APPS + OPTIONAL_APPS)
    if unknown or not set(APPS) <= set(apps):
        parser.error(f"--apps: {', '.join(APPS)} are needed for the "
                     f"ratios; {', '.join(OPTIONAL_APPS)} may be added")
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found on PATH; install it first, e.g. "
                 "`sudo apt-get install wrk` on Debian or Ubuntu")

    with contextlib.ExitStack() as stack:
        if "greeter-keystone" in apps:
            workdir = stack.enter_context(tempfile.TemporaryDirectory())
            conf, token = stack.enter_context(
                keystone_app.keystone_greeter(pathlib.Path(workdir)))
            KEYSTONE.update(conf=str(conf), token=token)
        if args.log_dir:
            args.log_dir.mkdir(parents=True, exist_ok=True)
            log_dir = args.log_dir
        else:
            log_dir = pathlib.Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="greeter-bench-")))
        run(apps, args, log_dir)


def run(apps: tuple[str, ...], args: argparse.Namespace,
        log_dir: pathlib.Path) -> None:
    tables, ratios = [], []
    for mode in args.modes.split(","):
        results: dict[str, list[dict]] = {app: [] for app in apps}
        for round_number in range(args.rounds):
            # Rotate the order each round, so no app always goes first.
            shift = round_number % len(apps)
            order = apps[shift:] + apps[:shift]
            for app in order:
                log_path = log_dir / f"{mode}-{round_number + 1}-{app}.log"
                results[app].append(measure(app, mode, args, log_path))
                print(f"{mode} round {round_number + 1} {app}: "
                      f"{results[app][-1]['rps']:.0f} req/s", flush=True)
        table, mode_ratios = report(mode, results)
        tables += table
        ratios += mode_ratios
    # The ratios of every mode last, where a reader (or CI) looks.
    print("\n".join(tables + ratios))


if __name__ == "__main__":
    main()

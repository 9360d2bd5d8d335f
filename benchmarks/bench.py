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


"""Side-by-side throughput of greeter, its peers and a bare app; then
what each stage of greeter's pipeline costs.

    python -m benchmarks.bench [--duration 8] [--rounds 3]
                               [--modes sync,gthread] [--workers 2]
                               [--stage-requests 2000] [--callgrind 200]

Each app is served by gunicorn with the same settings (workers, worker
class, threads), started in turn, and loaded with wrk on /greeting/hello
with a valid token (``benchmarks.wrk_runner``); rounds interleave the
apps so that drift of the machine falls on all of them alike. Reports
the median over rounds of req/s, p50 and p99 latency, start-up time
(process start to first 200), RSS per worker and the workers' CPU time
per request (user + system, from /proc: steadier than req/s on a shared
machine); then greeter's figures beside its targets
(``benchmarks.report``). Any non-2xx answer, or a socket error, fails
the run.

The apps: ``bare``, a WSGI callable answering the line (the floor);
``seed``, the seed tutorial's pipeline; ``flask``, greeter's job written
the Flask way (``benchmarks.flask_peer``); ``greeter``, through
greeter-api with the shipped configuration.

Every server writes its output (stdout and stderr) to a file of its own,
as in production, where the lines go to a file or a container's log
driver: sending them to /dev/null would hide what writing the access log
costs. ``--log-dir`` keeps the files; otherwise they go to a temporary
directory removed at the end. greeter's and the Flask peer's files must
hold a request line for every request wrk counted, or the run fails.

``--apps bare,seed,flask,greeter,greeter-quiet`` adds greeter with its
request log silenced (through oslo.log's ``default_log_levels``), to
show what the access line costs. ``greeter-keystone`` adds greeter with
``[auth] strategy = keystone`` against a real Keystone on loopback, its
token cache warm (benchmarks/keystone_app.py). ``--baseline PATH`` adds
another greeter-api (say, one installed from the commit before a change,
in its own virtualenv) to the same rounds, as ``greeter-baseline``.

Last comes the per-stage table (``benchmarks.stage_table``): CPU time
per request in-process, and instructions under valgrind's callgrind when
valgrind is installed. ``--stage-requests 0`` and ``--callgrind 0`` leave
them out; ``--stages-only`` runs nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import shutil
import sys
import tempfile

from benchmarks import keystone_app
from benchmarks import report
from benchmarks import stage_table
from benchmarks import wrk_runner

APPS = ("bare", "seed", "flask", "greeter")
# The apps the targets and ratios are read from.
REQUIRED_APPS = ("bare", "flask", "greeter")
OPTIONAL_APPS = ("greeter-quiet", "greeter-keystone", "greeter-baseline")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--modes", default="sync,gthread")
    parser.add_argument("--apps", default=",".join(APPS),
                        help=f"the apps to serve; "
                             f"{', '.join(REQUIRED_APPS)} always are")
    parser.add_argument("--baseline",
                        help="another greeter-api to measure beside "
                             "greeter, as greeter-baseline")
    parser.add_argument("--log-dir", type=pathlib.Path,
                        help="keep each server's output here (default: a "
                             "temporary directory, removed afterwards)")
    parser.add_argument("--stage-requests", type=int, default=2000,
                        help="requests per variant and round for the "
                             "per-stage CPU times (0: no stage table)")
    parser.add_argument("--stage-rounds", type=int, default=5)
    parser.add_argument("--callgrind", type=int, default=200,
                        help="requests per variant under callgrind, for "
                             "the instruction counts (0: none)")
    parser.add_argument("--stages-only", action="store_true",
                        help="the per-stage table only, no wrk runs")
    args = parser.parse_args(argv)
    # The apps the ratios need, whether listed or not.
    wanted = set(args.apps.split(",")) | set(REQUIRED_APPS)
    if args.baseline:
        wanted.add("greeter-baseline")
    if "greeter-baseline" in wanted and not args.baseline:
        parser.error("greeter-baseline needs --baseline")
    unknown = wanted - set(APPS + OPTIONAL_APPS)
    if unknown:
        parser.error(f"--apps: unknown {', '.join(sorted(unknown))}; "
                     f"{', '.join(APPS + OPTIONAL_APPS)} may be given "
                     f"({', '.join(REQUIRED_APPS)} always are)")
    args.apps = tuple(app for app in APPS + OPTIONAL_APPS if app in wanted)
    if args.stages_only and not args.stage_requests:
        parser.error("--stages-only with --stage-requests 0 runs nothing")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    lines = []
    if not args.stages_only:
        if not shutil.which("wrk"):
            sys.exit("bench: wrk not found on PATH; install it first, e.g. "
                     "`sudo apt-get install wrk` on Debian or Ubuntu")
        lines += run_wrk_rounds(args)
    if args.stage_requests:
        lines += stage_table.stage_table(args.stage_requests,
                                         args.stage_rounds, args.callgrind)
    print("\n".join(lines))


def run_wrk_rounds(args: argparse.Namespace) -> list[str]:
    """Every app in every mode, rounds interleaved; the report's lines."""
    args.keystone_conf = args.keystone_token = None
    with contextlib.ExitStack() as stack:
        if "greeter-keystone" in args.apps:
            workdir = stack.enter_context(tempfile.TemporaryDirectory())
            conf, args.keystone_token = stack.enter_context(
                keystone_app.keystone_greeter(pathlib.Path(workdir)))
            args.keystone_conf = str(conf)
        if args.log_dir:
            args.log_dir.mkdir(parents=True, exist_ok=True)
            log_dir = args.log_dir
        else:
            log_dir = pathlib.Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="greeter-bench-")))
        tables, verdicts = [], []
        for mode in args.modes.split(","):
            results = run_mode(mode, args, log_dir)
            median = report.medians(results)
            tables += report.table(mode, median, args.rounds)
            verdicts += report.verdicts(mode, median)
    # The figures against their targets last, where a reader (or CI)
    # looks, before the stage table.
    return tables + verdicts


def run_mode(mode: str, args: argparse.Namespace,
             log_dir: pathlib.Path) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {app: [] for app in args.apps}
    for round_number in range(args.rounds):
        # Rotate the order each round, so no app always goes first.
        shift = round_number % len(args.apps)
        order = args.apps[shift:] + args.apps[:shift]
        for app in order:
            log_path = log_dir / f"{mode}-{round_number + 1}-{app}.log"
            results[app].append(wrk_runner.measure(app, mode, args,
                                                   log_path))
            print(f"{mode} round {round_number + 1} {app}: "
                  f"{results[app][-1]['rps']:.0f} req/s", flush=True)
    return results


if __name__ == "__main__":
    main()

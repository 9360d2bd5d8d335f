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


"""greeter's pipeline with and without each stage, built and called here.

Run by the stage table (``benchmarks.stage_table``) in a process of its
own, plainly or under valgrind's callgrind::

    python -m benchmarks.stage_requests --mode time --workdir DIR

It builds greeter's app from the paste file greeter's configuration
names, through paste.deploy, as greeter-api does; then one variant
without each stage of the route ``/greeting/hello`` takes
(``benchmarks.stage_variants``), the app with only the stages it cannot
answer 200 without, and the bare app; it calls each with the same GET as
the bench's wrk runs (a valid token, the access line written to a file).

``--mode time`` times ``--requests`` calls of each variant, in
``--repeats`` interleaved rounds, and keeps each variant's least CPU
time per request. ``--mode callgrind`` forks children per variant, one
not calling it and others calling it ``--requests`` times, and records
their pids: under callgrind each child's instruction count covers
everything before the fork too, so the difference is exactly the
requests' count.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import pathlib
import sys
import time
from collections.abc import Callable

from oslo_config import cfg

from benchmarks import bare_app
from benchmarks import stage_variants
from greeter.common import config

REPO = pathlib.Path(__file__).resolve().parent.parent
PATH = "/greeting/hello"
TOKEN = "open-sesame"
OK = "200 OK"
# The file in --workdir the variants and their figures are written to.
RESULTS = "variants.json"
# Calls of each variant before it is measured: caches filled, first-call
# imports done.
WARM_UP = 20
# The same, in each child forked for callgrind; and how many children
# call each variant: once-a-second work (the log line's time text, say)
# lands in a child's requests only when they span a second, and the
# fewest instructions of these children leave it out.
CHILD_WARM_UP = 5
CALLGRIND_TRIES = 3
REQUEST = {
    "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": PATH,
    "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8004",
    "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "40000", "HTTP_HOST": "127.0.0.1:8004",
    "HTTP_USER_AGENT": "wrk", "HTTP_X_AUTH_TOKEN": TOKEN,
    "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
    "wsgi.version": (1, 0), "wsgi.multithread": False,
    "wsgi.multiprocess": True, "wsgi.run_once": False,
}


def call(app: Callable, count: int) -> str:
    """Send ``count`` GETs through ``app``; the last status line."""
    status = "no request"

    def start_response(status_line, headers, exc_info=None):
        nonlocal status
        status = status_line

    for _ in range(count):
        environ = dict(REQUEST)
        environ["wsgi.input"] = io.BytesIO(b"")
        body = app(environ, start_response)
        try:
            for _chunk in body:
                pass
        finally:
            if hasattr(body, "close"):
                body.close()
    return status


def load(conf: cfg.ConfigOpts, paste_path: pathlib.Path) -> Callable:
    """greeter's app, as greeter-api builds it, from this paste file."""
    conf.set_override("config_file", str(paste_path), group="paste_deploy")
    try:
        return config.load_paste_app(conf)
    finally:
        conf.clear_override("config_file", group="paste_deploy")


def warmed_up(variant: dict) -> dict:
    try:
        variant["status"] = call(variant["app"], WARM_UP)
    except Exception as exc:
        # The stage taken out was needed (the one setting up the
        # context the app authorises against, say).
        variant["status"] = f"raises {type(exc).__name__}"
    return variant


def build_variants(conf: cfg.ConfigOpts,
                   workdir: pathlib.Path) -> list[dict]:
    """Every variant, built and called a few times.

    The whole app; one without each stage; the app with only the stages
    it cannot answer 200 without; the bare app.
    """
    paste_path = pathlib.Path(config.paste_config_path(conf))
    parser = stage_variants.read_paste(paste_path)
    route = stage_variants.route(parser, conf.auth.strategy, PATH)
    variants = [warmed_up({"name": "whole", "label": "whole pipeline",
                           "app": load(conf, paste_path)})]
    core = parser
    for number, stage in enumerate(route.stages):
        variant_path = workdir / f"without-{number}-{paste_path.name}"
        stage_variants.write(stage_variants.without(parser, stage),
                             variant_path)
        variant = warmed_up({"name": f"without {stage.name}",
                             "label": stage.label, "stage": stage.name,
                             "app": load(conf, variant_path)})
        variants.append(variant)
        if variant["status"] == OK:
            core = stage_variants.without(core, stage)
    needed = [v["stage"] for v in variants[1:] if v["status"] != OK]
    core_path = workdir / f"core-{paste_path.name}"
    stage_variants.write(core, core_path)
    variants.append(warmed_up({
        "name": "core",
        "label": " ".join([route.app, "alone" if not needed else "with",
                           *needed]) + f" ({route.app_factory})",
        "app": load(conf, core_path)}))
    variants.append(warmed_up({"name": "bare",
                               "label": "bare app (benchmarks.bare_app)",
                               "app": bare_app.application}))
    return variants


def time_variants(variants: list[dict], requests: int,
                  repeats: int) -> None:
    """Each variant's least CPU microseconds per request, over rounds."""
    for variant in variants:
        variant["cpu_us"] = float("inf")
    for _ in range(repeats):
        for variant in variants:
            start = time.process_time_ns()
            call(variant["app"], requests)
            used = (time.process_time_ns() - start) / requests / 1000
            variant["cpu_us"] = min(variant["cpu_us"], used)


def fork_children(variants: list[dict], requests: int) -> None:
    """Per variant, a child not calling it, then children calling it
    ``requests`` times, one after another."""
    for variant in variants:
        pids = []
        for count in (0,) + (requests,) * CALLGRIND_TRIES:
            pid = os.fork()
            if pid == 0:
                # The garbage collector's counts start from zero, and
                # what the child does first (a policy decision remembered
                # for a second, say) is done before the requests counted.
                gc.collect()
                call(variant["app"], CHILD_WARM_UP)
                call(variant["app"], count)
                os._exit(0)
            os.waitpid(pid, 0)
            pids.append(pid)
        variant["pids"] = {"zero": pids[0], "requests": pids[1:]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("time", "callgrind"),
                        default="time")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--config-file", default=str(
        REPO / "etc" / "greeter" / "greeter.conf"))
    parser.add_argument("--workdir", type=pathlib.Path, required=True,
                        help="for the variants' paste files, the access "
                             "log and the results (variants.json)")
    args = parser.parse_args(argv)
    # The access lines go to a file, as in production.
    os.environ["OS_DEFAULT__LOG_FILE"] = str(args.workdir / "greeter.log")
    conf = cfg.CONF
    config.parse_args(conf, ["--config-file", args.config_file])
    variants = build_variants(conf, args.workdir)
    answering = [v for v in variants if v["status"] == OK]
    if args.mode == "time":
        time_variants(answering, args.requests, args.repeats)
    else:
        fork_children(answering, args.requests)
    for variant in variants:
        del variant["app"]
    (args.workdir / RESULTS).write_text(json.dumps(variants, indent=1))


if __name__ == "__main__":
    main()

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


"""What each stage of greeter's pipeline costs a request.

greeter's app is built in-process from its paste file, once whole and
once without each stage of the route ``GET /greeting/hello`` takes
(``benchmarks.stage_requests``); a stage's cost is the variant with it
less the variant without it, in CPU time and, under valgrind's callgrind,
in instructions. Instruction counts repeat exactly from run to run, on a
busy machine too, where CPU time moves by a microsecond or two.

A negative cost means a later stage does the work itself, at a higher
price, when this one is gone; a stage the app cannot answer 200 without
is named, not measured.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from benchmarks import stage_requests

REPO = pathlib.Path(__file__).resolve().parent.parent
TOTALS = re.compile(r"^(?:totals|summary):\s+(\d+)", re.M)


def run_variants(workdir: pathlib.Path, mode: str, requests: int,
                 repeats: int = 1) -> list[dict]:
    """``benchmarks.stage_requests`` in a process of its own; its results."""
    command = [sys.executable, "-m", "benchmarks.stage_requests",
               "--mode", mode, "--requests", str(requests),
               "--repeats", str(repeats), "--workdir", str(workdir)]
    if mode == "callgrind":
        command = ["valgrind", "--tool=callgrind", "--quiet",
                   f"--callgrind-out-file={workdir}/callgrind.%p",
                   *command]
    # The same hash seed every run, so that the same code runs the same
    # instructions.
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(command, cwd=REPO, env=env, check=True)
    return json.loads((workdir / stage_requests.RESULTS).read_text())


def instructions(workdir: pathlib.Path, pid: int) -> int:
    """The instruction count callgrind wrote for process ``pid``."""
    text = (workdir / f"callgrind.{pid}").read_text()
    return int(TOTALS.search(text).group(1))


def instructions_per_request(workdir: pathlib.Path, variants: list[dict],
                             requests: int) -> dict[str, float]:
    counts = {}
    for variant in variants:
        if "pids" in variant:
            pids = variant["pids"]
            fewest = min(instructions(workdir, pid)
                         for pid in pids["requests"])
            counts[variant["name"]] = (
                fewest - instructions(workdir, pids["zero"])) / requests
    return counts


def measure(requests: int, repeats: int,
            callgrind_requests: int) -> tuple[list[dict], dict[str, float]]:
    """Every variant's CPU time, and (with callgrind) instructions, per
    request."""
    with tempfile.TemporaryDirectory(prefix="greeter-stages-") as workdir:
        variants = run_variants(pathlib.Path(workdir), "time", requests,
                                repeats)
    counts: dict[str, float] = {}
    if callgrind_requests:
        with tempfile.TemporaryDirectory(prefix="greeter-stages-") as workdir:
            called = run_variants(pathlib.Path(workdir), "callgrind",
                                  callgrind_requests)
            counts = instructions_per_request(pathlib.Path(workdir), called,
                                              callgrind_requests)
    return variants, counts


def rows(variants: list[dict],
         counts: dict[str, float]) -> list[tuple[str, str, str]]:
    """(label, CPU us, instructions) per stage, then the references."""
    by_name = {variant["name"]: variant for variant in variants}

    def cost(name: str, minus: str | None = None,
             ) -> tuple[float, float | None]:
        cpu = by_name[name]["cpu_us"] - (
            by_name[minus]["cpu_us"] if minus else 0)
        if name not in counts:
            return cpu, None
        return cpu, counts[name] - (counts[minus] if minus else 0)

    def row(label: str, cpu: float,
            instr: float | None) -> tuple[str, str, str]:
        return label, f"{cpu:.1f}", "-" if instr is None else f"{instr:,.0f}"

    table, cpu_sum, instr_sum = [], 0.0, 0.0
    for variant in variants:
        if "stage" not in variant:
            continue
        if variant["status"] != stage_requests.OK:
            table.append((variant["label"],
                          f"needed ({variant['status']} without it)", ""))
            continue
        cpu, instr = cost("whole", minus=variant["name"])
        cpu_sum += cpu
        instr_sum += instr or 0
        table.append(row(variant["label"], cpu, instr))
    table.append(row("sum of the stages above", cpu_sum,
                     instr_sum if counts else None))
    for name in ("whole", "core", "bare"):
        table.append(row(by_name[name]["label"], *cost(name)))
    return table


def report(variants: list[dict], counts: dict[str, float], requests: int,
           repeats: int, callgrind_requests: int) -> list[str]:
    table = rows(variants, counts)
    width = max(len(label) for label, _, _ in table)
    instr_note = (f"instructions: callgrind, fewest of "
                  f"{stage_requests.CALLGRIND_TRIES} runs of "
                  f"{callgrind_requests} requests"
                  if counts else "instructions: not counted")
    lines = [f"== per-stage cost of GET {stage_requests.PATH}, in-process "
             f"(CPU: least of {repeats} rounds of {requests} requests; "
             f"{instr_note})",
             f"{'stage (paste name and factory)':{width}} "
             f"{'CPU us/req':>10} {'instr/req':>10}"]
    for label, cpu, instr in table:
        if instr:
            lines.append(f"{label:{width}} {cpu:>10} {instr:>10}")
        else:
            lines.append(f"{label:{width}} {cpu}")
    return lines


def stage_table(requests: int, repeats: int,
                callgrind_requests: int) -> list[str]:
    """The per-stage table's lines; callgrind only where it is installed."""
    notes = []
    if callgrind_requests and not shutil.which("valgrind"):
        notes.append("valgrind not found on PATH: no instruction counts "
                     "(e.g. `sudo apt-get install valgrind`)")
        callgrind_requests = 0
    variants, counts = measure(requests, repeats, callgrind_requests)
    return report(variants, counts, requests, repeats,
                  callgrind_requests) + notes

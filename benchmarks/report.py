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


"""The wrk runs' report: medians per worker class, ratios and targets.

Each figure greeter aims for is printed beside its target, with whether
it is met; ratios are taken between apps measured in the same rounds,
the only comparison that means something on a shared machine.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable
from typing import NamedTuple


class Target(NamedTuple):
    """A figure greeter aims for: ``figure <compare> limit``."""

    text: str
    compare: Callable[[float, float], bool]
    limit: float

    def met(self, value: float) -> bool:
        return self.compare(value, self.limit)


TARGETS = {
    "greeter/flask throughput": Target(">= 1.00", operator.ge, 1.0),
    "greeter/bare p99": Target("<= 2.00", operator.le, 2.0),
    "greeter RSS per worker MiB": Target("< 40", operator.lt, 40.0),
    "greeter start-up s": Target("< 1", operator.lt, 1.0),
}


def medians(results: dict[str, list[dict]]) -> dict[str, dict]:
    """Each app's median over rounds, figure by figure."""
    return {app: {key: statistics.median(r[key] for r in runs)
                  for key in runs[0]}
            for app, runs in results.items()}


def table(mode: str, median: dict[str, dict], rounds: int) -> list[str]:
    lines = [f"== {mode}: median of {rounds} rounds",
             f"{'app':16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
             f"{'start s':>8} {'RSS MiB':>8} {'CPU us/req':>11}"]
    for app, m in median.items():
        lines.append(f"{app:16} {m['rps']:9.0f} {m['p50']:8.2f} "
                     f"{m['p99']:8.2f} {m['startup']:8.2f} {m['rss']:8.1f} "
                     f"{m['cpu_us']:11.1f}")
    return lines


def figures(median: dict[str, dict]) -> dict[str, float]:
    """greeter's figures read against the targets, and ratios for context."""
    greeter, bare = median["greeter"], median["bare"]
    values = {"greeter/bare throughput": greeter["rps"] / bare["rps"]}
    if "seed" in median:
        values["greeter/seed throughput"] = (
            greeter["rps"] / median["seed"]["rps"])
    values.update({
        "greeter/flask throughput": greeter["rps"] / median["flask"]["rps"],
        "greeter/bare p99": greeter["p99"] / bare["p99"],
        "greeter RSS per worker MiB": greeter["rss"],
        "greeter start-up s": greeter["startup"],
    })
    return values


def verdicts(mode: str, median: dict[str, dict]) -> list[str]:
    """One line per figure: its value, its target and whether it is met."""
    lines = []
    for name, value in figures(median).items():
        target = TARGETS.get(name)
        verdict = (f"target {target.text}: "
                   f"{'met' if target.met(value) else 'NOT met'}"
                   if target else "(no target)")
        lines.append(f"{mode + ':':8} {name:28} {value:7.2f}  {verdict}")
    return lines

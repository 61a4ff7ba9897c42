#!/usr/bin/env python3
"""Mutation testing of torch_bp's core: does some test fail for every wrong line?

    python scripts/mutants.py                    # every core file (docs/mutation-testing.md: the time)
    python scripts/mutants.py --files loss.py    # one file
    python scripts/mutants.py --list             # the mutants, without running anything

Each mutant is ONE change to one file of the core (FILES below): an operator swapped
(+ -, * /, < <=, == !=, and or, any all, sorted(x) x, ...), a constant changed (n -> n+1, True -> False,
"s" -> "XXsXX"; function defaults too), a statement dropped (a call, an assignment to an
attribute or item, a raise, an assert, a del), a condition negated, a return value replaced
by None, two positional arguments swapped, a keyword argument dropped, a decorator dropped.
Decorated functions are mutated like any other. For each mutant the file's tests (FILES, a
fast subset chosen to cover it) run with pytest `-x` in a forked child of a process that has
already imported torch, inside a private copy of the tree with the mutated file written in
(PYTHONPATH points there, so scripts the tests start see it too), under a per-mutant timeout,
without Hypothesis's shrinking. The tests that ran the mutated line in the unmutated baseline
run first, fastest first, then all the others: a mutant usually dies in its first test.
A mutant is killed when a test fails, survives when all pass. Survivors that cannot change
behaviour are listed with a reason in tests/mutants_equivalent.txt; the summary ends with
"N killed, M equivalent (listed), K unexplained", and the exit status is 1 when K > 0.

Why not mutmut or cosmic-ray (both installable: mutmut 3.8.1, cosmic-ray 8.7.0): mutmut 3
never mutates decorated functions, and the core's most important code is decorated
(backprop() and ManualSGD.step under @torch.no_grad(), BackpropNet.load_values); it also
rewrites the package with trampolines, which the tests' own subprocesses (scripts/train.py)
do not see. cosmic-ray starts a fresh interpreter per mutant (about 4 s of `import torch`
each, the whole budget for ~600 mutants) and needs a config, a session database and a
distributor. scripts/mutation/mutator.py is ~230 lines; runner.py forks workers that have torch imported.
"""
from __future__ import annotations

import random
import signal
import sys
import time
from pathlib import Path

from mutation import FILES, runner  # scripts/mutation/, beside this script
from mutation.mutator import mutants_of
from mutation.summary import read_equivalents, report
from torch_bp.cli.args import ArgumentParser, count


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog="mutants.py", description=__doc__.splitlines()[0])
    short = sorted(Path(f).name for f in FILES)
    p.add_argument("--files", nargs="+", choices=short, default=short, metavar="FILE",
                   help=f"core files to mutate (default: every one): {', '.join(short)}")
    p.add_argument("-j", "--jobs", type=count, default=2, help="mutants tested at once")
    p.add_argument("--limit", type=count, default=None, help="at most this many mutants per file (a smoke run)")
    p.add_argument("--sample", type=count, default=None,
                   help="this many mutants per file, drawn at random (seeded by --seed): an estimate")
    p.add_argument("--seed", type=int, default=0, help="the seed of --sample's draw")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per mutant (default: 3x the file's unmutated test time + 10 s)")
    p.add_argument("--tests", nargs="+", default=None, metavar="TEST",
                   help="run these pytest node ids against every mutant instead of the files' own tests")
    p.add_argument("--only", type=Path, default=None, metavar="PATH",
                   help="only the mutants whose keys (`file | where | before -> after`, a `file:line` prefix allowed) "
                        "this file lists, e.g. a run's survivors: to check that new tests kill them")
    p.add_argument("--list", action="store_true", help="print the mutants and exit")
    return p


def listed(path: Path) -> list[str]:
    """The lines of --only's file, each as `file | where | before -> after[ | reason]` (a
    `path:line` first field made the file's name, as in a key)."""
    lines = []
    for line in path.read_text().splitlines():
        first, sep, rest = line.strip().partition(" | ")
        if sep and not first.startswith("#"):
            lines.append(f"{Path(first.split(':')[0]).name} | {rest}")
    return lines


def is_listed(key: str, lines: list[str]) -> bool:
    """Whether a line starts with the key (the code may hold ` | ` itself: no splitting)."""
    return any(line == key or line.startswith(key + " | ") for line in lines)


def chosen(mutants: list, args) -> list:
    """--only: those listed; --limit: the first n; --sample: n drawn with --seed, in file order."""
    if args.only is not None:
        lines = listed(args.only)
        mutants = [m for m in mutants if is_listed(m.key, lines)]
    if args.sample is not None and args.sample < len(mutants):
        keep = set(random.Random(args.seed).sample(range(len(mutants)), args.sample))
        mutants = [m for i, m in enumerate(mutants) if i in keep]
    return mutants[:args.limit]


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    files = [f for f in FILES if Path(f).name in args.files]
    if args.tests:
        FILES.update({f: args.tests for f in files})
    mutants = {f: chosen(mutants_of(f), args) for f in files}
    if args.list:
        for f in files:
            for m in mutants[f]:
                print(f"{f}:{m.line}: {m.key}")
        return 0
    equivalent = read_equivalents()
    start = time.monotonic()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill stops the children and cleans up
    runner.warm()
    items = [m for f in files for m in mutants[f]]
    results = runner.test_mutants(files, items, args.jobs, args.timeout, start)
    if results is None:  # the tests fail on the unmutated tree
        return 2
    wall = time.monotonic() - start
    complete = args.limit is None and args.sample is None and args.only is None
    totals = report(files, items, results, equivalent, args.files, complete=complete)
    print(f"\n{totals['killed']} killed, {totals['timeout']} timed out, {totals['equivalent']} equivalent (listed), "
          f"{totals['unexplained']} unexplained; {totals['mutants']} mutants of {len(files)} file(s) "
          f"in {wall / 60:.1f} min with {args.jobs} job(s)")
    return 1 if totals["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())

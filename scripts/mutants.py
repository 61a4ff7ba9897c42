#!/usr/bin/env python3
"""Mutation testing of torch_bp's core: does some test fail for every wrong line?

    python scripts/mutants.py                    # every core file (15-25 min on 2 cores)
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
(PYTHONPATH points there, so scripts the tests start see it too), under a per-mutant timeout.
A mutant is killed when a test fails, survives when all pass. Survivors that cannot change
behaviour are listed with a reason in tests/mutants_equivalent.txt; the summary ends with
"N killed, M equivalent (listed), K unexplained", and the exit status is 1 when K > 0.

Why not mutmut or cosmic-ray (both installable: mutmut 3.8.1, cosmic-ray 8.7.0): mutmut 3
never mutates decorated functions, and the core's most important code is decorated
(backprop() and ManualSGD.step under @torch.no_grad(), BackpropNet.load_values); it also
rewrites the package with trampolines, which the tests' own subprocesses (scripts/train.py)
do not see. cosmic-ray starts a fresh interpreter per mutant (about 4 s of `import torch`
each, the whole budget for ~600 mutants) and needs a config, a session database and a
distributor. The ast mutator below is ~150 lines and forks workers that have torch imported.
"""
from __future__ import annotations

import ast
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from torch_bp.cli import ArgumentParser, positive_int  # noqa: E402

# The core, and the tests that cover each file (pytest arguments; fast subsets, run with -x).
# The ONE place that names the files: paths move here when modules move.
FILES = {
    "torch_bp/chain_rule.py": ["tests/test_deck_numbers.py", "tests/test_core_properties.py", "tests/test_gradients.py"],
    "torch_bp/loss.py": ["tests/test_model.py", "tests/test_core_properties.py"],
    "torch_bp/sgd.py": ["tests/test_core_properties.py", "tests/test_deck_numbers.py"],
    "torch_bp/model.py": ["tests/test_model.py", "tests/test_core_properties.py", "tests/test_deck_numbers.py"],
    "torch_bp/data.py": ["tests/test_data.py", "tests/test_batch.py::test_batches_in_data_order_last_one_smaller",
                         "tests/test_batch.py::test_shuffled_order_is_seeded_and_covers_each_epoch"],
    "torch_bp/run/checkpoint.py": ["tests/test_checkpoint.py"],
    "torch_bp/run/events.py": ["tests/test_events_golden.py"],
}
EQUIVALENT_FILE = ROOT / "tests" / "mutants_equivalent.txt"
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "--no-header"]

# ---- the mutations ---------------------------------------------------------------------------

BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
          ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr, ast.BitXor: ast.BitOr, ast.MatMult: ast.Mult}
CMPOPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
          ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
NAMES = {"any": "all", "all": "any", "min": "max", "max": "min"}


@dataclass
class Mutant:
    file: str        # key in FILES
    line: int
    where: str       # the enclosing function or class, "Class.method"
    before: str      # the changed expression or statement, before ...
    after: str       # ... and after
    change: tuple    # (node number in _index order, kind, argument): how to make it again

    @property
    def key(self) -> str:  # no line number: stable when code above moves
        return f"{Path(self.file).name} | {self.where} | {self.before} -> {self.after}"

    @property
    def source(self) -> str:
        """The whole mutated module."""
        tree = ast.parse((ROOT / self.file).read_text())
        nodes, parents, _ = _index(tree)
        k, kind, arg = self.change
        _apply(kind, arg, nodes[k], parents[id(nodes[k])])
        return ast.unparse(tree)


def _skipped(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, imports, f-strings, raise messages."""
    skip: set[int] = set()

    def add(node):
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            add(body[0])
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)):
            add(node)
        elif isinstance(node, ast.Raise):
            add(node.exc), add(node.cause)
        elif isinstance(node, ast.arg):
            add(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node.returns)
        elif isinstance(node, ast.AnnAssign):
            add(node.annotation)
        elif isinstance(node, ast.Assert):
            add(node.msg)
    return skip


def _candidates(node: ast.AST, parent: ast.AST | None):
    """(kind, argument) of every single-point change of `node`."""
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in BINOPS:
        if not (isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            yield "op", None
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not, ast.Invert)):
        yield "unwrap", None
    elif isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            if type(op) in CMPOPS:
                yield "cmp", k
    elif isinstance(node, ast.BoolOp):
        yield "boolop", None
    elif isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, type(None), type(...))):
        if not isinstance(node.value, complex):
            yield "const", None
    elif isinstance(node, ast.Call):
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if len(positional) == len(node.args):
            for k in range(len(node.args) - 1):
                yield "swap", k
        for k, kw in enumerate(node.keywords):
            if kw.arg is not None:
                yield "dropkw", k
        if isinstance(node.func, ast.Name) and node.func.id in NAMES:
            yield "name", None
        if isinstance(node.func, ast.Name) and node.func.id == "sorted" and len(node.args) == 1:
            yield "unsort", None
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)) \
            and not isinstance(node.test, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Constant)):
        yield "negate", None
    if isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return_none", None
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        for k in range(len(node.decorator_list)):
            yield "undecorate", k
    droppable = (ast.Raise, ast.AugAssign, ast.Delete, ast.Assert)
    if isinstance(node, droppable) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)) or (
            isinstance(node, ast.Assign) and all(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets)):
        yield "drop", None


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for k, v in enumerate(value):
                if v is old:
                    value[k] = new
                    return
    raise LookupError("node not found in its parent")


def _apply(kind: str, arg, node: ast.AST, parent: ast.AST) -> None:
    if kind == "op":
        node.op = BINOPS[type(node.op)]()
    elif kind == "unwrap":
        _replace(parent, node, node.operand)
    elif kind == "cmp":
        node.ops[arg] = CMPOPS[type(node.ops[arg])]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "const":
        v = node.value
        node.value = (not v) if isinstance(v, bool) else v + 1 if isinstance(v, (int, float)) else f"XX{v}XX"
    elif kind == "swap":
        node.args[arg], node.args[arg + 1] = node.args[arg + 1], node.args[arg]
    elif kind == "dropkw":
        del node.keywords[arg]
    elif kind == "unsort":
        _replace(parent, node, node.args[0])
    elif kind == "name":
        node.func.id = NAMES[node.func.id]
    elif kind == "negate":
        node.test = ast.UnaryOp(ast.Not(), node.test)
    elif kind == "return_none":
        node.value = ast.Constant(None)
    elif kind == "undecorate":
        del node.decorator_list[arg]
    elif kind == "drop":
        _replace(parent, node, ast.Pass())


def _index(tree: ast.AST):
    nodes, parents, where = [], {}, {}

    def visit(node, parent, scope):
        nodes.append(node)
        parents[id(node)] = parent
        where[id(node)] = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = f"{scope}.{node.name}" if scope != "<module>" else node.name
        for child in ast.iter_child_nodes(node):
            visit(child, node, scope)

    visit(tree, None, "<module>")
    return nodes, parents, where


def _text(node: ast.AST) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):  # its decorators and name
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
        return " ".join([f"@{ast.unparse(d)}" for d in node.decorator_list] + [f"{keyword} {node.name}"])
    return " ".join(ast.unparse(node).split())


def _clip(before: str, after: str, limit: int = 110) -> tuple[str, str]:
    """Both texts cut to about `limit` characters around where they first differ."""
    if max(len(before), len(after)) <= limit:
        return before, after
    start = next((k for k, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    start = max(0, start - limit // 2)

    def cut(text):
        piece = text[start:start + limit]
        return ("…" if start else "") + piece + ("…" if start + limit < len(text) else "")
    return cut(before), cut(after)


def _fields(node: ast.AST) -> dict:
    return {f: list(v) if isinstance(v, list) else v for f, v in ast.iter_fields(node)}


def mutants_of(file: str) -> list[Mutant]:
    """Every single-point mutant of FILES' `file`, in source order."""
    tree = ast.parse((ROOT / file).read_text())
    skip = _skipped(tree)
    nodes, parents, where = _index(tree)
    out: list[Mutant] = []
    for k, target in enumerate(nodes):
        if id(target) in skip:
            continue
        parent = parents[id(target)]
        for kind, arg in list(_candidates(target, parent)):
            if kind in ("drop", "undecorate", "return_none"):
                context = target
            elif kind == "negate":
                context = target.test
            else:  # the smallest enclosing expression that reads as a line of its own
                context = parent if kind in ("unwrap", "unsort") and isinstance(parent, ast.expr) else target
                while len(_text(context)) < 24 and isinstance(parents[id(context)], ast.expr):
                    context = parents[id(context)]
            before = _text(context)
            touched = (target, parent, context, target.func if kind == "name" else None)
            saved = [(n, _fields(n)) for n in touched if n is not None]
            _apply(kind, arg, target, parent)  # in place, undone below
            after = ("pass" if kind == "drop" else _text(target.test) if kind == "negate"
                     else _text(target.operand) if context is target and kind == "unwrap"
                     else _text(target.args[0]) if context is target and kind == "unsort" else _text(context))
            for n, fields in saved:
                for f, v in fields.items():
                    setattr(n, f, v)
            if after != before:
                out.append(Mutant(file, getattr(target, "lineno", 0), where[id(target)], *_clip(before, after),
                                  (k, kind, arg)))
    seen = Counter()
    for m in out:  # the same change twice in one function: number them
        seen[m.key] += 1
        if seen[m.key] > 1:
            m.after += f" #{seen[m.key]}"
    return out


# ---- running them ----------------------------------------------------------------------------

def _copy_tree(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", ".venv", "runs", "__pycache__", "*.egg-info", ".hypothesis",
                                    ".pytest_cache")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def _child(tree: Path, tests: list[str], log: Path) -> None:
    """In the forked child: run the tests against the copy at `tree`; never returns."""
    try:
        os.setpgid(0, 0)  # its own process group: a timeout kills the tests' subprocesses too
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1), os.dup2(fd, 2)
        os.chdir(tree)
        os.environ["PYTHONPATH"] = str(tree)
        os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
        sys.path[:] = [str(tree), str(tree / "tests")] + [p for p in sys.path if p != str(ROOT)]
        for name in [m for m in sys.modules if m == "torch_bp" or m.startswith("torch_bp.")]:
            del sys.modules[name]
        import importlib
        importlib.invalidate_caches()
        import pytest
        import torch
        torch.set_num_threads(1)
        rc = pytest.main(PYTEST_ARGS + ["--rootdir", str(tree)] + tests)
        import torch_bp
        if not Path(torch_bp.__file__).resolve().is_relative_to(tree.resolve()):
            print(f"torch_bp imported from {torch_bp.__file__}, not the mutated tree")
            rc = 3
    except BaseException as e:  # noqa: BLE001 - the child must never return into the parent's code
        print(f"mutants.py child: {type(e).__name__}: {e}")
        rc = 4
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(int(rc))


def run(jobs_list: list[tuple[str, str | None]], slots: list[Path], timeout_of, workdir: Path, on_done) -> None:
    """Run (file, mutated source or None for the original) items, one per tree copy in `slots` at a time."""
    free, running, queue = list(range(len(slots))), {}, list(enumerate(jobs_list))
    try:
        _run_loop(slots, free, running, queue, timeout_of, workdir, on_done)
    finally:  # interrupted: stop the tests still running, with whatever they started
        for pid in running:
            try:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def _run_loop(slots, free, running, queue, timeout_of, workdir, on_done) -> None:
    while queue or running:
        while queue and free:
            n, (file, source) = queue.pop(0)
            slot = free.pop()
            target = slots[slot] / file
            target.write_text(source if source is not None else (ROOT / file).read_text())
            for cached in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
                cached.unlink()
            log = workdir / f"log{slot}.txt"
            pid = os.fork()
            if pid == 0:
                _child(slots[slot], FILES[file], log)
            running[pid] = (slot, n, file, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        now = time.monotonic()
        if pid == 0:
            for p, (slot, n, file, start) in list(running.items()):
                if now - start > timeout_of(file):
                    os.killpg(p, signal.SIGKILL)
                    os.waitpid(p, 0)
                    del running[p]
                    (slots[slot] / file).write_text((ROOT / file).read_text())
                    free.append(slot)
                    on_done(n, "timeout", now - start, "")
            time.sleep(0.02)
            continue
        slot, n, file, start = running.pop(pid)
        try:
            os.killpg(pid, signal.SIGKILL)  # anything the tests left running
        except (ProcessLookupError, PermissionError):
            pass
        (slots[slot] / file).write_text((ROOT / file).read_text())
        free.append(slot)
        rc = os.waitstatus_to_exitcode(status)
        log = (workdir / f"log{slot}.txt").read_text(errors="replace")
        on_done(n, rc, now - start, log)


def read_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """{mutant key: reason} from lines `file | where | before -> after | reason` (# comments)."""
    out = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, reason = line.rpartition(" | ")
            out[key.strip()] = reason.strip()
    return out


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog="mutants.py", description=__doc__.splitlines()[0])
    short = sorted(Path(f).name for f in FILES)
    p.add_argument("--files", nargs="+", choices=short, default=short, metavar="FILE",
                   help=f"core files to mutate, of {', '.join(short)}")
    p.add_argument("-j", "--jobs", type=positive_int, default=2, help="mutants tested at once")
    p.add_argument("--limit", type=positive_int, default=None, help="at most this many mutants per file (a smoke run)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per mutant (default: 3x the file's unmutated test time + 10 s)")
    p.add_argument("--tests", nargs="+", default=None, metavar="TEST",
                   help="run these pytest node ids against every mutant instead of the files' own tests")
    p.add_argument("--list", action="store_true", help="print the mutants and exit")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    files = [f for f in FILES if Path(f).name in args.files]
    if args.tests:
        FILES.update({f: args.tests for f in files})
    mutants = {f: mutants_of(f)[:args.limit] for f in files}
    if args.list:
        for f in files:
            for m in mutants[f]:
                print(f"{f}:{m.line}: {m.key}")
        return 0
    equivalent = read_equivalents()
    start = time.monotonic()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill stops the children and cleans up
    # warm: every forked child shares what the parent has imported
    import hypothesis.strategies, numpy, pytest, torch, torch.testing, torch.utils._python_dispatch  # noqa: E401,F401
    import tensorboard.backend.event_processing.event_file_loader, tensorboard.summary.writer.record_writer  # noqa

    with tempfile.TemporaryDirectory(prefix="torch_bp_mutants_") as tmp:
        # 1. each file's tests on the unmutated tree: they must pass; their time sets the timeout
        base = {}

        def baseline_done(n, rc, seconds, log):
            base[files[n]] = (rc, seconds, log)
        slots = [_copy_tree(Path(tmp) / f"tree{k}") for k in range(args.jobs)]
        run([(f, None) for f in files], slots, lambda f: 600, Path(tmp), baseline_done)
        for f in files:
            rc, seconds, log = base[f]
            print(f"{f}: tests pass unmutated in {seconds:.1f} s" if rc == 0 else f"{f}: tests FAIL unmutated")
            if rc != 0:
                print(log[-3000:])
                return 2
        timeout = {f: args.timeout or 3 * base[f][1] + 10 for f in files}

        # 2. the mutants
        items = [m for f in files for m in mutants[f]]
        results: dict[int, tuple[str, float]] = {}

        def done(n, rc, seconds, log):
            outcome = "timeout" if rc == "timeout" else "survived" if rc == 0 else "killed"
            if rc not in ("timeout", 0, 1):  # 2: a collection error (the mutant breaks an import) counts as killed
                outcome = "killed"
            results[n] = (outcome, seconds)
            if len(results) % 20 == 0 or len(results) == len(items):
                print(f"{len(results)}/{len(items)} mutants tested, {time.monotonic() - start:.0f} s", file=sys.stderr)
        run([(m.file, m.source) for m in items], slots, lambda f: timeout[f], Path(tmp), done)

    wall = time.monotonic() - start
    totals = Counter()
    print(f"\n{'file':<16}{'mutants':>8}{'killed':>8}{'timeout':>8}{'survived':>9}{'equiv.':>7}{'unexpl.':>8}")
    survivors = []
    for f in files:
        c = Counter()
        for n, m in enumerate(items):
            if m.file != f:
                continue
            outcome = results[n][0]
            c["mutants"] += 1
            c[outcome] += 1
            if outcome == "survived":
                c["equivalent" if m.key in equivalent else "unexplained"] += 1
                survivors.append(m)
        totals.update(c)
        print(f"{Path(f).name:<16}{c['mutants']:>8}{c['killed']:>8}{c['timeout']:>8}{c['survived']:>9}"
              f"{c['equivalent']:>7}{c['unexplained']:>8}")
    print(f"{'all':<16}{totals['mutants']:>8}{totals['killed']:>8}{totals['timeout']:>8}{totals['survived']:>9}"
          f"{totals['equivalent']:>7}{totals['unexplained']:>8}")
    if survivors:
        print("\nsurvivors (file:line | where | before -> after | reason):")
        for m in survivors:
            print(f"  {m.file}:{m.line} | {m.where} | {m.before} -> {m.after} | "
                  f"{equivalent.get(m.key, 'UNEXPLAINED')}")
    outcome = {m.key: results[n][0] for n, m in enumerate(items)}
    stale = [k for k in equivalent if k.split(" | ")[0] in args.files and outcome.get(k, "killed") != "survived"]
    if stale and args.limit is None:
        print(f"\n{len(stale)} listed equivalent(s) no surviving mutant matches any more (update {EQUIVALENT_FILE.name}):")
        for k in stale:
            print(f"  {k}")
    print(f"\n{totals['killed']} killed, {totals['timeout']} timed out, {totals['equivalent']} equivalent (listed), "
          f"{totals['unexplained']} unexplained; {totals['mutants']} mutants of {len(files)} file(s) "
          f"in {wall / 60:.1f} min with {args.jobs} job(s)")
    return 1 if totals["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())

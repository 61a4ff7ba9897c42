"""Each mutant's tests: forked pytest runs in private tree copies, in parallel, under timeouts.

The unmutated baseline also records which lines of the file each test runs (and how long it
takes); a mutant's tests then run those that reach its line first, fastest first, and the rest
after, so a mutant is usually killed by the first test (-x). Only the order changes: every
test still runs against a survivor."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from mutation import FILES, ROOT

PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "--no-header"]

def _copy_tree(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", ".venv", "runs", "__pycache__", "*.egg-info", ".hypothesis",
                                    ".pytest_cache")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


class LineRecorder:
    """A pytest plugin: {test node id: (lines of `target` it runs, setup to teardown; seconds)}."""

    def __init__(self, target: Path):
        self.target, self.tests = str(target), {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        hit = set()

        def local(frame, event, arg):
            if event == "line":
                hit.add(frame.f_lineno)
            return local

        def tracer(frame, event, arg):
            return local if frame.f_code.co_filename == self.target else None
        sys.settrace(tracer), threading.settrace(tracer)
        start = time.perf_counter()
        try:
            yield
        finally:
            sys.settrace(None), threading.settrace(None)
            self.tests[item.nodeid] = (sorted(hit), time.perf_counter() - start)


class RunFirst:
    """A pytest plugin: these node ids first, in this order, then every other test as collected."""

    def __init__(self, first: list[str]):
        self.rank = {node: k for k, node in enumerate(first)}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        items.sort(key=lambda item: self.rank.get(item.nodeid, len(self.rank)))  # stable


def _child(tree: Path, file: str, first: list[str] | None, log: Path, cover: Path) -> None:
    """In the forked child: run `file`'s tests against the copy at `tree` (first: the order;
    None: record each test's lines into `cover`); never returns."""
    try:
        os.setpgid(0, 0)  # its own process group: a timeout kills the tests' subprocesses too
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1), os.dup2(fd, 2)
        os.chdir(tree)
        os.environ["PYTHONPATH"] = str(tree)
        os.environ["HYPOTHESIS_PROFILE"] = "mutants"  # tests/conftest.py: ci, without shrinking
        sys.path[:] = [str(tree), str(tree / "tests")] + [p for p in sys.path if p != str(ROOT)]
        for name in [m for m in sys.modules if m == "torch_bp" or m.startswith("torch_bp.")]:
            del sys.modules[name]
        import importlib
        importlib.invalidate_caches()
        import torch
        torch.set_num_threads(1)
        plugin = LineRecorder(tree / file) if first is None else RunFirst(first)
        rc = pytest.main(PYTEST_ARGS + ["--rootdir", str(tree)] + FILES[file], plugins=[plugin])
        if first is None:
            cover.write_text(json.dumps(plugin.tests))
        import torch_bp
        if not Path(torch_bp.__file__).resolve().is_relative_to(tree.resolve()):
            print(f"torch_bp imported from {torch_bp.__file__}, not the mutated tree")
            rc = 3
    except BaseException as e:  # noqa: BLE001 - the child must never return into the parent's code
        print(f"mutants.py child: {type(e).__name__}: {e}")
        rc = 4
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(int(rc))


def first_tests(tests: dict, line: int) -> list[str]:
    """The node ids of the tests that ran `line` unmutated, fastest first."""
    return sorted((node for node, (lines, _) in tests.items() if line in lines), key=lambda node: tests[node][1])


def run(jobs_list: list[tuple[str, str | None, list | None]], slots: list[Path], timeout_of, workdir: Path,
        on_done) -> None:
    """Run (file, mutated source or None for the original, the tests to run first or None to
    record lines) items, one per tree copy in `slots` at a time."""
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
            n, (file, source, first) = queue.pop(0)
            slot = free.pop()
            target = slots[slot] / file
            target.write_text(source if source is not None else (ROOT / file).read_text())
            for cached in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
                cached.unlink()
            log = workdir / f"log{slot}.txt"
            pid = os.fork()
            if pid == 0:
                _child(slots[slot], file, first, log, workdir / f"cover{n}.json")
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




def warm() -> None:
    """Import what the tests import, once: every forked child shares it."""
    import hypothesis.strategies, numpy, pytest, torch, torch.testing, torch.utils._python_dispatch  # noqa: E401,F401
    import tensorboard.backend.event_processing.event_file_loader, tensorboard.summary.writer.record_writer  # noqa


def _baseline(files: list[str], slots: list[Path], workdir: Path, timeout: float | None) -> tuple | None:
    """Each file's tests on the unmutated tree: they must pass. Returns ({file: timeout}, {file:
    {node id: (lines, seconds)}}), the timeout 3x the tests' time + 10 s; None if they fail."""
    base = {}

    def baseline_done(n, rc, seconds, log):
        base[files[n]] = (rc, seconds, log)
    run([(f, None, None) for f in files], slots, lambda f: 600, workdir, baseline_done)
    for f in files:
        rc, seconds, log = base[f]
        print(f"{f}: tests pass unmutated in {seconds:.1f} s (lines recorded)" if rc == 0 else f"{f}: tests FAIL unmutated")
        if rc != 0:
            print(log[-3000:])
            return None
    tests = {f: json.loads((workdir / f"cover{n}.json").read_text()) for n, f in enumerate(files)}
    return {f: timeout or 3 * base[f][1] + 10 for f in files}, tests


def test_mutants(files: list[str], items: list, jobs: int, timeout: float | None,
                 start: float) -> dict[int, tuple[str, float]] | None:
    """{n: (killed, survived or timeout, seconds)} of items[n], after a baseline run (None: it fails)."""
    with tempfile.TemporaryDirectory(prefix="torch_bp_mutants_") as tmp:
        slots = [_copy_tree(Path(tmp) / f"tree{k}") for k in range(jobs)]
        baseline = _baseline(files, slots, Path(tmp), timeout)
        if baseline is None:
            return None
        timeouts, tests = baseline
        results: dict[int, tuple[str, float]] = {}

        def done(n, rc, seconds, log):
            outcome = "timeout" if rc == "timeout" else "survived" if rc == 0 else "killed"
            if rc not in ("timeout", 0, 1):  # 2: a collection error (the mutant breaks an import) counts as killed
                outcome = "killed"
            results[n] = (outcome, seconds)
            if len(results) % 20 == 0 or len(results) == len(items):
                print(f"{len(results)}/{len(items)} mutants tested, {time.monotonic() - start:.0f} s", file=sys.stderr)
        run([(m.file, m.source, first_tests(tests[m.file], m.line)) for m in items], slots,
            lambda f: timeouts[f], Path(tmp), done)
    return results

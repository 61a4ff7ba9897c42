"""Each mutant's tests: forked pytest runs in private tree copies, in parallel, under timeouts."""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from torch_bp.mutation import FILES, ROOT

PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "--no-header"]

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




def warm() -> None:
    """Import what the tests import, once: every forked child shares it."""
    import hypothesis.strategies, numpy, pytest, torch, torch.testing, torch.utils._python_dispatch  # noqa: E401,F401
    import tensorboard.backend.event_processing.event_file_loader, tensorboard.summary.writer.record_writer  # noqa


def _baseline(files: list[str], slots: list[Path], workdir: Path, timeout: float | None) -> dict | None:
    """Each file's tests on the unmutated tree: they must pass; their time sets the timeout (None: they fail)."""
    base = {}

    def baseline_done(n, rc, seconds, log):
        base[files[n]] = (rc, seconds, log)
    run([(f, None) for f in files], slots, lambda f: 600, workdir, baseline_done)
    for f in files:
        rc, seconds, log = base[f]
        print(f"{f}: tests pass unmutated in {seconds:.1f} s" if rc == 0 else f"{f}: tests FAIL unmutated")
        if rc != 0:
            print(log[-3000:])
            return None
    return {f: timeout or 3 * base[f][1] + 10 for f in files}


def test_mutants(files: list[str], items: list, jobs: int, timeout: float | None,
                 start: float) -> dict[int, tuple[str, float]] | None:
    """{n: (killed, survived or timeout, seconds)} of items[n], after a baseline run (None: it fails)."""
    with tempfile.TemporaryDirectory(prefix="torch_bp_mutants_") as tmp:
        slots = [_copy_tree(Path(tmp) / f"tree{k}") for k in range(jobs)]
        timeouts = _baseline(files, slots, Path(tmp), timeout)
        if timeouts is None:
            return None
        results: dict[int, tuple[str, float]] = {}

        def done(n, rc, seconds, log):
            outcome = "timeout" if rc == "timeout" else "survived" if rc == 0 else "killed"
            if rc not in ("timeout", 0, 1):  # 2: a collection error (the mutant breaks an import) counts as killed
                outcome = "killed"
            results[n] = (outcome, seconds)
            if len(results) % 20 == 0 or len(results) == len(items):
                print(f"{len(results)}/{len(items)} mutants tested, {time.monotonic() - start:.0f} s", file=sys.stderr)
        run([(m.file, m.source) for m in items], slots, lambda f: timeouts[f], Path(tmp), done)
    return results

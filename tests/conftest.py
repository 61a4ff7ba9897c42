import contextlib
import hashlib
import importlib
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

# Derandomized everywhere: the same examples on every run, so CI never flakes.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
# HYPOTHESIS_PROFILE=explore searches new examples each run (for local bug hunting).
settings.register_profile("explore", deadline=None, max_examples=5000)
# scripts/mutants.py: the ci examples, and a failure ends the test at once (no shrinking to a
# smallest example: a mutant only needs to fail).
settings.register_profile("mutants", settings.get_profile("ci"), phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # the tools beside the package: bench/, mutation/
# Runs draw their pictures in a child process (seconds of CPU each); the tests that check them
# turn it back on (monkeypatch.setenv), the rest would only load the 2 cores.
os.environ.setdefault("TORCH_BP_FIGURES", "0")
# A suite started in the background by a shell without job control inherits SIGINT and SIGHUP
# ignored, and the commands keep an inherited SIG_IGN on purpose (docs/faults-and-signals.md):
# the tests that send them a signal would see it ignored. The tests that want SIG_IGN set it.
for _signum in (signal.SIGINT, signal.SIGHUP):
    if signal.getsignal(_signum) is signal.SIG_IGN:
        signal.signal(_signum, signal.default_int_handler if _signum == signal.SIGINT else signal.SIG_DFL)


CLI = ("train", "explain", "sweep", "plot", "figures")


def load_script(name: str):
    """A command as a module, so tests call its main(argv) in-process: torch_bp.cli.<name>, or
    scripts/<name>.py for the tools beside the package (benchmark, mutants)."""
    if name in CLI:
        return importlib.import_module(f"torch_bp.cli.{name}")
    if name == "benchmark":
        return importlib.import_module("bench.command")
    spec = importlib.util.spec_from_file_location(f"script_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def train_script():
    return load_script("train")


@pytest.fixture
def run_script():
    """Run a script in a subprocess (for exit codes, signals and stderr): returns CompletedProcess."""
    def run(name, *args, timeout=120, **kwargs):
        return subprocess.run([sys.executable, str(ROOT / "scripts" / f"{name}.py"), *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, **kwargs)
    return run


def drop_file_capabilities() -> None:
    """A subprocess preexec_fn: root keeps uid 0 but drops CAP_DAC_OVERRIDE (1) and
    CAP_DAC_READ_SEARCH (2) from its bounding set, so after exec file modes bind it as they bind
    anyone (chmod 000 cannot be read, a 555 folder cannot be written). Linux only."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@contextlib.contextmanager
def without_file_capabilities():
    """In this process, for the calling thread: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of
    the effective set (kept in the permitted set, so they come back on exit): root reads a
    chmod 000 file as anyone would, and an in-process case needs no subprocess. Linux only."""
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    libc = ctypes.CDLL(None, use_errno=True)
    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3: two words

    def capset() -> None:
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset")

    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    saved = data[0].effective
    data[0].effective &= ~0b110  # bits 1 and 2
    capset()
    try:
        yield
    finally:
        data[0].effective = saved
        capset()


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) -> a fresh tmpfs of that size; skipped where this process may not mount one."""
    mounted = []

    def mount(size: str) -> Path:
        where = tmp_path / f"tmpfs{len(mounted)}"
        where.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): {proc.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=True)


def call(capsys, main, *argv) -> tuple[int, str, str]:
    """A command's main(argv) in-process: its exit status (argparse's SystemExit too), what it
    wrote to stdout and to stderr."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err: str) -> str:
    """stderr's one line (asserted: one line, no traceback)."""
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, f"stderr is not one line: {err!r}"
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` by its SHA-256: what a refused command must leave as it was."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}

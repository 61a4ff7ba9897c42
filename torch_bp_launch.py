"""Where every torch_bp command starts: signals are caught here, before torch loads.

Standard library only, and outside the torch_bp package on purpose: importing anything inside
torch_bp runs torch_bp/__init__.py, which loads torch (a second or more), and a Ctrl-C then
would end in a KeyboardInterrupt traceback. So a command (a console script, or scripts/*.py)
calls launch(name): it installs the handlers, checks that this Python has torch, and only then
imports torch_bp.cli.<name> and runs its main(). This is the one place whose imports are not at
the top of the module.

Ctrl-C (SIGINT), SIGTERM and SIGHUP, from a command's first lines until the process exits. Two modes:

    exit    (the default: importing, set-up, and after the run)  nothing of the run is being
            written: print one line on stderr and leave at once with 128 + the signal's
            number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP);
    defer   (while a run writes, inside `deferred()`)  remember the signal; the run checks
            `caught()` after each round, stops there, saves and closes its files, and the
            command then exits with the same status. Later signals are remembered too, never
            cut a write in half.

The handlers are never put back to the default action: a signal during the interpreter's
shutdown, after a finished run, still exits 128 + n with one line, and the files are the
finished run's.
"""
from __future__ import annotations

import contextlib
import errno
import importlib
import importlib.util
import os
import signal
import sys

HANDLED = tuple(s for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s))
_state = {"prog": "torch_bp", "installed": False, "defer": 0, "caught": 0}


def status(signum: int) -> int:
    """The exit status a shell reports for a process ended by signal `signum`."""
    return 128 + signum


def name(signum: int) -> str:
    return signal.Signals(signum).name


def _handle(signum, frame) -> None:
    if _state["defer"]:
        _state["caught"] = _state["caught"] or signum
        return
    try:  # whatever the script printed so far; a signal inside a write makes this reentrant
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 (RuntimeError: reentrant call, a closed or broken pipe)
        pass
    os.write(2, f"{_state['prog']}: interrupted ({name(signum)})\n".encode())
    os._exit(status(signum))


def _install() -> dict:
    """Our handler for each HANDLED signal that is not ignored: {signal: the handler it had}.
    A signal the process inherited as ignored (nohup's SIGHUP, SIGINT in a job a
    non-interactive shell put in the background) stays ignored, as the user asked."""
    saved = {}
    for s in HANDLED:
        signum = getattr(signal, s)
        if signal.getsignal(signum) is not signal.SIG_IGN:
            saved[signum] = signal.signal(signum, _handle)
    return saved


def catch(prog: str) -> None:
    """Install the handlers for the rest of the process (a script's first lines call this);
    `prog` starts the one line on stderr."""
    _state["prog"], _state["installed"] = prog, True
    _install()


@contextlib.contextmanager
def deferred():
    """While inside, a signal is only remembered: caught() says which came first (since the
    outermost deferred() was entered; nested ones share it). Where catch()
    has not run (torch_bp used as a library), the caller's handlers are put back afterwards."""
    saved = None if _state["installed"] else _install()
    if not _state["defer"]:  # a nested deferred() (a sweep's training inside the sweep) keeps what came
        _state["caught"] = 0
    _state["defer"] += 1
    try:
        yield
    finally:
        _state["defer"] -= 1
        for s, handler in (saved or {}).items():
            signal.signal(s, handler)


def caught() -> int:
    """The first signal that came inside the latest `deferred()` (0 for none)."""
    return _state["caught"]


OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EBADF}

COMMANDS = ("train", "explain", "sweep", "plot", "figures", "worksheet", "dashboard")


def has_torch() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except ValueError:  # sys.modules["torch"] is None: imports of it are blocked
        return False


def launch(command: str, prog: str | None = None, argv=None, module: str | None = None) -> int:
    """Run torch_bp.cli.<command>.main(argv) (or module.main(argv)) with signals caught from the
    start; its exit status. Standard output must be open (2 if not); it is written as UTF-8
    whatever the locale; if it fails (a closed pipe, a full disk), one line says so: 1."""
    prog = prog or f"{command}.py"
    catch(prog)
    if sys.stdout is None:  # started with >&-: what it prints would be lost, or fail at the end
        print(f"{prog}: error: standard output is closed (to discard what it prints, use >/dev/null)",
              file=sys.stderr)
        return 2
    utf8_output()
    if not has_torch():
        print(f"{prog}: error: this Python ({sys.executable}) has no torch; run the commands with the "
              "project's: .venv/bin/python (make train or make test sets it up)", file=sys.stderr)
        return 2
    try:
        status = importlib.import_module(module or f"torch_bp.cli.{command}").main(argv)
        sys.stdout.flush()
    except OSError as e:
        if not (is_output_error(e) or stdout_failed()):
            raise
        return output_failed(prog, e)
    return status


def is_output_error(error: OSError) -> bool:
    """An OSError a command let through that is standard output's: a write to no named file
    that failed as a closed pipe, a full disk or a gone terminal do (the commands catch their
    own files' errors, and those name the file)."""
    return error.filename is None and error.errno in OUTPUT_ERRNOS


def utf8_output() -> None:
    """stdout and stderr in UTF-8 (the notation: η, ∂, ×), even under LC_ALL=C with
    PYTHONUTF8=0, where Python would pick ASCII and fail on the first η."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):  # not a TextIOWrapper, closed
            if stream.encoding.lower().replace("-", "") != "utf8":
                stream.reconfigure(encoding="utf-8", errors="backslashreplace")


def stdout_failed() -> bool:
    """Whether standard output cannot be written (what was printed is still in its buffer)."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def output_failed(prog: str, error: OSError, what: str = "") -> int:
    """One line on stderr for a failed standard output (exit status 1), and stdout pointed at
    /dev/null, so the interpreter's last flush cannot add a traceback."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    with contextlib.suppress(OSError, ValueError):
        print(f"{prog}: standard output failed ({error.strerror or error}){what}", file=sys.stderr, flush=True)
    return 1


def train() -> int:
    return launch("train", "torch-bp-train")


def explain() -> int:
    return launch("explain", "torch-bp-explain")


def sweep() -> int:
    return launch("sweep", "torch-bp-sweep")


def plot() -> int:
    return launch("plot", "torch-bp-plot")


def worksheet() -> int:
    return launch("worksheet", "torch-bp-worksheet")


def dashboard() -> int:
    return launch("dashboard", "torch-bp-dashboard")

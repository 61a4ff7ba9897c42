"""Ctrl-C (SIGINT), SIGTERM and SIGHUP, from a script's first lines until the process exits.

Standard library only, so a script installs the handlers before torch is imported. Two modes:

    exit    (the default: importing, set-up, and after the run)  nothing of the run is being
            written: print one line on stderr and leave at once with 128 + the signal's
            number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP);
    defer   (while a run writes, inside `deferred()`)  remember the signal; the run checks
            `caught()` after each round, stops there, saves and closes its files, and the
            script then exits with the same status. Later signals are remembered too, never
            cut a write in half.

The handlers are never put back to the default action: a signal during the interpreter's
shutdown, after a finished run, still exits 128 + n with one line, and the files are the
finished run's.
"""
from __future__ import annotations

import contextlib
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


def catch(prog: str) -> None:
    """Install the handlers for the rest of the process (a script's first lines call this);
    `prog` starts the one line on stderr."""
    _state["prog"], _state["installed"] = prog, True
    for s in HANDLED:
        signal.signal(getattr(signal, s), _handle)


@contextlib.contextmanager
def deferred():
    """While inside, a signal is only remembered: caught() says which came first. Where catch()
    has not run (torch_bp used as a library), the caller's handlers are put back afterwards."""
    saved = None if _state["installed"] else {s: signal.signal(getattr(signal, s), _handle) for s in HANDLED}
    _state["defer"] += 1
    _state["caught"] = 0
    try:
        yield
    finally:
        _state["defer"] -= 1
        for s, handler in (saved or {}).items():
            signal.signal(getattr(signal, s), handler)


def caught() -> int:
    """The first signal that came inside the latest `deferred()` (0 for none)."""
    return _state["caught"]

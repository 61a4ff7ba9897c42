"""TensorBoard on the training runs (runs/) or, with --sweeps, on the sweeps (sweeps/).

    make dashboard          # the training runs: the error pinned first, every round kept
    make sweep-dashboard    # the sweeps: the HParams table of η, seed and sweep/final_loss

Runs and sweeps live in folders of their own, so a sweep's thousand networks never bury the
training runs. The server's flags and the address to open come from torch_bp.training.dashboard
(their one owner); this command prints the address and then becomes the venv's tensorboard.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from torch_bp.cli.args import ArgumentParser, count, fail, path_arg
from torch_bp.training.dashboard import PORT, RUNS, SWEEPS, dashboard_url, tensorboard_argv
from torch_bp.training.folder import read_marker

PROG = "dashboard.py"


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--sweeps", action="store_true", help=f"show the sweeps ({SWEEPS}/) instead of the runs")
    p.add_argument("--logdir", type=path_arg, metavar="DIR", default=None,
                   help=f"folder of run (or sweep) folders; default {RUNS}/ ({SWEEPS}/ with --sweeps)")
    p.add_argument("--port", type=count, default=PORT, help="the server's port on localhost")
    return p


def stray_sweeps(logdir: Path) -> list[Path]:
    """Sweep folders inside a folder of training runs (older versions put them in runs/)."""
    try:
        return sorted(p for p in logdir.iterdir() if p.is_dir() and (read_marker(p) or ("",))[0] == "sweep")
    except OSError:
        return []


def tensorboard() -> str:
    """The venv's tensorboard program, beside this Python (a bare `tensorboard` may be another)."""
    return str(Path(sys.executable).parent / "tensorboard")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logdir = Path(args.logdir) if args.logdir else (SWEEPS if args.sweeps else RUNS)
    if not logdir.is_dir():
        what = "sweep" if args.sweeps else "train"
        return fail(PROG, f"{logdir}: no such folder; `{what}.py` makes it with its first run")
    if not args.sweeps:
        for p in stray_sweeps(logdir):
            print(f"note: {p} is a sweep; move it to {SWEEPS}/ (`make sweep-dashboard`) to keep this "
                  "dashboard on the training runs", file=sys.stderr)
    print(f"open {dashboard_url(args.port, sweeps=args.sweeps)}", flush=True)
    argv = [tensorboard(), *tensorboard_argv(logdir, args.port)]
    try:
        os.execv(argv[0], argv)  # TensorBoard takes over this process: Ctrl-C stops it
    except OSError as e:
        return fail(PROG, f"{argv[0]}: {e.strerror}; install the project's venv (make)", status=1)


if __name__ == "__main__":
    sys.exit(main())

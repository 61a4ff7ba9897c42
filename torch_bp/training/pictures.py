"""A run's pictures are drawn by a child process, started as the run ends: drawing them
(torch_bp.cli.figures, with matplotlib) takes a few seconds of CPU, longer than the deck's whole
10,000-round run, so the run neither waits for it nor imports matplotlib itself."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FOLDER = "figures"         # RUN/figures/: loss, parameters, network-first, network-last
LOG = "drawing.log"        # RUN/figures/drawing.log: what the child said on stderr; removed if nothing
IMAGES_SUFFIX = ".images"  # the event file of the milestone network pictures ends so; the trainer's do not
# the child starts as every command does, through torch_bp_launch: a signal (kill -INT, a
# shutdown's SIGTERM) is one line in drawing.log and exit 128 + n, never a traceback
LAUNCH = "import sys, torch_bp_launch; sys.exit(torch_bp_launch.launch('figures', 'figures'))"


def start(logdir: str | Path, events_after: int | None = None, size: tuple[float, float] | None = None,
          dpi: int | None = None):
    """Draw RUN/figures/ (and with events_after, the network images at the milestones after
    that round) in a child process that outlives the caller, `size` inches (default: each its
    slide) and `dpi` pixels per inch: the Popen, or None when TORCH_BP_FIGURES=0 (as under
    the tests, which would only load the cores)."""
    if os.environ.get("TORCH_BP_FIGURES", "1") == "0":
        return None
    argv = [sys.executable, "-c", LAUNCH, str(Path(logdir).resolve())]
    if events_after is not None:
        argv += ["--events", "--after", str(events_after)]
    if size is not None:
        argv += ["--figure-size", ",".join(map(repr, size))]
    if dpi is not None:
        argv += ["--dpi", str(dpi)]
    root = str(Path(__file__).resolve().parents[2])  # so a plain checkout finds torch_bp
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    folder = Path(logdir) / FOLDER
    try:
        folder.mkdir(exist_ok=True)
        log = open(folder / LOG, "wb")
    except OSError:  # the run folder gone, or full: the pictures are a nicety, the run is done
        return None
    with log:  # the child keeps its own copy of the file
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                env=env, start_new_session=True)  # a Ctrl-C at the terminal leaves it be

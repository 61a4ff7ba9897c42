"""Draw a run's pictures into RUN/figures/, and with --events log the network at the
milestones as TensorBoard images (a run's child process does this as the run ends).

    python -m torch_bp.cli.figures RUN_DIR             # (re)draw a run's pictures
    python -m torch_bp.cli.figures RUN_DIR --events    # ... and log the milestone images
    python -m torch_bp.cli.figures RUN_DIR --figure-size 16,9 --dpi 120

Each picture is a 16:9 slide with every text 14 pt, the network picture 13.33 × 7.5 in, the
others 10 × 5.625 in; --figure-size gives them all one size.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from tensorboard.compat.proto.summary_pb2 import Summary

from torch_bp.cli.args import ArgumentParser, add_figure_flags, fail, path_arg, summary
from torch_bp.training.events import EventWriter
from torch_bp.training.pictures import FOLDER, IMAGES_SUFFIX, LOG
from torch_bp.viz import draw, figures
from torch_bp.viz.slide import SLIDE_DPI

IMAGE_DPI = SLIDE_DPI  # the milestone pictures in TensorBoard: the deck's is 1280 × 720 px, its text 14 pt


def write_images(logdir: str | Path, after: int = 0) -> list[int]:
    """The network picture at each milestone round > after, as TensorBoard images in a new
    event file of the run; the rounds written."""
    logdir = Path(logdir)
    cfg = json.loads((logdir / "config.json").read_text())
    columns, data = figures.read_history(logdir)
    inputs, targets = figures.run_data(cfg)
    done, writer = [], None
    for r in figures.milestones(data[:, 0]):
        row = data[np.flatnonzero(data[:, 0] == r)[0]]  # a few dozen milestones: no index of every row
        drawn = figures.network_at(columns, row, cfg, inputs, targets) if r > after else None
        if drawn is None:
            continue
        png = draw.to_bytes(draw.network_figure(*drawn, round=r), dpi=IMAGE_DPI)
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # IHDR
        writer = writer or EventWriter(logdir, suffix=IMAGES_SUFFIX)
        writer.write_summary(Summary(value=[Summary.Value(tag="network", image=Summary.Image(
            height=height, width=width, colorspace=4, encoded_image_string=png))]), step=r)
        done.append(r)
    if writer is not None:
        writer.close()
    return done


def main(argv=None) -> int:
    p = ArgumentParser(prog="python -m torch_bp.cli.figures", description=summary(__doc__))
    p.add_argument("logdir", type=path_arg, metavar="RUN_DIR", help="a run folder (history.csv, config.json)")
    p.add_argument("--events", action="store_true", help="also log the network at the milestones as images")
    p.add_argument("--after", type=int, default=0, help="with --events: only milestones after this round")
    add_figure_flags(p, "every picture", "the PNGs", size=None)
    args = p.parse_args(argv)
    t = time.perf_counter()
    try:
        paths = figures.write_figures(args.logdir, Path(args.logdir) / FOLDER, args.figure_size, args.dpi)
        rounds = write_images(args.logdir, args.after) if args.events else []
    except (OSError, ValueError, KeyError, IndexError) as e:
        return fail(p.prog, f"{args.logdir}: not a readable run folder ({type(e).__name__}: {e})")
    print("\n".join(map(str, paths)))
    if args.events:
        print(f"network images at rounds {rounds}")
    print(f"{time.perf_counter() - t:.2f} s")
    log = Path(args.logdir) / FOLDER / LOG  # a run's child: its stderr went there, and said nothing
    if log.exists() and log.stat().st_size == 0:
        log.unlink()
    return 0


if __name__ == "__main__":  # the run's child process (torch_bp.training.pictures)
    sys.exit(main())

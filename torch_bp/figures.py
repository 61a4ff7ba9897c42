"""A run folder's pictures, in RUN/figures/, from its history.csv and config.json alone:

    loss.svg/.png           E_total from round 1 to the last, log y, every logged round; the deck's
                            error table (slide 40) marked on the deck's run; for mini-batch runs
                            the error on all data beside the batch's error
    parameters.svg/.png     the weights and biases over rounds (their norms for large networks)
    network-first.svg/.png  the network at round 1, forward and backward (torch_bp.draw)
    network-last.svg/.png   ... at the last logged round, before its update

The networks are redrawn from the parameters history.csv logs, on all of the run's data (its
batch for full-batch runs). Large networks log only norms: their network pictures are left out.

The network picture also goes into the run's TensorBoard events as an image (tag "network")
at the milestones: round 1, the rounds of the deck's table (slide 40), the last round. It is
written to an event file of its own in the run folder ("....images"), which TensorBoard reads
as part of the same run, so the Images tab shows the network change with the step slider.

Drawing takes a few seconds of CPU, more than the deck's whole 10,000-round run: a run hands it
to a child process (torch_bp.run.pictures.start) and returns at once; TORCH_BP_FIGURES=0 turns
that off (the tests do).

    python -m torch_bp.figures RUN_DIR             # (re)draw a run's pictures
    python -m torch_bp.figures RUN_DIR --events    # ... and log the milestone images
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from . import draw
from .chain_rule import backprop
from .data import DATASETS, load_data
from .deck import DECK_ERROR_TABLE, DECK_ERROR_TABLE_SLIDE, DECK_LR, DECK_SIZES
from .model import BackpropNet
from .run.pictures import FOLDER, IMAGES_SUFFIX, LOG

IMAGE_DPI = 72  # the milestone pictures in TensorBoard
MAX_LEGEND = 12  # parameters named in a legend; more are drawn unnamed


def read_history(logdir: str | Path) -> tuple[list[str], np.ndarray]:
    """history.csv's column names and its rows (N, columns) float64; complete lines only."""
    lines = (Path(logdir) / "history.csv").read_text().splitlines(keepends=True)
    columns = lines[0].strip().split(",")
    rows = [ln for ln in lines[1:] if ln.endswith("\n")]  # an interrupted write leaves half a line
    data = np.array([[float(v) for v in ln.split(",")] for ln in rows], dtype=np.float64)
    return columns, data.reshape(len(rows), len(columns))


def is_deck_run(cfg: dict) -> bool:
    """The setting slide 40's table describes: deck network, data and η, biases fixed."""
    return (tuple(cfg["sizes"]) == DECK_SIZES and not cfg["per_unit_bias"] and not cfg.get("init")
            and not cfg.get("data") and cfg["dataset"] == "deck" and cfg["lr"] == DECK_LR
            and not cfg["train_bias"])


def run_data(cfg: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's inputs (N, n_in) and targets (N, n_out), as its config names them."""
    if cfg.get("data"):
        return load_data(cfg["data"], cfg["sizes"][-1])
    return DATASETS[cfg["dataset"]]


def run_model(cfg: dict) -> BackpropNet:
    """A network of the run's shape (its parameters are set from history.csv)."""
    return BackpropNet(cfg["sizes"], shared_bias=not cfg["per_unit_bias"], seed=cfg["seed"],
                       init="deck" if tuple(cfg["sizes"]) == DECK_SIZES else "random")


def _log_axis(ax, rounds, values, **kw):
    positive = values > 0  # a log axis shows positive values only
    ax.plot(rounds[positive], values[positive], **kw)


def loss_figure(columns, data, cfg) -> Figure:
    """E_total over rounds, log y; the deck's table points; the error on all data if mini-batch."""
    rounds = data[:, 0]
    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.subplots()
    full = "loss/full" in columns
    batch = "E_total of the round's batch (before its update)" if full else "E_total (before the round's update)"
    _log_axis(ax, rounds, data[:, columns.index("loss/total")], color="#2166ac", lw=1.2, label=batch,
              alpha=0.6 if full else 1.0)
    if full:
        _log_axis(ax, rounds, data[:, columns.index("loss/full")], color="#d95f02", lw=1.6,
                  label="E on all data (before the round's update)")
    if is_deck_run(cfg):
        table = [(r, float(v)) for r, v in DECK_ERROR_TABLE.items() if r <= rounds[-1]]
        ax.plot(*zip(*table), "o", mfc="none", mec="black", ms=7,
                label=f"the deck's table (slide {DECK_ERROR_TABLE_SLIDE})")
    ax.set_yscale("log")
    ax.set_xlabel("round")
    ax.set_ylabel("error (log scale)")
    first, last = int(rounds[0]), int(rounds[-1])
    shown = columns.index("loss/full" if full else "loss/total")
    what = "Error on all data" if full else "Error"
    ax.set_title(f"{what}, rounds {first:,} to {last:,}: {draw.num(data[0, shown])} → {draw.num(data[-1, shown])}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def parameters_figure(columns, data) -> Figure:
    """Each weight (top) and bias (bottom) over rounds, or each parameter's norm."""
    rounds = data[:, 0]
    groups = [("weights", "weights/"), ("biases", "bias/")]
    fig = Figure(figsize=(8, 6.4), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, (title, prefix) in zip(axes, groups):
        names = [c for c in columns if c.startswith(prefix)]
        for name in names:
            ax.plot(rounds, data[:, columns.index(name)], lw=1.2,
                    label=name[len(prefix):] if len(names) <= MAX_LEGEND else None)
        fixed = title == "biases" and _flat(data, columns, names)
        ax.set_title(f"{title} ({len(names)})" + (", fixed (not trained)" if fixed else ""))
        ax.grid(True, alpha=0.3)
        if 0 < len(names) <= MAX_LEGEND:
            ax.legend(ncol=min(4, len(names)), fontsize=9)
    axes[-1].set_xlabel("round")
    return fig


def _flat(data, columns, names) -> bool:
    return bool(names) and all(np.ptp(data[:, columns.index(n)]) == 0 for n in names)


def network_at(columns, row, cfg, inputs, targets):
    """The run's network with history row `row`'s parameters, and its trace on inputs/targets;
    None where history.csv holds only norms."""
    model = run_model(cfg)
    scalars = iter(model.scalar_names())  # history.csv's columns, as the trainer names them
    names = [("bias/" if pname.endswith("bias") else "weights/") + next(scalars)
             for pname, p in model.named_parameters() for _ in range(p.numel())]
    if not all(n in columns for n in names):
        return None
    values = torch.tensor([row[columns.index(n)] for n in names], dtype=torch.float64)
    torch.nn.utils.vector_to_parameters(values, model.parameters())
    return model, backprop(model, inputs, targets)


def write_figures(logdir: str | Path) -> list[Path]:
    """Draw RUN/figures/ from RUN/history.csv and RUN/config.json; the paths written."""
    logdir = Path(logdir)
    cfg = json.loads((logdir / "config.json").read_text())
    columns, data = read_history(logdir)
    if not len(data):
        return []
    out = logdir / FOLDER
    out.mkdir(exist_ok=True)
    paths = draw.save(loss_figure(columns, data, cfg), out / "loss")
    paths += draw.save(parameters_figure(columns, data), out / "parameters")
    inputs, targets = run_data(cfg)
    for name, row in (("network-first", data[0]), ("network-last", data[-1])):
        drawn = network_at(columns, row, cfg, inputs, targets)
        if drawn is not None:
            paths += draw.save(draw.network_figure(*drawn, round=int(row[0])), out / name)
    return paths


def milestones(rounds) -> list[int]:
    """Round 1, the deck's table rounds and the last, among the logged `rounds`."""
    rounds = [int(r) for r in rounds]
    wanted = {1, rounds[-1], *DECK_ERROR_TABLE} if rounds else set()
    return sorted(wanted.intersection(rounds))


def write_images(logdir: str | Path, after: int = 0) -> list[int]:
    """The network picture at each milestone round > after, as TensorBoard images in a new
    event file of the run; the rounds written."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    from .run.events import EventWriter
    logdir = Path(logdir)
    cfg = json.loads((logdir / "config.json").read_text())
    columns, data = read_history(logdir)
    inputs, targets = run_data(cfg)
    rows = {int(r): row for r, row in zip(data[:, 0], data)}
    done, writer = [], None
    for r in milestones(data[:, 0]):
        drawn = network_at(columns, rows[r], cfg, inputs, targets) if r > after else None
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
    from .cli import ArgumentParser, fail, path_arg
    p = ArgumentParser(prog="python -m torch_bp.figures", description=__doc__.splitlines()[0])
    p.add_argument("logdir", type=path_arg, metavar="RUN_DIR", help="a run folder (history.csv, config.json)")
    p.add_argument("--events", action="store_true", help="also log the network at the milestones as images")
    p.add_argument("--after", type=int, default=0, help="with --events: only milestones after this round")
    args = p.parse_args(argv)
    t = time.perf_counter()
    try:
        paths = write_figures(args.logdir)
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


if __name__ == "__main__":
    sys.exit(main())

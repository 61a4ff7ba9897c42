"""A run folder's pictures, in RUN/figures/, from its history.csv and config.json alone:

    loss.svg/.png           E_total from round 1 to the last (each before its round's update: the
                            title says so), log y, every logged round; the deck's
                            error table (slide 40) marked on the deck's run; for mini-batch runs
                            the error on all data beside the batch's error
    parameters.svg/.png     the weights and biases over rounds (their norms for large networks)
    network-first.svg/.png  the network at round 1, forward and backward (torch_bp.viz.draw)
    network-last.svg/.png   ... at the last logged round, before its update

Each is a 16:9 slide with every text 14 pt (viz/slide.py; the network picture a wider one), or
`size` inches; the PNGs `dpi` pixels per inch.

The networks are redrawn from the parameters history.csv logs, on all of the run's data (its
batch for full-batch runs). Large networks log only norms: their network pictures are left out.

The network picture also goes into the run's TensorBoard events as an image (tag "network")
at the milestones: round 1, the rounds of the deck's table (slide 40), the last round. It is
written to an event file of its own in the run folder ("....images"), which TensorBoard reads
as part of the same run, so the Images tab shows the network change with the step slider.

Drawing takes a few seconds of CPU, more than the deck's whole 10,000-round run: a run hands
it to a child process (torch_bp.cli.figures, started by torch_bp.training.pictures).
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from torch_bp.viz import draw
from torch_bp.viz.slide import FONTS, SLIDE_DPI, SLIDE_SIZE
from torch_bp.core.chain_rule import backprop
from torch_bp.core.data import DATASETS, load_data
from torch_bp.core.deck import DECK_ERROR_TABLE, DECK_ERROR_TABLE_SLIDE, is_deck_setting
from torch_bp.core.model import BackpropNet

MAX_LEGEND = 12  # parameters named in a legend; more are drawn unnamed
FEW_POINTS = 30  # a curve of this many points or fewer has each marked (a line alone hides how few)


SHARPNESS, TWO_OVER_LR = "curvature/sharpness", "curvature/two_over_lr"  # history.csv's columns (training/curvature.py)


def history_columns(logdir: str | Path) -> list[str]:
    """history.csv's column names (its first line)."""
    with open(Path(logdir) / "history.csv", newline="") as f:
        return f.readline(2**20).strip().split(",")


def read_history(logdir: str | Path, names: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """history.csv's column names and its rows (N, columns) float64; complete lines only.
    names: only these columns, in this order. Streamed: numpy parses the text straight into the
    array (8 bytes a value, not a Python float and a string per value: 500,000 rows cost their
    array, not gigabytes)."""
    with open(Path(logdir) / "history.csv", newline="") as f:
        header = f.readline()
        columns = header.strip().split(",")
        keep = None if names is None else [columns.index(n) for n in names]
        start = f.tell()
        rows = sum(chunk.count("\n") for chunk in iter(lambda: f.read(2**20), "")) if header.endswith("\n") else 0
        f.seek(start)  # an interrupted write leaves half a line: read the whole lines only
        shape = (rows, len(columns) if keep is None else len(keep))
        data = np.loadtxt(f, delimiter=",", dtype=np.float64, usecols=keep, max_rows=rows, ndmin=2,
                          comments=None) if rows else np.empty(shape)
    return (columns if names is None else list(names)), data.reshape(shape)


def run_data(cfg: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's inputs (N, n_in) and targets (N, n_out), as its config names them."""
    if cfg.get("data"):
        return load_data(cfg["data"], cfg["sizes"][-1])
    return DATASETS[cfg["dataset"]]


def run_model(cfg: dict) -> BackpropNet:
    """A network of the run's shape (its parameters are set from history.csv)."""
    return BackpropNet(cfg["sizes"], shared_bias=not cfg["per_unit_bias"], seed=cfg["seed"])


def started_in_deck_setting(columns, data, cfg) -> bool:
    """Did the run start in the deck's setting (core.deck.is_deck_setting), the one slide 40's
    error table describes? Read from history.csv's first row; False where it logs only norms."""
    inputs, targets = run_data(cfg)
    drawn = network_at(columns, data[0], cfg, inputs, targets)
    return drawn is not None and is_deck_setting(drawn[0], inputs, targets, cfg["lr"], cfg["train_bias"])


def _log_axis(ax, rounds, values, **kw):
    positive = values > 0  # a log axis shows positive values only
    few = positive.sum() <= FEW_POINTS
    ax.plot(rounds[positive], values[positive], marker="o" if few else None, ms=4, **kw)


def plain_log_y(ax) -> None:
    """A log y axis labelled 0.01, 1e-05 in plain text: mathtext's 10⁻² sets its exponent
    below the figure's text size, and a short axis labels its minor ticks on top of each other."""
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    lo, hi = ax.get_ylim()
    ax.yaxis.set_major_formatter(plain)
    if hi < 10 * lo:  # under a decade there may be no major tick: label 2, 3 and 5 times a power of ten
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 3.0, 5.0)))
        ax.yaxis.set_minor_formatter(plain)
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def loss_figure(columns, data, cfg, size=SLIDE_SIZE) -> Figure:
    """E_total over rounds, log y; the deck's table points; the error on all data if mini-batch;
    below it, where the run logged them, λ_max and 2/η (curvature/*)."""
    with matplotlib.rc_context(FONTS):
        fig = Figure(figsize=size, layout="constrained")
        if SHARPNESS in columns:
            ax, below = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
            _curvature_panel(below, columns, data)
        else:
            ax = fig.subplots()
        _loss_lines(ax, columns, data, cfg)
        if SHARPNESS in columns:
            ax.set_xlabel("")  # the panel below names the shared axis
    return fig


def _loss_lines(ax, columns, data, cfg) -> None:
    rounds = data[:, 0]
    full = "loss/full" in columns
    batch = "E_total of the round's batch (before its update)" if full else "E_total (before the round's update)"
    _log_axis(ax, rounds, data[:, columns.index("loss/total")], color="#2166ac", lw=1.2, label=batch,
              alpha=0.6 if full else 1.0)
    if full:
        _log_axis(ax, rounds, data[:, columns.index("loss/full")], color="#d95f02", lw=1.6,
                  label="E on all data (before the round's update)")
    if started_in_deck_setting(columns, data, cfg):
        table = [(r, float(v)) for r, v in DECK_ERROR_TABLE.items() if r <= rounds[-1]]
        ax.plot(*zip(*table), "o", mfc="none", mec="black", ms=7,
                label=f"the deck's table (slide {DECK_ERROR_TABLE_SLIDE})")
    plain_log_y(ax)
    ax.set_xlabel("round")
    ax.set_ylabel("error (log scale)")
    first, last = int(rounds[0]), int(rounds[-1])
    shown = columns.index("loss/full" if full else "loss/total")
    what = "Error on all data" if full else "Error"
    ax.set_title(f"{what} before update {first:,}: {draw.num(data[0, shown])} → "
                 f"before update {last:,}: {draw.num(data[-1, shown])}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()


def _curvature_panel(ax, columns, data) -> None:
    """λ_max at the measured rounds (the others' cells are NaN) against 2/η, log y."""
    measured = np.isfinite(data[:, columns.index(SHARPNESS)])
    rounds = data[measured, 0]
    _log_axis(ax, rounds, data[measured, columns.index(SHARPNESS)], color="#7570b3", lw=1.2,
              label="λ_max, the Hessian's largest eigenvalue (before the round's update)")
    ax.plot(rounds, data[measured, columns.index(TWO_OVER_LR)], "--", color="black", lw=1.0,
            label="2/η: gradient descent is stable while λ_max < 2/η")
    plain_log_y(ax)
    ax.set_xlabel("round")
    ax.set_ylabel("sharpness (log scale)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="center right")  # the 2/η line runs along the top


def parameters_figure(columns, data, size=SLIDE_SIZE) -> Figure:
    """Each weight (top) and bias (bottom) over rounds, or each parameter's norm."""
    with matplotlib.rc_context(FONTS):
        fig = Figure(figsize=size, layout="constrained")
        _parameter_lines(fig.subplots(2, 1, sharex=True), columns, data)
    return fig


def _parameter_lines(axes, columns, data) -> None:
    rounds = data[:, 0]
    groups = [("weights", "weights/"), ("biases", "bias/")]
    for ax, (title, prefix) in zip(axes, groups):
        names = [c for c in columns if c.startswith(prefix)]
        for name in names:
            ax.plot(rounds, data[:, columns.index(name)], lw=1.2,
                    label=name[len(prefix):] if len(names) <= MAX_LEGEND else None)
        fixed = title == "biases" and _flat(data, columns, names)
        ax.set_title(f"{title} ({len(names)})" + (", fixed (not trained)" if fixed else ""))
        ax.grid(True, alpha=0.3)
        if 0 < len(names) <= MAX_LEGEND:  # beside the lines, not on them
            ax.legend(ncol=2 if len(names) > 4 else 1, loc="center left", bbox_to_anchor=(1, 0.5))
    axes[-1].set_xlabel("round")


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


def write_figures(logdir: str | Path, out: str | Path, size=None, dpi: int = SLIDE_DPI) -> list[Path]:
    """Draw a run's pictures into `out` from RUN/history.csv and RUN/config.json, each `size`
    inches (default: its own slide size) and its PNG `dpi` pixels per inch; the paths written."""
    logdir, out = Path(logdir), Path(out)
    cfg = json.loads((logdir / "config.json").read_text())
    columns, data = read_history(logdir)
    if not len(data):
        return []
    out.mkdir(exist_ok=True)
    paths = draw.save(loss_figure(columns, data, cfg, size or SLIDE_SIZE), out / "loss", dpi=dpi)
    paths += draw.save(parameters_figure(columns, data, size or SLIDE_SIZE), out / "parameters", dpi=dpi)
    inputs, targets = run_data(cfg)
    for name, row in (("network-first", data[0]), ("network-last", data[-1])):
        drawn = network_at(columns, row, cfg, inputs, targets)
        if drawn is not None:
            paths += draw.save(draw.network_figure(*drawn, round=int(row[0]), size=size), out / name, dpi=dpi)
    return paths


def milestones(rounds) -> list[int]:
    """Round 1, the deck's table rounds and the last, among the logged `rounds`."""
    rounds = np.asarray(rounds)  # (N,): no Python int per logged round
    if not len(rounds):
        return []
    return [int(r) for r in np.intersect1d(rounds, [1, rounds[-1], *DECK_ERROR_TABLE])]

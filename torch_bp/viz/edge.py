"""The edge-of-stability picture: above, the error E over the rounds (log y), one line per η;
below, the sharpness λ_max over the rounds with each η's 2/η as a dashed line of the same
colour (λ_max above the top of the picture is left out). A diverged network's error line ends
with × at its last finite point."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from torch_bp.core.edge import EdgeRun
from torch_bp.core.files import atomic_write


def edge_figure(run: EdgeRun, title: str):
    """A matplotlib Figure of the run (no pyplot: no display needed)."""
    fig = Figure(figsize=(7.2, 6.4))
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.09, top=0.92, hspace=0.12)
    top, bottom = fig.subplots(2, 1, sharex=True)
    rounds = np.arange(1, run.losses.shape[1] + 1)
    measured = run.sharpness_rounds.numpy()
    ceiling = 1.2 * float(run.two_over_lr.max())
    for k, lr in enumerate(run.lrs):
        loss, lam = run.losses[k].numpy(), run.sharpness[k].numpy()
        line, = top.plot(rounds, loss, lw=1.0, label=f"η = {lr:g}")
        colour = line.get_color()
        bottom.plot(measured, np.where(lam <= ceiling, lam, np.nan), lw=1.0, color=colour)
        bottom.axhline(2 / lr, color=colour, lw=0.9, ls="--", label=f"2/η = {2 / lr:g} (η = {lr:g})")
        if run.diverged_at[k] > 0:
            last = int(run.diverged_at[k]) - 1  # the last finite round
            top.plot([last], [loss[last - 1]], "x", color=colour, ms=7)
            top.annotate(f"diverges (round {int(run.diverged_at[k])})", (last, loss[last - 1]), xytext=(6, 0),
                         textcoords="offset points", va="center", fontsize="small", color=colour)
    top.set(yscale="log", ylabel="E on all the points", title=title)
    bottom.set(xlabel="round", ylabel="sharpness λ_max of ∂²E/∂θ²", ylim=(0, ceiling))
    top.legend(fontsize="small", loc="upper right")
    bottom.legend(fontsize="small", loc="center left", bbox_to_anchor=(0.01, 0.64))
    plain = FuncFormatter(lambda v, _: f"{v:g}")  # no mathtext to typeset
    for ax in (top, bottom):
        ax.grid(True, lw=0.5, alpha=0.5)
        ax.yaxis.set_major_formatter(plain)
    bottom.xaxis.set_major_formatter(plain)
    return fig


def save_edge_figure(run: EdgeRun, path: Path, title: str) -> Path:
    """Write the picture to path (.svg: text as text; .png; .pdf); the same run gives the same
    file (no date, fixed SVG ids)."""
    metadata = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(path.suffix.lower())
    buf = io.BytesIO()
    # labels stay text in the SVG; fixed SVG ids
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "torch_bp edge"}):
        edge_figure(run, title).savefig(buf, format=path.suffix.lower().lstrip("."), dpi=110, metadata=metadata)
    atomic_write(path, buf.getvalue())
    return path

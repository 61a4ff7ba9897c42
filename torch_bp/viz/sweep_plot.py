"""A sweep's picture: final error (and rounds to the target error) against η, log axes, one
line per seed; diverged networks marked × along the top edge."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from torch_bp.core.files import atomic_file

MAX_LEGEND = 10  # seeds named in the legend; more are drawn unnamed
MAX_POINTS = 4000  # points per line at most: longer sweeps are thinned evenly


def plot_sweep(path_stem: Path, lr: np.ndarray, seed: np.ndarray, final_loss: np.ndarray,
               rounds_to_target: np.ndarray, diverged: np.ndarray, *, title: str,
               target_loss: float | None) -> list[Path]:
    """Write path_stem.svg (text as text) and path_stem.png; returns their paths."""
    matplotlib.rcParams["svg.fonttype"] = "none"  # labels stay text in the SVG
    panels = 2 if target_loss is not None else 1
    fig = Figure(figsize=(6.4 * panels, 4.6))
    fig.subplots_adjust(left=0.1 / panels ** 0.5, right=0.98, bottom=0.12, top=0.86, wspace=0.25)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    _plot_lines(axes, lr, seed, final_loss, rounds_to_target, diverged)
    _label_axes(axes, lr, rounds_to_target, diverged, target_loss)
    fig.suptitle(title)
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [path_stem.with_suffix(".svg"), path_stem.with_suffix(".png")]
    for path, dpi in zip(paths, (None, 110)):
        with atomic_file(path) as f:  # an old picture is replaced whole, or kept
            fig.savefig(f, format=path.suffix[1:], dpi=dpi or "figure")
    return paths


def _plot_lines(axes, lr, seed, final_loss, rounds_to_target, diverged) -> None:
    """One line per seed: final error on axes[0] (diverged × on the top edge), rounds to the
    target on axes[1] if there is one."""
    seeds = list(dict.fromkeys(seed.tolist()))
    for i, s in enumerate(seeds):
        k = np.flatnonzero(seed == s)
        k = k[np.argsort(lr[k], kind="stable")]
        k = k[::-(-len(k) // MAX_POINTS)]  # a million points draw no better than a few thousand
        label = f"seed {s}" if i < MAX_LEGEND and len(seeds) > 1 else None
        ok = ~diverged[k]
        line, = axes[0].plot(lr[k], np.where(ok, final_loss[k], np.nan), lw=1.2, label=label)
        if (~ok).any():
            axes[0].plot(lr[k][~ok], np.full((~ok).sum(), 1.0), "x", color=line.get_color(),
                         transform=axes[0].get_xaxis_transform(), clip_on=False, ms=5)
        if len(axes) == 2:
            reached = rounds_to_target[k] > 0
            axes[1].plot(lr[k], np.where(reached, rounds_to_target[k], np.nan), lw=1.2, color=line.get_color())


def _label_axes(axes, lr, rounds_to_target, diverged, target_loss) -> None:
    """Scales, labels, titles, the target line, the legend, plain tick labels."""
    axes[0].set(xscale="log", yscale="log", xlabel="learning rate η", ylabel="E_total after the last update",
                title="final error")
    if target_loss is not None:
        axes[0].axhline(target_loss, color="0.5", lw=0.8, ls="--", label=f"target E = {target_loss:g}")
        axes[1].set(xscale="log", xlabel="learning rate η", ylabel=f"first round with E ≤ {target_loss:g}",
                    title="rounds to the target error")
        if (rounds_to_target > 0).any():
            axes[1].set_yscale("log")
        else:
            axes[1].set_xlim(lr.min(), lr.max() if lr.max() > lr.min() else lr.min() * 10)
            axes[1].text(0.5, 0.5, f"no network reached E ≤ {target_loss:g}", ha="center",
                         transform=axes[1].transAxes)
    if diverged.any():
        axes[0].plot([], [], "x", color="0.3", label="diverged (non-finite E)")
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize="small")
    plain = FuncFormatter(lambda v, _: f"{v:g}")  # 0.01, 100, 1e-06: no mathtext to typeset
    for ax in axes:
        ax.grid(True, which="major", lw=0.5, alpha=0.5)
        ax.xaxis.set_major_formatter(plain)
        ax.yaxis.set_major_formatter(plain)

"""A sweep's picture: final error (and rounds to the target error, and the sharpness λ_max at
the start and the end beside the 2/η line) against η, log axes, one line per seed; diverged
networks marked × along the top edge."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator

from torch_bp.core.files import atomic_file
from torch_bp.viz.slide import FONT_PT, FONTS, SLIDE_DPI, SLIDE_SIZE  # slide-ready by default

MAX_LEGEND = 10  # seeds named in the legend; more are drawn unnamed
MAX_POINTS = 4000  # points per line at most: longer sweeps are thinned evenly
FEW_POINTS = 30              # up to this many η per seed, each is marked (a line alone hides how few)
FEW_TICKS = 8                # up to this many distinct η, each gets its own tick label


def plot_sweep(path_stem: Path, lr: np.ndarray, seed: np.ndarray, final_loss: np.ndarray,
               rounds_to_target: np.ndarray, diverged: np.ndarray, *, title: str,
               target_loss: float | None, size: tuple[float, float] = SLIDE_SIZE,
               dpi: float = SLIDE_DPI, sharpness: tuple[np.ndarray, np.ndarray] | None = None) -> list[Path]:
    """Write path_stem.svg (text as text) and path_stem.png, `size` inches (the PNG at `dpi`),
    every text FONT_PT points and inside the canvas (constrained layout); returns their paths.
    sharpness: (λ_max at the start, at the end), each (N,): a last panel with the 2/η line."""
    matplotlib.rcParams["svg.fonttype"] = "none"  # labels stay text in the SVG
    panels = (2 if target_loss is not None else 1) + (sharpness is not None)
    with matplotlib.rc_context(FONTS):
        fig = Figure(figsize=size, dpi=dpi, layout="constrained")  # labels and title kept on the canvas
        axes = fig.subplots(1, panels, squeeze=False)[0]
        losses = axes[:panels - (sharpness is not None)]  # final error, and rounds to the target if any
        _plot_lines(losses, lr, seed, final_loss, rounds_to_target, diverged)
        _label_axes(losses, lr, rounds_to_target, diverged, target_loss)
        if sharpness is not None:
            _sharpness_panel(axes[-1], lr, seed, *sharpness)
        fig.suptitle(title)
        path_stem.parent.mkdir(parents=True, exist_ok=True)
        paths = [path_stem.with_suffix(".svg"), path_stem.with_suffix(".png")]
        for path in paths:
            with atomic_file(path) as f:  # an old picture is replaced whole, or kept
                fig.savefig(f, format=path.suffix[1:], dpi="figure")
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
        marker = "o" if len(k) <= FEW_POINTS else None  # a handful of η: the points, not a smooth curve
        line, = axes[0].plot(lr[k], np.where(ok, final_loss[k], np.nan), lw=1.2, label=label, marker=marker, ms=5)
        if (~ok).any():
            axes[0].plot(lr[k][~ok], np.full((~ok).sum(), 1.0), "x", color=line.get_color(),
                         transform=axes[0].get_xaxis_transform(), clip_on=False, ms=5)
        if len(axes) == 2:
            reached = rounds_to_target[k] > 0
            axes[1].plot(lr[k], np.where(reached, rounds_to_target[k], np.nan), lw=1.2, color=line.get_color(),
                         marker=marker, ms=5)


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
        axes[0].legend(fontsize=FONT_PT)
    for ax in axes:
        _plain_ticks(ax, np.unique(lr))


def _plain_ticks(ax, etas) -> None:
    """A grid; each η named where there are few; plain tick labels (no mathtext)."""
    plain = FuncFormatter(lambda v, _: f"{v:g}")  # 0.01, 100, 1e-06: no mathtext to typeset
    ax.grid(True, which="major", lw=0.5, alpha=0.5)
    if len(etas) <= FEW_TICKS:  # each η named (a log axis would leave η = 2 unlabelled)
        ax.set_xticks(etas, [f"{v:g}" for v in etas])
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(NullFormatter())  # a short log axis labels its minor ticks: 3×10¹ 4×10¹ collide


def _sharpness_panel(ax, lr, seed, start, end) -> None:
    """λ_max at the start (thin) and the end (thick) against η, one colour per seed, and 2/η:
    gradient descent on a quadratic is stable only while λ_max < 2/η."""
    etas = np.unique(lr)
    ax.plot(etas, 2 / etas, "--", color="black", lw=1.0, label="2/η")
    for i, s in enumerate(dict.fromkeys(seed.tolist())):
        k = np.flatnonzero(seed == s)
        k = k[np.argsort(lr[k], kind="stable")]
        k = k[::-(-len(k) // MAX_POINTS)]
        marker = "o" if len(k) <= FEW_POINTS else None
        line, = ax.plot(lr[k], end[k], lw=1.6, marker=marker, ms=4, label="λ_max at the end" if i == 0 else None)
        ax.plot(lr[k], start[k], lw=0.8, ls=":", color=line.get_color(), label="at the start" if i == 0 else None)
    ax.set(xscale="log", yscale="log", xlabel="learning rate η", ylabel="sharpness λ_max", title="λ_max and 2/η")
    _plain_ticks(ax, etas)
    ax.legend()

"""Relative error against step size h, log-log: the V of the differences, the flat complex step.

Two panels share the error axis, h shrinking from left to right: 1e-1 … 1e-20, where the
differences trade truncation (falling with h) for round-off (rising as h shrinks), then 1e-20 …
1e-200, where only the complex step still has digits. The numbers come from
torch_bp.explain.step_sizes; this module only draws them.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from torch_bp.core.files import atomic_write
from torch_bp.viz import draw

STYLE = {"forward differences": dict(color="#d95f02", marker="s"),
         "central differences": dict(color="#7570b3", marker="^"),
         "complex step": dict(color="#2166ac", marker="o")}
SPLIT = 1e-20      # where the second panel starts
U = 2.0 ** -53     # float64's unit round-off: half an ulp of 1


def step_size_figure(steps: Sequence[float], errors: dict[str, Sequence[float]], title: str) -> Figure:
    """errors: {method: relative error at each step} (methods as in STYLE)."""
    fig = Figure(figsize=(9, 4.8), layout="constrained")
    near, far = fig.subplots(1, 2, sharey=True, width_ratios=[3, 1.2])
    for ax, keep in ((near, lambda h: h >= SPLIT), (far, lambda h: h <= SPLIT)):
        for method, values in errors.items():
            points = [(h, e) for h, e in zip(steps, values) if keep(h)]
            ax.loglog(*zip(*points), label=method, markersize=4, **STYLE[method])
        ax.axhline(U, color="#999999", linestyle="--", linewidth=1)
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlabel("step size h")
    near.set_xlim(2e-1, SPLIT / 2)   # h shrinks to the right
    far.set_xlim(SPLIT * 5, 1e-205)
    near.set_ylim(1e-17, 10)
    near.set_ylabel("relative error (against 50 digits)")
    near.text(1.5e-1, U * 1.6, "u = 2⁻⁵³, float64's round-off", color="#666666", fontsize=8)
    near.text(1.5e-1, 1.6, "relative error 1: E(w1 + h) − E(w1) rounds to 0", color="#666666", fontsize=8)
    for method in ("forward differences", "central differences"):
        best = min((e, h) for h, e in zip(steps, errors[method]))
        near.annotate(f"best {best[0]:.0e}", (best[1], best[0]), xytext=(0, -14), textcoords="offset points",
                      ha="center", fontsize=8, color=STYLE[method]["color"])
    near.legend(loc="center right")
    far.set_xticks([1e-50, 1e-100, 1e-150, 1e-200])
    far.set_title("… down to h = 1e-200", fontsize=10)
    near.set_title(title, fontsize=10)
    return fig


def save_figure(fig: Figure, path: str | Path) -> None:
    """fig to path, as .svg (text kept as text) or .png by its suffix (one of draw.FORMATS),
    drawn in memory and written atomically: a failed write (OSError) leaves any file there whole."""
    path = Path(path)
    atomic_write(path, draw.to_bytes(fig, path.suffix.lower().lstrip(".")))

"""A class's marked working as one picture: a grid of quantities (rows, in the order of the
working) × students (columns), each cell coloured by the check's verdict on that student's value.
Above each column, the mistake the check named for that student (matplotlib, no pyplot; save
with draw.save or draw.to_bytes, which keep SVG text as text)."""
from __future__ import annotations

import re

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch


MAX_NAME = 22  # characters of a student's name shown under their column
# The categories a cell can be in, with their colour and the legend's words, in legend order.
CATEGORIES = {
    "right": ("#1b9e77", "right"),
    "rounding-carried": ("#a6dba0", "right, their rounding carried on"),
    "first wrong": ("#7f2704", "first wrong value"),
    "follows": ("#fdb863", "wrong, but follows from their own numbers"),
    "wrong": ("#e66101", "wrong"),
    "blank": ("#f0f0f0", "not given"),
    "no file": ("#bdbdbd", "no answers read"),
}


def label(quantity: str) -> str:
    """A quantity as the slides write it: dE_total/dw5 -> ∂E_total/∂w5."""
    return re.sub(r"(^|/)d(?=[A-Za-z])", r"\1∂", quantity) if quantity.startswith("d") else quantity


def class_figure(quantities: list[str], students: list[str], cells: list[list[str]], mistakes: list[str],
                 sections: list[tuple[int, str]] = (), title: str = "") -> Figure:
    """cells[q][s]: the CATEGORIES key of quantity q for student s; mistakes[s]: what to write
    above student s's column; sections: (the row where a section of the working starts, its name)."""
    names = list(CATEGORIES)
    codes = np.array([[names.index(c) for c in row] for row in cells])  # (quantities, students)
    n_q, n_s = codes.shape
    students = [s if len(s) <= MAX_NAME else s[:MAX_NAME - 1] + "…" for s in students]
    longest = max(map(len, students)) + max(map(len, mistakes))  # characters below and above, at 60°
    width = max(6.0, 3.0 + 0.3 * n_s)
    height = 2.2 + 0.2 * n_q + 0.06 * longest
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(codes, cmap=ListedColormap([CATEGORIES[c][0] for c in names]), vmin=-0.5,
              vmax=len(names) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(n_q), [label(q) for q in quantities], fontsize=8)
    ax.set_xticks(range(n_s), students, rotation=60, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_xticks(np.arange(-0.5, n_s), minor=True)
    ax.set_yticks(np.arange(-0.5, n_q), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ends = [start for start, _ in sections[1:]] + [n_q]
    for (start, name), end in zip(sections, ends):
        if start:
            ax.axhline(start - 0.5, color="#333333", linewidth=1.2)
        ax.text(n_s - 0.5 + 0.25, (start + end - 1) / 2, name.replace(": ", ":\n"), va="center", fontsize=8, color="#333333")
    above = ax.secondary_xaxis("top")
    above.set_xticks(range(n_s), mistakes, rotation=60, ha="left", rotation_mode="anchor", fontsize=7.5)
    handles = [Patch(facecolor=colour, edgecolor="#999999", label=words) for colour, words in CATEGORIES.values()]
    fig.legend(handles=handles, loc="outside lower left", ncol=4 if width >= 10 else 2, fontsize=8,
               frameon=False)  # four columns take 10 inches
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig

"""The network drawn with its numbers, from a Trace of one round (matplotlib, no pyplot).

Forward view, as the slides draw it: inputs i1, i2, hidden units h1, h2, outputs o1, o2 and
the bias units b1, b2; each edge labelled with its weight (w1 = 0.15), each unit with
    net_h1 = w1·i1 + w2·i2 + b1        out_h1 = σ(net_h1)
Backward view, the same layout: each unit with ∂E/∂out and delta = ∂E/∂net = ∂E/∂out · out(1 − out),
each edge with ∂E/∂w = delta of the unit it enters · out of the unit it leaves (∂E/∂w5 =
delta_o1 · out_h1), each bias unit with ∂E/∂b = Σ of the deltas it feeds. Colour is the sign
(blue +, orange −), width the size relative to the largest in the view.

Slide-ready: the deck's picture is PowerPoint's 16:9 slide, 13.33 × 7.5 in (1280 × 720 px at
96 dpi), every text 14 pt (viz/slide.py); a weight's label sits on its own edge, and on an edge
that crosses another it sits nearer the unit the edge leaves, away from the crossing, so no
other edge runs under it. The title says which weights are drawn: before update r (after r − 1).
Networks wider than MAX_DRAWN_WIDTH units get one heat map per layer instead (W and ∂E/∂W).
SVG keeps its text as text (svg.fonttype 'none'), so every number can be searched for.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from torch_bp.core.chain_rule import Trace
from torch_bp.core.files import atomic_file
from torch_bp.viz.slide import FONTS, NETWORK_SIZE, SLIDE_DPI

MAX_DRAWN_WIDTH = 4      # widest layer drawn unit by unit; wider networks get heat maps
MAX_DRAWN_LAYERS = 3     # ... and at most this many weight layers
POSITIVE, NEGATIVE, ZERO = "#2166ac", "#d95f02", "#999999"
RC = {"svg.fonttype": "none", "svg.hashsalt": "torch_bp"}
LABEL_PLACES = (None, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.25, 0.75, 0.35, 0.65, 0.15, 0.85, 0.5)  # t along an edge; None: where put
CROSSING_T = 0.3  # a crossing edge's label: this far along it from the unit it leaves (they cross at 0.5)
FORMATS = ("svg", "png")


def num(v: float) -> str:
    """A value as the pictures print it: 9 decimals, trailing zeros dropped (0.15, 0.3775,
    0.593269992); values under 1e-4 in scientific notation so their digits are not lost."""
    v = float(v)
    if v != 0 and abs(v) < 1e-4:
        return f"{v:.4e}"
    text = f"{v:.9f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text  # -0.0


def unit_names(sizes) -> list[list[str]]:
    """i1.. for the inputs, h1.. for one hidden layer (h{l}_{j} for several), o1.. for the outputs."""
    L = len(sizes) - 1
    names = [[f"i{k + 1}" for k in range(sizes[0])]]
    for l in range(1, L + 1):
        kind = "o" if l == L else ("h" if L == 2 else f"h{l}_")
        names.append([f"{kind}{j + 1}" for j in range(sizes[l])])
    return names


def parameter_names(model) -> dict[str, np.ndarray]:
    """model.scalar_names() (w1..w8, b1, b2 on the deck's shape) shaped like each parameter."""
    names = iter(model.scalar_names())
    return {pname: np.array([next(names) for _ in range(p.numel())]).reshape(tuple(p.shape))
            for pname, p in model.named_parameters()}


def _colour(v: float) -> str:
    return POSITIVE if v > 0 else NEGATIVE if v < 0 else ZERO


def _width(v: float, largest: float) -> float:
    return 0.8 + 5.0 * abs(v) / largest if largest > 0 else 0.8


def _draw_graph(ax, model, trace: Trace, backward: bool) -> None:
    """One view of a small network on ax: boxes for units, lines for weights and biases."""
    names = unit_names(model.sizes)
    pos = _layout(names)
    edges = _bias_units_and_edges(ax, model, trace, names, pos, backward)
    _draw_edges(ax, edges, pos, backward)
    _draw_units(ax, trace, names, pos, backward)
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.25, max(xs) + 0.28)  # the output boxes are wider than the inputs'
    ax.set_ylim(min(ys) - 0.15, max(ys) + 0.3)
    ax.set_axis_off()


def _layout(names: list[list[str]]) -> dict[str, tuple[float, float]]:
    """unit name -> (x, y): layer l in column l (the inputs' narrow boxes nearer), units top to
    bottom, bias units below."""
    pos = {}
    for l, col in enumerate(names):
        for j, name in enumerate(col):
            pos[name] = (max(0.0, 1.1 * l - 0.2), (len(col) - 1) / 2 - j)
    lowest = min(y for _, y in pos.values())
    for l in range(1, len(names)):
        pos[f"b{l}"] = (pos[names[l - 1][0]][0], lowest - 0.6)
    return pos


def _bias_units_and_edges(ax, model, trace: Trace, names, pos, backward: bool) -> list[tuple]:
    """Draws each bias unit; returns the edges (source, target, name, value): weights (or
    ∂E/∂w) and biases (or ∂E/∂b)."""
    pnames = parameter_names(model)
    edges = []
    for l, layer in enumerate(model.layers, start=1):
        W = layer.weight.detach().cpu().numpy()                   # (n_l, n_{l-1})
        dW = trace.grads[f"layers.{l - 1}.weight"].cpu().numpy()  # (n_l, n_{l-1})
        b = layer.bias.detach().cpu().numpy()                     # () or (n_l,)
        db = trace.grads[f"layers.{l - 1}.bias"].cpu().numpy()
        wn, bn = pnames[f"layers.{l - 1}.weight"], pnames[f"layers.{l - 1}.bias"]
        for j, target in enumerate(names[l]):
            for k, source in enumerate(names[l - 1]):
                edges.append((source, target, wn[j, k], dW[j, k] if backward else W[j, k]))
            if b.ndim:  # a bias per unit: one edge each, labelled with its own name
                edges.append((f"b{l}", target, bn[j], db[j] if backward else b[j]))
            else:       # one shared bias: unlabelled edges, the value sits on the bias unit
                edges.append((f"b{l}", target, None, float(db if backward else b)))
        shared = b.ndim == 0
        if backward:
            text = f"∂E/∂{bn.item()} = {num(db)}" if shared else f"b{l}\n∂E/∂b = Σ delta"
        else:
            text = f"{bn.item()} = {num(b)}" if shared else f"b{l}"
        ax.text(*pos[f"b{l}"], text, ha="center", va="center", zorder=3,
                bbox=dict(boxstyle="round,pad=0.4", fc="#f3f3f3", ec="#888888"))
    return edges


def _draw_edges(ax, edges: list[tuple], pos, backward: bool) -> None:
    """Each edge a line, colour its sign, width its size; named edges labelled with their value."""
    largest = max(abs(v) for *_, v in edges)  # every layer has an edge
    for source, target, name, value in edges:
        (x0, y0), (x1, y1) = pos[source], pos[target]
        ax.plot([x0, x1], [y0, y1], color=_colour(value), lw=_width(value, largest),
                alpha=0.85, zorder=1, solid_capstyle="round")
        if name is not None:
            t = CROSSING_T if y0 != y1 else 0.42 if source[0] == "i" else 0.5  # mid-gap; off the crossings
            label = f"∂E/∂{name} = {num(value)}" if backward else f"{name} = {num(value)}"
            text = ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), label, ha="center", va="center", zorder=2,
                           color=_colour(value), bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
            text.edge = np.array([[x0, y0], [x1, y1]])  # for _spread_labels


def _spread_labels(fig: Figure, ax) -> None:
    """Moves each edge label that would cover a unit or an earlier label along its own edge to
    the first free place among LABEL_PLACES (larger networks: many edges leave each unit)."""
    fig.draw_without_rendering()  # the layout, so that every text has its place in pixels
    renderer = fig._get_renderer()
    taken = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if not hasattr(t, "edge")]
    for text in (t for t in ax.texts if hasattr(t, "edge")):
        box = text.get_bbox_patch().get_window_extent(renderer)
        now = ax.transData.transform(text.get_position())
        best = None
        for t in LABEL_PLACES:
            at = np.array(text.get_position()) if t is None else text.edge[0] + t * (text.edge[1] - text.edge[0])
            moved = box.translated(*(ax.transData.transform(at) - now))
            clash = sum(max(0, min(moved.x1, b.x1) - max(moved.x0, b.x0)) * max(0, min(moved.y1, b.y1) - max(moved.y0, b.y0))
                        for b in taken)
            if best is None or clash < best[0]:
                best = (clash, at, moved)
            if clash == 0:
                break
        text.set_position(best[1])
        taken.append(best[2])


def _draw_units(ax, trace: Trace, names, pos, backward: bool) -> None:
    """Each unit a box with its numbers for the batch's first row: net and out (and target), or
    ∂E/∂out and delta; the box's edge is the sign of delta in the backward view."""
    L = len(names) - 1
    row = 0  # units show the batch's first row
    for name, (x, y) in pos.items():
        if name.startswith("b"):
            continue
        l = next(i for i, col in enumerate(names) if name in col)
        j = names[l].index(name)
        if l == 0:
            lines = [f"{name} = {num(trace.inputs[row, j])}"]
        elif backward:
            lt = trace.layers[l - 1]
            lines = [f"∂E/∂out_{name} = {num(lt.dE_dout[row, j])}", f"delta_{name} = {num(lt.delta[row, j])}"]
        else:
            lt = trace.layers[l - 1]
            lines = [f"net_{name} = {num(lt.net[row, j])}", f"out_{name} = {num(lt.out[row, j])}"]
            if l == L:
                lines.append(f"target_{name} = {num(trace.targets[row, j])}")
        edge = _colour(float(trace.layers[l - 1].delta[row, j])) if backward and l else "#333333"
        ax.text(x, y, "\n".join(lines), ha="center", va="center", zorder=3, linespacing=1.3,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=edge, lw=1.5))


def _draw_heatmaps(fig, model, trace: Trace, title: str) -> None:
    """One row per layer: [W | b] and [∂E/∂W | ∂E/∂b], colour by sign and size."""
    layers = list(model.layers)
    axes = fig.subplots(len(layers), 2, squeeze=False)
    for l, (layer, row) in enumerate(zip(layers, axes), start=1):
        n_out, n_in = layer.weight.shape
        for backward, ax in zip((False, True), row):
            W = (trace.grads[f"layers.{l - 1}.weight"] if backward else layer.weight).detach().cpu().numpy()
            b = (trace.grads[f"layers.{l - 1}.bias"] if backward else layer.bias).detach().cpu().numpy()
            M = np.concatenate([W, np.broadcast_to(b, (n_out,))[:, None]], axis=1)  # (n_l, n_{l-1} + 1)
            m = float(np.abs(M).max()) or 1.0
            im = ax.imshow(M, cmap="RdBu", vmin=-m, vmax=m, aspect="auto", interpolation="nearest",
                           extent=(0.5, n_in + 1.5, n_out + 0.5, 0.5))  # units counted from 1
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_locator(MaxNLocator(integer=True))
            what = "∂E/∂W, ∂E/∂b" if backward else "W, b"
            ax.set_title(f"layer {l}: {what} ({n_out}×{n_in} and b)")
            ax.set_xlabel(f"from unit of layer {l - 1} (column {n_in + 1}: bias)")
            ax.set_ylabel(f"unit of layer {l}")
            fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title)


def when(round: int | None) -> str:
    """Which weights a picture of round `round` shows: those before its update."""
    if round is None:
        return "One round"
    done = "the starting weights" if round == 1 else f"after {round - 1:,} update{'s' if round > 2 else ''}"
    return f"Before update {round:,} ({done})"


def network_figure(model, trace: Trace, round: int | None = None, size: tuple[float, float] | None = None) -> Figure:
    """The forward view above the backward view (small networks), or heat maps (large ones); `size` inches,
    default a slide (NETWORK_SIZE) or more: half a slide's width per weight layer, a third of its height per unit
    of the widest layer plus one (heat maps: half its height per layer); every text 14 pt. trace: backprop(model,
    inputs, targets) with keep=True, taken before the round's update, so the weights drawn produced it."""
    rows = trace.inputs.shape[0]
    of = f"\nrow 1 of {rows} (gradients: the whole batch)" if rows > 1 else ""
    E = f"E_total = {num(trace.loss)}"
    small = max(model.sizes) <= MAX_DRAWN_WIDTH and len(model.sizes) - 1 <= MAX_DRAWN_LAYERS
    L, tall = len(model.sizes) - 1, max(model.sizes) + 1 if small else len(model.layers) * 1.5
    width, height = size or (NETWORK_SIZE[0] * max(1.0, L / 2), NETWORK_SIZE[1] * max(1.0, tall / 3))
    with matplotlib.rc_context(FONTS):
        fig = Figure(figsize=(width, height), layout="constrained")
        if not small:
            _draw_heatmaps(fig, model, trace, f"{when(round)}: {E}{of}")
            return fig
        top, bottom = fig.subplots(2, 1)
        _draw_graph(top, model, trace, backward=False)
        top.set_title(f"{when(round)}, forward: net = Σ w·out + b, out = σ(net), {E}{of}")
        _draw_graph(bottom, model, trace, backward=True)
        bottom.set_title("backward: delta = ∂E/∂out · out(1 − out), ∂E/∂w = delta · out of the unit "
                         "it comes from\nblue +, orange −, width ∝ size")
        for ax in (top, bottom):
            _spread_labels(fig, ax)
    return fig


def save(fig: Figure, stem: str | Path, formats=FORMATS, dpi: int = 100) -> list[Path]:
    """fig as stem.svg and stem.png (text kept as text in the SVG); the paths written."""
    paths = []
    with matplotlib.rc_context(RC):
        for fmt in formats:
            path = Path(f"{stem}.{fmt}")
            with atomic_file(path) as f:  # an old picture is replaced whole, or kept
                fig.savefig(f, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
            paths.append(path)
    return paths


def to_bytes(fig: Figure, fmt: str = "png", dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def draw_network(model, trace: Trace, stem: str | Path, round: int | None = None, size=None,
                 dpi: int = SLIDE_DPI) -> list[Path]:
    """network_figure() saved as stem.svg and stem.png (`dpi` pixels per inch)."""
    return save(network_figure(model, trace, round, size), stem, dpi=dpi)

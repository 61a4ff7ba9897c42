"""Where the network picture puts things, read from the drawn figure (each text's place in
pixels after drawing, as in the SVG): units left to right by layer and top to bottom by index,
each number inside its own unit's box, each weight's label on its own edge, the bias units
where the slides put them (below the layer they feed from), nothing outside the canvas or on
top of another unit, and heat-map colour limits taken from the data.
"""
import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet, backprop
from torch_bp.viz import draw

from learner import SLOT  # the slides' picture: w1 from i1 into h1, w2 from i2 into h1, ...

DECK_VALUES = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55}


def drawn(model, inputs, targets):
    """The figure, drawn once with Agg (so every text has its place in pixels), and its renderer."""
    fig = draw.network_figure(model, backprop(model, inputs, targets), round=1)
    with matplotlib.rc_context(draw.RC):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    return fig, canvas.get_renderer()


@pytest.fixture(scope="module")
def deck_picture():
    return drawn(BackpropNet(), DECK_INPUTS, DECK_TARGETS)


def texts(ax) -> dict[str, matplotlib.text.Text]:
    """First line of each text on ax -> the text."""
    return {t.get_text().split("\n")[0]: t for t in ax.texts}


def centre(t, renderer) -> np.ndarray:
    box = t.get_window_extent(renderer)
    return np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])


def unit_centres(ax, renderer, backward: bool) -> dict[str, np.ndarray]:
    """unit name -> the pixel centre of its box, found by the box's first line: "i1 = ...",
    "net_h1 = ..." (forward) or "∂E/∂out_h1 = ..." (backward)."""
    out = {}
    for first, t in texts(ax).items():
        name = first.split(" = ")[0]
        for unit in ("i1", "i2", "h1", "h2", "o1", "o2"):
            if name in ((f"∂E/∂out_{unit}",) if backward else (unit, f"net_{unit}")):
                out[unit] = centre(t, renderer)
    return out


@pytest.mark.parametrize("view", [0, 1], ids=["forward", "backward"])
def test_units_left_to_right_by_layer_top_to_bottom_by_index(deck_picture, view):
    fig, renderer = deck_picture
    ax = fig.axes[view]
    at = unit_centres(ax, renderer, backward=bool(view))
    layers = [("i1", "i2"), ("h1", "h2"), ("o1", "o2")] if view == 0 else [("h1", "h2"), ("o1", "o2")]
    assert set(at) == {u for layer in layers for u in layer}
    for left, right in zip(layers, layers[1:]):
        assert max(at[u][0] for u in left) < min(at[u][0] for u in right)   # columns, left to right
    for first, second in layers:
        assert at[first][1] > at[second][1]                                 # index 1 above index 2
        assert at[first][0] == pytest.approx(at[second][0], abs=1)          # one column


def test_each_number_is_in_its_own_units_box(deck_picture):
    """A unit's numbers are the lines of ONE boxed text, so they cannot drift apart: net and out
    (and target, for an output unit) forward; ∂E/∂out and delta backward."""
    fig, _ = deck_picture
    for view, ax in enumerate(fig.axes[:2]):
        bodies = {t.get_text().split(" = ")[0]: [line.split(" = ")[0] for line in t.get_text().splitlines()]
                  for t in ax.texts}
        for unit in ("h1", "h2", "o1", "o2"):
            if view:
                assert bodies[f"∂E/∂out_{unit}"] == [f"∂E/∂out_{unit}", f"delta_{unit}"]
            else:
                assert bodies[f"net_{unit}"] == [f"net_{unit}", f"out_{unit}"] + ([f"target_{unit}"] if unit[0] == "o" else [])


@pytest.mark.parametrize("view", [0, 1], ids=["forward", "backward"])
def test_each_weight_label_sits_on_its_own_edge(deck_picture, view):
    """The label of wk lies on the segment from the unit it leaves to the unit it enters (the
    slides' picture, tests/learner.SLOT), strictly between them, and on no other weight's edge
    at the same place."""
    fig, renderer = deck_picture
    ax = fig.axes[view]
    data = {n: np.array(t.get_position()) for n, t in ((k.split(" = ")[0], t) for k, t in texts(ax).items())}
    pos = draw._layout(draw.unit_names([2, 2, 2]))
    for w, (into, out_of) in SLOT.items():
        name = f"∂E/∂{w}" if view else w
        p, a, b = data[name], np.array(pos[out_of]), np.array(pos[into])
        t = np.dot(p - a, b - a) / np.dot(b - a, b - a)
        off = np.linalg.norm(a + t * (b - a) - p)
        assert 0.1 < t < 0.9 and off < 1e-9, f"{name}: t = {t:.3f}, {off:.3g} off its edge"
    assert len({tuple(data[f"∂E/∂{w}" if view else w]) for w in SLOT}) == len(SLOT)


def test_the_forward_labels_carry_the_weights_values(deck_picture):
    fig, _ = deck_picture
    labels = {k.split(" = ")[0]: k.split(" = ")[1] for k in texts(fig.axes[0])}
    assert {w: labels[w] for w in SLOT} == {w: draw.num(v) for w, v in DECK_VALUES.items()}


def test_bias_units_below_the_layer_they_feed_from(deck_picture):
    """b1 in the inputs' column, b2 in the hidden units' column, each below every unit."""
    fig, renderer = deck_picture
    ax = fig.axes[0]
    by_first = texts(ax)
    b1, b2 = (centre(by_first[f"b{l} = {draw.num(v)}"], renderer) for l, v in ((1, 0.35), (2, 0.60)))
    at = unit_centres(ax, renderer, backward=False)
    lowest = min(c[1] for c in at.values())
    assert b1[1] < lowest and b2[1] < lowest
    assert b1[0] == pytest.approx(at["i1"][0], abs=1) and b2[0] == pytest.approx(at["h1"][0], abs=1)


def test_nothing_outside_the_canvas_and_no_unit_on_another(deck_picture):
    fig, renderer = deck_picture
    width, height = fig.canvas.get_width_height()
    for ax in fig.axes:
        boxes = []
        for t in ax.texts:
            patch = t.get_bbox_patch().get_window_extent(renderer)
            assert patch.x0 >= 0 and patch.y0 >= 0 and patch.x1 <= width and patch.y1 <= height, t.get_text()
            if "\n" in t.get_text() or t.get_text().startswith(("i1 =", "i2 =")):  # the unit boxes
                boxes.append(patch)
        for k, a in enumerate(boxes):
            for b in boxes[k + 1:]:
                assert not a.overlaps(b), "two unit boxes overlap"
        title = ax.title.get_window_extent(renderer)
        assert title.x0 >= 0 and title.x1 <= width


@pytest.mark.parametrize("round, says", [(1, "Before update 1 (the starting weights)"), (2, "Before update 2 (after 1 update)"),
                                         (10000, "Before update 10,000 (after 9,999 updates)")])
def test_the_title_says_before_which_update(round, says):
    assert draw.when(round) == says


def test_no_other_weights_edge_runs_under_a_label(deck_picture):
    """Issue 23: where w2 and w3 (w6 and w7, and their gradients) cross, each label sat on the
    crossing, on both edges to the eye. Now the only weight's edge under a label's box (in
    pixels) is its own, and no two labels overlap."""
    fig, renderer = deck_picture
    pos = draw._layout(draw.unit_names([2, 2, 2]))
    along = np.linspace(0, 1, 400)[:, None]
    for view, ax in enumerate(fig.axes[:2]):
        found = {k.split(" = ")[0]: t for k, t in texts(ax).items()}
        boxes = []
        for w in SLOT:
            box = found[f"∂E/∂{w}" if view else w].get_bbox_patch().get_window_extent(renderer)
            boxes.append(box)
            for other, (into, out_of) in SLOT.items():
                p, q = ax.transData.transform([pos[out_of], pos[into]])
                points = p + along * (q - p)
                under = (points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0) & (points[:, 1] < box.y1)
                assert under.any() == (other == w), f"view {view}: {other}'s edge under {w}'s label" if other != w else w
        for k, a in enumerate(boxes):
            assert not any(a.overlaps(b) for b in boxes[k + 1:]), f"view {view}: two labels overlap"


def test_heat_map_colour_limits_come_from_the_data():
    """A 5-unit-wide network gets heat maps; each layer's [W | b] and [∂E/∂W | ∂E/∂b] is drawn
    on a symmetric scale set by its own largest magnitude."""
    torch.manual_seed(3)
    model = BackpropNet(sizes=(2, 5, 2), init="random", seed=4)
    x, y = torch.rand(3, 2, dtype=torch.float64), torch.rand(3, 2, dtype=torch.float64)
    trace = backprop(model, x, y)
    fig = draw.network_figure(model, trace)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4
    for l, layer in enumerate(model.layers):
        for backward, image in zip((False, True), images[2 * l:2 * l + 2]):
            W = trace.grads[f"layers.{l}.weight"] if backward else layer.weight.detach()
            b = trace.grads[f"layers.{l}.bias"] if backward else layer.bias.detach()
            m = max(W.abs().max().item(), b.abs().max().item())
            assert image.get_clim() == pytest.approx((-m, m), rel=1e-12)


def test_line_width_grows_with_the_size_of_the_value(deck_picture):
    """Forward view: one line per weight and per bias edge (two from each shared bias), width
    0.8 pt for a zero up to 5.8 pt for the largest magnitude, in proportion."""
    fig, _ = deck_picture
    values = [*DECK_VALUES.values(), 0.35, 0.35, 0.60, 0.60]
    largest = max(values)
    widths = sorted(line.get_linewidth() for line in fig.axes[0].lines)
    assert widths == pytest.approx(sorted(0.8 + 5.0 * v / largest for v in values), abs=1e-9)


def test_titles_say_the_round_the_error_and_the_rules(deck_picture):
    """Issue 23: the title says which weights it shows, those before the round's update."""
    fig, _ = deck_picture
    top, bottom = (ax.get_title() for ax in fig.axes[:2])
    loss = 0.5 * ((0.01 - 0.75136507) ** 2 + (0.99 - 0.772928465) ** 2)  # the deck's E_total
    assert top.startswith("Before update 1 (the starting weights), forward: net = Σ w·out + b, out = σ(net), "
                          "E_total = 0.29837")
    assert f"{loss:.5f}" == "0.29837"
    assert bottom.startswith("backward: delta = ∂E/∂out · out(1 − out), ∂E/∂w = delta · out")


def test_heat_maps_count_units_from_one_and_the_svg_has_no_date():
    model = BackpropNet(sizes=(3, 6, 2), init="random", seed=1)
    x = torch.rand(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    fig = draw.network_figure(model, backprop(model, x, x[:, :2]), round=7)
    heat = [ax for ax in fig.axes if ax.images]
    assert [ax.images[0].get_extent() for ax in heat] == [[0.5, 4.5, 6.5, 0.5]] * 2 + [[0.5, 7.5, 2.5, 0.5]] * 2
    assert fig._suptitle.get_text().startswith("Before update 7 (after 6 updates): E_total = ")
    assert fig._suptitle.get_text().endswith("\nrow 1 of 4 (gradients: the whole batch)")
    assert [ax.get_ylabel() for ax in heat] == ["unit of layer 1"] * 2 + ["unit of layer 2"] * 2
    assert b"<dc:date>" not in draw.to_bytes(fig, "svg")


@pytest.mark.parametrize("value,text", [(1.0, "1"), (-2.0, "-2"), (0.5, "0.5"), (0.15, "0.15"), (-0.0, "0"),
                                        (0.593269992, "0.593269992"), (10.25, "10.25")])
def test_a_number_is_printed_without_trailing_zeros_or_point(value, text):
    """As the slides print them: 1 and 0.15, never 1. or 0.150000000."""
    assert draw.num(value) == text


def test_a_picture_of_all_zero_values_draws_every_edge_at_the_thinnest_width():
    """A network whose gradients are all 0 (zero weights and biases, outputs 0.5 = targets): the
    backward view has no largest value to scale by, and every edge is drawn, 0.8 pt wide."""
    model = BackpropNet()
    model.load_values({"layers.0.weight": [[0.0, 0.0], [0.0, 0.0]], "layers.0.bias": 0.0,
                       "layers.1.weight": [[0.0, 0.0], [0.0, 0.0]], "layers.1.bias": 0.0})
    trace = backprop(model, DECK_INPUTS, torch.tensor([[0.5, 0.5]], dtype=torch.float64))
    assert all(float(g.abs().max()) == 0.0 for g in trace.grads.values())
    fig = draw.network_figure(model, trace, 1)
    widths = [line.get_linewidth() for ax in fig.axes for line in ax.lines]
    assert widths and all(np.isfinite(widths))
    assert draw._width(0.0, 0.0) == 0.8

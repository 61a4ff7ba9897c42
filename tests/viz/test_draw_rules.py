"""The network picture's rules, each read from the drawn figure (places in pixels after an Agg
draw, as in the SVG): which networks are drawn unit by unit and how big the picture is; the
key of the picture (what a unit, a bias unit, an edge and its label look like, and what is
drawn over what); where a label goes when the place it was put is taken; the heat maps of
large networks; and the files written.
"""
import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import BoxStyle

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet, backprop
from torch_bp.viz import draw
from torch_bp.viz.slide import NETWORK_SIZE, SLIDE_DPI

SLIDE_W, SLIDE_H = NETWORK_SIZE  # PowerPoint's 16:9 slide, 13.33 × 7.5 in


def random_setting(sizes, rows=1, shared=True, seed=0):
    model = BackpropNet(sizes, init="random", seed=seed, shared_bias=shared)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(rows, sizes[0], dtype=torch.float64, generator=g)
    y = torch.rand(rows, sizes[-1], dtype=torch.float64, generator=g)
    return model, backprop(model, x, y)


def rendered(fig):
    """fig drawn once with Agg, so that every text has its place in pixels; its renderer."""
    with matplotlib.rc_context(draw.RC):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    return canvas.get_renderer()


@pytest.fixture(scope="module")
def deck():
    model = BackpropNet()
    fig = draw.network_figure(model, backprop(model, DECK_INPUTS, DECK_TARGETS), round=1)
    return fig, rendered(fig)


def boxes(ax):
    """The boxed texts of a view that are not edge labels: units and bias units."""
    return [t for t in ax.texts if not hasattr(t, "edge")]


def labels(ax):
    return [t for t in ax.texts if hasattr(t, "edge")]


def centre(box) -> np.ndarray:
    return np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])


def covered(a, b) -> float:
    """Area (px²) that boxes a and b share."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


# ---- which networks are drawn unit by unit, and the picture's size ---------------------------

@pytest.mark.parametrize("sizes, drawn", [
    ((2, 2, 2), True),           # the deck
    ((1, 4, 1), True),           # 4 units wide: still drawn unit by unit
    ((2, 2, 2, 2), True),        # 3 weight layers: still drawn
    ((2, 5, 2), False),          # 5 units wide: heat maps
    ((2, 2, 2, 2, 2), False),    # 4 weight layers: heat maps
])
def test_networks_up_to_4_units_wide_and_3_layers_deep_are_drawn_unit_by_unit(sizes, drawn):
    fig = draw.network_figure(*random_setting(sizes), round=1)
    images = [ax for ax in fig.axes if ax.images]
    assert (len(fig.axes), len(images)) == ((2, 0) if drawn else (4 * (len(sizes) - 1), 2 * (len(sizes) - 1)))


@pytest.mark.parametrize("sizes", [(2, 2), (2, 2, 2), (1, 3, 1), (1, 4, 1), (2, 2, 2, 2), (3, 4, 4, 2),
                                   (5, 3), (2, 6, 2), (2, 6, 6, 2), (2, 2, 2, 2, 2)])
def test_the_picture_is_a_slide_grown_with_the_network(sizes):
    """The default size, as network_figure's docstring states it: half a slide's width per weight
    layer, and a third of a slide's height per unit of the widest layer plus one (the bias row)
    where units are drawn, half a slide's height per layer for heat maps; never under a slide."""
    layers, widest = len(sizes) - 1, max(sizes)
    heat = widest > 4 or layers > 3
    fig = draw.network_figure(*random_setting(sizes), round=1)
    width = SLIDE_W * max(1.0, layers / 2)
    height = SLIDE_H * max(1.0, layers / 2 if heat else (widest + 1) / 3)
    assert tuple(fig.get_size_inches()) == pytest.approx((width, height), rel=1e-12)


def test_a_size_given_is_kept():
    fig = draw.network_figure(*random_setting((2, 4, 4, 1)), round=1, size=(6.0, 4.0))
    assert tuple(fig.get_size_inches()) == (6.0, 4.0)


# ---- the picture's key -----------------------------------------------------------------------

def test_the_views_have_no_axes(deck):
    """The network views are diagrams: no frame, no ticks, no tick labels."""
    fig, _ = deck
    assert [ax.axison for ax in fig.axes] == [False, False]


def test_every_line_runs_from_centre_to_centre_of_the_boxes_it_joins(deck):
    """Each edge starts at the middle of the box of the unit it leaves (or of the bias unit) and
    ends at the middle of the box of the unit it enters, so every box sits on its lines."""
    fig, renderer = deck
    for ax in fig.axes:
        middles = [centre(t.get_bbox_patch().get_window_extent(renderer)) for t in boxes(ax)]
        assert len(ax.lines) == 12  # 8 weights, and each shared bias to the two units it feeds
        for line in ax.lines:
            ends = ax.transData.transform(np.c_[line.get_xdata(), line.get_ydata()])
            for end in ends:
                assert min(np.linalg.norm(end - m) for m in middles) < 1.0, f"a line ends at {end}, off every box's centre"
            assert np.linalg.norm(ends[0] - ends[1]) > 100  # from one box to another


def test_each_label_is_centred_on_its_own_edge(deck):
    """The middle of a label's box (not just the point it is anchored at) is on its edge's line."""
    fig, renderer = deck
    for ax in fig.axes:
        for text in labels(ax):
            a, b = ax.transData.transform(text.edge)
            c = centre(text.get_bbox_patch().get_window_extent(renderer))
            along = np.dot(c - a, b - a) / np.dot(b - a, b - a)
            assert np.linalg.norm(a + along * (b - a) - c) < 1.0, text.get_text()


@pytest.mark.parametrize("view", [0, 1], ids=["forward", "backward"])
def test_a_level_edges_label_sits_in_the_middle_of_its_gap(deck, view):
    """w1, w4, w5, w8 (and their gradients) run level from box to box: each label is in the
    middle of the free stretch between the two boxes, whatever their widths (the inputs' boxes
    are narrow, so an input's label is put less than halfway along its edge)."""
    fig, renderer = deck
    ax = fig.axes[view]
    unit = {t.get_text().split(" = ")[0].split("_")[-1]: t.get_bbox_patch().get_window_extent(renderer)
            for t in boxes(ax) if not t.get_text().startswith(("b", "∂E/∂b"))}
    level = [t for t in labels(ax) if t.edge[0][1] == t.edge[1][1]]
    assert len(level) == 4
    for text in level:
        x0, x1 = ax.transData.transform(text.edge)[:, 0]
        left = max(b.x1 for b in unit.values() if centre(b)[0] < x0 + 1 and centre(b)[0] > x0 - 1)
        right = min(b.x0 for b in unit.values() if centre(b)[0] < x1 + 1 and centre(b)[0] > x1 - 1)
        c = centre(text.get_bbox_patch().get_window_extent(renderer))[0]
        assert abs(c - (left + right) / 2) < 0.03 * (right - left), text.get_text()


def test_the_gap_after_the_narrow_input_boxes_is_no_wider_than_the_next(deck):
    """The input column is drawn nearer the hidden one (its boxes are narrow): the free stretch
    from the inputs' boxes to the hidden units' is no wider than from the hidden to the outputs'."""
    fig, renderer = deck
    ax = fig.axes[0]
    at = {t.get_text()[:6]: t.get_bbox_patch().get_window_extent(renderer) for t in boxes(ax)}
    first = at["net_h1"].x0 - max(at["i1 = 0"].x1, at["i2 = 0"].x1)
    second = at["net_o1"].x0 - at["net_h1"].x1
    assert 0 < first <= second


def test_each_column_of_units_is_centred_on_one_line():
    """A 2-3-1 network: the three columns, of 2, 3 and 1 units, share one middle line."""
    model, trace = random_setting((2, 3, 1))
    fig = draw.network_figure(model, trace, round=1)
    renderer = rendered(fig)
    ax = fig.axes[0]
    columns = {"i": [], "h": [], "o": []}
    for t in boxes(ax):
        name = t.get_text().split(" = ")[0].removeprefix("net_")
        if name[0] in columns:
            columns[name[0]].append(centre(t.get_bbox_patch().get_window_extent(renderer))[1])
    assert [len(c) for c in columns.values()] == [2, 3, 1]
    middles = [np.mean(c) for c in columns.values()]
    assert max(middles) - min(middles) < 1.0


def test_a_network_with_one_input_has_its_bias_unit_below_it():
    model, trace = random_setting((1, 2, 1))
    fig = draw.network_figure(model, trace, round=1)
    renderer = rendered(fig)
    at = {t.get_text().split(" = ")[0]: centre(t.get_bbox_patch().get_window_extent(renderer)) for t in boxes(fig.axes[0])}
    assert at["L1.b"][0] == pytest.approx(at["i1"][0], abs=1) and at["L1.b"][1] < at["i1"][1]


def test_what_is_drawn_over_what(deck):
    """Lines first, then the edges' labels over them, then the boxes of units and bias units
    over both: no line crosses a label's text, no label hides a unit's numbers. (matplotlib
    draws an axes' artists by zorder, ties in the order they were added.)"""
    fig, _ = deck
    for ax in fig.axes:
        order = sorted(ax.get_children(), key=lambda a: a.get_zorder())  # a stable sort, as Axes.draw
        kinds = ["line" if a in ax.lines else "label" if hasattr(a, "edge") else "box" if a in ax.texts else None
                 for a in order]
        kinds = [k for k in kinds if k]
        assert kinds == ["line"] * 12 + ["label"] * 8 + ["box"] * 8


def test_the_boxes_look_as_the_key_says(deck):
    """Units: white rounded boxes, outlined dark (forward) or in the sign of delta (backward),
    heavier than a bias unit's outline; bias units: light grey rounded boxes with a mid-grey
    outline, lighter than a unit's;
    labels: on a white ground, with no outline, in the colour of their value's sign."""
    fig, _ = deck
    white = to_rgba("white")
    for view, ax in enumerate(fig.axes):
        for t in ax.texts:
            patch = t.get_bbox_patch()
            assert isinstance(patch.get_boxstyle(), BoxStyle.Round), t.get_text()
            fc, ec = patch.get_facecolor(), patch.get_edgecolor()
            if hasattr(t, "edge"):
                assert fc[:3] == white[:3] and ec[3] == 0, t.get_text()
                value = float(t.get_text().split(" = ")[1])
                assert t.get_color() == (draw.POSITIVE if value > 0 else draw.NEGATIVE)
            elif t.get_text().startswith(("b", "∂E/∂b")):
                assert 0.9 < min(fc[:3]) and max(fc[:3]) < 1 and 0.3 < min(ec[:3]) and max(ec[:3]) < 0.6  # grey on grey
                assert patch.get_linewidth() == 1.0
            else:
                assert fc == white and patch.get_linewidth() > 1.0, t.get_text()
                if view and not t.get_text().startswith("i"):
                    delta = float(t.get_text().split("\n")[1].split(" = ")[1])
                    assert ec == to_rgba(draw.POSITIVE if delta > 0 else draw.NEGATIVE), t.get_text()
                else:
                    assert max(ec[:3]) < 0.3, t.get_text()


def test_the_lines_are_coloured_by_sign(deck):
    """Round 1 of the deck: every weight and bias is positive (blue); of the gradients, ∂E/∂w7
    and ∂E/∂w8 are negative (orange). A zero value is grey (test_draw_geometry's all-zero net)."""
    fig, _ = deck
    forward, backward = ([line.get_color() for line in ax.lines] for ax in fig.axes)
    assert set(forward) == {draw.POSITIVE}
    assert sorted(backward).count(draw.NEGATIVE) == 2


def test_a_zero_value_is_grey():
    model = BackpropNet()
    model.load_values({"layers.0.weight": [[0.0, 0.0], [0.0, 0.0]], "layers.0.bias": 0.0,
                       "layers.1.weight": [[0.0, 0.0], [0.0, 0.0]], "layers.1.bias": 0.0})
    trace = backprop(model, DECK_INPUTS, torch.tensor([[0.5, 0.5]], dtype=torch.float64))
    fig = draw.network_figure(model, trace, 1)
    assert {line.get_color() for ax in fig.axes for line in ax.lines} == {draw.ZERO}
    assert {t.get_color() for ax in fig.axes for t in labels(ax)} == {draw.ZERO}


@pytest.mark.parametrize("value, text", [(1e-4, "0.0001"), (-1e-4, "-0.0001"), (9.99e-5, "9.9900e-05"), (-0.0, "0")])
def test_scientific_notation_starts_under_1e_minus_4(value, text):
    """num's docstring: values UNDER 1e-4 in scientific notation; 1e-4 itself is 0.0001."""
    assert draw.num(value) == text


# ---- titles ----------------------------------------------------------------------------------

def test_the_title_of_a_one_row_batch_ends_with_the_error(deck):
    fig, _ = deck
    assert fig.axes[0].get_title().endswith("E_total = 0.298371109")


def test_the_title_of_a_batch_says_which_row_the_units_show():
    fig = draw.network_figure(*random_setting((2, 2, 2), rows=2), round=1)
    assert fig.axes[0].get_title().endswith("\nrow 1 of 2 (gradients: the whole batch)")


def test_a_picture_of_no_round_in_particular_says_one_round():
    assert draw.when(None) == "One round"
    fig = draw.network_figure(*random_setting((2, 2, 2)))
    assert fig.axes[0].get_title().startswith("One round, forward: ")


# ---- where a label goes when its place is taken ----------------------------------------------

def one_edge(blocked, start=0.02):
    """A vertical edge (data (0.3, 0.1) -> (0.3, 1.1), 833 px long) with a label put at `start`
    along it, and a box without an edge (as a unit's) at each fraction in `blocked`."""
    fig = Figure(figsize=(3, 12), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1, 1)
    ax.set_ylim(0, 1.2)
    a, b = np.array([0.3, 0.1]), np.array([0.3, 1.1])
    for s in blocked:
        ax.text(*(a + s * (b - a)), "x", ha="center", va="center", bbox=dict(boxstyle="round,pad=0.15"))
    label = ax.text(*(a + start * (b - a)), "w = 1", ha="center", va="center", bbox=dict(boxstyle="round,pad=0.15"))
    label.edge = np.array([a, b])
    return fig, ax, label


def along(label) -> float:
    a, b = label.edge
    p = np.array(label.get_position())
    assert abs(p[0] - a[0]) < 1e-12, "off its (vertical) edge"
    return float((p[1] - a[1]) / (b[1] - a[1]))


GRID = np.round(np.arange(0, 1.0001, 0.025), 3)  # a box every 21 px along the edge


@pytest.mark.parametrize("free", [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85])
def test_a_label_whose_place_is_taken_moves_along_its_edge_to_the_free_place(free):
    """Boxes all along the edge but around `free` (and where the label was put): the label
    goes to the free stretch, on its own edge, covering nothing."""
    fig, ax, label = one_edge([s for s in GRID if abs(s - free) > 0.03])
    draw._spread_labels(fig, ax)
    assert along(label) == pytest.approx(free, abs=0.03)
    fig.draw_without_rendering()  # the boxes where the texts now are
    renderer = fig._get_renderer()
    mine = label.get_bbox_patch().get_window_extent(renderer)
    assert all(covered(mine, t.get_bbox_patch().get_window_extent(renderer)) == 0 for t in ax.texts if t is not label)


def test_a_label_with_room_where_it_was_put_stays():
    fig, ax, label = one_edge([0.0, 1.0], start=0.45)
    draw._spread_labels(fig, ax)
    assert along(label) == pytest.approx(0.45, abs=1e-12)


def test_two_labels_put_at_one_place_are_moved_apart():
    """The second label treats the first, once placed, as taken."""
    fig, ax, first = one_edge([0.0, 1.0], start=0.45)
    second = ax.text(*first.get_position(), "w = 2", ha="center", va="center", bbox=dict(boxstyle="round,pad=0.15"))
    second.edge = first.edge
    draw._spread_labels(fig, ax)
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    a, b = (t.get_bbox_patch().get_window_extent(renderer) for t in (first, second))
    assert covered(a, b) == 0 and 0 < along(second) < 1


def overlap_of_labels(fig, renderer) -> float:
    """Total area (px²) edge labels share with unit boxes and with each other."""
    total = 0.0
    for ax in fig.axes:
        lab = [t.get_bbox_patch().get_window_extent(renderer) for t in labels(ax)]
        box = [t.get_bbox_patch().get_window_extent(renderer) for t in boxes(ax)]
        total += sum(covered(a, b) for a in lab for b in box)
        total += sum(covered(a, b) for k, a in enumerate(lab) for b in lab[k + 1:])
    return total


@pytest.mark.parametrize("sizes, shared", [((2, 2, 2, 2), False), ((2, 3, 2), True)])
def test_network_figure_moves_labels_off_units_and_each_other(sizes, shared, monkeypatch):
    """Where many edges leave a unit, labels put at their usual places cover units and each
    other; the picture moves them: the area covered is under a third of what it was."""
    model, trace = random_setting(sizes, shared=shared)
    fig = draw.network_figure(model, trace, round=1)
    moved = overlap_of_labels(fig, rendered(fig))
    monkeypatch.setattr(draw, "_spread_labels", lambda fig, ax: None)
    fig = draw.network_figure(model, trace, round=1)
    put = overlap_of_labels(fig, rendered(fig))
    assert moved < put / 3


# ---- heat maps -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def heat():
    model, trace = random_setting((3, 6, 6, 2), rows=2)
    fig = draw.network_figure(model, trace, round=3)
    return model, trace, fig, rendered(fig)


def test_each_layer_gets_a_row_of_its_weights_and_their_gradients(heat):
    """Row l: [W | b] on the left and [∂E/∂W | ∂E/∂b] on the right, each titled as what it shows."""
    model, trace, fig, _ = heat
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 6
    for l, layer in enumerate(model.layers):
        for backward, ax in zip((False, True), maps[2 * l:2 * l + 2]):
            W = (trace.grads[f"layers.{l}.weight"] if backward else layer.weight).detach().numpy()
            b = (trace.grads[f"layers.{l}.bias"] if backward else layer.bias).detach().numpy()
            M = np.concatenate([W, np.broadcast_to(b, (W.shape[0],))[:, None]], axis=1)
            np.testing.assert_array_equal(ax.images[0].get_array(), M)
            what = "∂E/∂W, ∂E/∂b" if backward else "W, b"
            assert ax.get_title() == f"layer {l + 1}: {what} ({W.shape[0]}×{W.shape[1]} and b)"
            assert ax.get_xlabel() == f"from unit of layer {l} (column {W.shape[1] + 1}: bias)"


def test_a_heat_maps_colours_are_its_values_signs(heat):
    """Positive cells blue, negative red, a colour bar beside each map for its own scale."""
    _, _, fig, renderer = heat
    maps = [ax for ax in fig.axes if ax.images]
    for ax in maps:
        image = ax.images[0]
        M = np.asarray(image.get_array())
        rgba = image.to_rgba(M)
        assert (rgba[M > 0][:, 2] > rgba[M > 0][:, 0]).all() and (rgba[M < 0][:, 0] > rgba[M < 0][:, 2]).all()
        bar = image.colorbar
        assert bar is not None and bar.ax in fig.axes
        mine, its = ax.get_window_extent(renderer), bar.ax.get_window_extent(renderer)
        assert mine.x1 <= its.x0 < mine.x1 + 0.1 * mine.width and mine.y0 <= centre(its)[1] <= mine.y1
    assert len(fig.axes) == 2 * len(maps)  # each map and its colour bar, nothing else


def test_heat_maps_are_not_squashed_and_count_units_in_whole_numbers(heat):
    """Every map fills its row's height, however many columns its matrix has (no square
    cells), and its ticks are whole unit numbers."""
    _, _, fig, renderer = heat
    maps = [ax for ax in fig.axes if ax.images]
    heights = [ax.get_window_extent(renderer).height for ax in maps]
    assert max(heights) - min(heights) < 0.02 * max(heights)
    for ax in maps:
        for ticks, (lo, hi) in ((ax.get_xticks(), ax.get_xlim()), (ax.get_yticks(), sorted(ax.get_ylim()))):
            shown = [v for v in ticks if lo <= v <= hi]
            assert shown and all(v == int(v) for v in shown), ticks


def test_a_one_layer_network_too_wide_to_draw_gets_one_row():
    fig = draw.network_figure(*random_setting((5, 3)), round=1)
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["layer 1: W, b (3×5 and b)", "layer 1: ∂E/∂W, ∂E/∂b (3×5 and b)"]


# ---- the files -------------------------------------------------------------------------------

def test_the_saved_picture_is_a_slide_in_pixels_and_its_svg_has_no_date(tmp_path):
    """draw_network: 1280 × 720 px (the slide at 96 dpi); the SVG carries no date, so the same
    picture is the same file; to_bytes writes the format asked for."""
    model = BackpropNet()
    trace = backprop(model, DECK_INPUTS, DECK_TARGETS)
    svg, png = draw.draw_network(model, trace, tmp_path / "net", round=1)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")) == (1280, 720)
    assert SLIDE_DPI == 96
    text = svg.read_text()
    assert text.startswith("<?xml") and "<dc:date>" not in text
    svg2, _ = draw.draw_network(model, trace, tmp_path / "again", round=1)
    assert svg2.read_bytes() == svg.read_bytes()
    fig = draw.network_figure(model, trace, round=1)
    assert draw.to_bytes(fig, "svg").startswith(b"<?xml") and draw.to_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"

"""The sweep's figure is slide-ready (issue 23): at its stated size (a 16:9 slide 10 in wide) in
headless Chromium, no text is below 14 pt, none leaves the canvas, no two texts overlap; a
handful of η is drawn as marked points and each η has its tick label."""
import numpy as np

from browser import playwright_chromium, slide_problems
from svg import svg_texts
from torch_bp.viz.sweep_plot import FONT_PT, SLIDE_SIZE, plot_sweep


def figures(tmp_path):
    """Three η without a target (the case whose y label left the canvas); 50 η × 2 seeds with a
    target and a diverged network."""
    three = np.array([0.1, 0.5, 2.0])
    yield "three", plot_sweep(tmp_path / "three", three, np.zeros(3, dtype=np.int64), np.array([3e-2, 3.5e-5, 1e-7]),
                              np.zeros(3, dtype=np.int64), np.zeros(3, bool), target_loss=None,
                              title="SGD on 2-2-2, data: deck; 3 η × 1 seed(s), 10,000 rounds")[0]
    lr = np.tile(np.logspace(-2, 2, 50), 2)
    loss = np.where(lr < 50, 1e-2 / lr, np.nan)
    yield "many", plot_sweep(tmp_path / "many", lr, np.repeat([0, 1], 50), loss,
                             np.where(loss < 1e-3, (1000 / lr).astype(np.int64), 0), ~np.isfinite(loss),
                             target_loss=1e-3, title="SGD on 2-2-2, data: deck; 50 η × 2 seed(s), 10,000 rounds")[0]


def test_the_sweep_figure_reads_on_a_slide(tmp_path):
    with playwright_chromium() as browser:
        page = browser.new_page()
        for name, svg in figures(tmp_path):
            problems = slide_problems(page, svg.read_text(), SLIDE_SIZE, FONT_PT)
            assert not problems, f"{name}: {problems}"


def test_few_etas_are_marked_points_each_with_its_tick_label(tmp_path):
    svg = dict(figures(tmp_path))["three"]
    assert {"0.1", "0.5", "2"} <= svg_texts(svg)  # η = 2 named too
    assert svg.read_text().count('id="m') >= 1  # matplotlib draws markers as <use> of one <defs> path

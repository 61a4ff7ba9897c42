"""The sweep's figure is slide-ready (issue 23): at its stated size (a 16:9 slide 10 in wide) in
headless Chromium, no text is below 14 pt, none leaves the canvas, no two texts overlap; a
handful of η is drawn as marked points and each η has its tick label."""
import numpy as np
import pytest

from browser import playwright_chromium
from svg import svg_texts
from torch_bp.viz.sweep_plot import FONT_PT, SLIDE_SIZE, plot_sweep

CSS_PX_PER_PT = 96 / 72
BOXES = """() => {
  const svg = document.querySelector('svg'), box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;  // CSS px per SVG user unit (1 pt of the figure)
  return {canvas: [box.left, box.top, box.right, box.bottom],
          texts: [...svg.querySelectorAll('text')].map(t => { const r = t.getBoundingClientRect();
            return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
                    box: [r.left, r.top, r.right, r.bottom]}; })};
}"""


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


def overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def test_the_sweep_figure_reads_on_a_slide(tmp_path):
    width_px, height_px = SLIDE_SIZE[0] * 96, SLIDE_SIZE[1] * 96
    with playwright_chromium() as browser:
        page = browser.new_page(viewport={"width": int(width_px), "height": int(height_px)})
        for name, svg in figures(tmp_path):
            page.set_content(f"<body style='margin:0'>{svg.read_text()}</body>")
            seen = page.evaluate(BOXES)
            left, top, right, bottom = seen["canvas"]
            assert (right - left, bottom - top) == pytest.approx((width_px, height_px), abs=1)  # the stated size
            texts = [t for t in seen["texts"] if t["text"].strip()]
            small = [(t["text"], round(t["px"] / CSS_PX_PER_PT, 1)) for t in texts if t["px"] < FONT_PT * CSS_PX_PER_PT - 0.01]
            assert not small, f"{name}: text below {FONT_PT} pt: {small}"
            outside = [t["text"] for t in texts if t["box"][0] < left - 0.5 or t["box"][1] < top - 0.5
                       or t["box"][2] > right + 0.5 or t["box"][3] > bottom + 0.5]
            assert not outside, f"{name}: text off the canvas: {outside}"
            clashes = [(a["text"], b["text"]) for i, a in enumerate(texts) for b in texts[i + 1:]
                       if overlap(a["box"], b["box"]) > 1.0]
            assert not clashes, f"{name}: texts overlap: {clashes}"


def test_few_etas_are_marked_points_each_with_its_tick_label(tmp_path):
    svg = dict(figures(tmp_path))["three"]
    assert {"0.1", "0.5", "2"} <= svg_texts(svg)  # η = 2 named too
    assert svg.read_text().count('id="m') >= 1  # matplotlib draws markers as <use> of one <defs> path

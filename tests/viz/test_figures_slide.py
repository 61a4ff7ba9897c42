"""A run's pictures and plot.py's chart are slide-ready (issue 23): each at its stated size in
headless Chromium (one browser, one page) has no text under 14 pt, none off the canvas and no two
texts overlapping: the loss and parameters figures and the chart at 10 × 5.625 in, the deck's
network picture (forward and backward, 9-digit numbers) at 13.33 × 7.5 in."""
import json

from browser import playwright_chromium, slide_problems

from torch_bp.cli import plot
from torch_bp.viz import figures
from torch_bp.viz.slide import FONT_PT, NETWORK_SIZE, SLIDE_SIZE


def test_the_pictures_read_on_a_slide(tmp_path, train_script):
    runs = [tmp_path / "a", tmp_path / "b", tmp_path / "short"]
    for run, lr in zip(runs, ("0.5", "0.5", "2")):
        assert train_script.main(["--steps", "40", "--lr", lr, "--logdir", str(run), "--no-graph"]) == 0
    cfg = json.loads((runs[2] / "config.json").read_text())
    (runs[2] / "config.json").write_text(json.dumps({**cfg, "steps": 100}))  # 40 of 100 rounds: cut short
    drawn = figures.write_figures(runs[0], tmp_path / "figures")
    chart = tmp_path / "chart.svg"
    assert plot.main([*map(str, runs), "-o", str(chart)]) == 0
    shown = {p.stem: p for p in drawn if p.suffix == ".svg"} | {"chart": chart}
    with playwright_chromium() as browser:
        page = browser.new_page()
        problems = {name: slide_problems(page, svg.read_text(), NETWORK_SIZE if "network" in name else SLIDE_SIZE,
                                         FONT_PT) for name, svg in shown.items()}
    assert set(problems) == {"loss", "parameters", "network-first", "network-last", "chart"}
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}

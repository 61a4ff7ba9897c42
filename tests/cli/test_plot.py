"""scripts/plot.py: runs compared on one chart, labelled by the settings in which they differ."""
import json

import pytest
from PIL import Image
from svg import svg_texts

from conftest import load_script

plot = load_script("plot")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, train_script):
    root = tmp_path_factory.mktemp("plot")
    for name, lr in (("a", "0.5"), ("b", "1")):
        assert train_script.main(["--steps", "30", "--lr", lr, "--logdir", str(root / name), "--no-graph"]) == 0
    return root / "a", root / "b"


def test_two_runs_on_one_chart_labelled_by_what_differs(two_runs, tmp_path, capsys):
    out = tmp_path / "cmp.svg"
    assert plot.main([*map(str, two_runs), "-o", str(out)]) == 0
    texts = svg_texts(out)
    assert {"lr=0.5", "lr=1.0", "Error over rounds, 2 runs"} <= texts  # not the folders' names
    assert not any("logdir" in t or "/" in t for t in texts)
    png = tmp_path / "cmp.png"
    assert plot.main([*map(str, two_runs), "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_labels_name_every_setting_that_differs():
    base = {"lr": 0.5, "sizes": [2, 2, 2], "seed": 0, "logdir": "/x/20261128-1", "meta": {"rows": 1}}
    other = {**base, "sizes": [2, 3, 2], "seed": 4, "logdir": "/x/20261128-2"}
    assert plot.labels([base, other], ["runs/a", "runs/b"]) == ["sizes=2,2,2, seed=0", "sizes=2,3,2, seed=4"]


def test_runs_of_the_same_settings_are_told_apart_by_their_folders():
    """Issue 23: two of three runs with the same settings had the same legend entry."""
    a = {"lr": 0.5, "seed": 0, "logdir": "/x/1"}
    b, c = {**a, "logdir": "/x/2"}, {**a, "lr": 1.0, "logdir": "/x/3"}
    got = plot.labels([a, b, c], ["runs/first", "runs/second", "runs/third"])
    assert len(set(got)) == 3 and "first" in got[0] and "second" in got[1] and got[2] == "lr=1.0"
    assert all(g.startswith("lr=0.5") for g in got[:2])
    assert len(set(plot.labels([a, b], ["x/run", "y/run"]))) == 2  # same folder name: the paths


def test_a_run_cut_short_is_marked_in_the_legend_and_at_its_last_point(two_runs, tmp_path):
    """A run whose history stops before its config's steps (interrupted, or stopped at its
    target) says so in its legend entry, and its last point is marked."""
    short = tmp_path / "short"
    short.mkdir()
    cfg = json.loads((two_runs[0] / "config.json").read_text())
    (short / "config.json").write_text(json.dumps({**cfg, "lr": 2.0}))
    lines = (two_runs[0] / "history.csv").read_text().splitlines(keepends=True)
    (short / "history.csv").write_text("".join(lines[:13]))  # rounds 1 to 12 of 30
    out = tmp_path / "cmp.svg"
    assert plot.main([str(two_runs[0]), str(short), "-o", str(out)]) == 0
    texts = svg_texts(out)
    assert "lr=2.0, stopped at round 12 of 30" in texts and "lr=0.5" in texts
    assert out.read_text().count('id="m') >= 1  # the marker at its last point (and its legend entry)


def test_help_says_its_description_in_full(capsys):
    with pytest.raises(SystemExit):
        plot.main(["--help"])
    out = capsys.readouterr().out
    description = " ".join(out.split("\n\n")[1].split())
    assert description.endswith("differ (from their config.json), PNG or SVG by the file's suffix.")


def test_figure_size_and_dpi(two_runs, tmp_path):
    """Slide-ready by default (10 × 5.625 in, 96 dpi: 960 × 540 px); --figure-size and --dpi change it."""
    out = tmp_path / "cmp.png"
    assert plot.main([*map(str, two_runs), "-o", str(out)]) == 0
    assert Image.open(out).size == (960, 540)
    assert plot.main([*map(str, two_runs), "-o", str(out), "--figure-size", "8,4.5", "--dpi", "50"]) == 0
    assert Image.open(out).size == (400, 225)


@pytest.mark.parametrize("case, says", [
    ("missing", "not a folder"), ("empty", "not a run folder"), ("suffix", "must be .png or .svg"),
    ("badjson", "malformed"), ("nofolder", "no folder")])
def test_bad_input_is_one_line_and_status_2(case, says, two_runs, tmp_path, capsys):
    run, out = str(two_runs[0]), str(tmp_path / "x.png")
    if case == "missing":
        run = str(tmp_path / "nope")
    elif case == "empty":
        run = str(tmp_path)
    elif case == "suffix":
        out = str(tmp_path / "x.jpg")
    elif case == "badjson":
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "config.json").write_text("{")
        (bad / "history.csv").write_text("round,loss/total\n1,0.3\n")
        run = str(bad)
    elif case == "nofolder":
        out = str(tmp_path / "no" / "x.png")
    assert plot.main([run, "-o", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err

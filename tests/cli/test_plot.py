"""scripts/plot.py: runs compared on one chart, labelled by the settings in which they differ."""
import pytest
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
    assert plot.labels([base, other]) == ["sizes=2,2,2, seed=0", "sizes=2,3,2, seed=4"]
    assert plot.labels([base, dict(base)]) == ["run 1", "run 2"]


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

"""A teacher's own example: a weights file in the slides' names (w1..w8, b1, b2), train.py's
--inputs/--targets (declared once with explain.py's), and handouts (explain.py --format markdown
and html) that state their setting and the exact command, with no absolute path and no column
that every row leaves empty."""
import json
import re
import shlex

import pytest
import torch

from conftest import call, load_script
from logs import read_history
from torch_bp.core.deck import DECK_WEIGHTS
from torch_bp.core.model import BackpropNet

SLIDES = {"w1": 0.1, "w2": 0.2, "w3": 0.3, "w4": 0.4, "w5": 0.5, "w6": 0.6, "w7": 0.7, "w8": 0.8, "b1": 0.25, "b2": 0.75}
explain, train = load_script("explain"), load_script("train")


def run(capsys, module, *argv):
    return call(capsys, module.main, *argv)


# ---- the slides' names -------------------------------------------------------------------------

@pytest.mark.parametrize("shared_bias", [True, False])
def test_slide_names_set_the_weights_the_slides_draw(shared_bias):
    """net_h1 = w1·i1 + w2·i2 + b1, net_o2 = w7·out_h1 + w8·out_h2 + b2, written out by hand."""
    model = BackpropNet(shared_bias=shared_bias)
    model.load_values(SLIDES)
    i1, i2 = 0.3, -0.7
    s = lambda v: 1 / (1 + torch.exp(-torch.as_tensor(v, dtype=torch.float64)))  # noqa: E731
    h1, h2 = s(0.1 * i1 + 0.2 * i2 + 0.25), s(0.3 * i1 + 0.4 * i2 + 0.25)
    o1, o2 = s(0.5 * h1 + 0.6 * h2 + 0.75), s(0.7 * h1 + 0.8 * h2 + 0.75)
    out = model(torch.tensor([[i1, i2]], dtype=torch.float64))
    torch.testing.assert_close(out[0], torch.stack([o1, o2]), rtol=0, atol=1e-15)


def test_slide_names_and_parameter_names_give_the_same_report(capsys, tmp_path):
    deck = dict(zip([f"w{i}" for i in range(1, 9)] + ["b1", "b2"], [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55,
                                                                   0.35, 0.6]))
    (tmp_path / "slides.json").write_text(json.dumps(deck))
    (tmp_path / "params.json").write_text(json.dumps(DECK_WEIGHTS))
    reports = [run(capsys, explain, "--format", "json", "--weights", tmp_path / f"{n}.json") for n in ("slides", "params")]
    assert reports[0][0] == 0 and reports[0][1] == reports[1][1]


def test_a_run_starts_from_a_slide_names_init_file(capsys, tmp_path):
    (tmp_path / "w.json").write_text(json.dumps(SLIDES))
    assert run(capsys, train, "--init", tmp_path / "w.json", "--steps", "2", "--logdir", tmp_path / "r", "--no-graph")[0] == 0
    history = read_history(tmp_path / "r")
    assert history["weights/w8"][0] == 0.8 and history["weights/w1"][0] == 0.1 and history["bias/b2"][0] == 0.75


# ---- train.py --inputs/--targets ---------------------------------------------------------------

def test_train_takes_one_row_as_explain_does(capsys, tmp_path):
    assert run(capsys, train, "--inputs", "1,-0.5", "--targets", "0.2,0.9", "--steps", "1", "--logdir",
               tmp_path / "r", "--no-graph")[0] == 0
    out = BackpropNet()(torch.tensor([[1.0, -0.5]], dtype=torch.float64))[0].tolist()
    expected = 0.5 * ((0.2 - out[0]) ** 2 + (0.9 - out[1]) ** 2)
    assert read_history(tmp_path / "r")["loss/total"][0] == pytest.approx(expected, rel=1e-12)
    assert json.loads((tmp_path / "r" / "config.json").read_text())["inputs"] == [1.0, -0.5]


def test_the_row_flags_are_declared_once():
    flags = [{a.option_strings[0]: a for a in module.build_parser()._actions} for module in (explain, train,
                                                                                           load_script("sweep"))]
    for name in ("--inputs", "--targets"):
        assert len({f[name].type for f in flags}) == 1 and len({f[name].help.split(": ")[-1] for f in flags}) == 1


def test_one_row_and_a_data_file_conflict(capsys, tmp_path):
    (tmp_path / "d.csv").write_text("i1,i2,t1,t2\n0.05,0.1,0.01,0.99\n")
    status, out, err = run(capsys, train, "--inputs", "1,0", "--targets", "0,1", "--data", tmp_path / "d.csv",
                           "--logdir", tmp_path / "r")
    assert status == 2 and err.count("\n") == 1 and "--inputs" in err and "data" in err
    assert not (tmp_path / "r").exists()


# ---- handouts ----------------------------------------------------------------------------------

def tables(markdown: str) -> list[list[list[str]]]:
    """Each markdown table as rows of cells (the header first, the rule dropped)."""
    found, current = [], None
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = []
                found.append(current)
            if not set("".join(cells)) <= set("-:"):
                current.append(cells)
        else:
            current = None
    return found


def test_the_markdown_handout_states_its_setting_and_command(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "w.json").write_text(json.dumps(SLIDES))
    argv = ["--format", "markdown", "--weights", str(tmp_path / "mine" / "w.json"), "--inputs", "1,0",
            "--targets=0.5,0.25", "--lr", "0.1"]
    status, out, _ = run(capsys, explain, *argv)
    assert status == 0
    intro = out.split("\n\n")[1]
    assert str(tmp_path) not in out
    command = re.search(r"Generated by `(.*?)`", intro).group(1)
    assert shlex.split(command)[2:] == ["--format", "markdown", "--weights", "mine/w.json", "--inputs", "1,0",
                                        "--targets=0.5,0.25", "--lr", "0.1"]
    for said in ("w1..w8 = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8", "b1 = 0.25", "b2 = 0.75", "1.0, 0.0",
                 "0.5, 0.25", "η = 0.1"):
        assert said in intro, intro
    for table in tables(out):
        columns = list(zip(*table))
        assert all(any(cell for cell in column[1:]) for column in columns), table[0]
        assert table[0] == ["quantity = formula", "computed"]  # nothing printed for this setting


def test_a_path_outside_the_working_folder_is_cut_to_its_name(capsys, tmp_path, monkeypatch):
    (tmp_path / "w.json").write_text(json.dumps(SLIDES))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    status, out, _ = run(capsys, explain, "--format", "markdown", f"--weights={tmp_path / 'w.json'}")
    assert status == 0 and str(tmp_path) not in out and "--weights=w.json`" in out


def test_the_decks_handout_keeps_every_column(capsys):
    status, out, _ = run(capsys, explain, "--format", "markdown")
    assert status == 0 and "Weights (the deck's): w1..w8 = 0.15" in out and "η = 0.5" in out
    assert {len(t[0]) for t in tables(out)} == {6}


def test_the_html_page_has_no_absolute_path_and_only_the_columns_it_fills(capsys, tmp_path):
    (tmp_path / "w.json").write_text(json.dumps(SLIDES))
    status, page, _ = run(capsys, explain, "--format", "html", "--weights", tmp_path / "w.json", "--inputs", "1,0")
    assert status == 0 and str(tmp_path) not in page and "from w.json" in page
    heads = re.findall(r"<thead>(.*?)</thead>", page)
    assert heads and all(re.findall(r"<th>(.*?)</th>", h) == ["quantity = formula", "computed"] for h in heads)
    lead = re.search(r'<p class="lead">(.*?)</p>', page).group(1)
    assert "prints" not in lead and "verdict" not in lead and "b2 = 0.75" in lead
    status, deck, _ = run(capsys, explain, "--format", "html")
    assert re.findall(r"<th>(.*?)</th>", re.search(r"<thead>(.*?)</thead>", deck).group(1))[2:] == [
        "printed", "verdict", "source"]
    assert "prints" in re.search(r'<p class="lead">(.*?)</p>', deck).group(1)

"""scripts/explain.py and torch_bp.explain.report: the verdict of every printed value, the causes of
the ones that differ, the computed values against autograd, the formats, and bad input.

The verdicts below are pinned by hand (from the deck, the article, and float64 arithmetic
done outside torch_bp), not derived from the code under test."""
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tolerances import EXACT_ISH

from torch_bp import DECK_INPUTS, DECK_LR, DECK_TARGETS, BackpropNet
from torch_bp.explain import report, report_render
from torch_bp.cli import explain
from torch_bp.core.loss import half_sse_terms
from torch_bp.core.deck import DECK_WEIGHTS
from torch_bp.core.deck import ARTICLE_PRINTED, DECK_ERROR_TABLE, DECK_PRINTED
from torch_bp.core.sgd import autograd_sgd

ROOT = Path(__file__).resolve().parents[2]

# Every number the deck prints: its verdict.
DECK_VERDICTS = {
    "net_h1": "agrees", "net_h2": "agrees", "out_h1": "agrees", "out_h2": "agrees",
    "net_o1": "agrees", "net_o2": "agrees",
    "out_o1": "agrees-truncated",    # 0.7513650 -> 0.75136
    "out_o2": "agrees-truncated",    # 0.7729285 -> 0.77292
    "E_o1": "agrees",
    "E_o2": "differs",               # 0.023562 = ½(0.99 − 0.77292)², true 0.0235600
    "E_total": "agrees",
    "dE_total/dout_o1": "agrees-truncated",  # 0.7413650 -> 0.74136
    "dout_o1/dnet_o1": "agrees", "dnet_o1/dw5": "agrees",
    "dE_total/dw5": "differs",       # 0.081267 for 0.082167: two digits swapped
    "dE_total/dw6": "agrees", "dE_total/dw7": "agrees", "dE_total/dw8": "agrees",
    "w5+ (slide 31)": "differs",     # 0.35937 = 0.40 − 0.5 × 0.081267
    "w5+": "agrees", "w6+": "agrees", "w7+": "agrees", "w8+": "agrees",
    "dE_total/dout_h1": "agrees",
    "dE_total/dw1": "agrees", "dE_total/dw2": "agrees", "dE_total/dw3": "agrees", "dE_total/dw4": "agrees",
    "w1+": "agrees", "w2+": "agrees", "w3+": "agrees", "w4+": "agrees",
    "E_total at round 1": "agrees", "E_total at round 300": "agrees", "E_total at round 600": "agrees",
    "E_total at round 900": "agrees", "E_total at round 1200": "agrees", "E_total at round 1500": "agrees",
    "E_total at round 1800": "agrees", "E_total at round 2100": "agrees", "E_total at round 2400": "agrees",
    "E_total at round 2700": "agrees", "E_total at round 3000": "agrees", "E_total at round 3300": "agrees",
}
# Every figure of the article: its verdict against torch_bp (the standard rule, n updates).
ARTICLE_VERDICTS = {
    "w5+": "agrees", "w6+": "agrees", "w7+": "agrees", "w8+": "agrees",
    "w1+": "agrees", "w2+": "agrees", "w3+": "agrees", "w4+": "agrees",
    "E_total after 1 round": "differs",        # the sequential rule, 1 update
    "E_total after 10000 rounds": "differs",   # the standard rule, 9999 updates (the deck's round 10000)
    "out_o1 after 10000 rounds": "differs",    # the sequential rule, 10000 updates
    "out_o2 after 10000 rounds": "differs",
}


@pytest.fixture(scope="module")
def rows():
    return report.worked_example()


def by_source(rows, source: str) -> dict:
    return {r.quantity: r for r in rows if r.source and r.source.startswith(source)}


def run_main(capsys, *argv) -> tuple[int, str, str]:
    try:
        status = explain.main(list(argv))
    except SystemExit as e:  # argparse
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def scalar_training(updates: int, sequential: bool = False) -> tuple[float, float, float]:
    """(E_total, out_o1, out_o2) after `updates` SGD updates of the seed network, in plain
    Python floats, biases fixed. sequential: the hidden deltas go through the updated w5..w8."""
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    b1, b2, i1, i2, t1, t2, eta = 0.35, 0.60, 0.05, 0.10, 0.01, 0.99, 0.5
    sigma = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731

    def forward(w):
        h1, h2 = sigma(w[0] * i1 + w[1] * i2 + b1), sigma(w[2] * i1 + w[3] * i2 + b1)
        return h1, h2, sigma(w[4] * h1 + w[5] * h2 + b2), sigma(w[6] * h1 + w[7] * h2 + b2)

    for _ in range(updates):
        h1, h2, o1, o2 = forward(w)
        d1, d2 = (o1 - t1) * o1 * (1 - o1), (o2 - t2) * o2 * (1 - o2)  # delta_o1, delta_o2
        new = [w[4] - eta * d1 * h1, w[5] - eta * d1 * h2, w[6] - eta * d2 * h1, w[7] - eta * d2 * h2]
        w5, w6, w7, w8 = new if sequential else w[4:]
        dh1, dh2 = (d1 * w5 + d2 * w7) * h1 * (1 - h1), (d1 * w6 + d2 * w8) * h2 * (1 - h2)
        w = [w[0] - eta * dh1 * i1, w[1] - eta * dh1 * i2, w[2] - eta * dh2 * i1, w[3] - eta * dh2 * i2, *new]
    _, _, o1, o2 = forward(w)
    return 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2, o1, o2


def close(actual, expected, what):
    torch.testing.assert_close(torch.tensor(actual, dtype=torch.float64),
                               torch.tensor(expected, dtype=torch.float64), **EXACT_ISH,
                               msg=lambda m: f"{what}: {m}")


# --- Verdicts --------------------------------------------------------------------------------

def test_every_transcribed_value_has_a_pinned_verdict():
    assert set(DECK_VERDICTS) == set(DECK_PRINTED) | {f"E_total at round {r}" for r in DECK_ERROR_TABLE}
    assert set(ARTICLE_VERDICTS) == set(ARTICLE_PRINTED)


@pytest.mark.parametrize("quantity", DECK_VERDICTS)
def test_deck_verdict(rows, quantity):
    row = by_source(rows, "slides")[quantity]
    assert row.verdict == DECK_VERDICTS[quantity], f"{quantity}: {row.printed} vs {row.computed}: {row.note}"


@pytest.mark.parametrize("quantity", ARTICLE_VERDICTS)
def test_article_verdict(rows, quantity):
    row = by_source(rows, "article")[quantity]
    assert row.verdict == ARTICLE_VERDICTS[quantity], f"{quantity}: {row.printed} vs {row.computed}: {row.note}"


@pytest.mark.parametrize("computed, printed, expected", [
    (0.7729284653, "0.77292", "agrees-truncated"),
    (0.7729284653, "0.77293", "agrees"),
    (0.39249999999999996, "0.39250", "agrees"),   # the float just below 0.3925 rounds up
    (-0.0226025405, "-0.022603", "agrees"),
    (-0.0226025405, "-0.022602", "agrees-truncated"),  # cut off toward zero
    (0.0821670406, "0.081267", "differs"),
])
def test_verdict_compares_at_the_printed_precision(computed, printed, expected):
    assert report.verdict(computed, printed) == expected


# --- Causes: each reproduces the printed value, recomputed here --------------------------------

def test_every_difference_has_a_cause_that_reproduces_it(rows):
    for row in rows:
        if row.verdict == "differs":
            assert row.reproduced is not None, f"{row.quantity} ({row.source}): no cause found"
            assert report.verdict(row.reproduced, row.printed) != "differs", row.quantity


def test_E_o2_carries_over_the_cut_off_out_o2(rows):
    row = by_source(rows, "slides")["E_o2"]
    deck_E_o2 = 0.5 * (0.99 - 0.77292) ** 2  # the deck's out_o2
    assert f"{deck_E_o2:.6f}" == "0.023562"
    close(row.reproduced, deck_E_o2, "E_o2")
    assert "carried over" in row.note and "out_o2 = 0.77292" in row.note


def test_dE_dw5_is_a_digit_slip(rows):
    row = by_source(rows, "slides")["dE_total/dw5"]
    true = f"{row.computed:.6f}"
    assert true == "0.082167" and true[:4] + true[5] + true[4] + true[6:] == "0.081267"  # 2 <-> 1
    assert "digit slip" in row.note and "0.082167" in row.note


def test_w5_on_slide_33_carries_over_the_slipped_gradient(rows):
    row = by_source(rows, "slides")["w5+ (slide 31)"]
    deck_w5 = 0.40 - 0.5 * 0.081267
    assert f"{deck_w5:.5f}" == "0.35937"
    close(row.reproduced, deck_w5, "w5+ (slide 31)")
    assert "carried over" in row.note and "dE_total/dw5 = 0.081267" in row.note


@pytest.mark.parametrize("quantity, updates, sequential, index, decimals", [
    ("E_total after 1 round", 1, True, 0, 9),           # the sequential rule
    ("E_total after 10000 rounds", 9999, False, 0, 10),  # the standard rule, round 10000 as the deck counts
    ("out_o1 after 10000 rounds", 10000, True, 1, 9),    # the sequential rule
    ("out_o2 after 10000 rounds", 10000, True, 2, 9),
])
def test_article_figure_is_reproduced(rows, quantity, updates, sequential, index, decimals):
    row = by_source(rows, "article")[quantity]
    value = scalar_training(updates, sequential)[index]
    assert f"{value:.{decimals}f}" == ARTICLE_PRINTED[quantity][0]
    close(row.reproduced, value, quantity)
    assert ("sequential rule after" if sequential else "standard rule at round 10000") in row.note


def test_article_hidden_weights_are_the_standard_rules(rows):
    """The sequential rule would print other w1..w4: the article's one-step update is standard."""
    for w in ("w1+", "w2+", "w3+", "w4+"):
        assert "sequential rule after 1 update gives" in by_source(rows, "article")[w].note
        assert by_source(rows, "article")[w].note.endswith("(differs)")


# --- Computed values against autograd ---------------------------------------------------------

def autograd_values() -> dict[str, float]:
    """Every quantity of the report by autograd: the model's own layers, torch.autograd.grad."""
    model = BackpropNet()
    W1, b1, W2, b2 = model.parameters()
    net_h = model.layers[0](DECK_INPUTS)
    out_h = torch.sigmoid(net_h)
    net_o = model.layers[1](out_h)
    out_o = torch.sigmoid(net_o)
    E_terms = half_sse_terms(out_o, DECK_TARGETS)
    E = E_terms.sum()

    def d(y, x):
        return torch.autograd.grad(y, x, retain_graph=True)[0]

    gW1, gb1, gW2, gb2 = torch.autograd.grad(E, [W1, b1, W2, b2], retain_graph=True)
    v = {"net_h1": net_h[0, 0], "net_h2": net_h[0, 1], "out_h1": out_h[0, 0], "out_h2": out_h[0, 1],
         "net_o1": net_o[0, 0], "net_o2": net_o[0, 1], "out_o1": out_o[0, 0], "out_o2": out_o[0, 1],
         "E_o1": E_terms[0], "E_o2": E_terms[1], "E_total": E,
         "dE_total/dout_o1": d(E, out_o)[0, 0], "dout_o1/dnet_o1": d(out_o[0, 0], net_o)[0, 0],
         "dnet_o1/dw5": d(net_o[0, 0], W2)[0, 0],
         "dE_o1/dout_h1": d(E_terms[0], out_h)[0, 0], "dE_o2/dout_h1": d(E_terms[1], out_h)[0, 0],
         "dE_total/dout_h1": d(E, out_h)[0, 0], "dout_h1/dnet_h1": d(out_h[0, 0], net_h)[0, 0],
         "dnet_h1/dw1": d(net_h[0, 0], W1)[0, 0], "dE_total/db1": gb1, "dE_total/db2": gb2}
    for k in range(4):
        v[f"dE_total/dw{k + 1}"], v[f"dE_total/dw{k + 5}"] = gW1.flatten()[k], gW2.flatten()[k]

    rounds = set(DECK_ERROR_TABLE) | {2}
    for r, trace in enumerate(autograd_sgd(model, itertools.repeat((DECK_INPUTS, DECK_TARGETS)), DECK_LR), start=1):
        if r in rounds:
            v[f"E_total at round {r}"] = trace.loss
        if r == 2:  # the weights after one update
            for k in range(4):
                v[f"w{k + 1}+"], v[f"w{k + 5}+"] = W1.flatten()[k].item(), W2.flatten()[k].item()
        if r == max(rounds):
            break
    v["E_total after 1 round"] = v.pop("E_total at round 2")
    return {k: float(torch.as_tensor(x, dtype=torch.float64).detach()) for k, x in v.items()}


def test_computed_values_equal_autograd(rows):
    expected = autograd_values()
    expected["w5+ (slide 31)"] = expected["w5+"]  # the same quantity, printed twice
    computed = {r.quantity: r.computed for r in rows}
    for quantity, value in expected.items():
        close(computed[quantity], value, quantity)
    # 10,000 rounds of autograd take seconds: the long runs are checked against plain floats.
    long_runs = {"E_total after 10000 rounds": 0, "out_o1 after 10000 rounds": 1, "out_o2 after 10000 rounds": 2}
    assert set(computed) - set(expected) == set(long_runs)
    for quantity, index in long_runs.items():
        close(computed[quantity], scalar_training(10000)[index], quantity)


def test_another_setting_has_no_printed_values(capsys, tmp_path):
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({**DECK_WEIGHTS, "layers.1.bias": 0.1}))
    status, out, _ = run_main(capsys, "--format", "json", "--weights", str(weights), "--lr", "0.1",
                              "--inputs", "1,-1", "--rounds", "1,5")
    assert status == 0
    lines = {r["quantity"]: r for r in json.loads(out)}
    assert all(r["printed"] is None and r["verdict"] is None and r["source"] is None for r in lines.values())
    model = BackpropNet()
    model.load_values({**DECK_WEIGHTS, "layers.1.bias": 0.1})
    with torch.no_grad():
        out_h = model.layers[0](torch.tensor([[1.0, -1.0]], dtype=torch.float64)).sigmoid()
        out_o1 = model.layers[1](out_h).sigmoid()[0, 0]
        delta_o1 = (out_o1 - 0.01) * out_o1 * (1 - out_o1)
        close(lines["out_o1"]["computed"], float(out_o1), "out_o1")
        close(lines["w5+"]["computed"], float(0.40 - 0.1 * delta_o1 * out_h[0, 0]), "w5+")  # w5 − η·∂E/∂w5
    assert [q for q in lines if q.startswith("E_total at round")] == ["E_total at round 1", "E_total at round 5"]


def test_the_seed_weights_file_is_the_seed(capsys, tmp_path):
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps(DECK_WEIGHTS))
    status, out, _ = run_main(capsys, "--format", "json", "--weights", str(weights))
    assert status == 0 and sum(r["verdict"] == "differs" for r in json.loads(out)) == 7


# --- Formats ------------------------------------------------------------------------------------

def test_json_output(capsys, rows):
    status, out, _ = run_main(capsys, "--format", "json")
    assert status == 0
    lines = json.loads(out)
    assert isinstance(lines, list) and len(lines) == len(rows)
    for line, row in zip(lines, rows):
        assert {"quantity", "formula", "computed", "printed", "source", "verdict", "note"} <= set(line)
        assert isinstance(line["computed"], float) and line["computed"] == row.computed
        assert line["printed"] is None or isinstance(line["printed"], str)
        assert line["source"] is None or line["source"].split(" ")[0] in ("slides", "article")
        assert line["verdict"] in (*report.VERDICTS, None)
        assert (line["printed"] is None) == (line["verdict"] is None) == (line["source"] is None)
        assert isinstance(line["note"], str) and isinstance(line["formula"], str)


def test_text_output_is_in_the_decks_order(capsys):
    status, out, _ = run_main(capsys)
    assert status == 0
    sections = [report.FORWARD, report.COST, report.BACK_O, report.STEP_O, report.BACK_H, report.STEP_H,
                report.TRAINING]
    assert [line for line in out.splitlines() if line in sections] == sections
    order = ["net_h1 =", "out_o2 =", "E_total =", "∂E_total/∂out_o1 =", "∂E_total/∂w5 =", "w5+ =",
             "∂E_total/∂out_h1 =", "∂E_total/∂w1 =", "∂E_total/∂b1 =", "w1+ =", "E_total at round 3300"]
    positions = [out.index(f"  {s}") for s in order]
    assert positions == sorted(positions)


def test_only_differences(capsys, rows):
    status, out, _ = run_main(capsys, "--format", "json", "--only-differences")
    assert status == 0
    assert [r["quantity"] for r in json.loads(out)] == [r.quantity for r in rows if r.verdict == "differs"]
    status, out, _ = run_main(capsys, "--only-differences")
    assert sum(" differs " in line for line in out.splitlines()) == 7


def test_markdown_tables(capsys):
    status, out, _ = run_main(capsys, "--format", "markdown")
    assert status == 0 and out.startswith("## ")
    table_lines = [line for line in out.splitlines() if line.startswith("|")]
    assert table_lines and all(len(line.strip("|").split("|")) == 6 for line in table_lines)


def test_readme_errata_section_is_generated(capsys):
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- errata:start -->", "<!-- errata:end -->"
    section = readme[readme.index(start) + len(start):readme.index(end)]
    status, out, _ = run_main(capsys, "--format", "markdown", "--only-differences")
    assert status == 0
    assert section.strip() == out.strip(), "README errata are stale: paste the output of " \
        "`python scripts/explain.py --format markdown --only-differences` between the markers"


# --- Bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("weights, argv, says", [
    (None, ["--weights", "{missing}"], "cannot read"),
    ("{not json", [], "not valid JSON"),
    ("[1, 2]", [], "expected a JSON object"),
    ('{"layers.0.weight": [[0.15, 0.2], [0.25, 0.3]]}', [], "missing"),
    (json.dumps({**DECK_WEIGHTS, "layers.9.weight": 1}), [], "unknown"),
    (json.dumps({**DECK_WEIGHTS, "layers.0.weight": [0.15, 0.2, 0.25]}), [], "expected shape [2, 2]"),
    (json.dumps({**DECK_WEIGHTS, "layers.1.bias": "x"}), [], "not a numeric array"),
    (json.dumps({**DECK_WEIGHTS, "layers.1.bias": [[1], [2, 3]]}), [], "layers.1.bias"),
    (json.dumps(DECK_WEIGHTS).replace("0.35", "NaN"), [], "finite"),
    (None, ["--inputs", "0.05"], "expected 2 numbers"),
    (None, ["--inputs", "a,b"], "not a comma-separated list of numbers"),
    (None, ["--targets", "0.01,0.99,1"], "expected 2 numbers"),
    (None, ["--lr", "x"], "not a number"),
    (None, ["--lr", "0"], "> 0"),
    (None, ["--rounds", "0"], ">= 1"),
    (None, ["--rounds", "1,x"], "not a comma-separated list of integers"),
    (None, ["--format", "xml"], "invalid choice"),
])
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, weights, argv, says):
    path = tmp_path / "w.json"
    if weights is not None:
        path.write_text(weights)
        argv = ["--weights", str(path), *argv]
    argv = [a.replace("{missing}", str(tmp_path / "missing.json")) for a in argv]
    status, out, err = run_main(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("explain.py: error: ") and says in err, err


def test_script_from_a_plain_checkout_fails_cleanly(tmp_path):
    """Run as a program, from elsewhere, without the package installed: one line, status 2."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "explain.py"), "--weights", "nope.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("explain.py: error: --weights nope.json: cannot read") and proc.stderr.count("\n") == 1


def test_text_fits_80_columns_under_a_header_row(capsys):
    status, out, _ = run_main(capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "quantity = formula" and lines[1].split() == ["computed", "printed", "verdict", "source"]
    assert max(len(line) for line in lines) <= report_render.TEXT_WIDTH
    # a long note wraps below its row and keeps every word
    row = next(r for r in report.worked_example() if r.quantity == "dE_total/dw5")
    assert " ".join(row.note.split()) in " ".join(out.split())


def test_html_with_check_is_one_line_and_status_2(capsys, tmp_path):
    mine = tmp_path / "mine.json"
    mine.write_text('{"net_h1": 0.3775}')
    status, out, err = run_main(capsys, "--check", str(mine), "--format", "html")
    assert status == 2 and out == "" and err.count("\n") == 1 and "--format html: not with --check" in err

"""Each row of the worked example names the right things: its formula, in the slides' notation,
built here from the slides' picture alone (which weight leaves which unit and enters which,
tests/learner.SLOT) and the chain rule's pattern, and the same formula in every format."""
import dataclasses
import json

import pytest

from torch_bp.cli import explain
from torch_bp.explain import report_render
from torch_bp.explain.report import worked_example

from learner import NAMES, SLOT

BIAS = {"h": "b1", "o": "b2"}


def source(x: str) -> str:
    return x if x.startswith("i") else f"out_{x}"


def expected_formulas() -> dict[str, str]:
    f = {}
    for unit in ("h1", "h2", "o1", "o2"):
        ws = sorted(w for w, (into, _) in SLOT.items() if into == unit)
        f[f"net_{unit}"] = f"net_{unit} = " + " + ".join(f"{w}·{source(SLOT[w][1])}" for w in ws) + f" + {BIAS[unit[0]]}"
        f[f"out_{unit}"] = f"out_{unit} = σ(net_{unit})" + (" = 1/(1 + e^(−net_h1))" if unit == "h1" else "")
    for k in ("o1", "o2"):
        f[f"E_{k}"] = f"E_{k} = ½(target_{k} − out_{k})²"
    f["E_total"] = "E_total = E_o1 + E_o2"
    f["dE_total/dout_o1"] = "∂E_total/∂out_o1 = −(target_o1 − out_o1)"
    for u in ("o1", "h1"):
        f[f"dout_{u}/dnet_{u}"] = f"∂out_{u}/∂net_{u} = out_{u}(1 − out_{u})"
    f["dnet_o1/dw5"], f["dnet_h1/dw1"] = "∂net_o1/∂w5 = out_h1", "∂net_h1/∂w1 = i1"
    for w, (into, _) in SLOT.items():  # the path through the unit the weight ENTERS
        f[f"dE_total/d{w}"] = f"∂E_total/∂{w} = ∂E_total/∂out_{into} · ∂out_{into}/∂net_{into} · ∂net_{into}/∂{w}"
        f[f"{w}+"] = f"{w}+ = {w} − η·∂E_total/∂{w}"
    f["dE_total/db2"] = "∂E_total/∂b2 = Σ_k ∂E_total/∂out_ok · ∂out_ok/∂net_ok"
    f["dE_total/db1"] = "∂E_total/∂b1 = Σ_j ∂E_total/∂out_hj · ∂out_hj/∂net_hj"
    for k in ("o1", "o2"):  # h1's error reaches it through each output unit
        f[f"dE_{k}/dout_h1"] = f"∂E_{k}/∂out_h1 = ∂E_{k}/∂out_{k} · ∂out_{k}/∂net_{k} · ∂net_{k}/∂out_h1"
    f["dE_total/dout_h1"] = "∂E_total/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1"
    return f


def test_every_rows_formula_in_the_slides_notation():
    rows = {r.quantity: r.formula for r in worked_example(rounds=(), printed=False)}
    assert list(rows) == NAMES
    expected = expected_formulas()
    assert {q: rows[q] for q in NAMES} == {q: expected[q] for q in NAMES}


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_every_format_shows_every_formula(fmt, capsys):
    assert explain.main(["--format", fmt]) == 0
    out = capsys.readouterr().out
    formulas = expected_formulas()
    if fmt == "json":
        rows = {r["quantity"]: r["formula"] for r in json.loads(out) if r.get("formula")}
        assert all(rows[q] == formulas[q] for q in NAMES)
    else:
        missing = [q for q in NAMES if formulas[q] not in out and formulas[q].replace("|", "\\|") not in out]
        assert not missing, missing


@pytest.mark.parametrize("filled_in", [(), ("printed",), ("verdict",), ("source",), ("note",),
                                       ("printed", "verdict", "source", "note")])
def test_markdown_shows_a_column_when_any_row_fills_it(filled_in):
    """A column stays when one row (here the last) fills it, and goes when none does; the table
    keeps the order quantity, computed, printed, verdict, source, note."""
    rows = worked_example(printed=False)[:3]
    values = {"printed": "0.5", "verdict": "agrees", "source": "slides 14", "note": "n"}
    rows[-1] = dataclasses.replace(rows[-1], **{column: values[column] for column in filled_in})
    table = [line for line in report_render.to_markdown(rows).splitlines() if line.startswith("|")]
    order = [c for c in ("printed", "verdict", "source", "note") if c in filled_in]
    assert table[0] == "| quantity = formula | computed |" + "".join(f" {c} |" for c in order)
    assert len({line.count("|") for line in table}) == 1
    assert table[-1].endswith("|" + "".join({"printed": " `0.5` |", "verdict": " agrees |", "source": " slides 14 |",
                                             "note": " n |"}[c] for c in order))

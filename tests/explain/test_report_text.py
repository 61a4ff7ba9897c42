"""Each row of the worked example names the right things: its formula, in the slides' notation,
built here from the slides' picture alone (which weight leaves which unit and enters which,
tests/learner.SLOT) and the chain rule's pattern, and the same formula in every format."""
import dataclasses
import json
import re

import pytest
import torch

from torch_bp.cli import explain
from torch_bp.core.deck import DECK_INPUTS, DECK_LR, DECK_TARGETS
from torch_bp.core.model import BackpropNet
from torch_bp.explain import report_render
from torch_bp.explain.report import Row, worked_example
from torch_bp.explain.report_rounds import SEQUENTIAL, STANDARD, after_one_update, deck_sequential_weights, history

from learner import NAMES, SLOT, learner
from tolerances import EXACT_ISH

APPROX = dict(rel=EXACT_ISH["rtol"], abs=EXACT_ISH["atol"])

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


# --- What a reader sees of the text, markdown and JSON reports ------------------------------------

WIDTH = 80  # the text report fits a terminal
TITLES = ("computed", "printed", "verdict", "source")


def synthetic_rows() -> list[Row]:
    """The deck's report with a row of every shape added: nothing printed, a note without a
    source, an article figure without a note, a slides source, and '|' in the formula and note."""
    rows = worked_example(rounds=(1,))
    extra = [Row("Extra", "a", "a = |x|", -1.5), Row("Extra", "b", "b = 1", 1.0, note="a note | with a bar"),
             Row("Extra", "c", "c = 2", 2.0, "2.0", "article (Some Section)", "agrees"),
             Row("Extra", "d", "d = 3", 3.0, "3", "slides 7-8 (A Title)", "agrees", "n")]
    return rows + extra


def short_source(row: Row) -> str:
    return (row.source or "").split(" (")[0]


def expected_note(row: Row) -> str:
    """What the reader gets below a row: the note, with an article's section in front of it."""
    if row.source and row.source.startswith("article ("):
        where = "article, " + row.source[len("article ("):-1]
        return f"{where}: {row.note}" if row.note else where
    return row.note


def text_blocks(rows: list[Row], text: str):
    """Each row with its value line and its note lines, found by the row's formula line."""
    lines, i = text.splitlines(), 3
    for row in rows:
        i = lines.index(f"  {row.formula}", i)
        j = i + 2
        while j < len(lines) and lines[j].startswith("      "):
            j += 1
        yield row, lines[i + 1], lines[i + 2:j]
        i = j


def test_text_columns_line_up_under_their_headers():
    """Each row's computed value ends where "computed" ends (right-aligned) and its printed
    value, verdict and short source start where their headers start."""
    rows = synthetic_rows()
    text = report_render.to_text(rows)
    header = text.splitlines()[1]
    end = header.index("computed") + len("computed")
    start = {k: header.index(k) for k in TITLES[1:]}
    assert header[:end].strip() == "computed" and end < start["printed"] < start["verdict"] < start["source"]
    for row, values, _ in text_blocks(rows, text):
        expected = [f"{row.computed:.12f}", row.printed or "", row.verdict or "", short_source(row)]
        got = [values[:end].strip(), values[end:start["verdict"]].strip(),
               values[start["verdict"]:start["source"]].strip(), values[start["source"]:].strip()]
        assert got == expected, (values, header)
        assert values[:end].endswith(expected[0])
        for k, cell in zip(TITLES[1:], expected[1:]):
            assert not cell or values[start[k]:].startswith(cell), (k, values, header)


def test_text_notes_sit_below_their_row_indented_six_and_whole():
    """A note (an article's section in front) wraps below its row, every line indented six
    spaces; joined again it is the note; a row without one gets no line."""
    rows = synthetic_rows()
    for row, _, note_lines in text_blocks(rows, report_render.to_text(rows)):
        assert all(line[:6] == " " * 6 and line[6] != " " for line in note_lines), note_lines
        assert " ".join(line[6:] for line in note_lines) == expected_note(row)


def test_text_fits_80_columns_with_sections_set_apart():
    """No line is wider than a terminal, the rule under the header spans it, every section
    title has an empty line above it, and the report ends with one newline."""
    rows = synthetic_rows()
    text = report_render.to_text(rows)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    assert lines[2] == "-" * WIDTH
    for section in dict.fromkeys(r.section for r in rows):
        assert lines[lines.index(section) - 1] == ""
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_long_notes_wrap_greedily_never_inside_a_word():
    """Lines fill up to 80 columns; a hyphenated word, a long number and a word that would end
    at column 81 each move whole to the next line."""
    number = "9" * 90
    note = " ".join(["x" * 36, "y" * 38, "z" * 60, "agrees-truncated", number, "end"])
    row = dataclasses.replace(worked_example(rounds=())[0], note=note)
    note_lines = next(text_blocks([row], report_render.to_text([row])))[2]
    assert " ".join(line[6:] for line in note_lines) == note
    assert [line[6:] for line in note_lines] == ["x" * 36, "y" * 38, "z" * 60, "agrees-truncated", number, "end"]
    assert all(len(line) <= WIDTH for line in note_lines if number not in line)


def markdown_cells(line: str) -> list[str]:
    """The cells of a markdown table row: split at the bars that are not escaped, unescaped."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_markdown_cells_read_as_written_with_bars_escaped():
    """Every table row has as many cells as its header; a '|' in a formula or note is escaped,
    so each cell reads back as the row's own text; a row with nothing printed has an empty cell."""
    rows = synthetic_rows()[-4:]
    table = [line for line in report_render.to_markdown(rows).splitlines() if line.startswith("|")]
    header = markdown_cells(table[0])
    assert header == ["quantity = formula", "computed", "printed", "verdict", "source", "note"]
    for row, line in zip(rows, table[2:], strict=True):
        cells = dict(zip(header, markdown_cells(line), strict=True))
        assert cells == {"quantity = formula": row.formula, "computed": f"{row.computed:.12f}",
                         "printed": f"`{row.printed}`" if row.printed else "", "verdict": row.verdict or "",
                         "source": row.source or "", "note": row.note}


def test_json_is_indented_two_spaces_and_keeps_the_symbols():
    """A list of objects, each indented 2 spaces and its fields 4; ∂, η and σ as written."""
    rows = worked_example(rounds=(1,))
    text = report_render.to_json(rows)
    assert json.loads(text) == [dataclasses.asdict(r) for r in rows]
    lines = text.splitlines()
    assert lines[0] == "[" and lines[1] == "  {" and lines[2].startswith('    "section": ')
    assert all((len(line) - len(line.lstrip(" "))) in (0, 2, 4) for line in lines)
    assert "∂E_total/∂w5" in text and "η" in text and "σ(net_h1)" in text and "\\u" not in text


# --- The update rules behind the training rows and the article's figures --------------------------

def test_no_rounds_asked_is_an_empty_history():
    """No training rows asked for: an empty history (no rounds), by either rule."""
    for rule in (STANDARD, SEQUENTIAL):
        assert history(BackpropNet(), DECK_INPUTS, DECK_TARGETS, DECK_LR, (), rule) == {}


def test_sequential_weights_are_the_learner_working_through_the_updated_weights():
    """w1+..w8+ by the article's sequential rule are the slides' formulas with the hidden deltas
    taken through the updated w5..w8 (tests/learner.py); its w5+..w8+ are the standard rule's."""
    s = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55,
         "b1": 0.35, "b2": 0.60, "i1": 0.05, "i2": 0.10, "target_o1": 0.01, "target_o2": 0.99, "lr": 0.5}  # the slides'
    sequential, standard = learner(s, "sequential-update"), learner(s)
    got = deck_sequential_weights()
    assert got == pytest.approx([sequential[f"w{k}+"] for k in range(1, 9)], **APPROX)
    assert got[4:] == pytest.approx([standard[f"w{k}+"] for k in range(5, 9)], **APPROX)


def test_sequential_rule_on_a_batch_sums_each_rows_hidden_delta_times_its_inputs():
    """The sequential rule on a batch of two different rows, written out again: W2 first, then
    delta_h through the updated W2, then W1 ← W1 − η Σ_b delta_h[b]ᵀ i[b] (E averaged over rows)."""
    x = torch.tensor([[0.05, 0.10], [0.9, -0.3]], dtype=torch.float64)
    t = torch.tensor([[0.01, 0.99], [0.7, 0.2]], dtype=torch.float64)
    model, lr = BackpropNet(), 0.5
    (W1, b1), (W2, b2) = ((layer.weight.detach(), layer.bias.detach()) for layer in model.layers)
    out_h = torch.sigmoid(x @ W1.T + b1)
    out_o = torch.sigmoid(out_h @ W2.T + b2)
    delta_o = -(t - out_o) * out_o * (1 - out_o) / len(x)
    W2_new = W2 - lr * sum(torch.outer(delta_o[b], out_h[b]) for b in range(len(x)))
    delta_h = (delta_o @ W2_new) * out_h * (1 - out_h)
    W1_new = W1 - lr * sum(torch.outer(delta_h[b], x[b]) for b in range(len(x)))
    after = after_one_update(model, x, t, lr, SEQUENTIAL)
    assert torch.allclose(after.layers[1].weight, W2_new, **EXACT_ISH)
    assert torch.allclose(after.layers[0].weight, W1_new, **EXACT_ISH)

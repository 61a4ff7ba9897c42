"""torch_bp.explain.report's rules as a reader meets them: the section titles, the refusals of
worked_example, the deck's arithmetic redone on its printed numbers, the digit slips looked for,
and the article's one-step weights by the sequential rule.

Expectations come from the slides' formulas on the slides' printed numbers (math.exp, plain
floats), the README's reader-facing headings, docs/faults-and-signals.md's bound, and the
learner's own working (tests/learner.py), not from the code under test."""
import math
import re
from decimal import Decimal
from pathlib import Path

import pytest

from torch_bp.core.deck import DECK_PRINTED
from torch_bp.explain import report, report_render

from learner import DECK_SETTING, learner

ROOT = Path(__file__).resolve().parents[2]
SEED = {**DECK_SETTING, "lr": 0.5}


@pytest.fixture(scope="module")
def rows():
    return report.worked_example()  # the deck's report, as scripts/explain.py prints it


def slides(rows) -> dict:
    return {r.quantity: r for r in rows if r.source and r.source.startswith("slides")}


# --- Section titles ------------------------------------------------------------------------------

def test_text_report_sections_are_the_lessons_steps_in_order():
    """The text report's section titles, in order: the forward pass, the cost, then for the output
    layer and then the hidden layer its backward pass and its SGD step (the README's errata
    headings name the output layer's two; the hidden layer's read the same), then training."""
    readme_headings = re.findall(r"^### (.+)$", (ROOT / "README.md").read_text(), re.M)
    output_layer = ["Backward pass: output layer", "One SGD step: output layer"]
    assert set(output_layer) <= set(readme_headings)
    expected = ["Forward pass", "Cost", *output_layer, *(t.replace("output", "hidden") for t in output_layer),
                "Training"]
    lines = report_render.to_text(report.worked_example(rounds=(1,), printed=False)).splitlines()
    assert [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == ""] == expected


# --- Refusals ------------------------------------------------------------------------------------

class Computed(Exception):
    """Raised in place of computing any round: the refusal must come before."""


@pytest.fixture
def no_rounds(monkeypatch):
    def history(*args, **kwargs):
        raise Computed

    monkeypatch.setattr(report, "history", history)


@pytest.mark.parametrize("inputs, targets", [([0.05, 0.1, 0.2], [0.01, 0.99]), ([0.05, 0.1], [0.01]),
                                             ([[0.05], [0.1], [0.3]], [0.01, 0.99, 0.5])])
def test_inputs_or_targets_not_two_numbers_are_a_clear_value_error(no_rounds, inputs, targets):
    """Either of inputs and targets not 2 numbers: a ValueError that says so, before any work."""
    with pytest.raises(ValueError, match="inputs and targets must be 2 numbers each"):
        report.worked_example(inputs=inputs, targets=targets, printed=False)


@pytest.mark.parametrize("rounds", [(100_001,), (1, 100_008), (100_008, 1), (5, 100_001, 3)])
def test_a_round_past_100000_is_refused_up_front(no_rounds, rounds):
    """Any round past 100,000, wherever it sits among the rounds asked, is refused with a
    ValueError naming it and the bound (docs/faults-and-signals.md), before a round is computed."""
    with pytest.raises(ValueError, match=rf"{max(rounds):,} is past the last round the report computes, 100,000"):
        report.worked_example(rounds=rounds, printed=False)


@pytest.mark.parametrize("rounds", [(100_000,), (100_000, 8, 1)])
def test_round_100000_itself_is_computed(no_rounds, rounds):
    """Round 100,000 is the last the report computes: not refused."""
    with pytest.raises(Computed):
        report.worked_example(rounds=rounds, printed=False)


def test_round_1_of_training_is_the_untrained_networks_error():
    """The training rows count as the deck does: round 1's E_total is the untrained network's,
    the Cost section's E_total (here off the deck's setting, printed=False, and for other inputs)."""
    for inputs in ([0.05, 0.10], [1.0, -1.0]):
        got = {r.quantity: r.computed for r in report.worked_example(inputs=inputs, rounds=(1,), printed=False)}
        assert got["E_total at round 1"] == got["E_total"]


# --- The deck's arithmetic on its printed numbers ---------------------------------------------------

def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_cut_off_lines_give_the_rounded_value(rows):
    """A line that only agrees cut off says so and gives the value rounded: one unit in the last
    printed place above the printed text (the slides' out_o1, out_o2 and ∂E_total/∂out_o1)."""
    cut = {q: r for q, r in slides(rows).items() if r.verdict == "agrees-truncated"}
    assert set(cut) == {"out_o1", "out_o2", "dE_total/dout_o1"}
    for q, row in cut.items():
        printed = Decimal(row.printed)
        rounded = printed + Decimal(1).scaleb(printed.as_tuple().exponent)
        assert row.note.startswith(f"cut off; rounded it is {rounded}"), (q, row.note)


@pytest.mark.parametrize("quantity, formula, used, value", [
    ("out_o1", "σ(net_o1)", "net_o1", lambda p: sigma(p["net_o1"])),
    ("out_o2", "σ(net_o2)", "net_o2", lambda p: sigma(p["net_o2"])),
    ("dE_total/dout_o1", "−(target_o1 − out_o1)", "out_o1", lambda p: -(SEED["target_o1"] - p["out_o1"])),
])
def test_cut_off_lines_could_be_carried_over_from_the_printed_inputs(rows, quantity, formula, used, value):
    """The slide's formula on the slide's printed inputs (float64, 7 decimals) agrees with the
    printed text: the note offers it as the other cause."""
    printed = {q: float(text) for q, (text, _) in DECK_PRINTED.items()}
    x = value(printed)
    assert report.verdict(x, DECK_PRINTED[quantity][0]) != "differs"
    deck = slides(rows)
    expected = (f"or carried over: {formula} with the deck's printed {used} = {DECK_PRINTED[used][0]} "
                f"({deck[used].verdict}) gives {x:.7f}")
    assert expected in deck[quantity].note, deck[quantity].note


# --- Digit slips ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, slips", [
    ("0.082167", ["0.802167", "0.028167", "0.081267", "0.082617", "0.082176"]),  # the last pair too
    ("1.2334", ["1.3234", "1.2343"]),       # equal digits are no slip
    ("-0.12", ["-0.21"]),                   # nor a swap with the point or the sign
    ("12", ["21"]),
    ("7", []),
])
def test_transpositions_swap_every_adjacent_pair_of_different_digits(text, slips):
    """Every slip of two adjacent, different digits, left to right; never the point or the sign."""
    assert list(report.transpositions(text)) == slips


# --- The article's one-step weights ----------------------------------------------------------------

def test_article_weights_note_the_sequential_rules_value_of_the_same_weight(rows):
    """Each article w+ row gives the sequential rule's value of that same weight after one update
    (the learner's working through the updated w5..w8): w5+..w8+ are the standard rule's, so they
    agree with the article; w1+..w4+ do not."""
    sequential = learner(SEED, "sequential-update")
    article = {r.quantity: r for r in rows if r.source and r.source.startswith("article") and r.quantity[0] == "w"}
    assert sorted(article) == [f"w{k}+" for k in range(1, 9)]
    for q, row in article.items():
        m = re.fullmatch(r"the sequential rule after 1 update gives (\S+) \(([a-z-]+)\)", row.note)
        assert m, row.note
        assert float(m[1]) == pytest.approx(sequential[q], abs=10 ** -(len(m[1]) - 2))
        assert m[2] == ("agrees" if q in ("w5+", "w6+", "w7+", "w8+") else "differs"), row.note

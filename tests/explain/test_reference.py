"""The 50-digit reference (torch_bp.explain.reference, mpmath): checked against plain float64 code
and against itself at 110 digits; every printed number of the slides judged by it; explain's
verdicts and torch_bp's float64 values measured against it."""
import json
from decimal import Decimal

import mpmath
import pytest
from oracles import deck_code, deck_training
from tolerances import EXACT_ISH, TRAJECTORY

from torch_bp.cli import explain
from torch_bp.core.deck import DECK_ERROR_TABLE, DECK_INPUTS, DECK_LR, DECK_PRINTED, DECK_TARGETS, DECK_WEIGHTS
from torch_bp.explain import reference, reference_rounds, report
from torch_bp.explain.reference_report import (EXPLAIN_VERDICT, float64_training, printed_digits,
                                               reference_rows, ulps)

# What the slides' printed digits are, where they are not the correctly rounded exact value. Each
# can be checked by hand from the exact values (printed by `explain.py --reference`):
NOT_ROUNDED = {
    "out_o1": ("truncation", ""),            # 0.7513650695…: rounded 0.75137, printed 0.75136
    "out_o2": ("truncation", ""),            # 0.7729284653…: rounded 0.77293, printed 0.77292
    "dE_total/dout_o1": ("truncation", ""),  # 0.7413650695…: rounded 0.74137, printed 0.74136
    "E_o2": ("wrong", "decimal 6: printed 2, exact 0"),          # 0.0235600255…, printed 0.023562
    "dE_total/dw5": ("wrong", "decimal 3: printed 1, exact 2"),  # 0.0821670405…, printed 0.081267
    "w5+ (slide 31)": ("wrong", "decimal 3: printed 9, exact 8"),  # 0.3589164797…, printed 0.35937
}


def exact_printed() -> dict[str, tuple[str, object]]:
    """printed key -> (the slide's text, the exact value)."""
    q, rounds = reference.round_one(), reference_rounds.training()
    out = {key: (text, q[key.split(" (")[0]]) for key, (text, _) in DECK_PRINTED.items()}
    out.update({f"E_total at round {r}": (text, rounds[r]["E_total"]) for r, text in DECK_ERROR_TABLE.items()})
    return out


def test_reference_transcribes_the_decks_numbers():
    """The reference's own copy of the slides' numbers is torch_bp's (as float64)."""
    assert [float(w) for w in reference.W] == [*sum(DECK_WEIGHTS["layers.0.weight"], []),
                                               *sum(DECK_WEIGHTS["layers.1.weight"], [])]
    assert (float(reference.B1), float(reference.B2)) == (DECK_WEIGHTS["layers.0.bias"], DECK_WEIGHTS["layers.1.bias"])
    data = [*DECK_INPUTS[0].tolist(), *DECK_TARGETS[0].tolist()]
    assert [float(x) for x in (*reference.I, *reference.TARGET)] == data
    assert float(reference.ETA) == DECK_LR


def test_round_one_equals_the_decks_code_in_float64():
    """An independent float64 transcription (the deck's MATLAB loop) agrees to a few ulps."""
    E, (E1, E2), Ew, Eb1, Eb2 = deck_code([float(w) for w in reference.W], 0.35, 0.60, 0.05, 0.10, 0.01, 0.99)
    q = reference.round_one()
    got = [q["E_total"], q["E_o1"], q["E_o2"], *(q[f"dE_total/dw{k}"] for k in range(1, 9)), q["dE_total/db1"],
           q["dE_total/db2"]]
    for x, want in zip(got, [E, E1, E2, *Ew, Eb1, Eb2]):
        assert abs(float(x) - want) <= EXACT_ISH["rtol"] * abs(want)


def test_round_one_is_right_to_50_digits(monkeypatch):
    """The same formulas at 110 digits agree to far beyond the 50 reported."""
    q = reference.round_one()
    monkeypatch.setattr(reference.MP, "dps", 110)
    fine = reference.round_one.__wrapped__()
    for name, x in q.items():
        assert abs(x - fine[name]) <= mpmath.mpf(10) ** -(reference.DIGITS + 5) * abs(fine[name]), name


def test_integer_rounds_equal_mpmath_rounds():
    """reference_rounds' fixed-point loop against reference.sgd_round in mpmath, 300 rounds."""
    state = reference.deck_numbers()
    w, rest = state[0], state[1:]
    fixed = reference_rounds.training((1, 2, 300))
    for r in range(1, 301):
        q, w_next = reference.sgd_round(w, *rest)
        if r in fixed:
            for name, x in fixed[r].items():
                want = q[name] if name in q else w[int(name[1:]) - 1]
                assert abs(x - want) <= mpmath.mpf(10) ** -(reference.DIGITS + 5) * abs(want), (r, name)
        w = w_next


def test_error_table_rounds_equal_float64_code():
    exact = reference_rounds.training()
    E = deck_training(max(DECK_ERROR_TABLE))
    for r in DECK_ERROR_TABLE:
        assert abs(float(exact[r]["E_total"]) - E[r - 1]) <= TRAJECTORY["rtol"] * E[r - 1], r


@pytest.mark.parametrize("exact, printed, kind, note", [
    ("0.1234567", "0.12346", "rounding", ""),
    ("0.1234567", "0.12345", "truncation", "correctly rounded: 0.12346"),
    ("0.1234567", "0.12355", "wrong", "decimal 4: printed 5, exact 4 (correctly rounded: 0.12346)"),
    ("-0.0226025404", "-0.022603", "rounding", ""),
    ("-0.0226025404", "-0.022602", "truncation", "correctly rounded: -0.022603"),
    ("0.000438567", "0.000439", "rounding", ""),
    ("1.10590596", "1.1059", "rounding", ""),
])
def test_printed_digits(exact, printed, kind, note):
    assert printed_digits(reference.MP.mpf(exact), printed) == (kind, note)


def test_ulps():
    assert ulps(0.1, reference.MP.mpf("0.1")) == pytest.approx(0.4, abs=0.001)  # 0.1 is 0.1000000000000000055…
    assert ulps(0.5, reference.MP.mpf("0.5")) == 0


@pytest.mark.parametrize("key", [*DECK_PRINTED, *(f"E_total at round {r}" for r in DECK_ERROR_TABLE)])
def test_every_printed_number_of_the_slides(key):
    text, exact = exact_printed()[key]
    kind, note = printed_digits(exact, text)
    want_kind, want_note = NOT_ROUNDED.get(key, ("rounding", ""))
    assert kind == want_kind, (key, text, reference.text(exact, 12))
    assert note.startswith(want_note), note


def test_explain_verdicts_agree_with_50_digits():
    """explain's verdict on each printed number (from torch_bp's float64) is the 50-digit one."""
    exact = exact_printed()
    slides = [r for r in report.worked_example() if r.verdict and r.source.startswith("slides")]
    assert {r.quantity for r in slides} == set(exact)
    for row in slides:
        text, x = exact[row.quantity]
        assert row.printed == text
        assert row.verdict == EXPLAIN_VERDICT[printed_digits(x, text)[0]], row.quantity


def test_float64_after_10000_rounds():
    """torch_bp's float64 SGD, 10,000 rounds of the deck: E_total within 1e-13 relative of the exact."""
    exact, ours = reference_rounds.training()[10_000], float64_training()[10_000]
    for name, x in exact.items():
        assert abs(ours[name] - float(x)) <= 1e-13 * abs(float(x)), name


def run_reference(capsys, fmt: str) -> str:
    assert explain.main(["--reference", "--format", fmt]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_cli_reference_json_is_strict(capsys):
    def no_constants(name):
        raise ValueError(f"not JSON: {name}")
    data = json.loads(run_reference(capsys, "json"), parse_constant=no_constants)
    s = data["summary"]
    assert (s["printed"], s["rounding"], s["truncation"], s["wrong"]) == (44, 38, 3, 3)
    assert s["round_1_max_ulps"] < 4  # measured 3.24 (E_o2)
    rows = {r["quantity"]: r for r in data["rows"]}
    assert rows["dE_total/dw5"]["digits"] == "wrong" and rows["dE_total/dw5"]["exact"].startswith("0.08216704056423")
    assert len(rows["E_total"]["exact"].replace("0.", "", 1)) == reference.DIGITS
    assert rows == {r.quantity: r.__dict__ for r in reference_rows()}


@pytest.mark.parametrize("fmt, says", [("text", "wrong; decimal 3: printed 1, exact 2"),
                                       ("markdown", "### E_total at the error table's rounds")])
def test_cli_reference_text_and_markdown(capsys, fmt, says):
    out = run_reference(capsys, fmt)
    assert says in out and "38 correct roundings, 3 truncations, 3 wrong" in out


MPF = reference.MP.mpf


@pytest.mark.parametrize("x, fixed", [(MPF(1) / 4, "0.2500000000"), (MPF(3) / 10**7, "0.0000003000000000"),
                                      (MPF(-2) / 3, "-0.6666666667"), (MPF(10)**20 / 7, "14285714290000000000.")])
def test_text_keeps_every_digit_asked_in_fixed_notation(x, fixed):
    """What `--reference` prints: 10 significant digits asked, 10 shown, trailing zeros kept,
    never an exponent, however small or large (the expected texts are x rounded by hand)."""
    assert reference.text(x, 10) == fixed


def test_every_exact_value_is_given_to_50_significant_digits():
    """The issue and the docs promise 50 digits: every row's exact value shows exactly 50."""
    assert {len(Decimal(r.exact).as_tuple().digits) for r in reference_rows()} == {50}

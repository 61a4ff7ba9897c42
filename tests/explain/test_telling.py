"""telling.py's verdict on what the check can tell apart, on small workings made here.

The sheets are made by hand so that every expected verdict follows from the module's three
conditions by arithmetic done in the docstrings: at 4 significant digits a value between 1000
and 9999 has units of exactly 1, so each boundary (one unit, MARGIN = 5 units, SLIP_REACH = 4
units) is hit in exact float arithmetic. The catalogued workings are checked against
tests/learner.py, the slides' formulas transcribed independently of check_working.
"""
import dataclasses
import math

import pytest

from torch_bp.explain.check import quantities
from torch_bp.explain.check_working import NONE, Step
from torch_bp.explain.telling import WEIGHTS, Variant, first_wrong, off_at, unit, variants, why_not_told_apart

from learner import DECK_SETTING, FORMULA_MISTAKES, NAMES, learner
from tolerances import EXACT_ISH

Q = quantities()  # the sheet's order
# Every w+ = 1000 with ∂E/∂w = 1000 and η = 0.5: another η keeps seven w+ within a unit only
# within ±0.001 of 0.5, which moves the eighth by 1 unit (< SLIP_REACH): condition 3 holds.
SHEET_SETTING = {"x": 1000.0, "η": 0.5, **{w: 1500.0 for w in WEIGHTS}}
DECK = {**DECK_SETTING, "η": 0.5}


def sheet(mistake=NONE, changed=(), steps=(), label=None) -> Variant:
    """A working whose every value is 1000 but those in `changed`."""
    return Variant(mistake, label or mistake, tuple(steps), SHEET_SETTING, {q: 1000.0 for q in Q} | dict(changed))


def chain(*links) -> tuple[Step, ...]:
    """Steps Q[0] = x, then Q[k] = (the quantity it reads) + add, for (k, reads, add) in links."""
    return (Step(Q[0], ("x",), lambda x: x),
            *(Step(Q[k], (Q[r],), lambda y, a=add: y + a) for k, r, add in links))


def test_variants_are_the_catalogued_workings():
    """variants() gives the true working, each formula mistake (one-path-only through o1's error
    and through each unit's own) and each wrong η, labelled as such, with the values of an
    independent transcription of the slides' formulas."""
    s = {**DECK, "η": 0.25, "lr": 0.25}
    want = {NONE: learner(s), "one-path-only (o1)": learner(s, "one-path-only", "o1"),
            "one-path-only (own)": learner(s, "one-path-only", "own"),
            "learning-rate η = 0.5": learner(s, lr=0.5), "learning-rate η = 0.75": learner(s, lr=0.75),
            **{m: learner(s, m) for m in FORMULA_MISTAKES if m != "one-path-only"}}
    found = variants({k: v for k, v in s.items() if k != "lr"}, (0.5, 0.75))
    assert found[0].label == NONE and sorted(v.label for v in found) == sorted(want)
    for v in found:
        assert v.label.startswith(v.mistake), v.label
        assert all(math.isclose(v.values[q], want[v.label][q], rel_tol=EXACT_ISH["rtol"], abs_tol=EXACT_ISH["atol"])
                   for q in NAMES), v.label
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].label = "changed"


def test_a_unit_is_one_in_the_last_digit_written():
    """0.3775 has units of 0.0001 at 4 digits (the module's example), 1005 units of 1, -0.03775 at
    3 digits ("-0.0378") units of 0.0001; zero gets the unit of the sheet's size of values, (0.1, 1)."""
    assert math.isclose(unit(0.3775, 4), 1e-4, rel_tol=1e-12) and unit(1005.0, 4) == 1.0
    assert math.isclose(unit(-0.03775, 3), 1e-4, rel_tol=1e-12)
    assert all(unit(0.0, d) == unit(0.5, d) > 0 for d in (3, 4, 6))


def test_first_wrong_passes_over_float_rounding_only():
    """A value that differs by float rounding (a relative 1e-12, or 1e-13 where the true value is
    0) is not wrong; the first value off by more is."""
    true = sheet(changed={Q[5]: 0.0})
    assert first_wrong(sheet(changed={Q[5]: 1e-13, Q[2]: 1000 * (1 + 1e-12)}), true) is None
    assert first_wrong(sheet(changed={Q[5]: 1e-13, Q[7]: 1e-4}), true) == Q[7]


def test_a_mistake_must_move_its_first_wrong_number_by_five_units_of_the_coarser_one():
    """Condition 1: 4 units is too close, exactly 5 is apart; near a power of ten the units are
    those of the coarser of the two numbers (1001 and 998.0 are 3 units of 1001 apart). The reason
    names the first wrong quantity, if there is one."""
    why = lambda mistake: why_not_told_apart([sheet(), mistake], 4)  # noqa: E731
    assert why(sheet("no-half")) == "no-half does not change a value by 5 units"
    assert why(sheet("no-half", {Q[3]: 1004.0})) == f"no-half does not change a value by 5 units (first at {Q[3]})"
    assert "does not change" not in why(sheet("no-half", {Q[3]: 1005.0}))
    close = why_not_told_apart([sheet(changed={Q[3]: 1001.0}), sheet("no-half", {Q[3]: 998.0})], 4)
    assert close == f"no-half does not change a value by 5 units (first at {Q[3]})"


def test_two_mistakes_with_the_same_first_wrong_number_are_refused():
    """Condition 1: two mistakes first wrong at the same quantity, less than 5 units apart there,
    cannot be told apart; at different quantities the same number is no clash."""
    a, b = sheet("no-half", {Q[3]: 1010.0}), sheet("update-sign", {Q[3]: 1012.0})
    assert why_not_told_apart([sheet(), a, b], 4) == f"no-half and update-sign give the same first wrong number, {Q[3]}"
    other = sheet("update-sign", {Q[4]: 1010.0})
    assert "same first wrong number" not in why_not_told_apart([sheet(), a, other], 4)


def test_a_mistake_off_at_one_value_could_be_a_digit_slip():
    """Condition 2. Q1 = x + 10, Q2 = Q1 against the true Q1 = Q2 = x: the mistake's formulas on
    the true numbers are off at Q1 only (its Q2 = Q1 agrees), so it is refused; with the true
    Q2 = Q1 as well the true formulas on its numbers are off at Q1 only; each off at two values
    (Q2 = x + 10 too) is told apart. The learning-rate mistake is held to condition 3 instead."""
    mistake = lambda m, *links: sheet(m, {Q[1]: 1010.0, Q[2]: 1010.0}, chain(*links))  # noqa: E731
    true_q2_from_q0, true_q2_from_q1 = sheet(steps=chain((1, 0, 0), (2, 0, 0))), sheet(steps=chain((1, 0, 0), (2, 1, 0)))
    one_off = mistake("no-half", (1, 0, 10), (2, 1, 0))
    assert (len(off_at(one_off, true_q2_from_q0, 4)), len(off_at(true_q2_from_q0, one_off, 4))) == (1, 2)
    assert why_not_told_apart([true_q2_from_q0, one_off], 4) == (
        "no-half's formulas are off at fewer than two true values: a digit slip could look like it")
    two_off = mistake("no-half", (1, 0, 10), (2, 0, 10))
    assert (len(off_at(two_off, true_q2_from_q1, 4)), len(off_at(true_q2_from_q1, two_off, 4))) == (2, 1)
    assert why_not_told_apart([true_q2_from_q1, two_off], 4) == (
        "the true formulas are off at fewer than two of no-half's values: it could look like a digit slip")
    assert why_not_told_apart([true_q2_from_q0, two_off], 4) is None
    assert why_not_told_apart([true_q2_from_q0, mistake("learning-rate", (1, 0, 10), (2, 1, 0))], 4) is None


def slipped(true: Variant, q: str, carried_on: bool) -> Variant:
    """The true working with q written with its 2nd and 3rd significant digits swapped (0.5933 ->
    0.5393); every later value true, or worked on from the slipped q (and the other values as
    on the sheet as written, to 4 digits, as a student works on)."""
    text = f"{true.values[q]:.4g}"
    digits = [k for k, c in enumerate(text) if c not in "-0."][1:3]
    slip = list(text)
    slip[digits[0]], slip[digits[1]] = slip[digits[1]], slip[digits[0]]
    values = dict(true.values)
    if carried_on:
        carried = dict(true.setting)
        for s in true.steps:
            worked = float("".join(slip)) if s.quantity == q else s.f(*(carried[x] for x in s.inputs))
            carried[s.quantity] = float(f"{worked:.4g}") if s.quantity in Q else worked
        values = {name: carried[name] for name in values}
    values[q] = float("".join(slip))
    return Variant("digit-slip", "slip", (), true.setting, values)


def test_the_true_working_is_off_at_a_digit_slip_only():
    """off_at: the true formulas, on a sheet with one slipped value (the rest right, or worked on
    from the slipped one), are off at that value only; on the true sheet, nowhere."""
    true = variants(DECK)[0]
    assert off_at(true, true, 4) == []
    for q in ("out_h1", "dE_total/dout_o1", "w5+"):
        assert off_at(true, slipped(true, q, carried_on=False), 4) == [q]
        assert off_at(true, slipped(true, q, carried_on=True), 4) == [q]


def test_a_value_one_unit_from_the_working_is_off():
    """off_at: rounding or cutting off moves a value by less than one unit, so a written value a
    unit from both a's own value and a's formula on the earlier written values is off."""
    a = lambda x, own: Variant(NONE, NONE, chain(), {"x": x}, {Q[0]: own})  # noqa: E731
    b = Variant(NONE, NONE, (), {}, {Q[0]: 1001.0})
    assert off_at(a(990.0, 1000.0), b, 4) == [Q[0]] and off_at(a(1000.0, 990.0), b, 4) == [Q[0]]
    assert off_at(a(1000.4, 1000.4), b, 4) == [] and off_at(a(1000.0, 1001.9), b, 4) == []


def lr_sheet(g: dict[str, float]) -> Variant:
    """A true working with every w+ = 3000 (units of 1), η = 0.5 and ∂E/∂w = g (0 if not given)."""
    g = {w: g.get(w, 0.0) for w in WEIGHTS}
    setting = {"η": 0.5, **{w: 3000.0 + 0.5 * g[w] for w in WEIGHTS}}
    values = {**{f"dE_total/d{w}": g[w] for w in WEIGHTS}, **{f"{w}+": 3000.0 for w in WEIGHTS}}
    return Variant(NONE, NONE, (), setting, values)


@pytest.mark.parametrize("g1, g2, refused", [(16.0, 4.0, True), (12.0, 4.0, False), (6.0, 1.0, True)])
def test_another_eta_that_keeps_seven_w_plus_and_slips_the_eighth_is_refused(g1, g2, refused):
    """Condition 3, with only ∂E/∂w1 and ∂E/∂w2 not 0. w2+ = 3000 stays within a unit for
    |η' - 0.5| ≤ 1/g2 (η' ≥ 0), which moves w1+ by up to g1 · (the farther end's distance):
    g2 = 4: η' in [0.25, 0.75], w1+ moves 4 units for g1 = 16 (refused), 3 for g1 = 12 (and w2+
    1/3 for η' within 1/12 of 0.5: told apart); g2 = 1: η' in [0, 1.5], w1+ moves 6 for g1 = 6."""
    why = why_not_told_apart([lr_sheet({"w1": g1, "w2": g2})], 4)
    assert why == ("another η keeps the other w+ right and moves w1+ like a digit slip" if refused else None)

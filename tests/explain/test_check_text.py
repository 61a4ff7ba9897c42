"""What a learner READS from `explain.py --check`: the rendered text of every kind of diagnosis
(all agree, one mistake, ambiguous with and without a quantity that tells the mistakes apart,
unknown), the exact η a learning-rate case reports, answers at the most digits a file may hold,
and true values that are not finite. The expected numbers come from tests/learner.py (the
slides' formulas written out again); the sentences from the diagnosis definitions in
docs/checking-your-working.md.
"""
import json
import math
import random
import re
import sys
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path

import pytest

from torch_bp.explain import check
from torch_bp.explain.check_render import to_json, to_markdown, to_text
from torch_bp.explain.check_working import MISTAKES

from learner import DECK_SETTING, FORMULA_MISTAKES, NAMES, learner, written

DECK = {**DECK_SETTING, "lr": 0.5}


def setting(s: dict) -> dict:
    """learner()'s setting as diagnose() takes it."""
    w = [s[f"w{k}"] for k in range(1, 9)]
    return dict(weights={"layers.0.weight": [w[0:2], w[2:4]], "layers.0.bias": s["b1"],
                         "layers.1.weight": [w[4:6], w[6:8]], "layers.1.bias": s["b2"]},
                inputs=[s["i1"], s["i2"]], targets=[s["target_o1"], s["target_o2"]], lr=s["lr"])


def diagnose(texts: dict, s: dict = DECK) -> check.Check:
    return check.diagnose(check.read_values(texts), **setting(s))


def decimals(text: str) -> int:
    return max(0, -Decimal(text).as_tuple().exponent)


def diagnosis_lines(check_: check.Check) -> list[str]:
    """The text report after its table: the diagnosis line and the explanation, unwrapped."""
    tail = to_text(check_).split("\n\n", 1)[1].splitlines()
    return [tail[0], " ".join(tail[1:])]


# --- Every kind of diagnosis, as text -------------------------------------------------------------

def test_every_value_right_reads_all_agree():
    texts = {q: written(x, 6, False) for q, x in learner(DECK).items()}
    found = diagnose(texts)
    assert diagnosis_lines(found) == [
        "diagnosis: none", "Every value you gave agrees with the true one at the precision you wrote."]
    assert [r.verdict for r in found.rows] == ["agrees"] * len(NAMES)


def test_all_agree_counts_the_truncated_and_the_carried():
    """out_o1 cut off to 0.7513 (agrees-truncated); 0.7513 carried on gives dE_total/dout_o1 =
    0.74130 at 5 decimals (rounding-carried); E_total rounded (agrees)."""
    found = diagnose({"out_o1": "0.7513", "dE_total/dout_o1": "0.74130", "E_total": "0.29837"})
    assert diagnosis_lines(found)[1] == ("Every value you gave agrees with the true one at the precision you wrote "
                                         "(1 agrees-truncated, 1 rounding-carried).")
    assert found.diagnosis.candidates == ["none"]


@pytest.mark.parametrize("mistake,first", [("no-half", "E_o1"), ("sign-of-error", "dE_total/dout_o1"),
                                           ("update-sign", "w5+")])
def test_one_mistake_reads_its_name_first_value_and_description(mistake, first):
    texts = {q: written(x, 5, False) for q, x in learner(DECK, mistake).items()}
    found = diagnose(texts)
    true = learner(DECK)[first]
    shown = f"{true:.{decimals(texts[first]) + 2}f}"
    assert diagnosis_lines(found) == [
        f"diagnosis: {mistake} at {first}",
        f"{first} is the first value that differs: yours {texts[first]}, true {shown}. "
        f"The mistake that fits every value you gave: {mistake}, {MISTAKES[mistake]}."]
    assert f"**Diagnosis:** `{mistake}` at `{first}`" in to_markdown(found)
    assert "(candidates:" not in to_markdown(found)


def test_ambiguous_names_both_and_the_quantity_that_tells_them_apart():
    """w5+ alone, made with the update-sign mistake: the sign-of-error mistake carried on gives
    it too. dE_total/dout_o1 (not given) is where the two differ."""
    texts = {"w5+": f"{learner(DECK, 'update-sign')['w5+']:.6f}"}
    found = diagnose(texts)
    digits = len(Decimal(texts["w5+"]).as_tuple().digits)
    a, b = (f"{learner(DECK, m)['dE_total/dout_o1']:.{max(4, digits)}g}" for m in ("sign-of-error", "update-sign"))
    line, explanation = diagnosis_lines(found)
    assert line == "diagnosis: sign-of-error or update-sign at w5+"
    assert "2 mistakes fit every value you gave: sign-of-error, " in explanation
    assert f"; update-sign, {MISTAKES['update-sign']}." in explanation
    assert explanation.endswith(f"Your dE_total/dout_o1 would tell them apart: sign-of-error gives {a}, "
                                f"update-sign gives {b}.")
    assert "None" not in explanation
    assert "(candidates: `sign-of-error`, `update-sign`)" in to_markdown(found)
    assert json.loads(to_json(found))["diagnosis"]["candidates"] == ["sign-of-error", "update-sign"]


def test_ambiguous_with_nothing_left_to_tell_them_apart():
    """Two mistakes that predict the same value for every quantity not given: said so in words
    (never a sentence ending in None). A quantity that differs but was given tells nothing new."""
    same = {q: 0.25 for q in NAMES}
    differs_where_given = {**same, "net_h1": 0.5}
    assert check._tells_apart({"a": same, "b": differs_where_given}, {"net_h1": "0.3775"}) == \
        "No other quantity tells them apart."
    differs_later = {**same, "E_total": 0.125}
    assert check._tells_apart({"a": same, "b": differs_later}, {"net_h1": "0.3775"}) == \
        "Your E_total would tell them apart: a gives 0.25, b gives 0.125."


def test_unknown_reads_the_step_to_redo():
    values = learner(DECK)
    texts = {"net_h1": written(values["net_h1"], 5, False), "out_h1": "0.60000"}
    found = diagnose(texts)
    line, explanation = diagnosis_lines(found)
    assert line == "diagnosis: unknown at out_h1"
    assert explanation.startswith(f"out_h1 is the first value that differs: yours 0.60000, true {values['out_h1']:.7f}. "
                                  "No catalogued mistake fits. Redo this step: ")
    assert json.loads(to_json(found))["diagnosis"]["candidates"] == []


# --- The learning rate: the exact η, whatever the sign of the updated weights ------------------------

ETAS = [float(f"{0.123456789:.{d}g}") for d in range(2, 10)]


@pytest.mark.parametrize("eta", ETAS + [12.5, 6.25])
def test_the_eta_reported_is_the_one_used(eta):
    """Every value worked with η = eta instead of the given 0.5, at 12 significant digits: the
    diagnosis names learning-rate with exactly that η, in the numbers and in the words. η = 12.5
    and 6.25 make w5+ and w7+ negative; w1 = w3 = 0 with i1 = 0 keeps w1+ = w3+ = 0 (a zero
    gradient says nothing about η)."""
    s = {**DECK, "i1": 0.0, "w1": 0.0, "w3": 0.0}
    values = learner(s, lr=eta)
    assert values["w1+"] == 0.0 and (eta < 1 or values["w5+"] < 0)
    found = diagnose({q: written(x, 12, False) for q, x in values.items()}, s)
    d = found.diagnosis
    assert (d.mistake, d.candidates, d.first_wrong, d.lr) == ("learning-rate", ["learning-rate"], "w5+", eta)
    assert f"η = {eta!r} fits, not the given 0.5" in d.explanation


@pytest.mark.parametrize("eta", [float(f"{m:.{d}g}") for d, m in zip(range(10, 16), (0.0123456789012345, 0.123456789012345,
                                                                                     1.23456789012345, 6.12345678901234,
                                                                                     12.3456789012345, 23.4567890123457))]
                         + [0.056678830992106])
def test_an_eta_of_up_to_15_digits_is_named_exactly(eta):
    """η of 10 to 15 significant digits, every value written as float64 writes it back (repr):
    the w+ pin η only to about float64's rounding of w − η·g, a range holding many numbers of
    15 digits, and the diagnosis names the one used, not the smallest of them. The last η is
    one step of its 15th digit above the middle of that range (found by a search over drawn η):
    the neighbours of the middle are offered too."""
    s = {**DECK, "i1": 0.0, "w1": 0.0, "w3": 0.0}
    d = diagnose({q: repr(x) for q, x in learner(s, lr=eta).items()}, s).diagnosis
    assert (d.mistake, d.first_wrong, d.lr) == ("learning-rate", "w5+", eta)


@pytest.mark.parametrize("eta", [0.0360897152282704, 0.0489901795785444])
def test_an_eta_whose_15th_digit_float64_cannot_pin_is_named_to_one_unit_of_it(eta):
    """Two η (found by a search over drawn η) whose w+, written as float64 writes them back,
    are the same floats for the η one unit up in the 15th digit, a step below the middle of the
    range they allow: learning-rate is named, with an η within one unit of that digit."""
    s = {**DECK, "i1": 0.0, "w1": 0.0, "w3": 0.0}
    d = diagnose({q: repr(x) for q, x in learner(s, lr=eta).items()}, s).diagnosis
    assert (d.mistake, d.first_wrong) == ("learning-rate", "w5+")
    assert abs(Decimal(repr(d.lr)) - Decimal(repr(eta))) <= Decimal("1e-16") and len(Decimal(repr(d.lr)).as_tuple().digits) <= 15


@pytest.mark.parametrize("eta", [0.3, 0.1, 2.5])
def test_an_answer_at_the_most_digits_a_file_may_hold(eta):
    """Every value at 30 significant digits (read_values' bound; 27 below 0.1, whose decimals
    are bounded too): the learning-rate mistake is found although the w+ claim more digits than
    float64 holds (float rounding moves the η they imply either way), and the true values
    written out in full all agree."""
    def full(values):
        return {q: format(Decimal(x), ".30g" if abs(x) >= 0.1 else ".27g") for q, x in values.items()}
    texts = full(learner(DECK, lr=eta))
    assert max(len(Decimal(t).as_tuple().digits) for t in texts.values()) == 30
    d = diagnose(texts).diagnosis
    assert (d.mistake, d.first_wrong, d.lr) == ("learning-rate", "w5+", eta)
    right = diagnose(full(learner(DECK)))
    assert right.diagnosis.mistake == "none" and {r.verdict for r in right.rows} == {"agrees"}


# --- Settings that overflow ---------------------------------------------------------------------------

@pytest.mark.parametrize("i2", [1e308, -1e308], ids=["inf", "nan"])
def test_a_true_value_that_is_not_finite_never_agrees(i2):
    """i1 = 1e308 and w1 = w2 = 2: net_h1 = 2e308 + 2·i2 overflows to inf (i2 = 1e308) or is
    inf − inf = nan (i2 = −1e308). Whatever the learner wrote there differs, and is judged."""
    s = {**DECK, "i1": 1e308, "i2": i2, "w1": 2.0, "w2": 2.0}
    found = diagnose({"net_h1": "1e29", "E_total": "0.25"}, s)
    assert found.rows[0].verdict == "differs"
    assert found.diagnosis.first_wrong == "net_h1" and found.diagnosis.mistake != "none"


# --- Each format, as its reader gets it -----------------------------------------------------------------

def test_markdown_is_a_table_then_the_diagnosis():
    found = diagnose({"net_h1": "0.3775", "out_h1": "0.60000"})  # unknown at out_h1
    lines = to_markdown(found).split("\n")
    assert lines[:2] == ["| quantity = formula | yours | true | verdict |", "|---|---:|---:|---|"]
    assert lines[2] == "| net_h1 = w1·i1 + w2·i2 + b1 | `0.3775` | 0.377500 | agrees |"
    assert lines[4:] == ["", "**Diagnosis:** `unknown` at `out_h1`", "", found.diagnosis.explanation, ""]
    right = to_markdown(diagnose({"net_h1": "0.3775"})).split("\n")
    assert right[3:] == ["", "**Diagnosis:** `none`", "", "Every value you gave agrees with the true one at the "
                         "precision you wrote.", ""]


def test_json_is_indented_two_spaces_with_the_letters_as_written():
    out = to_json(diagnose({"net_h1": "0.3775", "out_h1": "0.60000"}))
    assert out == json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"
    assert "σ(net_h1)" in out


def test_text_wraps_the_explanation_greedily_at_80_columns():
    texts = {q: written(x, 5, False) for q, x in learner(DECK, "no-half").items()}
    found = diagnose(texts)
    lines = to_text(found).split("\n\n", 1)[1].splitlines()[1:]
    assert " ".join(lines) == found.diagnosis.explanation and len(lines) > 1
    assert all(len(line) <= 80 for line in lines)
    assert all(len(a) + 1 + len(b.split()[0]) > 80 for a, b in zip(lines, lines[1:]))  # no room left on a line
    exactly_81 = check.Check([], check.Diagnosis("unknown", None, "a" * 40 + " " + "b" * 40, []))
    assert to_text(exactly_81).splitlines()[-2:] == ["a" * 40, "b" * 40]  # 81 columns do not fit


# --- What a written number claims ----------------------------------------------------------------------

@pytest.mark.parametrize("quantity,text,verdict", [
    ("E_total", "0", "differs"),           # true 0.298: a bare "0" claims nothing, so it never agrees
    ("E_total", "0.3", "agrees"),
    ("dE_total/dw1", "0.0", "agrees"),     # true 0.000439: one decimal is a rounding like any other
    ("dE_total/dw1", "0.00", "agrees"),
    ("out_o1", "1", "agrees"),             # true 0.751: only a zero without decimals is special
    ("E_o2", "0", "differs")])
def test_a_number_claims_the_digits_it_shows(quantity, text, verdict):
    assert diagnose({quantity: text}).rows[0].verdict == verdict


def test_a_file_that_is_not_an_object_is_refused_in_words():
    for values in (["net_h1", "0.3775"], "0.3775", 0.3775):
        with pytest.raises(ValueError, match="expected a JSON object of quantity names to values"):
            check.read_values(values)


def test_a_slip_carried_on_says_so():
    """net_h1 written with two digits swapped and the values after it worked from the slip: a
    digit slip, carried on, and the sentence says the later values carry it."""
    values = learner(DECK)
    slipped = "0.3757"  # 0.3775 with its last two digits swapped
    texts = {"net_h1": slipped, "out_h1": f"{1 / (1 + math.exp(-float(slipped))):.6f}"}
    assert abs(float(texts["out_h1"]) - values["out_h1"]) > 1e-4  # the carried value is not the true one
    d = diagnose(texts).diagnosis
    assert d.mistake == "digit-slip"
    assert d.explanation.endswith("0.3757 is 0.3775 with two adjacent digits swapped; your later values carry the slip on.")
    alone = diagnose({"net_h1": slipped, "out_h1": written(values["out_h1"], 6, False)}).diagnosis
    assert alone.explanation.endswith("0.3757 is 0.3775 with two adjacent digits swapped.")


def test_the_step_to_redo_says_where_each_input_comes_from():
    """out_h2 wrong after a right net_h1 and out_h1: its input net_h2 was not given, so it comes
    from the learner's values (worked on from them); a wrong w+ names w (the setting) and the
    gradient the learner gave (yours)."""
    values = learner(DECK)
    d = diagnose({"net_h1": "0.3775", "out_h2": "0.7"}).diagnosis
    assert f"with net_h2 = {values['net_h2']:.10g} (from your values), gives" in d.explanation
    d = diagnose({"dE_total/dw5": written(values["dE_total/dw5"], 9, False), "w5+": "0.5"}).diagnosis  # no η > 0 moves w5 up
    assert d.mistake == "unknown"
    given = float(written(values["dE_total/dw5"], 9, False))
    assert f"with w5 = 0.4 (the setting), η = 0.5 (the setting), dE_total/dw5 = {given:.10g} (yours), gives" \
        in d.explanation


# --- The η a learning-rate case offers: found from what each w+ claims, shortest first -----------------

W_NAMES = [f"w{k}" for k in range(1, 9)]
OTHER_ETA = 1e6  # the setting's η, far from every η drawn below (never offered)


def claims(w: float, g: float, eta: float, text: str) -> bool:
    """Whether w − η·g, exactly, written as `text` claims (rounded or cut off at its last digit)."""
    with localcontext() as ctx:
        ctx.prec = 200
        exact = Decimal(w) - Decimal(eta) * Decimal(g)
        unit = Decimal(1).scaleb(Decimal(text).as_tuple().exponent)
        return any(exact.quantize(unit, rounding=r) == Decimal(text) for r in (ROUND_HALF_EVEN, ROUND_DOWN))


def claimed(fit, inside: float) -> tuple[float, float]:
    """The interval of η around `inside` for which fit(η) holds, by bisection on fit alone."""
    def edge(sign):
        near, far = inside, inside
        while fit(far):
            near, far = far, far * 2 ** sign
        for _ in range(200):
            mid = (near + far) / 2
            near, far = (mid, far) if fit(mid) else (near, mid)
        return near
    return edge(-1), edge(1)


def shortest(low: float, high: float) -> float:
    """The number of fewest significant digits in [low, high], the smallest of them."""
    for digits in range(1, 16):
        step = 10.0 ** (math.floor(math.log10(high)) - digits + 1)
        eta = float(f"{max(math.ceil(low / step), 1) * step:.{digits}g}")  # a positive η
        if eta <= high:
            return eta
    raise AssertionError("no η")


def offered(w_by_name: dict, g_by_name: dict, texts: dict) -> list[float]:
    setting = {**w_by_name, "η": OTHER_ETA}
    exact = {f"dE_total/d{wn}": g for wn, g in g_by_name.items()}
    return list(check._fitted_lrs(setting, exact, {f"{wn}+": t for wn, t in texts.items()}))


def draw(rng: random.Random):
    w, g = rng.uniform(-2, 2), rng.choice([-1, 1]) * 10 ** rng.uniform(-3, 0.5)
    eta = 10 ** rng.uniform(-2, 1.5)
    wplus = w - eta * g
    digits = rng.randint(1, 7)
    text = f"{wplus:.{digits}f}" if rng.random() < 0.5 else f"{math.trunc(wplus * 10 ** digits) / 10 ** digits:.{digits}f}"
    return w, g, eta, text


@pytest.mark.parametrize("wn", W_NAMES)
def test_the_first_eta_offered_is_the_shortest_that_each_w_plus_allows(wn):
    """One w+ at a time, of either sign and zero, rounded or cut off at 1 to 7 decimals: the
    first η offered is the shortest in the interval of η for which w − η·g is written as the
    learner wrote it (found by bisection on that alone), and every η offered is in it."""
    rng = random.Random(wn)
    for _ in range(60):
        w, g, eta, text = draw(rng)
        fit = lambda e: e > 0 and claims(w, g, e, text)  # noqa: E731
        if not fit(eta):  # the cut-off text of a value within float rounding of its boundary
            continue
        low, high = claimed(fit, eta)
        etas = offered({wn: w}, {wn: g}, {wn: text})
        assert etas and etas[0] == shortest(low, high), (w, g, eta, text, etas[:3], low, high)
        # within float64's rounding of (w − w+)/g of the interval (w − w+ cancels: the code widens by as much)
        slack = 32 * sys.float_info.epsilon * ((abs(w) + abs(float(text))) / abs(g) + high)
        assert all(low - slack <= e <= high + slack for e in etas), (w, g, text, etas, low, high)


@pytest.mark.parametrize("text", ["0.0", "-0.0", "0.00", "-0.000"])
def test_a_zero_w_plus_may_be_cut_off_from_either_side(text):
    """w = −0.75, g = −1: w+ = η − 0.75. A w+ written as a zero (or a negative zero) may be a
    negative value cut off toward zero, so an η down to 0.75 − unit fits (rounding alone would
    stop at 0.75 − unit/2); for "0.0" the first η offered is 0.7, the shortest in the interval."""
    unit = 10.0 ** -(len(text.split(".")[1]))
    assert claims(-0.75, -1.0, 0.75 - 0.9 * unit, text)  # the oracle agrees: cut off from below
    etas = offered({"w5": -0.75}, {"w5": -1.0}, {"w5": text})
    assert etas[0] == 0.7 or unit < 0.1  # finer zeros: the interval's ends are whole numbers of units
    assert min(etas) <= 0.75 - 0.9 * unit


def test_the_first_eta_offered_fits_every_w_plus_together():
    """Two w+ of one learner (one η): the first η offered fits both, and is the shortest that does."""
    rng = random.Random(2)
    for _ in range(60):
        (w1, g1, eta, t1), (w2, g2, _, _) = draw(rng), draw(rng)
        digits = rng.randint(2, 6)
        t2 = f"{w2 - eta * g2:.{digits}f}"
        fit = lambda e: e > 0 and claims(w1, g1, e, t1) and claims(w2, g2, e, t2)  # noqa: E731
        if not fit(eta):
            continue
        low, high = claimed(fit, eta)
        etas = offered({"w2": w1, "w7": w2}, {"w2": g1, "w7": g2}, {"w2": t1, "w7": t2})
        assert etas[0] == shortest(low, high), (t1, t2, etas[:3], low, high)


@pytest.mark.parametrize("text", ["0.4", "0.400000000", format(Decimal(0.4), ".30g")])
def test_an_eta_offered_is_positive_when_w_plus_is_w(text):
    """w5+ written as the old w5 (the update forgotten), to 1, 9 and 30 digits: η = 0 lies
    inside the range it allows, but a learning rate is positive, and 0 is never offered."""
    etas = offered({"w5": 0.4}, {"w5": 0.08}, {"w5": text})
    assert etas and min(etas) > 0, etas


def test_an_eta_offered_has_at_most_15_significant_digits():
    """What float64 writes back unchanged: the η a learner is told is a number they can type."""
    rng = random.Random(3)
    for _ in range(40):
        w, g, eta, text = draw(rng)
        etas = offered({"w4": w}, {"w4": g}, {"w4": text})
        assert all(len(Decimal(repr(e)).normalize().as_tuple().digits) <= 15 for e in etas)


@pytest.mark.parametrize("texts_of", [
    lambda w5: {"w5+": f"{w5:.3g}"},                          # 3 digits: shown at 4, the least
    lambda w5: {"net_h1": "0.38", "w5+": f"{w5:.7g}"},        # the most digits given decide: 7
])
def test_the_telling_quantity_is_shown_to_the_digits_the_learner_wrote(texts_of):
    texts = texts_of(learner(DECK, "update-sign")["w5+"])
    digits = max(4, *(len(Decimal(t).as_tuple().digits) for t in texts.values()))
    a, b = (f"{learner(DECK, m)['dE_total/dout_o1']:.{digits}g}" for m in ("sign-of-error", "update-sign"))
    explanation = diagnose(texts).diagnosis.explanation
    assert explanation.endswith(f"Your dE_total/dout_o1 would tell them apart: sign-of-error gives {a}, "
                                f"update-sign gives {b}.")


# --- The mistakes in the docs' words, and values worked from the learner's own -------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checking-your-working.md"


def docs_mistakes() -> dict[str, str]:
    """The table in docs/checking-your-working.md: mistake id -> what the learner did."""
    return dict(re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", DOCS.read_text(), re.M))


def test_the_docs_describe_each_mistake_as_the_diagnosis_does():
    """The docs' table and the check name the same mistakes in the same words (the docs may add
    a parenthesis)."""
    docs = docs_mistakes()
    assert list(docs) == list(MISTAKES)
    for m, text in docs.items():
        assert text == MISTAKES[m] or text.startswith(MISTAKES[m] + " ("), m


@pytest.mark.parametrize("mistake", [*FORMULA_MISTAKES, "learning-rate"])
def test_the_diagnosis_describes_the_mistake_in_the_docs_words(mistake):
    """A learner who made the mistake reads, in the diagnosis, the docs' description of it."""
    made = learner(DECK, lr=0.25) if mistake == "learning-rate" else learner(DECK, mistake)
    found = diagnose({q: written(x, 6, False) for q, x in made.items()})
    assert mistake in found.diagnosis.candidates
    words = docs_mistakes()[mistake].split(" (the η")[0]
    assert "".join(words.split()) in "".join(to_text(found).split())


@pytest.mark.parametrize("dnet,grad,moved", [("dnet_o1/dw5", "dE_total/dw5", {}),
                                             ("dnet_h1/dw1", "dE_total/dw1", {"i1": 0.123456})])
def test_a_gradient_from_your_own_rounded_dnet_dw_is_rounding_carried(dnet, grad, moved):
    """∂E_total/∂w5 worked from the learner's ∂net_o1/∂w5 rounded to 2 decimals (∂E_total/∂w1
    from ∂net_h1/∂w1, with an i1 that rounding changes) is wrong only by that rounding."""
    s = {**DECK, **moved}
    true = learner(s)
    rounded = f"{true[dnet]:.2f}"
    texts = {dnet: rounded, grad: written(true[grad] / true[dnet] * float(rounded), 6, False)}
    found = diagnose(texts, s)
    assert {line.quantity: line.verdict for line in found.rows} == {dnet: "agrees", grad: "rounding-carried"}


def test_a_zero_w_plus_may_be_cut_off_from_above_too():
    """w5 = −0.75, g = −1, w5+ written "0.0": a positive value cut off (w5+ up to 0.1) fits, so
    with w7+ (written to 6 decimals) pinning η to 0.84, the one η that fits both is 0.84."""
    w7, g7, eta = 0.3, 1.0, 0.84
    etas = offered({"w5": -0.75, "w7": w7}, {"w5": -1.0, "w7": g7}, {"w5": "0.0", "w7": f"{w7 - eta * g7:.6f}"})
    assert etas[0] == eta


def test_the_eta_used_is_offered_at_any_number_of_digits():
    """w − η·g written to 30 digits, for w+ of the other sign (nothing cancels) and for updates
    a million times smaller than w (w − w+ cancels all but a few digits): the η used is offered
    among the first, whatever float64 makes of (w − w+)/g."""
    rng = random.Random(5)
    for _ in range(200):
        eta = float(f"{10 ** rng.uniform(-2, 1):.{rng.randint(1, 6)}g}")
        w = rng.uniform(0.1, 2)
        g = rng.choice([w / eta * rng.uniform(1.1, 3), w * 10 ** rng.uniform(-7, -5)])  # w+ < 0, or w+ ≈ w
        with localcontext() as ctx:
            ctx.prec = 100
            text = format(Decimal(w) - Decimal(eta) * Decimal(g), ".30g")
        etas = offered({"w6": w}, {"w6": g}, {"w6": text})
        assert eta in etas[:16], (w, g, eta, text, etas[:4])


@pytest.mark.parametrize("path,note", [("o1", "∂E_total/∂out_h1 and ∂E_total/∂out_h2 both from E_o1 alone"),
                                       ("own", "∂E_total/∂out_h1 from E_o1 alone, ∂E_total/∂out_h2 from E_o2 alone")])
def test_one_path_only_says_which_path(path, note):
    """The two ways of forgetting a path (tests/learner.py's `path`), each named in the words of
    the path the learner took."""
    texts = {q: written(x, 6, False) for q, x in learner(DECK, "one-path-only", path=path).items()}
    d = diagnose(texts).diagnosis
    assert d.mistake == "one-path-only"
    assert f"one-path-only, {MISTAKES['one-path-only']}: {note}." in d.explanation

"""exercise.py's draw and its judge of a good exercise, on settings made here.

The ranges are docs/worksheets.md's, and they include their ends: every out = σ(net) in
[0.1, 0.9], every |target − out_o| ≥ 0.05, every 10⁻⁴ ≤ |value| ≤ 10. A setting whose value lies
exactly on an end can be handed to problem() (any float weight is a Setting), so the boundary
tests put one value of the slides' working on an end, or on the float just past it, by hand; the
rest of the working is the slides' own, a good exercise with η = 0.25 (checked first).
"""
import hashlib
import math

import pytest

from torch_bp.explain import exercise
from torch_bp.explain.check import quantities
from torch_bp.explain.check_working import evaluate
from torch_bp.explain.exercise import Setting, draw, draw_once, file_name, problem

from learner import DECK_SETTING

SLIDES = Setting(**DECK_SETTING, lr=0.25)
# docs/worksheets.md: two decimals, like the deck's; the comments of exercise.py give the ranges.
WEIGHTS = {s * k / 100 for k in range(5, 96) for s in (1, -1)}   # ±0.05 .. ±0.95, also b1, b2
INPUTS = {k / 100 for k in range(5, 96)}                          # 0.05 .. 0.95
TARGETS = {k / 100 for k in range(1, 100)}                        # 0.01 .. 0.99
ETAS = {0.1, 0.2, 0.25, 0.3, 0.4, 0.6, 0.75, 0.8, 1.0}            # never the slides' 0.5


def judged(monkeypatch, setting: Setting, values: dict) -> str | None:
    """problem(setting), with these of its true values written in by hand (the rest as worked)."""
    monkeypatch.setattr(exercise, "evaluate", lambda steps, s: evaluate(steps, s) | values)
    return problem(setting)


def past(end: float, away: float) -> float:
    """The float next to `end` on the side of `away`."""
    return math.nextafter(end, away)


def test_the_slides_with_another_eta_are_a_good_exercise():
    """The base of the boundary tests: the slides' numbers, η = 0.25 (and with targets 0.16)."""
    assert problem(SLIDES) is None
    assert problem(Setting(**DECK_SETTING | {"target_o1": 0.16, "target_o2": 0.16}, lr=0.25)) is None


@pytest.mark.parametrize("unit", ["h1", "h2", "o1", "o2"])
def test_an_output_on_an_end_of_its_range_is_not_saturated_and_one_past_it_is(monkeypatch, unit):
    """out = 0.1 or 0.9 exactly is in [0.1, 0.9]; the floats just outside are refused, by name."""
    q = f"out_{unit}"
    for end in (0.1, 0.9):
        assert judged(monkeypatch, SLIDES, {q: end}) is None, (q, end)
    for outside in (past(0.1, 0.0), past(0.9, 1.0)):
        why = judged(monkeypatch, SLIDES, {q: outside})
        assert why is not None and why.startswith(f"{q} = ") and "saturated" in why, (q, outside, why)


@pytest.mark.parametrize("k", [1, 2])
def test_an_output_exactly_005_from_its_target_is_far_enough(monkeypatch, k):
    """|target − out_o| = 0.05 exactly (0.16 − 0.11 in float64) is ≥ 0.05; a float closer is refused."""
    setting = Setting(**DECK_SETTING | {f"target_o{k}": 0.16}, lr=0.25)
    assert abs(0.16 - 0.11) == 0.05  # the end itself, to the last bit
    assert judged(monkeypatch, setting, {f"out_o{k}": 0.11}) is None
    assert judged(monkeypatch, setting, {f"out_o{k}": past(0.11, 1.0)}) == f"out_o{k} is within 0.05 of its target"


def test_a_value_on_an_end_of_the_size_range_is_carried_and_one_past_it_is_not(monkeypatch):
    """Every quantity on the sheet but the outputs: |value| = 10⁻⁴ or 10 exactly, of either sign,
    can be carried by hand; the floats just outside are refused, naming the quantity."""
    for q in (q for q in quantities() if not q.startswith("out_")):
        for end in (1e-4, 10.0, -1e-4, -10.0):
            assert judged(monkeypatch, SLIDES, {q: end}) is None, (q, end)
        for outside in (past(1e-4, 0.0), past(10.0, math.inf), past(-10.0, -math.inf)):
            why = judged(monkeypatch, SLIDES, {q: outside})
            assert why is not None and why.startswith(f"{q} = ") and "carry by hand" in why, (q, outside, why)


def test_the_wrong_etas_are_the_slides_and_twice_the_students():
    """wrong_lrs: the slides' 0.5 and twice the student's η, each once, never the student's own."""
    eta = lambda lr: Setting(**DECK_SETTING, lr=lr).wrong_lrs()  # noqa: E731
    assert eta(0.1) == (0.5, 0.2) and eta(0.3) == (0.5, 0.6) and eta(0.8) == (0.5, 1.6)
    assert eta(0.25) == (0.5,) and eta(0.5) == (1.0,)


def test_drawn_numbers_take_exactly_the_documented_values():
    """Over 3000 draws: w1..w8, b1, b2 take every value ±0.05 .. ±0.95 in hundredths and no
    other, i1, i2 every value 0.05 .. 0.95, the targets 0.01 .. 0.99, η the nine of ETAS."""
    drawn = [vars(draw_once(3, f"student-{k}", k % 7)) for k in range(3000)]
    seen = lambda *names: {s[n] for s in drawn for n in names}  # noqa: E731
    assert seen(*(f"w{n}" for n in range(1, 9)), "b1", "b2") == WEIGHTS
    assert seen("i1", "i2") == INPUTS and seen("target_o1", "target_o2") == TARGETS
    assert seen("lr") == ETAS


@pytest.mark.parametrize("seed, student, attempt", [(7, "Ada", 0), (7, "Ada", 3), (2024, "Zoë O'Brien", 11)])
def test_every_number_is_sha256_of_the_seed_id_attempt_and_name(seed, student, attempt):
    """The module's rule, written out again: each number is the list of its choices (in
    hundredths from the least; η from ETAS in its order) at SHA-256 of VERSION, the seed, the id,
    the attempt and its name ("η" for η) joined by NUL characters, big-endian, modulo their count. No hash(),
    no global generator: any machine agrees."""
    pick = lambda name, values: values[int.from_bytes(hashlib.sha256(  # noqa: E731
        f"{exercise.VERSION}\0{seed}\0{student}\0{attempt}\0{name}".encode()).digest(), "big") % len(values)]
    hundredths = [k for k in range(-95, 96) if abs(k) >= 5]
    want = {**{n: pick(n, hundredths) / 100 for n in (*(f"w{k}" for k in range(1, 9)), "b1", "b2")},
            **{n: pick(n, list(range(5, 96))) / 100 for n in ("i1", "i2")},
            **{n: pick(n, list(range(1, 100))) / 100 for n in ("target_o1", "target_o2")},
            "lr": pick("η", (0.1, 0.2, 0.25, 0.3, 0.4, 0.6, 0.75, 0.8, 1.0))}
    assert vars(draw_once(seed, student, attempt)) == want


def test_draw_gives_the_first_good_attempt_of_that_student():
    """draw(seed, id) is draw_once(seed, id, attempt) for the attempt it reports, and every
    earlier attempt of the same (seed, id) has a problem."""
    for seed, student in ((7, "Ada"), (7, "Bao"), (11, "Ada"), (2024, "student-001")):
        setting, attempt = draw(seed, student)
        assert setting == draw_once(seed, student, attempt) and problem(setting) is None
        assert all(problem(draw_once(seed, student, a)) for a in range(attempt)), (seed, student)
    assert draw(7, "Ada")[1] >= 1  # one of them did draw again


def test_a_student_gets_500_draws_before_make_gives_up(monkeypatch):
    """docs/worksheets.md: a setting is drawn again, up to 500 times; should none be good, make
    refuses the student in words."""
    tried = []
    monkeypatch.setattr(exercise, "problem", lambda setting: tried.append(setting) or "not good")
    with pytest.raises(RuntimeError, match="no good exercise for 'Ada' with seed 7 in 500 draws"):
        draw(7, "Ada")
    assert tried == [draw_once(7, "Ada", a) for a in range(500)]


def test_a_file_name_keeps_every_letter_and_drops_separators_at_its_ends():
    """Letters, digits, '.', '_' and '-' are kept (an X at either end too); other runs become '-',
    and '-' and '.' at the ends go."""
    assert file_name("Xavier X") == "Xavier-X" and file_name("XX") == "XX"
    assert file_name(" .-Ada Lovelace!-. ") == "Ada-Lovelace" and file_name("a.b_c-d") == "a.b_c-d"

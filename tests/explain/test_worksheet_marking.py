"""worksheet.py's settings and marking, in-process, for 200 generated students.

Each student's numbers come from torch_bp.explain.exercise.draw (the code under test). Their
answers are made HERE, by learner(): the slides' scalar formulas written out again with each
catalogued mistake, sharing nothing with torch_bp.explain.check_working. marking.mark (what
`worksheet.py mark` runs per student) must name the mistake planted, on that student's numbers.
"""
import json
import math
import random

import pytest

from torch_bp.core.deck import DECK_LR
from torch_bp.explain import exercise, marking, worksheet
from torch_bp.explain.check_working import MISTAKES

from learner import FORMULA_MISTAKES, NAMES, learner, planted, slips, written

SEED = 2024
STUDENTS = [f"student-{k:03d}" for k in range(200)]
@pytest.fixture(scope="module")
def settings() -> dict[str, exercise.Setting]:
    return {student: exercise.draw(SEED, student)[0] for student in STUDENTS}


def test_every_catalogued_mistake_is_transcribed():
    assert {*FORMULA_MISTAKES, "learning-rate", "digit-slip"} == set(MISTAKES)
    assert list(json.loads(worksheet.answer_template(exercise.draw(SEED, "x")[0]))) == NAMES


@pytest.mark.parametrize("mistake", [*MISTAKES, "none"])
def test_mark_names_the_mistake_planted(settings, mistake):
    """Every catalogued mistake, planted in each of 200 students' answers at 4-9 significant
    digits (rounded or cut off), is named by mark, on that student's numbers, at the first
    value it changes; a correct sheet is marked fully right."""
    for k, student in enumerate(STUDENTS):
        s = vars(settings[student])
        texts, first = planted(s, mistake, random.Random(f"{SEED} {student} {mistake}"), k)
        m = marking.mark(student, settings[student], texts)
        d = m.check.diagnosis
        why = f"{student} {s}: planted {mistake}, got {d.mistake} {d.candidates} at {d.first_wrong}: {d.explanation}"
        assert m.status == marking.MARKED and m.given == len(NAMES)
        if mistake == "none":
            assert (d.mistake, d.first_wrong, m.right) == ("none", None, len(NAMES)), why
        else:
            assert (d.mistake, d.candidates, d.first_wrong) == (mistake, [mistake], first), why
            assert m.right < len(NAMES) and marking.csv_row(m)[3:5] == [first, mistake]


def test_no_two_mistakes_give_the_same_first_wrong_number(settings):
    """On every generated setting, at the sheet's 4 significant digits: each mistake's first
    wrong number differs from the true one, is no digit slip of it, and differs from every other
    mistake's that goes wrong at the same quantity."""
    for k, student in enumerate(STUDENTS):
        s = vars(settings[student])
        true = learner(s)
        firsts = {}
        ways = [(m, learner(s, m, path)) for m in FORMULA_MISTAKES for path in ("o1", "own")]
        ways += [("learning-rate", learner(s, lr=eta)) for eta in (DECK_LR, 2 * s["lr"]) if eta != s["lr"]]
        for m, values in ways:
            q = next(q for q in NAMES if not math.isclose(values[q], true[q], rel_tol=1e-9, abs_tol=1e-12))
            mine, right = written(values[q], 4, False), written(true[q], 4, False)
            assert mine != right and mine not in slips(right), f"{student}: {m} at {q}: {mine} for {right}"
            for other, (q2, theirs) in firsts.items():
                assert other == m or (q2, theirs) != (q, mine), f"{student}: {m} and {other}: {q} = {mine}"
            firsts.setdefault(m, (q, mine))


def test_settings_are_good_exercises(settings):
    """Two-decimal numbers, η not the slides' 0.5, no output saturated, every value of a size
    to carry by hand (by this file's transcription)."""
    for student, setting in settings.items():
        s = vars(setting)
        assert all(math.isclose(x * 100, round(x * 100)) and 0 < abs(x) <= 1 for x in s.values()), student
        assert s["lr"] != DECK_LR
        v = learner(s)
        assert all(0.1 <= v[f"out_{u}"] <= 0.9 for u in ("h1", "h2", "o1", "o2")), student
        assert all(abs(s[f"target_o{k}"] - v[f"out_o{k}"]) >= 0.05 for k in (1, 2)), student
        assert all(1e-4 <= abs(x) <= 10 for x in v.values()), student


def test_the_same_seed_and_id_give_the_same_setting_and_another_seed_another(settings):
    assert all(exercise.draw(SEED, student)[0] == settings[student] for student in STUDENTS[:20])
    others = [exercise.draw(SEED + 1, student)[0] for student in STUDENTS[:50]]
    assert all(o != settings[student] for o, student in zip(others, STUDENTS))
    assert len(set(settings.values())) == len(STUDENTS)  # every student their own numbers


def test_an_id_with_nothing_to_keep_still_gets_a_file_name():
    assert exercise.file_name("///") == "student" and exercise.file_name("..") == "student"
    assert exercise.file_name("Zoë O'Brien") == "Zoë-O-Brien"


def test_a_student_with_no_good_draw_is_refused_in_words(monkeypatch):
    """Should no draw ever make a good exercise, make says so (it never returns a bad one)."""
    monkeypatch.setattr(exercise, "MAX_ATTEMPTS", 0)
    with pytest.raises(RuntimeError, match="no good exercise for 'Ada' with seed 7 in 0 draws"):
        exercise.draw(7, "Ada")

"""marking.py's marks of one student, on answer files written here: the counts, what follows from
the student's own earlier numbers, and the words of marks.csv and marks.json.

The setting is the slides' numbers with η = 0.25 (a good exercise, tests/explain/test_exercise.py).
Each expected value is worked out here: the slides' formula on the student's own numbers, in
float64, written to the digits the student claims by Python's own formatting. The statuses and
the record's keys are docs/worksheets.md's words (checked to be there).
"""
import math
from pathlib import Path

from torch_bp.explain import marking
from torch_bp.explain.exercise import Setting

from learner import DECK_SETTING, NAMES

SLIDES = Setting(**DECK_SETTING, lr=0.25)
DOCS = (Path(__file__).parents[2] / "docs" / "worksheets.md").read_text(encoding="utf-8")
# docs/worksheets.md, section 2: the diagnosis column where nothing was marked, and marks.json's keys.
NOT_MARKED = ("not handed in", "no answers", "malformed")
KEYS = {"student", "file", "status", "problem", "right", "given", "carried_forward", "first_wrong", "mistake",
        "candidates", "diagnosis", "verdicts", "follows"}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def unmarked() -> dict[str, marking.Marked]:
    """One student of each status but marked, as `worksheet.py mark` makes them."""
    return {"not handed in": marking.Marked("Omar", marking.NOT_HANDED_IN),  # as the CLI stands for a missing file
            "no answers": marking.mark("Kim", SLIDES, {q: "" for q in NAMES}),
            "malformed": marking.mark("Rosa", SLIDES, {"net_h1": "0,41"})}


def test_the_statuses_and_the_records_keys_are_the_docs_words():
    """A student with nothing marked shows the docs' status word in marks.csv's diagnosis column
    and in marks.json's status, with 0 right of 0 given and 0 carried forward; a marked one's
    status is `marked`. Every record has exactly the docs' keys; only a malformed file has a problem."""
    assert all(f"`{word}`" in DOCS for word in (*NOT_MARKED, "marked", *KEYS))
    for word, m in unmarked().items():
        row, rec = marking.csv_row(m), marking.record(m, m.student)
        assert row[0] == m.student and row[4] == word and rec["status"] == word and set(rec) == KEYS, word
        assert (rec["right"], rec["given"], rec["carried_forward"]) == (0, 0, 0), word
        assert (rec["verdicts"], rec["follows"], rec["candidates"]) == ({}, {}, []), word
        assert bool(rec["problem"]) == (word == "malformed"), (word, rec["problem"])
    rec = marking.record(marking.mark("Ada", SLIDES, {"net_h1": "0.3775"}), "Ada-Lovelace")
    assert (rec["status"], rec["problem"], rec["file"], set(rec)) == ("marked", "", "Ada-Lovelace", KEYS)


def test_answers_drops_the_blanks_and_keeps_the_rest():
    """A template's "", null and spaces are no answer: all blank is an empty dict, else the values given."""
    assert marking.answers({"net_h1": "", "out_h1": None, "E_o1": "  "}) == {}
    assert marking.answers({"net_h1": " 0.3775 ", "out_h1": "", "E_o1": None}) == {"net_h1": "0.3775"}


def test_a_wrong_value_that_follows_from_the_students_own_is_carried_forward():
    """net_h1 = 0.5000 (true 0.3775), out_h1 = σ(0.5) at 6 decimals: both differ, out_h1 follows
    from their net_h1 and net_h1 from nothing of theirs; net_h2 = 0.3925 is right and follows."""
    texts = {"net_h1": "0.5000", "net_h2": "0.3925", "out_h1": f"{sigmoid(0.5):.6f}"}
    m = marking.mark("Ada", SLIDES, texts)
    rec = marking.record(m, "Ada")
    assert rec["verdicts"] == {"net_h1": "differs", "net_h2": "agrees", "out_h1": "differs"}
    assert (m.right, m.given, m.carried_forward) == (1, 3, 1)
    assert (rec["right"], rec["given"], rec["carried_forward"], rec["first_wrong"]) == (1, 3, 1, "net_h1")
    assert rec["follows"] == {"net_h1": False, "net_h2": True, "out_h1": True}
    assert marking.csv_row(m)[1:4] + marking.csv_row(m)[5:] == [1, 3, "net_h1", 1]


def test_a_value_written_to_30_digits_is_judged_at_all_30():
    """The most digits a file may hold (30, check.read_values): ∂E_total/∂out_o1 = −(target_o1 −
    out_o1) on their out_o1 = 0.600 (true 0.7514), written as that float's exact value to 30
    decimals, follows from it; with its last digit changed by 5 it does not (rounded or cut off)."""
    x = -(DECK_SETTING["target_o1"] - 0.6)
    text = f"{x:.30f}"
    off = text[:-1] + str((int(text[-1]) + 5) % 10)
    assert len(text) == 32 and len(off) == 32
    for written, follows in ((text, True), (off, False)):
        rec = marking.record(marking.mark("Ada", SLIDES, {"out_o1": "0.600", "dE_total/dout_o1": written}), "Ada")
        assert rec["verdicts"] == {"out_o1": "differs", "dE_total/dout_o1": "differs"}, written
        assert rec["follows"] == {"out_o1": False, "dE_total/dout_o1": follows}, written
        assert rec["carried_forward"] == int(follows), written

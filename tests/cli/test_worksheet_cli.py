"""worksheet.py make / mark / summary: the files each writes, the same bytes for the same roster
and seed, marks.csv for a small class, and one clear line for bad input."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import call
from learner import NAMES, learner, written
from torch_bp.cli import worksheet
from torch_bp.explain import exercise, feedback, marking
from torch_bp.explain.check_working import MISTAKES

ROOT = Path(__file__).resolve().parents[2]
ROSTER = "student\nAda Lovelace\nBo Li\nZoë\nDee\n"
FILES = ["Ada-Lovelace", "Bo-Li", "Zoë", "Dee"]


def run(capsys, *argv):
    return call(capsys, worksheet.main, *argv)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def roster(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def made(roster, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("made") / "class"
    assert worksheet.main(["make", "--students", str(roster), "--seed", "7", "--out", str(out)]) == 0
    return out


def settings(folder: Path) -> dict[str, dict]:
    return {s["student"]: s["setting"] for s in json.loads((folder / "class.json").read_text())["students"]}


def test_make_writes_a_sheet_an_answer_file_and_a_key_per_student(made):
    files = set(tree(made))
    for f in FILES:
        assert {f"sheets/{f}.html", f"sheets/{f}.md", f"answers/{f}.json", f"keys/{f}.html", f"keys/{f}.md"} <= files
    assert list(settings(made)) == ["Ada Lovelace", "Bo Li", "Zoë", "Dee"]  # the header row skipped
    template = json.loads((made / "answers" / "Bo-Li.json").read_text())
    assert list(template) == NAMES and set(template.values()) == {""}
    s = settings(made)["Bo Li"]
    sheet, key = (made / "sheets" / "Bo-Li.html").read_text(), (made / "keys" / "Bo-Li.md").read_text()
    assert "Bo Li" in sheet and f"w5 = {s['w5']:.2f}" in sheet and "answers/Bo-Li.json" in sheet
    true = learner(s)
    assert f"{true['net_h1']:.12f}" in key and f"{true['w4+']:.12f}" in key  # the key: the true values
    assert f"{true['net_h1']:.4f}" not in sheet  # the sheet: no answers


def test_same_roster_and_seed_give_the_same_bytes_another_seed_other_numbers(made, roster, tmp_path):
    """A second run in another process (another PYTHONHASHSEED, through scripts/worksheet.py)
    writes byte-identical sheets, answer files and keys; seed 8 gives every student other numbers."""
    again = tmp_path / "again"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "worksheet.py"), "make", "--students", str(roster),
                           "--seed", "7", "--out", str(again)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout == f"4 students (seed 7): sheets/, answers/ and keys/ in {again}\n"
    assert tree(again) == tree(made)
    other = tmp_path / "other"
    assert worksheet.main(["make", "--students", str(roster), "--seed", "8", "--out", str(other)]) == 0
    for student, s in settings(other).items():
        assert s != settings(made)[student]
        f = FILES[list(settings(other)).index(student)]
        assert (other / "sheets" / f"{f}.html").read_bytes() != (made / "sheets" / f"{f}.html").read_bytes()


@pytest.fixture(scope="module")
def marked(made, roster, tmp_path_factory):
    """Ada right (5 digits), Bo Li with no-half (6 digits), Zoë's file malformed, Dee's forward
    pass only (the rest of the template left blank), and a file of a student not in the class.
    On a copy of `made`, which the other tests need as make left it."""
    s = settings(made)
    made = Path(shutil.copytree(made, tmp_path_factory.mktemp("marked") / "class"))
    answers = made / "answers"
    dee = json.loads((answers / "Dee.json").read_text())
    dee |= {q: written(x, 4, True) for q, x in learner(s["Dee"]).items() if q in NAMES[:8]}
    (answers / "Dee.json").write_text(json.dumps(dee))
    (answers / "Ada-Lovelace.json").write_text(json.dumps({q: written(x, 5, False) for q, x in learner(s["Ada Lovelace"]).items()}))
    (answers / "Bo-Li.json").write_text(json.dumps({q: written(x, 6, False) for q, x in learner(s["Bo Li"], "no-half").items()}))
    (answers / "Zoë.json").write_text('{"net_h1": "0,41"}')
    (answers / "Zed.json").write_text('{"net_h1": "0.41"}')
    status = worksheet.main(["mark", str(made)])
    return status, made


def test_mark(marked, capsys):
    status, made = marked
    assert status == 2  # two bad files, reported; the others marked
    rows = list(csv.reader((made / "marks.csv").open(encoding="utf-8")))
    assert rows == [["student", "right", "given", "first_wrong", "diagnosis", "carried_forward"],
                    ["Ada Lovelace", "37", "37", "", "none", "0"],
                    rows[2],
                    ["Zoë", "", "", "", "malformed", ""],
                    ["Dee", "8", "8", "", "none", "0"]]
    bo = rows[2]
    assert bo[:5] == ["Bo Li", bo[1], "37", "E_o1", "no-half"] and int(bo[1]) < 37
    page = (made / "feedback" / "Bo-Li.md").read_text()
    assert "Your first wrong value is E_o1" in page and f"The mistake: no-half, {MISTAKES['no-half']}." in page
    assert "From your own earlier numbers, E_o1 = ½(target_o1 − out_o1)² gives" in page
    assert "Every value you gave is right" in (made / "feedback" / "Ada-Lovelace.md").read_text()
    assert "could not be read" in (made / "feedback" / "Zoë.html").read_text()


def test_mark_reports_each_bad_file_on_one_line(marked, capsys):
    status, out, err = run(capsys, "mark", marked[1])
    assert status == 2 and "3 of 4 students marked" in out
    lines = err.splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert lines[0].startswith("worksheet.py mark: error: ") and "Zed.json: no student of" in lines[0]
    assert 'Zoë.json: net_h1: "0,41" is not a finite number; Zoë not marked (the others are)' in lines[1]


def test_summary(marked, capsys):
    _, made = marked
    status, out, err = run(capsys, "summary", made)
    assert status == 0 and err == ""
    page = (made / "class.html").read_text()
    assert {"class-figure.svg", "class-figure.png", "class.html"} <= set(tree(made))
    assert '<tr data-mistake="no-half">' in page and "Bo Li" in page
    assert "4 students, 3 marked, 2 with every value right, 1 malformed." in page
    see_first = page[page.index("Students to see first"):page.index("Every value of every student")]
    assert see_first.index("Zoë") < see_first.index("Bo Li") and "Ada" not in see_first
    assert page.count("<svg") == 1 and "∂E_total/∂w5" in page  # the figure, inline, its text as text


@pytest.mark.parametrize("roster_text, says", [
    ("Ada\nBo\nAda\n", "'Ada' is on rows 1 and 3; every student needs their own id"),
    ("Ada Lovelace\nada-lovelace\n", "'ada-lovelace' and 'Ada Lovelace' would share the file name"),
    ("student\n\n", "no students in it"),
])
def test_bad_roster(tmp_path, capsys, roster_text, says):
    path = tmp_path / "roster.csv"
    path.write_text(roster_text)
    status, _, err = run(capsys, "make", "--students", path, "--seed", "1", "--out", tmp_path / "out")
    assert status == 2 and len(err.splitlines()) == 1 and says in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, says", [
    (["make", "--count", "2", "--seed", "1", "--out", "{made}"], "already holds a class"),
    (["make", "--count", "2", "--seed", "1", "--out", "{tmp}/x", "--sizes", "2,3,2"], "only 2,2,2"),
    (["make", "--count", "2", "--out", "{tmp}/x"], "the following arguments are required: --seed"),
    (["make", "--students", "{tmp}/none.csv", "--seed", "1", "--out", "{tmp}/x"], "cannot read it"),
    (["mark", "{tmp}"], "no class here"),
    (["summary", "{tmp}"], "no class here"),
    (["mark", "{made}", "--answers", "{tmp}/none"], "no such folder of answer files"),
])
def test_bad_input_is_one_line(made, tmp_path, capsys, argv, says):
    before = tree(made)
    status, _, err = run(capsys, *[a.format(made=made, tmp=tmp_path) for a in argv])
    assert status == 2 and len(err.splitlines()) == 1 and says in err and "Traceback" not in err, err
    assert tree(made) == before  # nothing already written is lost


def test_a_template_left_blank_is_no_answers(made):
    setting = exercise.Setting(**settings(made)["Dee"])
    assert marking.mark("Dee", setting, {q: "" for q in NAMES}).status == marking.NO_ANSWERS
    assert marking.mark("Dee", setting, {"net_h1": None, "E_o1": "  "}).status == marking.NO_ANSWERS
    assert marking.mark("Dee", setting, ["0.5"]).status == marking.MALFORMED
    assert marking.mark("Dee", setting, None).status == marking.MALFORMED  # a file holding `null`


def test_summary_before_mark(roster, tmp_path, capsys):
    assert worksheet.main(["make", "--count", "1", "--seed", "3", "--out", str(tmp_path / "c")]) == 0
    status, _, err = run(capsys, "summary", tmp_path / "c")
    assert status == 2 and "not marked yet" in err and len(err.splitlines()) == 1


def test_make_keeps_answer_files_already_there(tmp_path, capsys):
    (tmp_path / "c" / "answers").mkdir(parents=True)
    (tmp_path / "c" / "answers" / "student-1.json").write_text('{"net_h1": "0.4"}')
    status, _, err = run(capsys, "make", "--count", "1", "--seed", "1", "--out", tmp_path / "c")
    assert status == 2 and "already holds a class" in err and len(err.splitlines()) == 1
    assert (tmp_path / "c" / "answers" / "student-1.json").read_text() == '{"net_h1": "0.4"}'


@pytest.mark.parametrize("change, says", [
    (lambda c: c["students"][0].update(file="../elsewhere"), "file name '../elsewhere', expected 'Ada-Lovelace'"),
    (lambda c: c["students"][0]["setting"].update(w1="0.5"), "a setting of numbers expected"),
    (lambda c: c["students"][0]["setting"].pop("w1"), "missing 1 required positional argument: 'w1'"),
    (lambda c: c.update(format="something else"), "not a class file of worksheet.py make"),
])
def test_a_class_file_not_makes_is_one_line(made, tmp_path, capsys, change, says):
    found = json.loads((made / "class.json").read_text())
    change(found)
    (tmp_path / "class.json").write_text(json.dumps(found))
    (tmp_path / "answers").mkdir()
    status, _, err = run(capsys, "mark", tmp_path)
    assert status == 2 and len(err.splitlines()) == 1 and says in err, err
    assert not (tmp_path / "marks.csv").exists()


def test_feedback_when_several_mistakes_fit(made):
    """w5+ alone, worked with w + η·∂E/∂w: update-sign, or sign-of-error carried on; the
    feedback names both and the value that would tell them apart."""
    s = settings(made)["Ada Lovelace"]
    m = marking.mark("Ada", exercise.Setting(**s), {"w5+": written(learner(s, "update-sign")["w5+"], 6, False)})
    assert m.check.diagnosis.candidates == ["sign-of-error", "update-sign"]
    page = feedback.to_markdown(m)
    assert "Several mistakes fit every value you gave: sign-of-error" in page
    assert "\nYour dE_total/dout_o1 would tell them apart: sign-of-error gives" in page
    assert marking.csv_row(m)[4] == "sign-of-error or update-sign"

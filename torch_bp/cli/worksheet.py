"""A class set: a different worked example for every student, and their working marked.

    python scripts/worksheet.py make --students roster.csv --seed 7 --out class7   # sheets, answer files, keys
    python scripts/worksheet.py make --count 30 --seed 7 --out class7               # student-01 .. student-30
    python scripts/worksheet.py mark class7       # class7/answers/*.json: feedback pages and marks.csv
    python scripts/worksheet.py summary class7    # class7/class.html: the mistakes, a picture, whom to see first

The class folder: class.json (the seed and every student's numbers), sheets/ (to print or send),
answers/ (the answer files to fill in and hand back), keys/ (for the teacher); after mark:
feedback/, marks.csv, marks.json; after summary: class.html and class-figure.svg/.png.
"""
import csv
import io
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from torch_bp.core.files import atomic_write
from torch_bp.cli.args import ArgumentParser, InputError, count, fail, integer, integers, path_arg, setting
from torch_bp.core import numbers
from torch_bp.core.chain_rule import backprop
from torch_bp.core.deck import DECK_SIZES
from torch_bp.core.model import BackpropNet
from torch_bp.explain import class_summary, exercise, feedback, marking, worksheet
from torch_bp.explain.report_html import to_html as report_page
from torch_bp.explain.check import quantities
from torch_bp.viz import draw
from torch_bp.viz.class_figure import class_figure

PROG = "worksheet.py"
CLASS_FILE, MARKS_FILE = "class.json", "marks.json"
FORMAT = "torch_bp worksheet class 1"
HEADERS = ("student", "name", "id")  # a roster's first row, if it is one of these, is a header


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="{make,mark,summary}", parser_class=ArgumentParser)
    make = sub.add_parser("make", help="a sheet, an answer file and a key for every student",
                          description="Every student's own numbers, drawn from the seed and their id.")
    who = make.add_mutually_exclusive_group(required=True)
    who.add_argument("--students", type=path_arg, metavar="ROSTER", help="a CSV file: one name or id per row")
    who.add_argument("--count", type=count, metavar="N", help="N students, named student-01 .. student-N")
    make.add_argument("--seed", type=setting("seed", integer), required=True, help="the same seed and ids give the same sheets")
    make.add_argument("--out", type=path_arg, required=True, metavar="DIR", help="the class folder (new)")
    make.add_argument("--sizes", type=setting("sizes", integers), default="2,2,2",
                      help="the network's widths; the check knows the deck's 2,2,2 only")
    mark = sub.add_parser("mark", help="mark the answer files: a feedback page each and marks.csv",
                          description="Check each student's answer file against their own numbers.")
    mark.add_argument("dir", type=path_arg, metavar="DIR", help="the class folder that make wrote")
    mark.add_argument("--answers", type=path_arg, metavar="FOLDER", help="the filled-in answer files (default: DIR/answers)")
    summary = sub.add_parser("summary", help="the class page: mistakes, a picture, whom to see first",
                             description="The class page, from the marks that mark wrote.")
    summary.add_argument("dir", type=path_arg, metavar="DIR", help="the class folder, marked")
    return p


# --- make ---------------------------------------------------------------------------------------

def read_roster(path: str) -> list[str]:
    """The ids of a roster: the first cell of each non-empty row; InputError for a duplicate id or
    two ids with one file name (exercise.file_name, ignoring case)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"--students {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    rows = [(n, row[0].strip()) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1) if row and row[0].strip()]
    if rows and rows[0][1].casefold() in HEADERS:
        rows = rows[1:]
    if not rows:
        raise InputError(f"--students {path}: no students in it (one name or id per row)")
    seen: dict[str, tuple[int, str]] = {}
    for n, student in rows:
        key = exercise.file_name(student).casefold()
        if key in seen:
            m, other = seen[key]
            why = "is on" if other == student else f"and {other!r} would share the file name {exercise.file_name(student)!r}:"
            raise InputError(f"--students {path}: {student!r} {why} rows {m} and {n}; every student needs their own id")
        seen[key] = n, student
    return [student for _, student in rows]


def _key_page(student: str, setting: exercise.Setting) -> str:
    """The key as a web page: the network drawn with this setting's round 1, then the report."""
    args = setting.check_args()
    model = BackpropNet()
    model.load_values(args["weights"])
    inputs, targets = (torch.tensor([args[k]], dtype=torch.float64) for k in ("inputs", "targets"))
    svg = draw.to_bytes(draw.network_figure(model, backprop(model, inputs, targets), round=1), "svg").decode()
    return report_page(worksheet.rows(setting), svg, f"Answer key: {student}", worksheet.key_lead(student, setting))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"))


def make(args) -> int:
    if tuple(args.sizes) != DECK_SIZES:
        raise InputError(f"--sizes {','.join(map(str, args.sizes))}: only 2,2,2 for now (the check's working, "
                         "torch_bp.explain.check_working, is the deck's 2-2-2 network)")
    students = read_roster(args.students) if args.students else [
        f"student-{k:0{len(str(args.count))}d}" for k in range(1, args.count + 1)]
    out = Path(args.out)
    if (out / CLASS_FILE).exists() or any((out / "answers").glob("*.json")):
        raise InputError(f"--out {out}: already holds a class ({CLASS_FILE} or answers/); make would overwrite its "
                         "answer files: choose a new folder")
    entries = []
    for student in students:
        setting, attempt = exercise.draw(args.seed, student)
        f = exercise.file_name(student)
        answer_file = f"answers/{f}.json"
        _write(out / "sheets" / f"{f}.html", worksheet.sheet_html(student, setting, answer_file))
        _write(out / "sheets" / f"{f}.md", worksheet.sheet_markdown(student, setting, answer_file))
        _write(out / answer_file, worksheet.answer_template(setting))
        _write(out / "keys" / f"{f}.html", _key_page(student, setting))
        _write(out / "keys" / f"{f}.md", worksheet.key_markdown(student, setting))
        entries.append({"student": student, "file": f, "attempt": attempt, "setting": asdict(setting)})
    _write(out / CLASS_FILE, json.dumps({"format": FORMAT, "seed": args.seed, "sizes": list(DECK_SIZES),
                                         "digits": exercise.DIGITS, "students": entries}, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(students)} students (seed {args.seed}): sheets/, answers/ and keys/ in {out}")
    return 0


# --- mark ---------------------------------------------------------------------------------------

def read_class(folder: Path) -> list[tuple[str, str, exercise.Setting]]:
    """(student, file name, setting) for each student of the class folder; InputError if its
    class.json is missing or not make's."""
    path = folder / CLASS_FILE
    try:
        found = numbers.parse_json(path.read_text(encoding="utf-8"))
        if not isinstance(found, dict) or found.get("format") != FORMAT:
            raise ValueError(f"not a class file of {PROG} make")
        students = [(s["student"], s["file"], exercise.Setting(**s["setting"])) for s in found["students"]]
        for student, file, setting in students:
            if file != exercise.file_name(student):
                raise ValueError(f"{student!r}: file name {file!r}, expected {exercise.file_name(student)!r}")
            if not all(isinstance(v, float) and math.isfinite(v) for v in asdict(setting).values()):
                raise ValueError(f"{student!r}: a setting of numbers expected")
        return students
    except OSError as e:
        raise InputError(f"{folder}: no class here ({path}: {e.strerror or e}); make one with `{PROG} make`") from None
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: not a class file of {PROG} make ({e})") from None


def _read_answers(path: Path, student: str, setting) -> marking.Marked:
    if not path.exists():
        return marking.Marked(student, marking.NOT_HANDED_IN)
    try:
        raw = numbers.parse_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # unreadable, not UTF-8, not JSON
        return marking.Marked(student, marking.MALFORMED, f"not valid JSON ({getattr(e, 'strerror', None) or e})")
    return marking.mark(student, setting, raw)


def mark(args) -> int:
    folder = Path(args.dir)
    students = read_class(folder)
    answers = Path(args.answers) if args.answers else folder / "answers"
    if not answers.is_dir():
        raise InputError(f"{answers}: no such folder of answer files")
    files = {f for _, f, _ in students}
    problems = [f"{path}: no student of {folder / CLASS_FILE} has this file name; not marked"
                for path in sorted(answers.glob("*.json")) if path.stem not in files]
    rows, records = [], []
    for student, f, setting in students:
        m = _read_answers(answers / f"{f}.json", student, setting)
        if m.status == marking.MALFORMED:
            problems.append(f"{answers / f'{f}.json'}: {m.problem}; {student} not marked (the others are)")
        _write(folder / "feedback" / f"{f}.html", feedback.to_html(m))
        _write(folder / "feedback" / f"{f}.md", feedback.to_markdown(m))
        rows.append(marking.csv_row(m))
        records.append(marking.record(m, f))
    table = io.StringIO()
    csv.writer(table, lineterminator="\n").writerows([marking.CSV_COLUMNS, *rows])
    _write(folder / "marks.csv", table.getvalue())
    _write(folder / MARKS_FILE, json.dumps({"students": records}, indent=1, ensure_ascii=False) + "\n")
    done = sum(r["status"] == marking.MARKED for r in records)
    print(f"{done} of {len(records)} students marked: feedback/, marks.csv in {folder}")
    for problem in problems:
        fail(f"{PROG} mark", problem)
    return 2 if problems else 0


# --- summary ------------------------------------------------------------------------------------

def summary(args) -> int:
    folder = Path(args.dir)
    read_class(folder)
    try:
        records = numbers.parse_json((folder / MARKS_FILE).read_text(encoding="utf-8"))["students"]
    except OSError:
        raise InputError(f"{folder}: not marked yet (no {MARKS_FILE}); run `{PROG} mark {folder}` first") from None
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{folder / MARKS_FILE}: not {PROG} mark's ({e}); run `{PROG} mark {folder}` again") from None
    above = [r["diagnosis"] if r["status"] != marking.MARKED or r["mistake"] != "none" else "all right" for r in records]
    fig = class_figure(list(quantities()), [r["student"] for r in records], class_summary.cells(records),
                       above, worksheet.sections(), title=f"{folder.name}: every value of every student, as the check judged it")
    svg, _ = draw.save(fig, folder / "class-figure")
    _write(folder / "class.html", class_summary.to_html(records, svg.read_text(encoding="utf-8"), f"Class {folder.name}"))
    print(f"the class page: {folder / 'class.html'}")
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"make": make, "mark": mark, "summary": summary}[args.command](args)
    except InputError as e:
        return fail(f"{PROG} {args.command}", str(e))
    except OSError as e:  # a folder that cannot be written
        return fail(f"{PROG} {args.command}", f"{e.filename}: cannot write it ({e.strerror or e})")


if __name__ == "__main__":
    sys.exit(main())

"""A student's answer file marked: the check (check.diagnose) against their own setting, and,
for each value they gave, what the slides' formula gives from their own earlier numbers.

    right            the check's verdict is not `differs` (agrees, agrees-truncated, rounding-carried)
    first wrong      the check's first value that differs for a reason other than rounding
    follows          the slides' formula for that quantity, applied to the student's own earlier
                     values (theirs where they gave one, what the formulas make of theirs where
                     not): a value that differs but follows is an earlier error carried on
                     correctly
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import localcontext

from .check import Check, diagnose, read_values
from .check_working import working
from .exercise import Setting
from .report import verdict

MARKED, NO_ANSWERS, NOT_HANDED_IN, MALFORMED = "marked", "no answers", "not handed in", "malformed"


def answers(raw) -> dict[str, str]:
    """The values the student gave (check.read_values), blanks dropped: a template's "" left
    as it was, null, or only spaces. ValueError naming the first problem; an empty dict if
    every value is blank."""
    if isinstance(raw, dict):
        raw = {q: v for q, v in raw.items() if v is not None and not (isinstance(v, str) and not v.strip())}
        if not raw:
            return {}
    return read_values(raw)


def follows(setting: Setting, given: dict[str, str]) -> dict[str, float]:
    """{quantity given: the slides' formula applied to the student's own earlier values}."""
    carried, out = setting.scalars(), {}
    for s in working():
        x = s.f(*(carried[i] for i in s.inputs))
        carried[s.quantity] = x
        if s.quantity in given:
            out[s.quantity] = x
            carried[s.quantity] = float(given[s.quantity])
    return out


def agrees(x: float, text: str) -> bool:
    """report.verdict at the written precision: rounded or cut off (with room for 30 digits)."""
    with localcontext() as ctx:
        ctx.prec = 400
        return verdict(x, text) != "differs"


@dataclass
class Marked:
    student: str
    status: str                                       # MARKED, NO_ANSWERS, NOT_HANDED_IN or MALFORMED
    problem: str = ""                                 # MALFORMED: what is wrong with the file
    check: Check | None = None                        # MARKED: the check's rows and diagnosis
    follows: dict[str, float] = field(default_factory=dict)  # MARKED: see the module's docstring

    @property
    def right(self) -> int:
        return sum(r.verdict != "differs" for r in self.check.rows) if self.check else 0

    @property
    def given(self) -> int:
        return len(self.check.rows) if self.check else 0

    @property
    def carried_forward(self) -> int:
        """Values that differ but follow from the student's own earlier values."""
        return sum(r.verdict == "differs" and agrees(self.follows[r.quantity], r.yours)
                   for r in self.check.rows) if self.check else 0

    @property
    def diagnosis(self) -> str:
        """The mistake (several that fit: "a or b"), "none", "unknown", or the status."""
        if not self.check:
            return self.status
        d = self.check.diagnosis
        return " or ".join(d.candidates) if len(d.candidates) > 1 else d.mistake


def mark(student: str, setting: Setting, raw) -> Marked:
    """Mark one answer file's content (a parsed JSON value); Marked(student, NOT_HANDED_IN)
    stands for a file that is not there."""
    try:
        given = answers(raw)
    except ValueError as e:
        return Marked(student, MALFORMED, str(e))
    if not given:
        return Marked(student, NO_ANSWERS)
    return Marked(student, MARKED, check=diagnose(given, **setting.check_args()), follows=follows(setting, given))


CSV_COLUMNS = ("student", "right", "given", "first_wrong", "diagnosis", "carried_forward")


def csv_row(m: Marked) -> list:
    """marks.csv's row: quantities right (of those given), the first wrong quantity, the
    diagnosis, and how many wrong values follow from the student's own earlier ones (only the
    student and the status where nothing was marked)."""
    if not m.check:
        return [m.student, "", "", "", m.diagnosis, ""]
    return [m.student, m.right, m.given, m.check.diagnosis.first_wrong or "", m.diagnosis, m.carried_forward]


def record(m: Marked, file: str) -> dict:
    """What the class page needs of one student (marks.json)."""
    d = m.check.diagnosis if m.check else None
    return {"student": m.student, "file": file, "status": m.status, "problem": m.problem,
            "right": m.right, "given": m.given, "carried_forward": m.carried_forward,
            "first_wrong": d.first_wrong if d else None, "mistake": d.mistake if d else None,
            "candidates": d.candidates if d else [], "diagnosis": m.diagnosis,
            "verdicts": {r.quantity: r.verdict for r in m.check.rows} if m.check else {},
            "follows": {r.quantity: agrees(m.follows[r.quantity], r.yours) for r in m.check.rows} if m.check else {}}

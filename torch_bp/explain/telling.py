"""What the check can tell apart on one setting: each catalogued mistake's working, its first
wrong number, and the conditions under which the check names it and nothing else.

A variant is the working of a student who makes one mistake (check_working.working); the
student writes its values rounded to `digits` significant digits. A unit is one in the last
digit written: 0.3775 has units of 0.0001. The check (check.py) names a
mistake when its working, or its formulas applied to the student's own earlier numbers, agrees
with every value given. So a setting is one where the check can tell the mistakes apart when

    1. the first number each mistake changes is at least MARGIN units from the true one and no
       digit slip of it (two adjacent digits swapped), and two mistakes that first change the
       same quantity are MARGIN units apart there;
    2. a digit slip (one value's two adjacent digits swapped, the rest right) is no mistake's
       working: each mistake's formulas, on the true numbers, are off at two values or more,
       and the true formulas on a mistake's numbers are off at two values or more (for the
       learning-rate mistake, whose formulas are the true ones, condition 3 stands for the first);
    3. no η but the student's keeps seven of w1+..w8+ right while moving the eighth by a
       digit slip (which moves a value by 9 units or more).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from .check import quantities
from .check_working import MISTAKES, NONE, evaluate, working
from .report import transpositions

MARGIN = 5      # units between a mistake's first wrong number and the true one, or another mistake's
SLIP_REACH = 4  # units the eighth w+ may move while seven stay right (a slip moves it 9 or more)
WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")


@dataclass(frozen=True)
class Variant:
    mistake: str                 # a MISTAKES id or NONE
    label: str                   # which way of making it: "one-path-only (own)", "learning-rate η = 0.5"
    steps: tuple                 # check_working.working(...)
    setting: dict[str, float]    # check_working's setting (η changed for learning-rate)
    values: dict[str, float]     # evaluate(steps, setting)


def variants(setting: dict[str, float], wrong_lrs=()) -> list[Variant]:
    """The true working (NONE), every catalogued mistake's (one-path-only both ways), and the
    true working with each η of wrong_lrs (learning-rate). Not digit-slip: it has no working."""
    made = [(NONE, NONE, working(), setting)]
    for m in MISTAKES:
        if m == "one-path-only":
            made += [(m, f"{m} ({path})", working(m, path), setting) for path in ("o1", "own")]
        elif m == "learning-rate":
            made += [(m, f"{m} η = {eta:g}", working(), {**setting, "η": eta}) for eta in wrong_lrs]
        elif m != "digit-slip":
            made.append((m, m, working(m), setting))
    return [Variant(m, label, steps, s, evaluate(steps, s)) for m, label, steps, s in made]


def unit(x: float, digits: int) -> float:
    """One in the last of `digits` significant digits of x (of 0: as of the sheet's values, in (0.1, 1))."""
    return 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1) if x else 10.0 ** -digits


def written(x: float, digits: int) -> float:
    """x as a student writes it: rounded to `digits` significant digits."""
    return float(f"{x:.{digits}g}")


def first_wrong(v: Variant, true: Variant) -> str | None:
    """The first quantity on the sheet whose value v's working changes (beyond float rounding)."""
    return next((q for q in quantities()
                 if not math.isclose(v.values[q], true.values[q], rel_tol=1e-9, abs_tol=1e-12)), None)


@cache
def _shown() -> frozenset[str]:
    return frozenset(quantities())


def off_at(a: Variant, b: Variant, digits: int) -> list[str]:
    """The sheet's quantities where a's working does not give b's written value, to a unit:
    neither a's own value nor a's formula applied to b's earlier (written) values."""
    carried, off, shown = dict(a.setting), [], _shown()
    for s in a.steps:
        recomputed = s.f(*(carried[x] for x in s.inputs))
        carried[s.quantity] = recomputed
        if s.quantity in shown:
            given = written(b.values[s.quantity], digits)
            u = unit(given, digits)
            if abs(a.values[s.quantity] - given) >= u and abs(recomputed - given) >= u:
                off.append(s.quantity)
            carried[s.quantity] = given
    return off


def _apart(x: float, y: float, digits: int) -> bool:
    return abs(x - y) >= MARGIN * unit(max(abs(x), abs(y)), digits)


def _first_wrong_numbers(found: list[Variant], true: Variant, digits: int) -> str | None:
    """Condition 1 of the module's docstring."""
    firsts = []  # (variant, its first wrong quantity, its value there)
    for v in found:
        q = first_wrong(v, true)
        if q is None or not _apart(v.values[q], true.values[q], digits):
            return f"{v.label} does not change a value by {MARGIN} units" + (f" (first at {q})" if q else "")
        if f"{v.values[q]:.{digits}g}" in transpositions(f"{true.values[q]:.{digits}g}"):
            return f"{v.label}'s first wrong number, {q}, is a digit slip of the true one"
        for other, q2, x2 in firsts:
            if other.mistake != v.mistake and q2 == q and not _apart(x2, v.values[q], digits):
                return f"{other.label} and {v.label} give the same first wrong number, {q}"
        firsts.append((v, q, v.values[q]))
    return None


def _lr_slip_reach(true: Variant, digits: int) -> str | None:
    """Condition 3: for each wj+, the η that keep the seven other w+ right (to a unit) move wj+
    by less than SLIP_REACH units."""
    eta, g = true.setting["η"], {w: true.values[f"dE_total/d{w}"] for w in WEIGHTS}
    for j in WEIGHTS:
        low, high = 0.0, math.inf
        for i in WEIGHTS:
            if i != j and g[i] != 0:
                u = unit(true.values[f"{i}+"], digits)
                ends = sorted(((true.values[f"{i}+"] - true.setting[i] + s * u) / -g[i] for s in (-1, 1)))
                low, high = max(low, ends[0]), min(high, ends[1])
        reach = max(abs(low - eta), abs(high - eta)) * abs(g[j])
        if reach >= SLIP_REACH * unit(true.values[f"{j}+"], digits):
            return f"another η keeps the other w+ right and moves {j}+ like a digit slip"
    return None


def why_not_told_apart(found: list[Variant], digits: int) -> str | None:
    """Why the check could not tell every mistake in `found` (variants(), NONE first) from the
    true working and from each other at `digits` significant digits; None if it can."""
    true, mistakes = found[0], found[1:]
    if reason := _first_wrong_numbers(mistakes, true, digits):
        return reason
    for v in mistakes:
        if v.mistake != "learning-rate" and len(off_at(v, true, digits)) < 2:
            return f"{v.label}'s formulas are off at fewer than two true values: a digit slip could look like it"
        if len(off_at(true, v, digits)) < 2:
            return f"the true formulas are off at fewer than two of {v.label}'s values: it could look like a digit slip"
    return _lr_slip_reach(true, digits)

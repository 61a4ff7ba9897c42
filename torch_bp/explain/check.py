"""Check a learner's working: compare their numbers for the worked example with the true ones,
find the first wrong one, and name the catalogued mistake that explains them all.

The learner's values are the text they wrote: "0.59327" claims 5 decimals (a JSON number
claims the digits of its repr). Each given quantity, in the order of the computation, gets a
verdict (report.verdict at the written precision):

    agrees             the true value, rounded, is the written one
    agrees-truncated   only the true value cut off toward zero is
    rounding-carried   neither, but the slides' formula applied to the learner's own earlier
                       (rounded) values gives it: an earlier value was rounded and carried on
    differs            none of these

A mistake is a variant of the learner's working (check_working.working()): the slides' scalar
formulas with one step done wrong. It fits when its values, with the learner's own earlier
values carried on as above, agree with every given value at its precision. The true values
are torch_bp's (report.worked_example, i.e. backprop()); working() models the learner only.
"""
from __future__ import annotations

import difflib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from functools import cache

import torch

from .check_working import MISTAKES, NONE, UNKNOWN, evaluate, working
from torch_bp.core.model import BackpropNet
from .report import transpositions, verdict, worked_example
from torch_bp.core.deck import DECK_INPUTS, DECK_LR, DECK_TARGETS

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
ZERO_DECIMALS = 1  # a zero written with no decimals ("0") claims nothing about the working
_MAX_DIGITS = 30  # more than float64 holds; bounds the Decimal arithmetic of a comparison


# --- The learner's file -------------------------------------------------------------------------

@cache
def quantities() -> tuple[str, ...]:
    """The names a learner's file may use, in the order of the computation: the quantity names
    of explain.py's rows for one step (the training rounds are not one step's working)."""
    rows = {r.quantity for r in worked_example(rounds=(), printed=False)}
    return tuple(s.quantity for s in working() if s.quantity in rows)


def read_values(values) -> dict[str, str]:
    """{quantity: the text written}; ValueError naming the first problem."""
    if not isinstance(values, dict):
        raise ValueError("expected a JSON object of quantity names to values, like {\"net_h1\": \"0.3775\"}")
    if not values:
        raise ValueError("no values: expected quantity names to values, like {\"net_h1\": \"0.3775\"}")
    names, texts = quantities(), {}
    unknown = [name for name in values if name not in names]
    if unknown:
        raise ValueError(f"unknown quantit{'y' if len(unknown) == 1 else 'ies'} " + "; ".join(
            f"{name!r} (did you mean {difflib.get_close_matches(name, names, 1, 0.0)[0]}?)" for name in unknown)
            + " (the quantity names of the worked example's rows: explain.py --format json)")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"{name}: {json.dumps(value)} is not a number")
        text = value.strip() if isinstance(value, str) else repr(value)
        if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
            raise ValueError(f"{name}: {json.dumps(value)} is not a finite number")
        digits = Decimal(text).as_tuple()
        if len(digits.digits) > _MAX_DIGITS or abs(digits.exponent) > _MAX_DIGITS:
            raise ValueError(f"{name}: {json.dumps(value)} has more than {_MAX_DIGITS} digits or decimals")
        texts[name] = text
    return {q: texts[q] for q in names if q in texts}


# --- Judging ------------------------------------------------------------------------------------

def _agrees(x: float, text: str) -> str:
    """report.verdict, with room for the digits a learner may write (read_values bounds them). A
    zero written with no decimals ("0") agrees only with a true zero: cut off, it would pass for
    every number below 1, so it says nothing about the working; "0.0000" for 0.000012 is a
    rounding like any other, as the slides round."""
    if not math.isfinite(x) or (Decimal(text) == 0 and _decimals(text) < ZERO_DECIMALS and x != 0):
        return "differs"
    with localcontext() as ctx:
        ctx.prec = 400
        return verdict(x, text)


def _judge(steps, exact, setting, given: dict[str, str], slip: str | None = None, carry_slip: bool = False,
           fit_only: bool = False):
    """The verdict of each given value under a working: against its exact values, else against
    the working's formula applied to the learner's own earlier values (those that are not
    `differs`; for the others, what the formula gives). slip: a value let through as a digit
    slip, carried on when carry_slip. Returns ({quantity: verdict}, {quantity: carried value});
    fit_only: whether no given value but slip `differs`, at the first that does."""
    carried, verdicts = dict(setting), {}
    for s in steps:
        recomputed = s.f(*(carried[x] for x in s.inputs))
        carried[s.quantity] = recomputed
        if s.quantity not in given:
            continue
        text = given[s.quantity]
        v = _agrees(exact[s.quantity], text)
        if v == "differs" and _agrees(recomputed, text) != "differs":
            v = "rounding-carried"
        if fit_only and v == "differs" and s.quantity != slip:
            return False
        verdicts[s.quantity] = v
        if v != "differs" or (s.quantity == slip and carry_slip):
            carried[s.quantity] = float(text)
    return True if fit_only else (verdicts, carried)


@dataclass
class Line:
    quantity: str
    formula: str
    yours: str      # as written
    true: float     # torch_bp's value
    verdict: str    # agrees, agrees-truncated, rounding-carried or differs


@dataclass
class Diagnosis:
    mistake: str                 # a MISTAKES id, NONE or UNKNOWN
    first_wrong: str | None      # the first quantity that differs for a reason other than rounding
    explanation: str
    candidates: list[str] = field(default_factory=list)  # every id that fits (several: ambiguous)
    lr: float | None = None      # for learning-rate: the η that fits


@dataclass
class Check:
    rows: list[Line]
    diagnosis: Diagnosis


def _setting(weights, inputs, targets, lr) -> dict[str, float]:
    model = BackpropNet()
    if weights is not None:
        model.load_values(weights)
    values = [v for p in model.parameters() for v in p.detach().flatten().tolist()]
    (i1, i2), (t1, t2) = (torch.as_tensor(v, dtype=torch.float64).flatten().tolist() for v in (inputs, targets))
    return {**dict(zip(model.scalar_names(), values)), "i1": i1, "i2": i2,
            "target_o1": t1, "target_o2": t2, "η": float(lr)}


def _fitted_lrs(setting, exact, given):
    """Positive η other than the given one that w+ = w − η·∂E_total/∂w may need, shortest
    first: the η each given w+ allows at its precision (rounded or cut off; with the true
    ∂E_total/∂w, or the learner's own), all of them together, then each alone, and in that
    range the numbers of 1, 2, … significant digits (the smallest, and the three nearest the
    middle: where w+ of many digits pin η only to float64's rounding, the middle is the η used)."""
    ranges = {"true": [], "own": []}
    for wn in ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"):
        if f"{wn}+" not in given:
            continue
        text = Decimal(given[f"{wn}+"])
        unit = Decimal(1).scaleb(text.as_tuple().exponent)
        # the w+ that round or cut off to text: cut off toward zero, a zero may come from either side
        low, high = (text - unit, text + unit) if text == 0 else (
            (text - unit / 2, text + unit) if text > 0 else (text - unit, text + unit / 2))
        g = exact[f"dE_total/d{wn}"]
        for whose, g in (("true", g), ("own", float(given.get(f"dE_total/d{wn}", g)))):
            if g != 0:  # η = (w − w+)/g over w+ in [low, high], widened by float64's rounding of
                # w − η·g and of (w − w+)/g (w − w+ cancels): a w+ of 17 digits or more
                lo, hi = sorted(((setting[wn] - float(low)) / g, (setting[wn] - float(high)) / g))
                pad = 16 * sys.float_info.epsilon * ((abs(setting[wn]) + abs(float(text))) / abs(g) + abs(hi))
                ranges[whose].append((lo - pad, hi + pad))
    together = [(max(r[0] for r in rs), min(r[1] for r in rs)) for rs in ranges.values() if rs]
    for low, high in [*together, *ranges["true"], *ranges["own"]]:
        if high <= 0 or low > high:
            continue
        for digits in range(1, 16):  # the smallest, and the three nearest the middle (the estimate itself)
            step = 10.0 ** (math.floor(math.log10(high)) - digits + 1)
            middle = round((low + high) / 2 / step)
            for k in dict.fromkeys([max(math.ceil(low / step), 1), middle, middle - 1, middle + 1]):
                eta = float(f"{k * step:.{digits}g}")
                if k > 0 and low <= eta <= high and eta != setting["η"]:
                    yield eta


def _variants(setting, exact, given, first):
    """(id, working, setting, note) for every catalogued mistake but digit-slip; learning-rate
    only where the first wrong value is a w+ (before them it changes nothing)."""
    for m in MISTAKES:
        if m == "one-path-only":
            yield m, working(m, "o1"), setting, "∂E_total/∂out_h1 and ∂E_total/∂out_h2 both from E_o1 alone"
            yield m, working(m, "own"), setting, "∂E_total/∂out_h1 from E_o1 alone, ∂E_total/∂out_h2 from E_o2 alone"
        elif m == "learning-rate" and first.endswith("+"):
            for eta in dict.fromkeys(_fitted_lrs(setting, exact, given)):
                yield m, working(), {**setting, "η": eta}, f"η = {eta!r} fits, not the given {setting['η']!r}"
        elif m not in ("digit-slip", "learning-rate"):
            yield m, working(m), setting, ""


def diagnose(values: dict[str, str], weights: dict | None = None, inputs=DECK_INPUTS, targets=DECK_TARGETS,
             lr: float = DECK_LR) -> Check:
    """Compare the learner's values (read_values) with torch_bp's, and name the mistake.

    weights, inputs, targets, lr: the setting, as report.worked_example takes it (the deck's
    by default). Raises ValueError for a bad setting."""
    rows = {r.quantity: r for r in worked_example(weights, inputs, targets, lr, rounds=(), printed=False)}
    setting = _setting(weights, inputs, targets, lr)
    true_working = working()
    exact = {**evaluate(true_working, setting), **{q: r.computed for q, r in rows.items()}}
    verdicts, carried = _judge(true_working, exact, setting, values)
    lines = [Line(q, rows[q].formula, text, rows[q].computed, verdicts[q]) for q, text in values.items()]
    first = next((q for q, v in verdicts.items() if v == "differs"), None)
    if first is None:
        return Check(lines, Diagnosis(NONE, None, _all_agree(verdicts), [NONE]))

    fits = {}  # id -> (its exact values, note, its setting); the first variant of an id that fits
    for m, steps, s, note in _variants(setting, exact, values, first):
        if m not in fits:
            predicted = evaluate(steps, s)
            if _judge(steps, predicted, s, values, fit_only=True):
                fits[m] = predicted, note, s
    if slip := _slip(values[first], exact[first]):
        for carry in (False, True):
            if _judge(true_working, exact, setting, values, slip=first, carry_slip=carry, fit_only=True):
                note = f"{values[first]} is {slip} with two adjacent digits swapped"
                fits["digit-slip"] = exact, note + ("; your later values carry the slip on" if carry else ""), setting
                break
    fits = {m: fits[m] for m in MISTAKES if m in fits}  # catalogue order
    yours = f"{first} is the first value that differs: yours {values[first]}, true {_shown(exact[first], values[first])}"
    if not fits:
        return Check(lines, Diagnosis(UNKNOWN, first, f"{yours}. No catalogued mistake fits. "
                                      + _redo(true_working, first, rows[first].formula, setting, carried, values), []))
    mistake = next(iter(fits))
    lr_fit = fits["learning-rate"][2]["η"] if "learning-rate" in fits else None
    described = "; ".join(f"{m}, {MISTAKES[m]}" + (f": {note}" if note else "") for m, (_, note, _) in fits.items())
    if len(fits) == 1:
        explanation = f"{yours}. The mistake that fits every value you gave: {described}."
    else:
        apart = _tells_apart({m: p for m, (p, _, _) in fits.items()}, values)
        explanation = f"{yours}. {len(fits)} mistakes fit every value you gave: {described}. {apart}"
    return Check(lines, Diagnosis(mistake, first, explanation, list(fits), lr_fit))


def _decimals(text: str) -> int:
    return max(0, -Decimal(text).as_tuple().exponent)


def _shown(x: float, text: str) -> str:
    """x with two more decimals than the learner wrote."""
    return f"{x:.{_decimals(text) + 2}f}"


def _slip(text: str, true: float) -> str | None:
    """The text with two adjacent digits swapped back, where that agrees with the true value."""
    return next((t for t in transpositions(text) if _agrees(true, t) != "differs"), None)


def _all_agree(verdicts: dict[str, str]) -> str:
    counts = {v: sum(x == v for x in verdicts.values()) for v in ("agrees-truncated", "rounding-carried")}
    extra = [f"{n} {v}" for v, n in counts.items() if n]
    return ("Every value you gave agrees with the true one at the precision you wrote"
            + (f" ({', '.join(extra)})." if extra else "."))


def _redo(steps, first, formula, setting, carried, values) -> str:
    """The first wrong step's formula with its inputs as the learner's values give them."""
    step = next(s for s in steps if s.quantity == first)
    ins = []
    for x in step.inputs:
        whose = "yours" if x in values else ("the setting" if x in setting else "from your values")
        ins.append(f"{x} = {carried[x]:.10g} ({whose})")
    value = _shown(step.f(*(carried[x] for x in step.inputs)), values[first])
    return f"Redo this step: {formula}, with {', '.join(ins)}, gives {value}."


def _tells_apart(predicted: dict[str, dict[str, float]], values: dict[str, str]) -> str:
    """The first quantity not given whose value the fitting mistakes predict differently."""
    digits = max(4, max(len(Decimal(t).as_tuple().digits) for t in values.values()))
    for q in quantities():
        if q in values:
            continue
        shown = {m: f"{p[q]:.{digits}g}" for m, p in predicted.items()}
        if len(set(shown.values())) > 1:
            return f"Your {q} would tell them apart: " + ", ".join(f"{m} gives {v}" for m, v in shown.items()) + "."
    return "No other quantity tells them apart."

"""Every printed number of the slides, and torch_bp's float64 values, against the 50-digit reference.

For each quantity of round 1 (and E_total at the error table's rounds, and the state at round
10,000): its exact value (reference.py, reference_rounds.py), torch_bp's float64 value and its
error in ulps, ulps = (float64 − exact) / ulp(float64), |ulps| ≤ ½ being a correctly rounded
float64. Where the slides print the quantity, what the printed digits are:

    rounding      the exact value rounded (half to even) at the printed decimals
    truncation    not that, but the exact value cut off toward zero
    wrong         neither; the note names the first wrong digit against the correct rounding
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import cache

from torch_bp.core.deck import DECK_INPUTS, DECK_LR, DECK_TARGETS
from torch_bp.core.model import BackpropNet
from torch_bp.core.sgd import manual_sgd
from . import reference
from .report import slide_printings
from .reference import DIGITS, MP, ROUNDS
from .reference_rounds import training
from .report import worked_example

KINDS = ("rounding", "truncation", "wrong")
# explain's verdict (torch_bp.explain.report.verdict) that means the same of a float64 value
EXPLAIN_VERDICT = {"rounding": "agrees", "truncation": "agrees-truncated", "wrong": "differs"}
TRAINING, LAST = "E_total at the error table's rounds", f"Round {ROUNDS[-1]:,}"


@dataclass
class ReferenceRow:
    section: str
    quantity: str                # as torch_bp.explain.report names it: "dE_total/dw5", "E_total at round 300"
    exact: str                   # DIGITS significant digits
    float64: float               # torch_bp's value
    ulps: float                  # (float64 − exact) / ulp(float64)
    printed: str | None = None   # the slide's text, where it prints the quantity
    source: str | None = None    # "slides 29-30 (Backpropagation)"
    digits: str | None = None    # one of KINDS, for a printed number
    note: str = ""               # for a wrong one: the first wrong digit


def ulps(x: float, exact) -> float:
    """(x − exact) / ulp(x), in the reference's precision."""
    return float((MP.mpf(x) - exact) / math.ulp(x))


def printed_digits(exact, printed: str) -> tuple[str, str]:
    """(kind, note): what the printed text is of the exact value (an mpf) at its decimals."""
    p, x = Decimal(printed), Decimal(reference.text(exact, DIGITS + 5))
    rounded = x.quantize(p, ROUND_HALF_EVEN)
    if rounded == p:
        return "rounding", ""
    if x.quantize(p, ROUND_DOWN) == p:
        return "truncation", f"correctly rounded: {rounded}"
    right, wrong = f"{rounded:f}", f"{p:f}"
    at = next(k for k, (a, b) in enumerate(zip(right, wrong)) if a != b)
    decimal = at - right.index(".")
    return "wrong", (f"decimal {decimal}: printed {wrong[at]}, exact {right[at]} "
                     f"(correctly rounded: {rounded})")




@cache
def float64_training(rounds: tuple[int, ...] = ROUNDS) -> dict[int, dict[str, float]]:
    """torch_bp's own run of the deck (manual_sgd, float64): E_total, out_o1, out_o2 and w1..w8
    at each round r, before the r-th update."""
    model, seen = BackpropNet(), {}
    batches = itertools.repeat((DECK_INPUTS, DECK_TARGETS))
    for r, trace in enumerate(manual_sgd(model, batches, DECK_LR), start=1):
        if r in rounds:
            w = [v for layer in model.layers for v in layer.weight.flatten().tolist()]
            out = trace.outputs[0].tolist()
            seen[r] = {"E_total": float(trace.loss), "out_o1": out[0], "out_o2": out[1],
                       **{f"w{k}": v for k, v in enumerate(w, start=1)}}
        if r == max(rounds):
            return seen


def _rows(section: str, quantity: str, exact, value: float, printings) -> list[ReferenceRow]:
    """One row per printing of the quantity (one row if it is not printed)."""
    base = dict(section=section, exact=reference.text(exact), float64=value, ulps=ulps(value, exact))
    rows = []
    for key, text, source in printings:
        digits, note = printed_digits(exact, text)
        rows.append(ReferenceRow(quantity=key, printed=text, source=source, digits=digits, note=note, **base))
    return rows or [ReferenceRow(quantity=quantity, **base)]


def reference_rows() -> list[ReferenceRow]:
    """Round 1's quantities in the worked example's order, E_total at the error table's rounds,
    and E_total, out_o1, out_o2, w1..w8 at round 10,000, each against the reference."""
    exact, printings, rows = reference.round_one(), slide_printings(), []
    for line in worked_example(rounds=(), printed=False):  # torch_bp's float64 round 1
        rows += _rows(line.section, line.quantity, exact[line.quantity], line.computed,
                      printings.get(line.quantity, []))
    exact_rounds, ours = training(), float64_training()
    for r in ROUNDS:
        q = f"E_total at round {r}"
        rows += _rows(TRAINING, q, exact_rounds[r]["E_total"], ours[r]["E_total"], printings.get(q, []))
    last = ROUNDS[-1]
    for name, x in exact_rounds[last].items():
        if name != "E_total":  # already above
            rows += _rows(LAST, f"{name} at round {last}", x, ours[last][name], [])
    return rows


def summary(rows: list[ReferenceRow]) -> dict:
    """How many printed numbers are each kind, and float64's largest errors in ulps: over round
    1, and after 10,000 rounds (E_total at round 10,000, relative too; E_total, out and w1..w8)."""
    printed = [r for r in rows if r.digits]
    first = [r for r in rows if r.section not in (TRAINING, LAST)]
    E_last = next(r for r in rows if r.quantity == f"E_total at round {ROUNDS[-1]}")
    last = [E_last, *(r for r in rows if r.section == LAST)]
    return {"digits": DIGITS, "printed": len(printed), **{k: sum(r.digits == k for r in printed) for k in KINDS},
            "round_1_max_ulps": max(abs(r.ulps) for r in first),
            "E_total_round_10000_ulps": E_last.ulps,
            "E_total_round_10000_relative": E_last.ulps * math.ulp(E_last.float64) / E_last.float64,
            "round_10000_max_ulps": max(abs(r.ulps) for r in last)}

"""∂E_total/∂w1 of the deck three ways at every step size h, each against the 50-digit value.

    forward differences   (E(w1 + h) − E(w1)) / h           truncation h/2 · |E''|
    central differences   (E(w1 + h) − E(w1 − h)) / 2h      truncation h²/6 · |E'''|
    complex step          Im E(w1 + ih) / h                  truncation h²/6 · |E'''|

The differences subtract two nearly equal float64 errors, so each also carries a round-off
error of about u·E/h (u = 2^−53): it grows as h shrinks, and where w1 + h rounds to w1 the
estimate is 0 (relative error 1). Their error is a V: truncation falls with h, round-off rises.
The complex step subtracts nothing: once its truncation is gone (h ≲ 1e-8) it stays at
float64's last digits, down to h = 1e-200. E is torch_bp's float64 forward pass
(BackpropNet, half_sse); the complex step is torch_bp.core.complex_step's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import torch

from torch_bp.core.complex_step import complex_step_gradients
from torch_bp.core.deck import DECK_INPUTS, DECK_TARGETS
from torch_bp.core.loss import half_sse
from torch_bp.core.model import BackpropNet
from . import reference

QUANTITY = "dE_total/dw1"
# h = 1e-1 … 1e-20 one decade at a time, then 1e-30 … 1e-200
STEPS = tuple(10.0 ** -k for k in (*range(1, 21), *range(30, 201, 10)))
METHODS = ("forward differences", "central differences", "complex step")


@dataclass
class StepRow:
    h: float
    values: dict[str, float]           # method -> its ∂E_total/∂w1
    relative_errors: dict[str, float]  # method -> |value − exact| / |exact|


def _error_at(model: BackpropNet, w1: float) -> float:
    """E_total of the deck's network with w1 set to the float64 w1."""
    with torch.no_grad():
        model.layers[0].weight[0, 0] = w1
        return float(half_sse(model(DECK_INPUTS), DECK_TARGETS))


def derivatives(h: float) -> dict[str, float]:
    """∂E_total/∂w1 of the deck by each method at step h."""
    model = BackpropNet()
    w1 = model.layers[0].weight[0, 0].item()
    E0, E_plus, E_minus = (_error_at(model, w) for w in (w1, w1 + h, w1 - h))
    _error_at(model, w1)
    return {
        "forward differences": (E_plus - E0) / h,
        "central differences": (E_plus - E_minus) / (2 * h),
        "complex step": complex_step_gradients(model, DECK_INPUTS, DECK_TARGETS, h)["layers.0.weight"][0, 0].item(),
    }


@cache
def step_table(steps: tuple[float, ...] = STEPS) -> list[StepRow]:
    """One row per step h: each method's value and relative error against the reference
    (computed once per process: callers only read the rows)."""
    exact = reference.round_one()[QUANTITY]
    rows = []
    for h in steps:
        values = derivatives(h)
        errors = {m: float(abs((reference.MP.mpf(v) - exact) / exact)) for m, v in values.items()}
        rows.append(StepRow(h, values, errors))
    return rows


def best_step(rows: list[StepRow], method: str) -> StepRow:
    """The row where a method's relative error is smallest."""
    return min(rows, key=lambda r: r.relative_errors[method])


def to_text(rows: list[StepRow]) -> str:
    """The relative errors, one line per h."""
    exact = reference.text(reference.round_one()[QUANTITY], 20)
    lines = [f"∂E_total/∂w1 of the deck = {exact}… (50-digit reference); relative error of each estimate:",
             "", f"{'h':>7}  " + "  ".join(f"{m:>19}" for m in METHODS)]
    lines += [f"{r.h:7.0e}  " + "  ".join(f"{r.relative_errors[m]:19.1e}" for m in METHODS) for r in rows]
    for m in METHODS:
        best = best_step(rows, m)
        lines.append(f"best {m}: {best.relative_errors[m]:.1e} at h = {best.h:.0e}")
    return "\n".join(lines) + "\n"


def to_markdown(rows: list[StepRow]) -> str:
    out = ["| h | " + " | ".join(METHODS) + " |", "|---:|" + "---:|" * len(METHODS)]
    out += [f"| {r.h:.0e} | " + " | ".join(f"{r.relative_errors[m]:.1e}" for m in METHODS) + " |" for r in rows]
    return "\n".join(out) + "\n"


def to_json(rows: list[StepRow]) -> str:
    """{"quantity", "exact" (50 digits, a string), "rows": [{"h", "values", "relative_errors"}]}."""
    data = {"quantity": QUANTITY, "exact": reference.text(reference.round_one()[QUANTITY]),
            "rows": [{"h": r.h, "values": r.values, "relative_errors": r.relative_errors} for r in rows]}
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}

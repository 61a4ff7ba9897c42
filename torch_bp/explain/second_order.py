"""The second derivative of the deck's network, line by line: every entry of the Hessian of E over
w1..w8 (the weights the deck trains; b1, b2 stay fixed) with its formula and its two parts, the
eigenvalues and the trace, and what the curvature says about the first SGD step:

    ΔE ≈ −η ‖g‖²                         first order (the step is −η g, g = ∂E/∂w)
    ΔE ≈ −η ‖g‖² + ½ η² gᵀ H g           second order
    ΔE  = E(w − η g) − E(w)              what the step does

Values come from the hand-written Hessian (torch_bp.core.hessian) and chain rule; the formulas
are written out by second_order_formulas, whose own arithmetic the tests hold against them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from torch_bp.core.chain_rule import backprop
from torch_bp.core.deck import DECK_WEIGHTS
from torch_bp.core.hessian import hessian
from torch_bp.core.model import BackpropNet
from . import second_order_formulas as sf

CURVATURE, ENTRIES, SPECTRUM, STEP = ("Curvature of each unit", "The Hessian of E over w1..w8",
                                      "Eigenvalues and trace", "The first SGD step")
TRAINED = ["layers.0.weight", "layers.1.weight"]  # w1..w4, w5..w8
NAMES = list(sf.WEIGHTS)                          # w1..w8, in the order of TRAINED, row by row
ZERO = 1e-12                                      # |λ| ≤ ZERO · ‖H‖₂: zero up to rounding


class NotFinite(ValueError):
    """A value of the report overflowed float64 (huge inputs or weights)."""


@dataclass
class Row:
    section: str
    quantity: str                    # "d2E/dw5dw1", "lambda_1", "dE first order"
    formula: str                     # in the deck's notation
    value: float
    gauss_newton: float | None = None  # the Gauss-Newton part of value, where it splits
    residual: float | None = None      # the residual part
    note: str = ""


def setting(weights: dict | None, inputs, targets) -> tuple[BackpropNet, torch.Tensor, torch.Tensor]:
    model = BackpropNet()
    model.load_values(weights if weights is not None else DECK_WEIGHTS)  # ValueError: a bad entry
    return model, *(torch.tensor([list(v)], dtype=torch.float64) for v in (inputs, targets))


def second_order(weights: dict | None, inputs, targets, lr: float) -> list[Row]:
    """Every row, in order: curvature, Hessian entries, spectrum, first step."""
    model, x, t = setting(weights, inputs, targets)
    trace = backprop(model, x, t)
    H = hessian(model, x, t, TRAINED)
    if not bool(H.gauss_newton.isfinite().all() and H.residual.isfinite().all()):
        raise NotFinite("the second derivatives overflow float64 for these numbers")
    rows = _curvature(trace, t) + _entries(H) + _spectrum(H, lr) + _first_step(model, x, t, lr, trace, H)
    bad = [r.quantity for r in rows
           if not all(math.isfinite(v) for v in (r.value, r.gauss_newton or 0.0, r.residual or 0.0))]
    if bad:
        raise NotFinite(f"{bad[0]} overflows float64 for these numbers")
    return rows


def symbol_values(model: BackpropNet, trace, targets: torch.Tensor) -> dict[str, float]:
    h, o = (layer.out[0].tolist() for layer in trace.layers)
    w = torch.cat([model.layers[0].weight.detach().flatten(), model.layers[1].weight.detach().flatten()]).tolist()
    return sf.symbol_values({"h1": h[0], "h2": h[1], "o1": o[0], "o2": o[1]},
                            dict(zip(("i1", "i2"), trace.inputs[0].tolist())),
                            dict(zip(sf.OUTPUTS, targets[0].tolist())), dict(zip(NAMES, w)))


def _curvature(trace, targets) -> list[Row]:
    rows = []
    for (u, layer) in (("h", trace.layers[0]), ("o", trace.layers[1])):
        for j, out in enumerate(layer.out[0].tolist(), start=1):
            d1, n = out * (1 - out), f"{u}{j}"
            rows += [Row(CURVATURE, f"sigma'_{n}", f"σ'_{n} = ∂out_{n}/∂net_{n} = out_{n}(1 − out_{n})", d1),
                     Row(CURVATURE, f"sigma''_{n}", f"σ''_{n} = ∂²out_{n}/∂net_{n}² = σ'_{n}(1 − 2·out_{n})",
                         d1 * (1 - 2 * out))]
    for k, (out, target) in enumerate(zip(trace.outputs[0].tolist(), targets[0].tolist()), start=1):
        rows.append(Row(CURVATURE, f"out_o{k} - target_o{k}", f"out_o{k} − target_o{k} = ∂E/∂out_o{k}",
                        out - target))
    return rows


def _entries(H) -> list[Row]:
    rows = []
    for a in range(8):
        for b in range(a, 8):
            wa, wb = NAMES[a], NAMES[b]
            gn, res = sf.entry(wa, wb)
            lhs = f"∂²E/∂{wa}²" if a == b else f"∂²E/∂{wa}∂{wb}"
            rows.append(Row(ENTRIES, f"d2E/d{wa}d{wb}", f"{lhs} = [{sf.render(gn)}] + [{sf.render(res)}]",
                            H.total[a, b].item(), H.gauss_newton[a, b].item(), H.residual[a, b].item()))
    return rows


def _spectrum(H, lr: float) -> list[Row]:
    ev = torch.linalg.eigvalsh(H.total).flip(0).tolist()  # largest first
    scale = max(abs(v) for v in ev)
    rows = [Row(SPECTRUM, f"lambda_{k}", f"λ_{k}: H u = λ_{k} u" + (" (λ_max, the sharpness)" if k == 1 else ""), v,
                note="zero up to rounding" if abs(v) <= ZERO * scale else "")
            for k, v in enumerate(ev, start=1)]
    rows.append(Row(SPECTRUM, "trace", "tr H = Σ_k ∂²E/∂w_k² = Σ_k λ_k", H.total.trace().item(),
                    H.gauss_newton.trace().item(), H.residual.trace().item()))
    rows.append(Row(SPECTRUM, "2/lr", "2/η: gradient descent on a quadratic is stable while λ_max < 2/η", 2 / lr,
                    note=f"λ_max is {ev[0] * lr / 2:.3g} of 2/η"))
    return rows


def _first_step(model, x, t, lr: float, trace, H) -> list[Row]:
    g = torch.cat([trace.grads[n].flatten() for n in TRAINED])  # ∂E/∂w1 .. ∂E/∂w8
    gg = (g @ g).item()
    gHg, gGg, gRg = ((g @ M @ g).item() for M in (H.total, H.gauss_newton, H.residual))
    with torch.no_grad():  # the deck's first update, w ← w − η ∂E/∂w (biases fixed)
        for name, p in model.named_parameters():
            if name in TRAINED:
                p.sub_(lr * trace.grads[name])
    after = backprop(model, x, t, keep=False).loss.item()
    actual = after - trace.loss.item()
    first, second = -lr * gg, -lr * gg + 0.5 * lr * lr * gHg  # lr * lr: inf, not OverflowError
    return [
        Row(STEP, "|g|^2", "‖g‖² = Σ_k (∂E/∂w_k)²", gg),
        Row(STEP, "gHg", "gᵀ H g = Σ_jk ∂E/∂w_j · ∂²E/∂w_j∂w_k · ∂E/∂w_k (curvature along the step)",
            gHg, gGg, gRg),
        Row(STEP, "E before", "E_total before the step", trace.loss.item()),
        Row(STEP, "E after", "E_total after w ← w − η g", after),
        Row(STEP, "dE", "ΔE = E(w − η g) − E(w), the actual change", actual),
        Row(STEP, "dE first order", "ΔE ≈ −η ‖g‖²", first, note=f"predicted − actual = {first - actual:.3g}"),
        Row(STEP, "dE second order", "ΔE ≈ −η ‖g‖² + ½ η² gᵀ H g", second,
            note=f"predicted − actual = {second - actual:.3g}"),
    ]

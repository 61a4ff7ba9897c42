"""Sharpness: the largest eigenvalue λ_max of the Hessian of E, by power iteration on the
hand-written Hessian-vector product (core/hessian.py), for one network or N stacked ones at once.

Gradient descent θ ← θ − η ∇E on a quadratic with curvature λ is stable only while η λ < 2, so
λ_max is compared with 2/η (Cohen et al., ICLR 2021: it rises to 2/η and hovers there).

Power iteration, seeded, for each network on its own:
    v ← a unit vector drawn from torch.Generator().manual_seed(seed)
    repeat:  w = H v,  λ = vᵀ w,  r = ‖w − λ v‖,  v ← w / ‖w‖
    until    r ≤ tol · |λ_dom|   (|λ_dom| = ‖H‖₂: then an eigenvalue of H lies within tol · ‖H‖₂ of λ)
It finds λ_dom, the eigenvalue largest in size. If λ_dom < 0 the same iteration on H − λ_dom I
(every eigenvalue ≥ 0, the largest λ_max − λ_dom) gives λ_max, with the same stopping rule.
Each product shrinks the error by about |λ_2 / λ_1| of the matrix iterated: slow where the top
two eigenvalues nearly meet (after a shift: λ_max small beside |λ_min| with another eigenvalue
close to it). Where max_iters ends it first, `converged` is False and the value the last estimate.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .hessian import hvp_parts
from .passes import Forward, Params, forward, names_of, params_of

POWER_TOL = 1e-6       # stop when ‖H v − λ v‖ ≤ POWER_TOL · ‖H‖₂
POWER_MAX_ITERS = 1000  # and stop there whatever (Sharpness.converged says which stopped how)


@dataclass
class Sharpness:
    value: torch.Tensor      # λ_max, () or (N,)
    iterations: torch.Tensor  # Hessian-vector products spent, () or (N,)
    converged: torch.Tensor   # residual ≤ tol · ‖H‖₂ reached, () or (N,) bool
    vector: list[torch.Tensor]  # the last unit vector, stacked (W_1, b_1, ...): a warm start


def _dot(a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
    """Σ over every scalar of each network: (N,)."""
    return sum((x * y).reshape(len(x), -1).sum(1) for x, y in zip(a, b))


def _start(p: Params, mask: list[bool], seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    W_b = [t for pair in zip(p.W, p.b) for t in pair]
    v = [torch.randn(t.shape, generator=g, dtype=t.dtype).to(t.device) if m else torch.zeros_like(t)
         for t, m in zip(W_b, mask)]
    norm = _dot(v, v).rsqrt()
    return [x * _bcast(norm, x) for x in v]


def _bcast(s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return s.view(-1, *[1] * (x.dim() - 1))  # (N,) against (N, ...)


def _power(p: Params, f: Forward, v: list, shift: torch.Tensor, mask: list[bool], tol: float, max_iters: int):
    """Power iteration on H − shift·I from the unit vectors v, each network until its own stop.
    mask: which parameters move (the others' parts of every vector stay 0)."""
    lam, done = torch.zeros_like(shift), torch.zeros_like(shift, dtype=torch.bool)
    iters = torch.zeros_like(shift, dtype=torch.long)
    for _ in range(max_iters):
        gn, res = hvp_parts(p, f, v)
        w = [(a + b - _bcast(shift, x) * x) * m for a, b, x, m in zip(gn, res, v, mask)]  # (H − shift I) v
        rq = _dot(v, w)                                                    # Rayleigh quotient
        r = [x - _bcast(rq, y) * y for x, y in zip(w, v)]
        residual = _dot(r, r).sqrt()                                       # ‖(H − shift I) v − rq v‖
        scale = torch.maximum((rq + shift).abs(), shift.abs())             # |λ_dom| = ‖H‖₂
        iters += ~done
        lam = torch.where(done, lam, rq)
        done = done | (residual <= tol * scale)
        norm = _dot(w, w).sqrt()
        keep = done | (norm == 0)                                          # H v = 0: v is an eigenvector
        v = [torch.where(_bcast(keep, x), x, y / _bcast(torch.where(norm == 0, 1, norm), y)) for x, y in zip(v, w)]
        if bool(done.all()):
            break
    return lam, iters, done, v


@torch.no_grad()
def sharpness(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, names: list[str] | None = None, *,
              tol: float = POWER_TOL, max_iters: int = POWER_MAX_ITERS, seed: int = 0,
              start: list[torch.Tensor] | None = None, activations=None) -> Sharpness:
    """λ_max of the Hessian of E over the parameters `names` (default: all; training's are
    core.sgd.trained_names(model, train_bias)), inputs and targets: the data E is taken over.
    N stacked networks (W (N, n_l, n_{l-1}), b (N,) or (N, n_l)): each its own λ_max, (N,).
    start: a previous Sharpness.vector (a warm start: a few products instead of tens)."""
    p = params_of(model, activations)
    f = forward(p, inputs, targets)
    mask = [n in (names or names_of(p)) for n in names_of(p)]
    v = start if start is not None else _start(p, mask, seed)
    zero = torch.zeros(p.W[0].shape[0], dtype=p.W[0].dtype, device=p.W[0].device)
    lam, iters, done, v = _power(p, f, v, zero, mask, tol, max_iters)
    if bool((lam < 0).any()):  # λ_dom < 0: the largest is found on H − λ_dom I
        shift = lam.clamp(max=0)
        again = _start(p, mask, seed + 1)
        v2 = [torch.where(_bcast(shift < 0, x), y, x) for x, y in zip(v, again)]
        lam2, iters2, done2, v = _power(p, f, v2, shift, mask, tol, max_iters)
        lam, iters, done = lam2 + shift, iters + iters2, done & done2
    one = (lambda t: t[0]) if p.one else (lambda t: t)
    return Sharpness(one(lam), one(iters), one(done), v)

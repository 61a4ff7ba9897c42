"""The edge of stability, measured: full-batch gradient descent on a CurveNet for several η at
once, with the sharpness λ_max (the largest eigenvalue of the Hessian of E) every few rounds.

Gradient descent θ ← θ − η ∇E is stable on a quadratic only while λ_max < 2/η. On a network
(Cohen et al., ICLR 2021) λ_max first rises ("progressive sharpening") until it reaches 2/η and
then hovers there while E keeps falling, not monotonically; an η whose 2/η lies far below λ_max
diverges. Every network starts from the same CurveNet; network k takes η_k.

Each round: E and ∇E by the hand-written chain rule (core/passes.py, tanh hidden units, linear
output); every `interval` rounds the Hessian by hand (core/hessian.py: all P columns in one
batched pass, P = the number of parameters) and its eigenvalues (torch.linalg.eigvalsh), exact
rather than by power iteration, whose convergence slows when the top two eigenvalues meet, as
they do at the edge. Rounds count as train.py counts them: round r is before the r-th update.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .curve import CURVE_POINTS, CURVE_SIZES, CurveNet, curve_data
from .hessian import hessian_of
from .passes import Params, forward, params_of, pull_back

EDGE_LRS = (0.1, 0.2, 0.4, 0.5)  # for CURVE_SIZES, seed 0: below the edge, rising to it, thrown down to it, past it
EDGE_STEPS = 3000           # rounds
EDGE_INTERVAL = 20          # rounds between two measurements of the sharpness
DIVERGED_LOSS = 1e6         # an error above this (or not finite) counts as diverged: its records stop there


@dataclass
class EdgeRun:
    lrs: list[float]
    losses: torch.Tensor            # (N, steps) E at rounds 1..steps; NaN once diverged
    sharpness_rounds: torch.Tensor  # (S,) the rounds whose sharpness is measured: 1, 1 + interval, ...
    sharpness: torch.Tensor         # (N, S) λ_max there; NaN once diverged
    diverged_at: torch.Tensor       # (N,) the first round whose E is above DIVERGED_LOSS or not finite; 0: none

    @property
    def two_over_lr(self) -> torch.Tensor:
        return 2 / torch.tensor(self.lrs, dtype=self.losses.dtype)  # (N,)


def _stacked(model: CurveNet, N: int) -> Params:
    """N copies of the model's parameters, as a sweep stacks networks."""
    p = params_of(model)
    rep = lambda ts: [t.expand(N, *t.shape[1:]).clone() for t in ts]  # noqa: E731
    return Params(rep(p.W), rep(p.b), p.acts, False)


def _sharpness(p: Params, alive: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """λ_max of each network still training (NaN for the others)."""
    lam = torch.full(alive.shape, float("nan"), dtype=inputs.dtype)
    if alive.any():
        live = Params([w[alive] for w in p.W], [b[alive] for b in p.b], p.acts, False)
        lam[alive] = torch.linalg.eigvalsh(hessian_of(live, inputs, targets).total)[:, -1]
    return lam


@torch.no_grad()
def edge_of_stability(lrs: Sequence[float] = EDGE_LRS, steps: int = EDGE_STEPS, interval: int = EDGE_INTERVAL, *,
                      sizes: Sequence[int] = CURVE_SIZES, points: int = CURVE_POINTS, seed: int = 0) -> EdgeRun:
    """Gradient descent with each η in lrs from CurveNet(sizes, seed) on curve_data(points)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors of a few hundred numbers: a second thread only costs
    try:
        return _run(list(lrs), steps, interval, sizes, points, seed)
    finally:
        torch.set_num_threads(threads)


def _run(lrs: list[float], steps: int, interval: int, sizes, points: int, seed: int) -> EdgeRun:
    inputs, targets = curve_data(points)
    N = len(lrs)
    p = _stacked(CurveNet(sizes, seed=seed), N)
    thetas = [t for pair in zip(p.W, p.b) for t in pair]          # W_1, b_1, W_2, b_2
    eta = torch.tensor(lrs, dtype=inputs.dtype)                   # (N,)
    etas = [eta.view(-1, *[1] * (t.dim() - 1)) for t in thetas]   # η_k against each parameter
    losses = torch.empty(N, steps, dtype=inputs.dtype)
    measured = list(range(1, steps + 1, interval))
    lam = torch.empty(N, len(measured), dtype=inputs.dtype)
    for r in range(1, steps + 1):
        f = forward(p, inputs, targets, second=False)
        losses[:, r - 1] = f.loss
        if (r - 1) % interval == 0:
            alive = (losses[:, :r] <= DIVERGED_LOSS).all(1)        # NaN compares False
            lam[:, (r - 1) // interval] = _sharpness(p, alive, inputs, targets)
        grads = pull_back(p, f, f.err / f.err.shape[-2]).grads    # ∂E/∂θ by the chain rule
        torch._foreach_sub_(thetas, torch._foreach_mul(grads, etas))  # θ ← θ − η ∂E/∂θ
    over = ~(losses <= DIVERGED_LOSS)                              # (N, steps)
    diverged_at = torch.where(over.any(1), over.int().argmax(1) + 1, 0)
    losses[over.cummax(1).values] = float("nan")                   # nothing recorded from there on
    return EdgeRun(lrs, losses, torch.tensor(measured), lam, diverged_at)


def default_stretch(steps: int) -> int:
    """The stretch the summary measures unless told: the last two thirds of the run (from 1001 of 3000)."""
    return steps // 3 + 1


EDGE_STRETCH = default_stretch(EDGE_STEPS)
AT_EDGE = 0.95       # "at the edge": λ_max ≥ AT_EDGE · 2/η


@dataclass
class EdgeSummary:
    """One network's numbers: what docs/second-order.md states and the test measures."""
    lr: float
    two_over_lr: float
    sharpness_first: float          # λ_max at round 1
    first_at_edge: int | None       # the first measured round with λ_max ≥ AT_EDGE · 2/η; None: never
    ratio_min: float | None         # λ_max / (2/η) over the measured rounds ≥ stretch_from (None: diverged)
    ratio_mean: float | None
    ratio_max: float | None
    loss_last: float | None         # E at the last round (None: diverged)
    diverged_at: int | None         # the round E left [0, DIVERGED_LOSS]; None: never


def summarize(run: EdgeRun, stretch_from: int | None = None) -> list[EdgeSummary]:
    """Each network's EdgeSummary; the stretch is the measured rounds from stretch_from on
    (default: default_stretch of the run's length)."""
    stretch_from = stretch_from or default_stretch(run.losses.shape[1])
    out = []
    for k, lr in enumerate(run.lrs):
        ratio = run.sharpness[k] * lr / 2                                    # λ_max / (2/η)
        stretch = ratio[run.sharpness_rounds >= stretch_from]
        ok = bool(len(stretch)) and bool(torch.isfinite(stretch).all())
        reached = run.sharpness_rounds[ratio >= AT_EDGE]
        last = run.losses[k, -1].item()
        out.append(EdgeSummary(
            lr, 2 / lr, run.sharpness[k, 0].item(), int(reached[0]) if len(reached) else None,
            stretch.min().item() if ok else None, stretch.mean().item() if ok else None,
            stretch.max().item() if ok else None, last if last == last else None,
            int(run.diverged_at[k]) or None))
    return out

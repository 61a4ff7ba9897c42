"""Sharpness over training: λ_max, the largest eigenvalue of the Hessian of E on all the data
over the trained parameters, beside 2/η (gradient descent is stable on a quadratic only while
λ_max < 2/η; core/sharpness.py says why the two are compared).

A run measures it at round 1 and every `sharpness_interval`-th round (not the last, unless it is
one of those: a run stopped and resumed then logs exactly what an uninterrupted one does), on the
parameters before that round's update (as history.csv counts rounds); those rounds are always
logged, and the columns curvature/sharpness and curvature/two_over_lr are NaN on the others (the
TensorBoard tags of the same names get the measured rounds only). A sweep measures each
network at its start and its end, all networks in one batched pass.

How λ_max is found, by the hand-written Hessian-vector product (core/hessian.py) either way:
up to EXACT_UP_TO trained scalars (and EXACT_COPIES copies × rows a pass), all P columns H e_j
in one batched pass and eigvalsh, exact as core.sharpness.sharpness_exact, and cheaper than the
hundreds of products power iteration needs where the top two eigenvalues nearly meet (as late in
the deck's run: ~1 ms against ~100 ms); above that, power iteration seeded with the run's seed,
stopped at ‖H v − λ v‖ ≤ POWER_TOL · ‖H‖₂ (core/sharpness.py), from a fresh start each time, so
a resumed run measures what an uninterrupted one does.
"""
from __future__ import annotations

import contextlib
from types import SimpleNamespace

import torch

from torch_bp.core.sgd import trained_names
from torch_bp.core.hessian import hessian_of
from torch_bp.core.passes import Params, names_of, params_of
from torch_bp.core.sharpness import sharpness

SHARPNESS, TWO_OVER_LR = "curvature/sharpness", "curvature/two_over_lr"
EXACT_UP_TO = 64  # trained scalars per network up to which λ_max comes from the whole Hessian
EXACT_COPIES = 2**20  # network copies × data rows in one pass of the whole Hessian (its memory); above: power iteration


def columns(interval: int) -> list[str]:
    """history.csv's curvature columns (= the TensorBoard tags): none when the interval is 0."""
    return [SHARPNESS, TWO_OVER_LR] if interval else []


def measured_rounds(interval: int):
    """Which rounds a run measures λ_max at: 1 and every interval-th (none for 0)."""
    return lambda r: bool(interval) and (r == 1 or r % interval == 0)


def _finite(p: Params) -> torch.Tensor:
    """(N,) does every parameter of network k hold finite numbers."""
    return torch.cat([torch.isfinite(t.reshape(len(t), -1)) for t in p.W + p.b], 1).all(1)


def largest_eigenvalue(model, inputs: torch.Tensor, targets: torch.Tensor, train_bias: bool,
                       seed: int = 0) -> torch.Tensor:
    """λ_max of E on (inputs, targets) over the trained parameters, () for one network or (N,)
    for N stacked as a sweep stacks them; NaN for a network whose parameters are not finite."""
    names = trained_names(model, train_bias)
    p = params_of(model)  # every tensor with the leading N
    ok = _finite(p)
    lam = torch.full(ok.shape, float("nan"), dtype=inputs.dtype, device=inputs.device)
    if bool(ok.any()):
        live = Params([w[ok] for w in p.W], [b[ok] for b in p.b], p.acts, False)  # the finite networks
        sizes = dict(zip(names_of(p), [t[0].numel() for pair in zip(p.W, p.b) for t in pair]))
        P = sum(sizes[n] for n in names)
        exact = P <= EXACT_UP_TO and P * inputs.shape[-2] <= EXACT_COPIES
        lam[ok] = _exact(live, inputs, targets, names, P) if exact else _power(live, inputs, targets, names, seed)
    return lam[0] if p.one else lam


def _exact(p: Params, inputs: torch.Tensor, targets: torch.Tensor, names: list[str], P: int) -> torch.Tensor:
    """(N,) λ_max from each whole Hessian by hand and eigvalsh, EXACT_COPIES copies × rows a
    pass; NaN where a Hessian is not finite (finite parameters whose E overflows) or eigvalsh
    cannot converge."""
    step, out = max(1, EXACT_COPIES // (P * inputs.shape[-2])), []
    for k in range(0, len(p.W[0]), step):
        part = Params([w[k:k + step] for w in p.W], [b[k:k + step] for b in p.b], p.acts, False)
        H = hessian_of(part, inputs, targets, names).total             # (n, P, P)
        lam = torch.full(H.shape[:1], float("nan"), dtype=H.dtype, device=H.device)
        ok = torch.isfinite(H).flatten(1).all(1)
        with contextlib.suppress(torch.linalg.LinAlgError):
            lam[ok] = torch.linalg.eigvalsh(H[ok])[:, -1]
        out.append(lam)
    return torch.cat(out)


def _power(p: Params, inputs: torch.Tensor, targets: torch.Tensor, names: list[str], seed: int) -> torch.Tensor:
    """(N,) λ_max by core.sharpness's power iteration, seeded, from a fresh start."""
    stacked = SimpleNamespace(layers=[SimpleNamespace(weight=w, bias=b) for w, b in zip(p.W, p.b)], activations=p.acts)
    return sharpness(stacked, inputs, targets, names, seed=seed).value


class Curvature:
    """A run's curvature columns for round r: [λ_max, 2/η] where measured, NaN elsewhere;
    nothing when the interval is 0. The model's current parameters: call it before the update."""

    def __init__(self, model, inputs: torch.Tensor, targets: torch.Tensor, cfg):
        self.model, self.inputs, self.targets = model, inputs, targets
        self.train_bias, self.seed = cfg.train_bias, cfg.seed
        self.due = measured_rounds(cfg.sharpness_interval)
        self.on = bool(cfg.sharpness_interval)
        self.two_over_lr = torch.tensor([2 / cfg.lr], dtype=torch.float64, device=inputs.device)
        self.nan = torch.full((2,), float("nan"), dtype=torch.float64, device=inputs.device)

    def __call__(self, r: int) -> list[torch.Tensor]:
        if not self.on:
            return []
        if not self.due(r):
            return [self.nan]
        lam = largest_eigenvalue(self.model, self.inputs, self.targets, self.train_bias, self.seed)
        return [lam.reshape(1).to(torch.float64), self.two_over_lr]

"""Sharpness: the largest eigenvalue λ_max of the Hessian of E, by power iteration on the
hand-written Hessian-vector product (core/hessian.py), for one network or N stacked ones at once.

Gradient descent θ ← θ − η ∇E on a quadratic with curvature λ is stable only while η λ < 2, so
λ_max is compared with 2/η (Cohen et al., ICLR 2021: it rises to 2/η and hovers there).

Power iteration on H − s·I, seeded, for each network on its own:
    v ← a unit vector drawn from torch.Generator().manual_seed(seed)
    repeat:  w = (H − s I) v,  λ = vᵀ w,  r = ‖w − λ v‖,  v ← w / ‖w‖
    until    r ≤ tol · ‖H‖₂   (then an eigenvalue of H lies within tol · ‖H‖₂ of λ + s)
It finds the eigenvalue of H − s I largest in size. With s = 0 that is λ_max only where λ_max
outweighs every negative eigenvalue, so the shift s is chosen in three steps:
  1. PROBE products with s = 0. Stopped with λ ≥ 0: λ_max found.
  2. Stopped with λ < 0: s = λ (= λ_min; every eigenvalue of H − s I is ≥ 0, the largest λ_max − s).
     Not stopped, v still swinging (λ < 0.9 ‖H v‖: eigenvalues of both signs about as large):
     s = −‖H v‖ (≈ −‖H‖₂: λ_min − s ≈ 0 or more, λ_max − s largest). Not stopped, v along one
     positive eigenvector: s = 0, go on. Where λ < 0, v starts afresh: the stopping rule holds
     at any eigenvector, and v is close to λ_min's.
  3. Those that went on with s = 0 and stopped at λ < 0: step 2's shift, once more.
Each product shrinks the error by about |μ_2 / μ_1|, the two eigenvalues of H − s I largest in
size: slow where they nearly meet. Where max_iters ends it first, `converged` is False and the
value is the last estimate. A warm start (start = an earlier Sharpness of the same networks, a
few rounds before) begins from its vector: a few products instead of tens or hundreds; it trusts
that vector, so an eigenvalue overtaking λ_max shows once its share of v has grown.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .hessian import gradient_pass, hessian_of, hvp_total
from .passes import Params, Pulled, forward, names_of, params_of

POWER_TOL = 1e-6        # stop when ‖H v − λ v‖ ≤ POWER_TOL · ‖H‖₂
POWER_MAX_ITERS = 1000  # products per step at most (Sharpness.converged says which stopped how)
PROBE = 20              # step 1's products


@dataclass
class Sharpness:
    value: torch.Tensor       # λ_max, () or (N,)
    iterations: torch.Tensor  # Hessian-vector products spent, () or (N,)
    converged: torch.Tensor   # residual ≤ tol · ‖H‖₂ reached, () or (N,) bool
    vector: torch.Tensor      # (N, P) the unit vector for λ_max (P: every parameter's scalars): a warm start


class _Operator:
    """v (N, P) -> H v (N, P) over the parameters in `mask`, by hvp_total (one backward pass)."""

    def __init__(self, p: Params, inputs: torch.Tensor, targets: torch.Tensor, names: list[str], seed: int):
        self.p, self.f, self.seed = p, forward(p, inputs, targets), seed
        self.grad: Pulled = gradient_pass(p, self.f)
        W_b = [t for pair in zip(p.W, p.b) for t in pair]
        self.shapes = [t.shape[1:] for t in W_b]
        self.sizes = [t[0].numel() for t in W_b]
        self.mask = torch.cat([torch.full((n,), float(name in names), dtype=p.W[0].dtype, device=p.W[0].device)
                               for n, name in zip(self.sizes, names_of(p))])  # (P,) 1: trained

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        N = v.shape[0]
        V = [c.reshape(N, *s) for c, s in zip(v.split(self.sizes, 1), self.shapes)]
        Hv = hvp_total(self.p, self.f, V, self.grad)
        return torch.cat([t.reshape(N, -1) for t in Hv], 1) * self.mask  # (N, P)

    def random(self, N: int, seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        v = torch.randn(N, len(self.mask), generator=g, dtype=self.mask.dtype).to(self.mask.device) * self.mask
        return v / v.norm(dim=1, keepdim=True)


def _power(H: _Operator, v: torch.Tensor, shift: torch.Tensor, todo: torch.Tensor, tol: float, max_iters: int):
    """Power iteration on H − shift·I from the unit vectors v (N, P) for the networks in todo,
    each until its own stop. Returns (λ of H − shift I, ‖(H − shift I) v‖, products, stopped, v)."""
    lam, size = torch.zeros_like(shift), torch.zeros_like(shift)
    done, iters = ~todo, torch.zeros_like(shift, dtype=torch.long)
    for _ in range(max_iters):
        if bool(done.all()):
            break
        w = H(v) - shift[:, None] * v                           # (H − shift I) v
        rq = (v * w).sum(1)                                     # Rayleigh quotient
        residual = (w - rq[:, None] * v).norm(dim=1)            # ‖(H − shift I) v − rq v‖
        norm = w.norm(dim=1)
        iters += ~done
        lam, size = torch.where(done, lam, rq), torch.where(done, size, norm)
        done = done | (residual <= tol * torch.maximum((rq + shift).abs(), shift.abs()))  # ‖H‖₂
        keep = (done | (norm == 0))[:, None]                    # H v = 0: v is an eigenvector
        v = torch.where(keep, v, w / torch.where(norm == 0, 1, norm)[:, None])
    return lam, size, iters, done & todo, v


@dataclass
class _State:
    """Every network's latest run: λ of H − shift I, ‖(H − shift I) v‖, stopped, v, shift, products."""
    lam: torch.Tensor
    size: torch.Tensor
    done: torch.Tensor
    v: torch.Tensor
    shift: torch.Tensor
    iters: torch.Tensor

    def run(self, H: _Operator, todo: torch.Tensor, shift: torch.Tensor, restart: torch.Tensor, tol: float,
            max_iters: int) -> None:
        """Power iteration on H − shift I for the networks in todo (from `restart` where it says)."""
        self.shift = torch.where(todo, shift, self.shift)
        v = torch.where(restart[:, None], H.random(len(todo), H.seed + 1), self.v)
        lam, size, iters, done, v = _power(H, v, self.shift, todo, tol, max_iters)
        self.lam, self.size = torch.where(todo, lam, self.lam), torch.where(todo, size, self.size)
        self.done, self.v = torch.where(todo, done, self.done), torch.where(todo[:, None], v, self.v)
        self.iters = self.iters + iters


@torch.no_grad()
def sharpness(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, names: list[str] | None = None, *,
              tol: float = POWER_TOL, max_iters: int = POWER_MAX_ITERS, seed: int = 0,
              start: Sharpness | None = None, activations=None) -> Sharpness:
    """λ_max of the Hessian of E over the parameters `names` (default: all; training's are
    core.sgd.trained_names(model, train_bias)), inputs and targets: the data E is taken over.
    N stacked networks (W (N, n_l, n_{l-1}), b (N,) or (N, n_l)): each its own λ_max, (N,).
    start: the Sharpness of an earlier call on the same networks (a warm start)."""
    p = params_of(model, activations)
    H = _Operator(p, inputs, targets, names or names_of(p), seed)
    N = p.W[0].shape[0]
    zero = torch.zeros(N, dtype=p.W[0].dtype, device=p.W[0].device)
    st = _State(zero, zero, zero.bool(), start.vector if start is not None else H.random(N, seed), zero,
                zero.long())
    st.run(H, ~st.done, zero, st.done, tol, min(PROBE, max_iters))           # step 1
    swinging = ~st.done & (st.lam < 0.9 * st.size)                            # eigenvalues of both signs
    negative = st.lam < 0     # at or near λ_min's eigenvector: v holds too little of λ_max's, start afresh
    st.run(H, ~st.done | negative, torch.where(st.done & negative, st.lam, torch.where(swinging, -st.size, 0.0)),
           negative, tol, max_iters)                                           # step 2
    again = (st.shift == 0) & st.done & (st.lam < 0)                           # step 3
    if bool(again.any()):
        st.run(H, again, st.lam, again, tol, max_iters)
    one = (lambda t: t[0]) if p.one else (lambda t: t)
    return Sharpness(one(st.lam + st.shift), one(st.iters), one(st.done), st.v)


@torch.no_grad()
def sharpness_exact(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, names: list[str] | None = None,
                    activations=None) -> torch.Tensor:
    """λ_max from the whole Hessian by hand (core/hessian.py, P columns in one batched pass) and
    torch.linalg.eigvalsh: exact, and for small networks far cheaper than power iteration (the
    deck's 8 weights: about one product's cost, where power iteration late in training needs ~260
    products, its top two eigenvalues 4 % apart). Memory grows as N · P² · batch; () or (N,)."""
    p = params_of(model, activations)
    lam = torch.linalg.eigvalsh(hessian_of(p, inputs, targets, names).total)[..., -1]
    return lam[0] if p.one and lam.dim() == 1 else lam

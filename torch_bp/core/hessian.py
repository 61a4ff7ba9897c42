"""The second derivative of E by hand: the Hessian-vector product H v (Pearlmutter's
R-operator, forward over reverse, never forming H) and the Hessian itself, each split in two.

With e = out_L − target and J = ∂out_L/∂θ, differentiating ∂E/∂θ = 1/B Σ_b Jᵀ e once more:

    ∂²E/∂θ∂φ = 1/B Σ_b Σ_k ∂out_k/∂θ · ∂out_k/∂φ           Gauss-Newton part  (Jᵀ J / B)
             + 1/B Σ_b Σ_k (out_k − target_k) · ∂²out_k/∂θ∂φ   residual part

The R-operator R{x} = d/dt x(θ + t v) at t = 0, applied to every line of the chain rule
(core/passes.py), with V_W, V_b the direction's parts for W_l and b_l:

  forward (R{out_0} = 0)
    R{net_l} = R{out_{l-1}} W_lᵀ + out_{l-1} V_Wlᵀ + V_bl
    R{out_l} = ∂out_l/∂net_l · R{net_l}
  backward: H v = R{∂E/∂θ}, the chain rule run twice
    Gauss-Newton: pull_back of the seed R{∂E/∂out_L} = R{out_L} / B = J v / B, nothing else
    residual:     pull_back of the seed 0, with the terms where the error e itself is differentiated:
        R{delta_l}       += ∂E/∂out_l · ∂²out_l/∂net_l² · R{net_l}
        R{∂E/∂W_l}       += delta_lᵀ R{out_{l-1}}
        R{∂E/∂out_{l-1}} += delta_l V_Wl
(a bias has ∂net/∂b = 1 whatever θ is: no term of its own). The Hessian is H v for v = each unit
vector, all P of them at once as P stacked copies of the network (P = the number of scalars).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .passes import Forward, Params, Pulled, bias_term, forward, names_of, params_of, pull_back, unstack


def _r_forward(p: Params, f: Forward, VW: list, Vb: list) -> tuple[list, list]:
    """R{net_l} and R{out_l} for l = 1..L (R{out_0} = 0 is left out of the sums)."""
    r_net, r_out = [], [None]
    for l, W in enumerate(p.W):
        rn = f.outs[l] @ VW[l].mT + bias_term(Vb[l])        # out_{l-1} V_Wlᵀ + V_bl
        if r_out[-1] is not None:
            rn = rn + r_out[-1] @ W.mT                       # + R{out_{l-1}} W_lᵀ
        r_net.append(rn)
        r_out.append(f.d1[l] * rn)                           # ∂out_l/∂net_l · R{net_l}
    return r_net, r_out


def gradient_pass(p: Params, f: Forward) -> Pulled:
    """The chain rule's backward pass: ∂E/∂out_l and delta_l of each layer (H v needs them)."""
    return pull_back(p, f, f.err / f.err.shape[-2])


def _residual_sources(grad: Pulled, f: Forward, r_net: list, r_out: list, VW: list):
    """The terms where the error itself is differentiated, layer by layer (for pull_back)."""
    def sources(l: int):
        extra_delta = grad.dE_dout[l] * f.d2[l] * r_net[l]   # ∂E/∂out_l · ∂²out_l/∂net_l² · R{net_l}
        extra_W = grad.delta[l].mT @ r_out[l] if r_out[l] is not None else None  # delta_lᵀ R{out_{l-1}}
        extra_out = grad.delta[l] @ VW[l] if l > 0 else None                     # delta_l V_Wl
        return extra_delta, extra_W, extra_out
    return sources


def hvp_parts(p: Params, f: Forward, V: list[torch.Tensor], grad: Pulled | None = None) -> tuple[list, list]:
    """(Gauss-Newton part, residual part) of H v, stacked, in named_parameters() order; V the
    direction in the same order (W_1, b_1, W_2, ...); grad: gradient_pass(p, f), if at hand."""
    grad = grad if grad is not None else gradient_pass(p, f)
    r_net, r_out = _r_forward(p, f, V[0::2], V[1::2])
    gn = pull_back(p, f, r_out[-1] / f.err.shape[-2])        # Jᵀ (J v) / B
    res = pull_back(p, f, torch.zeros_like(f.err), _residual_sources(grad, f, r_net, r_out, V[0::2]))
    return gn.grads, res.grads


def hvp_total(p: Params, f: Forward, V: list[torch.Tensor], grad: Pulled) -> list[torch.Tensor]:
    """H v in one backward pass: the Gauss-Newton seed and the residual terms together (pull_back
    is linear in them), half the work of hvp_parts when the split is not wanted."""
    r_net, r_out = _r_forward(p, f, V[0::2], V[1::2])
    return pull_back(p, f, r_out[-1] / f.err.shape[-2], _residual_sources(grad, f, r_net, r_out, V[0::2])).grads


@dataclass
class HVP:
    """H v split in its two parts, keyed like model.named_parameters() (the names asked for)."""
    gauss_newton: dict[str, torch.Tensor]
    residual: dict[str, torch.Tensor]

    @property
    def total(self) -> dict[str, torch.Tensor]:
        return {n: self.gauss_newton[n] + self.residual[n] for n in self.gauss_newton}


def _direction(p: Params, v: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """v by name, shaped like the parameters (N networks: with the leading N); missing names: 0."""
    W_b = [t for pair in zip(p.W, p.b) for t in pair]
    return [(v[n].unsqueeze(0) if p.one else v[n]).to(t) if n in v else torch.zeros_like(t)
            for n, t in zip(names_of(p), W_b)]


@torch.no_grad()
def hvp(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, v: dict[str, torch.Tensor],
        names: list[str] | None = None, activations=None) -> HVP:
    """H v for the parameters `names` (default: all); v keyed by name, 0 for a name it lacks
    (a fixed parameter: H restricted to the rest). N stacked networks: every tensor has the N."""
    p = params_of(model, activations)
    f = forward(p, inputs, targets)
    gn, res = hvp_parts(p, f, _direction(p, v))
    names = names or names_of(p)
    gn, res = unstack(p, gn), unstack(p, res)
    return HVP({n: gn[n] for n in names}, {n: res[n] for n in names})


@dataclass
class Hessian:
    """∂²E/∂θ∂φ over the scalars of the parameters `names`, in named_parameters() order,
    element by element (row-major within a tensor): (P, P), or (N, P, P) for N networks."""
    names: list[str]
    gauss_newton: torch.Tensor
    residual: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        return self.gauss_newton + self.residual


def _replicated(p: Params, f: Forward, P: int) -> tuple[Params, Forward]:
    """Each network, and its forward pass, P times over (network k's copy j is row k·P + j)."""
    rep = lambda ts: [t.repeat_interleave(P, 0) for t in ts]  # noqa: E731
    return (Params(rep(p.W), rep(p.b), p.acts, False),
            Forward(rep(f.outs), rep(f.d1), rep(f.d2), f.err.repeat_interleave(P, 0), f.loss.repeat_interleave(P, 0)))


@torch.no_grad()
def hessian(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, names: list[str] | None = None,
            activations=None) -> Hessian:
    """The Hessian of E for the parameters `names` (default: all), for one network (P, P) or N
    stacked ones (N, P, P)."""
    return hessian_of(params_of(model, activations), inputs, targets, names)


def hessian_of(p: Params, inputs: torch.Tensor, targets: torch.Tensor, names: list[str] | None = None) -> Hessian:
    """hessian() of parameters already stacked: column j is H e_j, all P columns from one pass
    of hvp_parts over P copies of each network."""
    names = names or names_of(p)
    all_names = names_of(p)
    shapes = {n: t.shape[1:] for n, t in zip(all_names, [t for pair in zip(p.W, p.b) for t in pair])}
    sizes = [shapes[n].numel() for n in names]
    P, N = sum(sizes), len(p.W[0])
    eye = torch.eye(P, dtype=p.W[0].dtype, device=p.W[0].device).repeat(N, 1)  # (N·P, P) unit vectors
    chunks = dict(zip(names, eye.split(sizes, dim=1)))
    V = [chunks[n].reshape(N * P, *shapes[n]) if n in chunks else torch.zeros(N * P, *shapes[n]).to(eye)
         for n in all_names]
    gn, res = hvp_parts(*_replicated(p, forward(p, inputs, targets), P), V)

    def matrix(parts: list[torch.Tensor]) -> torch.Tensor:  # (N·P, shape...) -> (N, P, P)
        by_name = dict(zip(all_names, parts))
        m = torch.cat([by_name[n].reshape(N, P, -1) for n in names], dim=-1)
        return m[0] if p.one else m

    return Hessian(names, matrix(gn), matrix(res))

"""The chain rule for any activation, as the second pass needs it: the forward pass keeping
∂out/∂net and ∂²out/∂net² of every layer, and the backward pass as a linear map (pull_back).

Always in the stacked form (N networks at once; one network is N = 1):
    W_l (N, n_l, n_{l-1}), b_l (N,) shared by the layer's units or (N, n_l) per unit,
    inputs (B, n_0) for all networks or (N, B, n_0) each, targets likewise.

Forward, l = 1..L:   net_l = out_{l-1} W_lᵀ + b_l,   out_l = φ_l(net_l)
Error:               E = 1/B Σ_b ½ Σ_k (out_Lk − target_k)²
Backward (pull_back with seed ∂E/∂out_L = (out_L − target) / B):
    delta_l       = ∂E/∂out_l · ∂out_l/∂net_l
    ∂E/∂W_l       = delta_lᵀ out_{l-1}
    ∂E/∂b_l       = Σ delta_l   (over the batch; a shared bias over its units too)
    ∂E/∂out_{l-1} = delta_l W_l

pull_back is the same recursion for any seed u at the outputs: it returns Jᵀu, J = ∂out_L/∂θ
(the Gauss-Newton half of the Hessian-vector product is pull_back of J v / B). Its optional
per-layer sources add terms on the way down (the residual half uses them, core/hessian.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .activations import Activation, activations_of


@dataclass
class Params:
    """The parameters of N networks stacked, layer by layer, with each layer's activation."""
    W: list[torch.Tensor]          # (N, n_l, n_{l-1})
    b: list[torch.Tensor]          # (N,) shared or (N, n_l) per unit
    acts: tuple[Activation, ...]
    one: bool                      # the model was one network (its results lose the N again)

    def shared(self, l: int) -> bool:
        return self.b[l].dim() == 1


def params_of(model: nn.Module, activations=None) -> Params:
    """model: a BackpropNet or CurveNet (weights (n_l, n_{l-1})), or N networks stacked as a
    sweep stacks them (anything with .layers whose .weight is (N, n_l, n_{l-1}))."""
    layers = list(model.layers)
    one = layers[0].weight.dim() == 2
    lift = (lambda t: t.detach().unsqueeze(0)) if one else (lambda t: t.detach())
    acts = tuple(activations) if activations is not None else activations_of(model, len(layers))
    return Params([lift(m.weight) for m in layers], [lift(m.bias) for m in layers], acts, one)


def bias_term(b: torch.Tensor) -> torch.Tensor:
    """b_l shaped to add to net_l (N, B, n_l): (N, 1, 1) shared, (N, 1, n_l) per unit."""
    return b[:, None, None] if b.dim() == 1 else b[:, None, :]


def bias_sum(delta: torch.Tensor, shared: bool) -> torch.Tensor:
    """∂net_l/∂b_l = 1: Σ_b delta (N, n_l); a shared bias also adds up its units' deltas (N,)."""
    s = delta.sum(-2)
    return s.sum(-1) if shared else s


@dataclass
class Forward:
    outs: list[torch.Tensor]   # out_0 .. out_L, each (N, B, n_l)
    d1: list[torch.Tensor]     # ∂out_l/∂net_l, layers 1..L
    d2: list[torch.Tensor]     # ∂²out_l/∂net_l² (empty if not asked for)
    err: torch.Tensor          # out_L − target                      (N, B, n_L)
    loss: torch.Tensor         # E                                    (N,)


def forward(p: Params, inputs: torch.Tensor, targets: torch.Tensor, second: bool = True) -> Forward:
    """The forward pass and E; second=False leaves d2 empty (the gradient does not need it)."""
    outs, d1, d2 = [inputs if inputs.dim() == 3 else inputs.expand(p.W[0].shape[0], *inputs.shape)], [], []
    for W, b, act in zip(p.W, p.b, p.acts):
        out = act.out(outs[-1] @ W.mT + bias_term(b))   # out_l = φ(out_{l-1} W_lᵀ + b_l)
        outs.append(out)
        d1.append(act.d1(out))
        if second:
            d2.append(act.d2(out))
    err = outs[-1] - targets                             # −(target − out)
    loss = 0.5 * err.square().sum((-2, -1)) / err.shape[-2]
    return Forward(outs, d1, d2, err, loss)


@dataclass
class Pulled:
    grads: list[torch.Tensor]  # W_1, b_1, W_2, b_2, ... in named_parameters() order, stacked
    dE_dout: list[torch.Tensor]  # the seed as it reached each layer's out_l (1..L)
    delta: list[torch.Tensor]    # each layer's delta (1..L)


def pull_back(p: Params, f: Forward, seed: torch.Tensor, sources=None) -> Pulled:
    """The backward pass from `seed` (N, B, n_L) at out_L. sources(l) -> (extra delta_l,
    extra ∂/∂W_l, extra ∂/∂out_{l-1}) or None: terms added at layer l (0-based) on the way down,
    each None where there is none."""
    L = len(p.W)
    grads, g_outs, deltas = [None] * (2 * L), [None] * L, [None] * L
    g = seed                                          # ∂E/∂out_L
    for l in reversed(range(L)):
        add = sources(l) if sources is not None else None
        delta = g * f.d1[l]                           # ∂E/∂net_l = ∂E/∂out_l · ∂out_l/∂net_l
        if add is not None and add[0] is not None:
            delta = delta + add[0]
        gW = delta.mT @ f.outs[l]                     # ∂net_l/∂W_l = out_{l-1}   (N, n_l, n_{l-1})
        if add is not None and add[1] is not None:
            gW = gW + add[1]
        grads[2 * l], grads[2 * l + 1] = gW, bias_sum(delta, p.shared(l))
        g_outs[l], deltas[l] = g, delta
        if l > 0:
            g = delta @ p.W[l]                        # ∂net_l/∂out_{l-1} = W_l   (N, B, n_{l-1})
            if add is not None and add[2] is not None:
                g = g + add[2]
    return Pulled(grads, g_outs, deltas)


def gradients(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
              activations=None) -> dict[str, torch.Tensor]:
    """∂E/∂θ for every parameter, by the chain rule above, keyed like model.named_parameters();
    for any activations (BackpropNet: sigmoid; CurveNet: tanh hidden, linear output)."""
    p = params_of(model, activations)
    f = forward(p, inputs, targets, second=False)
    pulled = pull_back(p, f, f.err / f.err.shape[-2])  # ∂E/∂out_L = (out_L − target) / B
    return unstack(p, pulled.grads)


def names_of(p: Params) -> list[str]:
    return [f"layers.{l}.{kind}" for l in range(len(p.W)) for kind in ("weight", "bias")]


def unstack(p: Params, tensors: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """[W_1, b_1, ...] stacked -> {name: tensor}, without the N for one network."""
    return {n: (t[0] if p.one else t) for n, t in zip(names_of(p), tensors)}

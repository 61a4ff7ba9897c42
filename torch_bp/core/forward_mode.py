"""Forward mode by hand: a Jacobian-vector product, tangents carried forward beside net and out.

Give every parameter θ a tangent θ̇ (a direction to move it in; u = (Ẇ_1, ḃ_1, …)). Each
quantity of the forward pass then carries its rate of change along u, worked out by the same
rules the chain rule uses backward, only in the order the forward pass runs:

    net_l = out_{l-1} W_lᵀ + b_l        ṅet_l = ȯut_{l-1} W_lᵀ + out_{l-1} Ẇ_lᵀ + ḃ_l
                                        ṅet_h1 = w1·i̇1 + ẇ1·i1 + w2·i̇2 + ẇ2·i2 + ḃ1
    out_l = σ(net_l)                    ȯut_l = out_l(1 − out_l) · ṅet_l        σ' = σ(1 − σ)
    E = 1/B Σ_b ½ Σ_k (target_k − out_k)²      Ė = 1/B Σ_b Σ_k −(target_k − out_k) · ȯut_k

(out_0 = the inputs i, whose tangent i̇ is zero unless given). One pass gives J u, the
derivative of out_L (and of E) along u; the reverse pass gives Jᵀv, a whole gradient at once.
Here J is ∂out_L/∂θ, and Ė = (∂E/∂θ)·u: the directional derivative.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Tangents:
    """The forward pass and its tangents along u; every tensor (B, n_l)."""
    nets: list[torch.Tensor]       # net_l, l = 1..L
    nets_dot: list[torch.Tensor]   # ṅet_l
    outs: list[torch.Tensor]       # out_l, l = 1..L
    outs_dot: list[torch.Tensor]   # ȯut_l
    loss: torch.Tensor             # E, ()
    loss_dot: torch.Tensor         # Ė = (∂E/∂θ)·u, ()

    @property
    def outputs(self) -> torch.Tensor:
        return self.outs[-1]       # out_L

    @property
    def outputs_dot(self) -> torch.Tensor:
        return self.outs_dot[-1]   # ȯut_L = J u


@torch.no_grad()
def jvp(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, tangents: dict[str, torch.Tensor],
        inputs_dot: torch.Tensor | None = None) -> Tangents:
    """The forward pass of a BackpropNet with every quantity's tangent along u = tangents
    ({named_parameters() name: θ̇}, shaped like the parameter; a missing one is zero).
    inputs_dot: i̇ (B, n_0), zero if None."""
    out = inputs                                                        # out_0 = i       (B, n_0)
    out_dot = torch.zeros_like(inputs) if inputs_dot is None else inputs_dot
    t = Tangents([], [], [], [], torch.tensor(0.0), torch.tensor(0.0))
    for l, layer in enumerate(model.layers):
        W, b = layer.weight, layer.bias
        W_dot = tangents.get(f"layers.{l}.weight", torch.zeros_like(W))  # Ẇ_l  (n_l, n_{l-1})
        b_dot = tangents.get(f"layers.{l}.bias", torch.zeros_like(b))    # ḃ_l  () or (n_l,)
        net = out @ W.T + b                                              # (B, n_l)
        net_dot = out_dot @ W.T + out @ W_dot.T + b_dot                  # product rule    (B, n_l)
        out = torch.sigmoid(net)                                         # σ(net_l)
        out_dot = out * (1 - out) * net_dot                              # σ'(net_l) · ṅet_l
        for kept, value in ((t.nets, net), (t.nets_dot, net_dot), (t.outs, out), (t.outs_dot, out_dot)):
            kept.append(value)
    B = inputs.shape[0]
    err = out - targets                                                  # −(target − out) (B, n_L)
    t.loss = 0.5 * err.square().sum() / B                                # E
    t.loss_dot = (err * out_dot).sum() / B                               # Ė
    return t


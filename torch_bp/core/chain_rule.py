"""Backpropagation written by hand, in the deck's notation; no autograd.

Forward, for each layer l = 1..L (out_0 = the inputs i):
    net_l = out_{l-1} W_lᵀ + b_l                      net_h1 = w1·i1 + w2·i2 + b1
    out_l = σ(net_l)                                  out_h1 = σ(net_h1)
Error, over a batch of B rows:
    E = 1/B Σ_b 1/2 Σ_k (target_k − out_Lk)²
Backward, the chain rule ∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w:
    ∂E/∂out_L   = −(target − out_L) / B               = 0.74136 for o1 (B = 1)
    ∂out/∂net   = out (1 − out)                       σ' = σ(1 − σ)
    delta_l     = ∂E/∂net_l = ∂E/∂out_l · ∂out_l/∂net_l
    ∂E/∂W_l     = delta_lᵀ out_{l-1}                  ∂net_o1/∂w5 = out_h1
    ∂E/∂b_l     = Σ_units delta_l (shared bias: every unit uses it, so its deltas add up)
    ∂E/∂out_{l-1} = delta_l W_l                       ∂net_o1/∂out_h1 = w5

N networks of one shape at once (a sweep): the same function, with every parameter stacked
along a leading network dimension, W_l (N, n_l, n_{l-1}), b_l (N,) shared or (N, n_l) per
unit, and inputs (B, n_0) for all or (N, B, n_0) each. Every line above then holds for each
network k on its own; only how the tiny products and sums are computed differs (_mm,
_sum_last: whatever is fastest on the device; the same formulas, both tested on the CPU).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .batches import check_batch


def _mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ b for N stacked networks, (N, m, k) @ (N, k, n) -> (N, m, n); either side may lack
    the N (inputs shared by all). On the CPU a batched GEMM; on a GPU _mm_broadcast, where bmm
    would launch millions of 2×2 matrix products (cuBLAS is slow at those)."""
    return (torch.matmul if a.device.type == "cpu" else _mm_broadcast)(a, b)


def _mm_broadcast(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ b as a broadcast product summed over k: element-wise kernels, any device."""
    return (a.unsqueeze(-1) * b.unsqueeze(-3)).sum(-2)  # (…, m, k, 1) * (…, 1, k, n) -> (…, m, n)


def _sum_last(x: torch.Tensor) -> torch.Tensor:
    """Σ over the last dimension, for N stacked networks (…, k) -> (…): _sum_gemv on the CPU,
    _sum_reduce elsewhere."""
    return (_sum_gemv if x.device.type == "cpu" else _sum_reduce)(x)


def _sum_gemv(x: torch.Tensor) -> torch.Tensor:
    """Σ_k x as a product with ones (one GEMV): on the CPU a reduction over a few elements costs
    ~50 ns per output, a GEMV ~2 ns, and ones times x adds the same numbers in the same order."""
    return x @ x.new_ones(x.shape[-1])


def _sum_reduce(x: torch.Tensor) -> torch.Tensor:
    return x.sum(-1)


def _net(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """net = x Wᵀ + b for N stacked networks; b (N,) shared or (N, n_l) per unit."""
    b = b[:, None, None] if b.dim() == 1 else b[:, None, :]  # (N, 1, 1) or (N, 1, n_l)
    return _mm(x, W.mT).add_(b)                              # (N, B, n_l)


@dataclass
class LayerTrace:
    """One layer's quantities; every tensor is (B, n_l) (N networks: (N, B, n_l)), deltas
    already carry the 1/B."""
    net: torch.Tensor        # net_l = out_{l-1} W_lᵀ + b_l
    out: torch.Tensor        # out_l = σ(net_l)
    dE_dout: torch.Tensor    # ∂E/∂out_l
    dout_dnet: torch.Tensor  # ∂out_l/∂net_l = out_l (1 − out_l)
    delta: torch.Tensor      # ∂E/∂net_l = ∂E/∂out_l · ∂out_l/∂net_l


@dataclass
class Trace:
    """One forward and backward pass: the layers, the error and the gradients."""
    inputs: torch.Tensor        # (B, n_0), out_0
    targets: torch.Tensor       # (B, n_L)
    layers: list[LayerTrace]    # layer 1..L (empty when keep=False)
    outputs: torch.Tensor       # (B, n_L), out_L                 N networks: (N, B, n_L)
    loss_terms: torch.Tensor    # (n_L,), E_o1, E_o2, ... (batch mean)         (N, n_L)
    loss: torch.Tensor          # (), E_total = Σ loss_terms                  (N,)
    grads: dict[str, torch.Tensor]  # keyed and shaped like model.named_parameters() (N, ...)


@torch.no_grad()
def backprop(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, *, keep: bool = True,
             check: bool = True) -> Trace:
    """Forward and backward pass of a BackpropNet by the delta rule, in matrix form.

    model: a BackpropNet, or anything with .layers whose .weight and .bias are N networks'
    parameters stacked (W (N, n_l, n_{l-1}); b (N,) shared or (N, n_l)); then inputs and
    targets are (B, n) for all networks or (N, B, n) each, and every result gains the
    leading N.

    keep=False (what manual_gradients and training use) leaves Trace.layers empty, forms
    σ(net) and delta in place and frees each layer's tensors as soon as the pass is done
    with them: the same arithmetic in no more memory than autograd.

    check=False skips batches.check_batch (inputs and targets of the model's shape, dtype and
    device): for hot loops that checked their data once."""
    if check:
        check_batch(model, inputs, targets)
    layers = list(model.layers)
    one = layers[0].weight.dim() == 2  # one network: matrix products; else N stacked ones
    B = inputs.shape[-2]

    # Forward: out_0 = inputs, then net_l and out_l layer by layer.
    nets, outs = [], [inputs]
    for layer in layers:
        W, b = layer.weight, layer.bias  # out_{l-1} Wᵀ + b                         (B, n_l)
        net = torch.addmm(b, outs[-1], W.T) if one else _net(outs[-1], W, b)
        outs.append(torch.sigmoid(net) if keep else net.sigmoid_())  # σ(net_l)      (B, n_l)
        nets.append(net if keep else None)
    out_L = outs[-1]

    # Error and its derivative share target − out.
    err = out_L - targets                     # −(target − out)                       (B, n_L)
    loss_terms = 0.5 * err.square().mean(-2)  # E_ok = ½(target_ok − out_ok)², as half_sse_terms
    dE_dout = err.div_(B)                     # ∂E/∂out_L = −(target − out) / B      (B, n_L)

    # Backward, from the output layer down.
    traces: list[LayerTrace] = []
    grads: dict[str, torch.Tensor] = {}
    for l in reversed(range(len(layers))):
        out, out_prev, W, b = outs[l + 1], outs[l], layers[l].weight, layers[l].bias
        if keep:
            dout_dnet = torch.addcmul(out, out, out, value=-1)  # σ' = σ(1 − σ) = out − out²  (B, n_l)
            delta = dE_dout * dout_dnet                          # ∂E/∂net_l = ∂E/∂out_l · σ'
            traces.insert(0, LayerTrace(nets[l], out, dE_dout, dout_dnet, delta))
        else:  # the same product in dE_dout's own buffer: g·out − (g·out)·out = g·out(1 − out)
            delta = dE_dout.mul_(out).addcmul_(dE_dout, out, value=-1)
        del dE_dout, out
        outs[l + 1] = None  # out_l is no longer needed below layer l
        # ∂net_l/∂W_l = out_{l-1}                                             (n_l, n_{l-1})
        grads[f"layers.{l}.weight"] = torch.mm(delta.T, out_prev) if one else _mm(delta.mT, out_prev)
        # ∂net_l/∂b_l = 1; a shared bias adds up the deltas of all its units       () or (n_l,)
        if b.dim() == W.dim() - 2:
            grads[f"layers.{l}.bias"] = delta.sum() if one else _sum_last(delta.flatten(-2))
        else:
            grads[f"layers.{l}.bias"] = delta.sum(-2)
        if l > 0:  # ∂net_l/∂out_{l-1} = W_l                                       (B, n_{l-1})
            dE_dout = torch.mm(delta, W) if one else _mm(delta, W)
        del delta

    # keyed and ordered like model.named_parameters(): layer by layer, weight then bias
    grads = {key: grads[key] for l in range(len(layers)) for key in (f"layers.{l}.weight", f"layers.{l}.bias")}
    loss = loss_terms.sum() if one else _sum_last(loss_terms)  # E_total = Σ_k E_ok   () or (N,)
    return Trace(inputs, targets, traces, out_L, loss_terms, loss, grads)


def manual_gradients(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """∂E/∂θ for every parameter θ of the model, by the hand-written chain rule (E = half_sse)."""
    return backprop(model, inputs, targets, keep=False).grads

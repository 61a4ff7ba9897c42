"""∂E/∂θ by the complex step: the network's forward pass in complex128, no subtraction.

For an analytic f and a real θ, f(θ + ih) = f(θ) + ih f'(θ) − h²/2 f''(θ) − ih³/6 f'''(θ) + …, so

    ∂E/∂θ ≈ Im E(θ + ih) / h            error h²/6 · |E'''(θ)|: nothing at h = 1e-20

Unlike (E(θ + h) − E(θ − h)) / 2h nothing is subtracted, so no digit cancels: every h from 1e-8
down to 1e-200 gives ∂E/∂θ to float64's last digits (Squire & Trapp 1998; Martins et al. 2003).
The forward pass is the deck's, in complex numbers:

    net_l = out_{l-1} W_lᵀ + b_l        out_l = σ(net_l)        E = 1/B Σ_b ½ Σ_k (target_k − out_k)²

with σ written so that it stays analytic AND accurate in its flat tails (sigmoid()). One pass
perturbs every parameter at once: copy p of the P scalar parameters gets θ_p + ih, so the
forward pass runs on P stacked networks and returns all P derivatives.

rounding_scale() gives the size against which a float64 chain rule's rounding error is measured
(tests/tolerances.py states the bound).
"""
from __future__ import annotations

import torch
from torch import nn

STEP = 1e-20  # h: h² = 1e-40 is far below float64's resolution of any ∂E/∂θ


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """σ(z) = 1/(1 + e^(−z)) for complex z = x + iy, analytic, with no digit lost to cancellation.

    x ≥ 0, a = e^(−x):  σ = (1 + a cos y + i a sin y) / ((1 + a cos y)² + (a sin y)²)
    x < 0,  a = e^(x):   σ = (a cos y + a² + i a sin y) / ((1 + a cos y)² + (a sin y)²)
    (both are 1/(1 + e^(−z)) multiplied through by the conjugate of its denominator). torch's own
    complex 1/(1 + exp(−z)) loses the imaginary part in the tails: σ'(20) comes out 4e-8 off."""
    x, y = z.real, z.imag
    a = torch.exp(-x.abs())                  # ≤ 1: no overflow either side
    c, s = a * torch.cos(y), a * torch.sin(y)
    denominator = (1 + c).square() + s.square()
    real = torch.where(x >= 0, 1 + c, c + a.square())
    return torch.complex(real / denominator, s / denominator)


def _stacked(model: nn.Module, h: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Every layer's W_l, b_l as P stacked complex copies, copy p with ih added to scalar p."""
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).to(torch.complex128)  # (P,)
    P = theta.numel()
    Theta = theta.expand(P, P) + torch.eye(P, dtype=torch.float64) * (1j * h)  # (P, P): row p = θ + ih e_p
    layers, at = [], 0
    for layer in model.layers:
        W, b = layer.weight, layer.bias
        Wc = Theta[:, at:at + W.numel()].reshape(P, *W.shape)  # (P, n_l, n_{l-1})
        at += W.numel()
        bc = Theta[:, at:at + b.numel()].reshape(P, *b.shape)  # (P,) shared or (P, n_l)
        at += b.numel()
        layers.append((Wc, bc))
    return layers


def complex_error(layers, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """E for P stacked complex networks [(W_l (P, n_l, n_{l-1}), b_l (P,) or (P, n_l))], on
    real inputs (B, n_0) and targets (B, n_L): the deck's forward pass, (P,) complex."""
    out = inputs.to(torch.complex128)                            # out_0 = i            (B, n_0)
    for W, b in layers:
        b = b[:, None, None] if b.dim() == 1 else b[:, None, :]  # (P, 1, 1) or (P, 1, n_l)
        out = sigmoid(torch.matmul(out, W.mT) + b)               # σ(out W_lᵀ + b_l)   (P, B, n_l)
    err = out - targets                                          # −(target − out)      (P, B, n_L)
    return 0.5 * (err * err).sum(-1).mean(-1)                    # E = 1/B Σ_b ½ Σ_k err²   (P,)


def complex_step_gradients(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                           h: float = STEP) -> dict[str, torch.Tensor]:
    """∂E/∂θ = Im E(θ + ih) / h for every parameter, keyed and shaped like manual_gradients."""
    grads = complex_error(_stacked(model, h), inputs, targets).imag / h  # (P,)
    out, at = {}, 0
    for name, p in model.named_parameters():
        out[name] = grads[at:at + p.numel()].reshape(p.shape)
        at += p.numel()
    return out


@torch.no_grad()
def rounding_scale(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """The chain rule on magnitudes: every product of ∂E/∂θ over |·|, every difference a − b
    turned into |a| + |b|, every net_l's rounding carried into its σ'. A float64 evaluation of
    ∂E/∂θ, by the chain rule or the complex step, is off by at most a few rounding units u times
    this (the classic running-error bound, Higham §3.3), however much its terms cancel:

        |∂E/∂out_L|  → (out + target) / B              out − target
        |σ'|         → out + out² + σ' · (|W||out| + |b|)    out − out², and net_l's own rounding
        |delta_l|    → |∂E/∂out_l| · |σ'|
        |∂E/∂W_l|    → |delta_l|ᵀ out_{l-1}            |∂E/∂b_l| → Σ |delta_l|
        |∂E/∂out_{l-1}| → |delta_l| |W_l|
    Keyed and shaped like manual_gradients."""
    outs, scales = [inputs], []
    for layer in model.layers:
        W, b = layer.weight, layer.bias
        out = torch.sigmoid(outs[-1] @ W.T + b)                               # (B, n_l)
        net_size = outs[-1].abs() @ W.abs().T + b.abs()                        # Σ |w·out| + |b|
        scales.append(out + out.square() + out * (1 - out) * net_size)        # (B, n_l)
        outs.append(out)
    dE_dout = (outs[-1] + targets.abs()) / inputs.shape[0]                    # (B, n_L)
    grads = {}
    for l in reversed(range(len(scales))):
        W, b = model.layers[l].weight, model.layers[l].bias
        delta = dE_dout * scales[l]                                          # (B, n_l)
        grads[f"layers.{l}.weight"] = delta.T @ outs[l].abs()
        grads[f"layers.{l}.bias"] = delta.sum() if b.dim() == 0 else delta.sum(0)
        dE_dout = delta @ W.abs()                                            # (B, n_{l-1})
    return {name: grads[name] for name, _ in model.named_parameters()}

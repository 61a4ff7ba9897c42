"""A network that can leave the edge of stability: tanh hidden units, a linear output, fitting
a few points of a curve. (The deck's sigmoid outputs with squared error saturate instead of
diverging, so there λ_max never has to stay below 2/η.)

    out_0 = x;  out_l = tanh(net_l) for the hidden layers;  out_L = net_L (linear)
    E = 1/B Σ_b ½ (out_L − y)²

Its chain rule and Hessian are core/passes.py and core/hessian.py with these activations:
∂out/∂net = 1 − out² and ∂²out/∂net² = −2 out (1 − out²) for tanh, 1 and 0 for the output.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .activations import IDENTITY, TANH

CURVE_SIZES = (1, 32, 1)  # x -> 32 tanh units -> y
CURVE_POINTS = 16         # y = sin(πx) at 16 evenly spaced x in [−1, 1]


def curve_data(points: int = CURVE_POINTS, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (points, 1), targets (points, 1)): y = sin(π x) at x evenly spaced in [−1, 1]."""
    x = torch.linspace(-1, 1, points, dtype=dtype).unsqueeze(1)
    return x, torch.sin(math.pi * x)


class CurveNet(nn.Module):
    """An MLP with tanh hidden layers and a linear output; per-unit biases (nn.Linear's, and
    its uniform init U(−1/√n_in, 1/√n_in) from a seeded generator)."""

    def __init__(self, sizes: Sequence[int] = CURVE_SIZES, *, seed: int = 0, dtype=torch.float64):
        super().__init__()
        sizes = tuple(int(n) for n in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be at least two positive widths, got {sizes}")
        self.sizes = sizes
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.layers = nn.ModuleList(nn.Linear(a, b, dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activations = (TANH,) * (len(sizes) - 2) + (IDENTITY,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x                                       # (B, sizes[0])
        for layer, act in zip(self.layers, self.activations):
            out = act.out(layer(out))                 # (B, n_l)
        return out                                    # (B, sizes[-1])

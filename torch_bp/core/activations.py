"""A unit's activation out = φ(net) and its first two derivatives, each written from `out`
(as the slides write σ' = out (1 − out)), so the second pass needs nothing the first did not keep.

    sigmoid   out = σ(net)      ∂out/∂net = out (1 − out)    ∂²out/∂net² = out (1 − out)(1 − 2 out)
    tanh      out = tanh(net)   ∂out/∂net = 1 − out²          ∂²out/∂net² = −2 out (1 − out²)
    identity  out = net         ∂out/∂net = 1                 ∂²out/∂net² = 0

The deck's network is sigmoid everywhere; the edge-of-stability network (core/curve.py) has tanh
hidden units and an identity (linear) output.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Fn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Activation:
    name: str
    out: Fn      # out = φ(net)
    d1: Fn       # ∂out/∂net, from out
    d2: Fn       # ∂²out/∂net², from out


def _sigmoid_d1(out: torch.Tensor) -> torch.Tensor:
    return out * (1 - out)                    # σ' = σ(1 − σ)


def _sigmoid_d2(out: torch.Tensor) -> torch.Tensor:
    return out * (1 - out) * (1 - 2 * out)    # σ'' = σ'(1 − 2σ)


def _tanh_d1(out: torch.Tensor) -> torch.Tensor:
    return 1 - out * out                      # tanh' = 1 − tanh²


def _tanh_d2(out: torch.Tensor) -> torch.Tensor:
    return -2 * out * (1 - out * out)         # tanh'' = −2 tanh · tanh'


SIGMOID = Activation("sigmoid", torch.sigmoid, _sigmoid_d1, _sigmoid_d2)
TANH = Activation("tanh", torch.tanh, _tanh_d1, _tanh_d2)
IDENTITY = Activation("identity", lambda net: net, torch.ones_like, torch.zeros_like)


def activations_of(model, layers: int) -> tuple[Activation, ...]:
    """The activation of each layer: model.activations where the model states them (CurveNet),
    else sigmoid for every layer (BackpropNet, and N networks stacked as a sweep stacks them)."""
    acts = tuple(getattr(model, "activations", None) or (SIGMOID,) * layers)
    if len(acts) != layers:
        raise ValueError(f"{len(acts)} activations for {layers} layers")
    return acts

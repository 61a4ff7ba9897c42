"""Plain SGD, θ ← θ − η ∂E/∂θ, one round per batch, with either backend.

Both loops yield round r's Trace *before* its update, so the caller sees the parameters and
the error of round r (round 1 is the untrained network, as in the deck's error table); the
update happens when the caller asks for the next round. Biases stay fixed unless train_bias,
but their gradients are computed (and reported) either way.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch import nn

from .chain_rule import Trace, backprop
from .loss import half_sse_terms

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def trained_names(model: nn.Module, train_bias: bool) -> list[str]:
    """The parameters SGD updates: every weight, and the biases only with train_bias."""
    return [n for n, _ in model.named_parameters() if train_bias or not n.endswith("bias")]


def manual_sgd(model: nn.Module, batches: Batches, lr: float, train_bias: bool = False) -> Iterator[Trace]:
    """SGD on the hand-written chain rule: backprop(), then θ ← θ − η ∂E/∂θ in place."""
    names = trained_names(model, train_bias)
    params = dict(model.named_parameters())
    trained = [params[n] for n in names]
    for inputs, targets in batches:
        trace = backprop(model, inputs, targets, keep=False)
        yield trace
        with torch.no_grad():
            torch._foreach_add_(trained, [trace.grads[n] for n in names], alpha=-lr)


def autograd_sgd(model: nn.Module, batches: Batches, lr: float, train_bias: bool = False,
                 optimizer: torch.optim.SGD | None = None) -> Iterator[Trace]:
    """SGD as PyTorch users write it: loss.backward() and torch.optim.SGD."""
    params = dict(model.named_parameters())
    if optimizer is None:
        optimizer = torch.optim.SGD([params[n] for n in trained_names(model, train_bias)], lr=lr)
    for inputs, targets in batches:
        optimizer.zero_grad(set_to_none=False)
        for p in params.values():  # the fixed biases' gradients are reported too
            if p.grad is not None:
                p.grad.zero_()
        outputs = model(inputs)
        loss_terms = half_sse_terms(outputs, targets)
        loss = loss_terms.sum()
        loss.backward()
        yield Trace(inputs, targets, [], outputs.detach(), loss_terms.detach(), loss.detach(),
                    {n: p.grad for n, p in params.items()})
        optimizer.step()

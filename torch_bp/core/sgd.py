"""Plain SGD, θ ← θ − η ∂E/∂θ, with either backend, in two phases per round:

    trace = sgd.forward_backward(inputs, targets)  # round r's error and gradients
    ...                                             # read the parameters of round r here
    sgd.step(trace)                                 # the r-th update

so a caller sees round r's parameters before its update (round 1 is the untrained network,
as in the deck's error table). Biases stay fixed unless train_bias, but their gradients are
computed and reported either way.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch import nn

from .chain_rule import Trace, backprop
from .loss import half_sse_terms


def trained_names(model: nn.Module, train_bias: bool) -> list[str]:
    """The parameters SGD updates: every weight, and the biases only with train_bias."""
    return [n for n, _ in model.named_parameters() if train_bias or not n.endswith("bias")]


class ManualSGD:
    """SGD on the hand-written chain rule: backprop(), then θ ← θ − η ∂E/∂θ in place."""

    def __init__(self, model: nn.Module, lr: float, train_bias: bool = False):
        self.model, self.lr = model, lr
        self.names = trained_names(model, train_bias)
        params = dict(model.named_parameters())
        self.params = [params[n] for n in self.names]

    def forward_backward(self, inputs: torch.Tensor, targets: torch.Tensor) -> Trace:
        return backprop(self.model, inputs, targets, keep=False, check=False)  # the run checked its data

    @torch.no_grad()
    def step(self, trace: Trace) -> None:
        torch._foreach_add_(self.params, [trace.grads[n] for n in self.names], alpha=-self.lr)

    def state_dict(self) -> dict:
        return {}  # plain SGD keeps no state

    def load_state_dict(self, state: dict) -> None:
        pass


class AutogradSGD:
    """SGD as PyTorch users write it: loss.backward() and torch.optim.SGD."""

    def __init__(self, model: nn.Module, lr: float, train_bias: bool = False):
        self.model = model
        self.named = dict(model.named_parameters())
        self.optimizer = torch.optim.SGD([self.named[n] for n in trained_names(model, train_bias)], lr=lr)

    def forward_backward(self, inputs: torch.Tensor, targets: torch.Tensor) -> Trace:
        for p in self.named.values():  # every gradient, the fixed biases' too, is reported
            p.grad = None
        outputs = self.model(inputs, check=False)  # the run checked its data
        loss_terms = half_sse_terms(outputs, targets)
        loss = loss_terms.sum()
        loss.backward()
        return Trace(inputs, targets, [], outputs.detach(), loss_terms.detach(), loss.detach(),
                     {n: p.grad for n, p in self.named.items()})

    def step(self, trace: Trace) -> None:
        self.optimizer.step()

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state)


BACKENDS = {"manual": ManualSGD, "autograd": AutogradSGD}


def sgd_rounds(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], lr: float,
               train_bias: bool = False, backend: str = "manual") -> Iterator[Trace]:
    """One Trace per batch, each seen before its update; the update runs on the next request."""
    sgd = BACKENDS[backend](model, lr, train_bias)
    for inputs, targets in batches:
        trace = sgd.forward_backward(inputs, targets)
        yield trace
        sgd.step(trace)


def manual_sgd(model, batches, lr, train_bias=False) -> Iterator[Trace]:
    return sgd_rounds(model, batches, lr, train_bias, "manual")


def autograd_sgd(model, batches, lr, train_bias=False) -> Iterator[Trace]:
    return sgd_rounds(model, batches, lr, train_bias, "autograd")


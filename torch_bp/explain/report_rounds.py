"""SGD rounds for the report: the standard rule (the deck's, torch_bp's) and the article's sequential rule."""
from __future__ import annotations

import copy
import itertools
from functools import cache

import torch

from torch_bp.core.deck import DECK_INPUTS, DECK_LR, DECK_TARGETS
from torch_bp.core.model import BackpropNet
from torch_bp.core.chain_rule import backprop
from torch_bp.core.sgd import manual_sgd

STANDARD = "the standard rule"      # every gradient at the old weights: the deck's, torch_bp's
SEQUENTIAL = "the sequential rule"  # see sequential_sgd
SEQUENTIAL_DEFINITION = "w5..w8 updated first, the hidden deltas then taken through the updated w5..w8"


def sequential_sgd(model, batches, lr):
    """The update rule the article's closing figures need; NOT the deck's nor torch_bp's.

    Like manual_sgd it yields round r's Trace before its update (biases fixed), but it
    updates the output weights first and back-propagates through the *updated* ones:
        W2 ← W2 − η delta_oᵀ out_h
        delta_h = (delta_o W2) · out_h(1 − out_h)       W2 already updated
        W1 ← W1 − η delta_hᵀ i
    The standard rule uses the old W2 in delta_h. Only for a 2-layer BackpropNet."""
    W1, W2 = (layer.weight for layer in model.layers)
    for inputs, targets in batches:
        trace = backprop(model, inputs, targets)  # keep=True: the update needs the layers
        yield trace
        h, o = trace.layers
        with torch.no_grad():
            W2 -= lr * trace.grads["layers.1.weight"]  # (2, 2)
            delta_h = (o.delta @ W2) * h.dout_dnet     # (1, 2)
            W1 -= lr * delta_h.T @ trace.inputs        # (2, 2)


RULES = {STANDARD: manual_sgd, SEQUENTIAL: sequential_sgd}


def history(model, inputs, targets, lr, rounds, rule=STANDARD) -> dict[int, dict[str, float]]:
    """E_total, out_o1, out_o2 at each round r in rounds, as the deck counts: before the r-th
    update (round 1 is the untrained net); b1, b2 fixed. The model is left untouched."""
    wanted, seen = set(rounds), {}
    if not wanted:
        return seen
    batches = itertools.repeat((inputs, targets))
    for r, trace in enumerate(RULES[rule](copy.deepcopy(model), batches, lr), start=1):
        if r in wanted:
            out = trace.outputs[0].tolist()
            seen[r] = {"E_total": float(trace.loss), "out_o1": out[0], "out_o2": out[1]}
        if r == max(wanted):
            return seen


def after_one_update(model, inputs, targets, lr, rule=STANDARD) -> BackpropNet:
    """A copy of the model after one SGD update."""
    model = copy.deepcopy(model)
    rounds = RULES[rule](model, itertools.repeat((inputs, targets)), lr)
    next(rounds), next(rounds)  # round 1, its update, round 2
    return model


@cache
def deck_history(rule: str, rounds: tuple[int, ...]):
    return history(BackpropNet(), DECK_INPUTS, DECK_TARGETS, DECK_LR, rounds, rule)


@cache
def deck_sequential_weights() -> tuple[float, ...]:
    """w1+..w8+ after one update by the sequential rule."""
    model = after_one_update(BackpropNet(), DECK_INPUTS, DECK_TARGETS, DECK_LR, SEQUENTIAL)
    return tuple(torch.cat([layer.weight.flatten() for layer in model.layers]).tolist())

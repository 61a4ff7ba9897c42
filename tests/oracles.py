"""Oracles the tests share: autograd, central differences, and the deck's own code (which does not
use torch_bp), and how two sets of gradients are compared."""
import math

import torch
from tolerances import FD_EPS

from torch_bp import half_sse


def deck_code(w, b1, b2, i1, i2, targeto1, targeto2):
    """The MATLAB loop body of the deck's "Code" slide, line by line, completed for w2..w4
    (its "... ..."), b1 and b2 by the same pattern. Plain Python floats; no torch."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    sigma = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    outh1 = sigma(w1 * i1 + w2 * i2 + b1)
    outh2 = sigma(w3 * i1 + w4 * i2 + b1)
    neto1 = w5 * outh1 + w6 * outh2 + b2
    neto2 = w7 * outh1 + w8 * outh2 + b2
    outo1 = sigma(neto1)
    outo2 = sigma(neto2)
    E1 = 0.5 * (targeto1 - outo1) ** 2
    E2 = 0.5 * (targeto2 - outo2) ** 2
    E = E1 + E2
    Ew5 = (outo1 - targeto1) * outo1 * (1 - outo1) * outh1
    Ew6 = (outo1 - targeto1) * outo1 * (1 - outo1) * outh2
    Ew7 = (outo2 - targeto2) * outo2 * (1 - outo2) * outh1
    Ew8 = (outo2 - targeto2) * outo2 * (1 - outo2) * outh2
    Etotalh1 = (outo1 - targeto1) * outo1 * (1 - outo1) * w5 + (outo2 - targeto2) * outo2 * (1 - outo2) * w7
    Ew1 = Etotalh1 * outh1 * (1 - outh1) * i1
    Ew2 = Etotalh1 * outh1 * (1 - outh1) * i2
    # completed: the deck elides these ("... ...")
    Etotalh2 = (outo1 - targeto1) * outo1 * (1 - outo1) * w6 + (outo2 - targeto2) * outo2 * (1 - outo2) * w8
    Ew3 = Etotalh2 * outh2 * (1 - outh2) * i1
    Ew4 = Etotalh2 * outh2 * (1 - outh2) * i2
    Eb2 = (outo1 - targeto1) * outo1 * (1 - outo1) + (outo2 - targeto2) * outo2 * (1 - outo2)
    Eb1 = Etotalh1 * outh1 * (1 - outh1) + Etotalh2 * outh2 * (1 - outh2)
    return E, (E1, E2), [Ew1, Ew2, Ew3, Ew4, Ew5, Ew6, Ew7, Ew8], Eb1, Eb2


def deck_training(rounds: int, eta: float = 0.5, w=(0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55),
                  b1=0.35, b2=0.60, data=(0.05, 0.10, 0.01, 0.99)) -> list[float]:
    """E_total of rounds 1..rounds of the deck's loop (its `for x=1:4000`), biases fixed."""
    w, errors = list(w), []
    for _ in range(rounds):
        E, _, Ew, _, _ = deck_code(w, b1, b2, *data)
        errors.append(E)
        w = [wk - eta * gk for wk, gk in zip(w, Ew)]  # nw5 = w5 - eta * Ew5, ...
    return errors


def autograd_gradients(model, inputs, targets):
    model.zero_grad(set_to_none=True)
    half_sse(model(inputs), targets).backward()
    return {n: p.grad.clone() for n, p in model.named_parameters()}


def assert_same_gradients(actual, expected, tol, what):
    assert list(actual) == list(expected), f"{what}: keys {list(actual)} != {list(expected)}"
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], **tol,
                                   msg=lambda m, name=name: f"{what}, ∂E/∂{name}: {m}")


def central_differences(model, inputs, targets, eps=FD_EPS):
    """∂E/∂θ ≈ (E(θ + ε) − E(θ − ε)) / 2ε, one scalar parameter at a time."""
    grads = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            g = torch.empty_like(p)
            flat, gflat = p.view(-1), g.view(-1)
            for k in range(flat.numel()):
                x0 = flat[k].item()
                flat[k] = x0 + eps
                e_plus = half_sse(model(inputs), targets).item()
                flat[k] = x0 - eps
                e_minus = half_sse(model(inputs), targets).item()
                flat[k] = x0
                gflat[k] = (e_plus - e_minus) / (2 * eps)
            grads[name] = g
    return grads

"""The hand-written chain rule against three independent oracles, in float64:
autograd, central finite differences (and torch.autograd.gradcheck), and a literal
transcription of the deck's scalar code."""
import torch
from hypothesis import given, settings
from oracles import assert_same_gradients, autograd_gradients, central_differences, deck_code
from strategies import networks_and_data
from tolerances import DTYPE, EXACT_ISH, FD_EPS, FINITE_DIFF

from torch_bp import (DECK_INPUTS, DECK_LR, DECK_TARGETS, BackpropNet, backprop, half_sse,
                      manual_gradients)
from torch_bp.core.sgd import manual_sgd


def test_seed_manual_equals_autograd():
    model = BackpropNet()
    assert_same_gradients(manual_gradients(model, DECK_INPUTS, DECK_TARGETS),
                          autograd_gradients(model, DECK_INPUTS, DECK_TARGETS), EXACT_ISH, "seed")


@settings(max_examples=1000)  # thousands of networks in all, with the other properties
@given(networks_and_data())
def test_random_networks_manual_equals_autograd(case):
    model, inputs, targets = case
    trace = backprop(model, inputs, targets)
    torch.testing.assert_close(trace.loss, half_sse(model(inputs), targets).detach(), **EXACT_ISH,
                               msg=lambda m: f"E_total: {m}")
    for name, p in model.named_parameters():
        assert trace.grads[name].shape == p.shape, name
    expected = autograd_gradients(model, inputs, targets)
    what = f"sizes {model.sizes}, shared {model.shared_bias}, batch {len(inputs)}"
    assert_same_gradients(trace.grads, expected, EXACT_ISH, what + ", traced")
    # manual_gradients takes backprop's in-place path (keep=False): the same numbers,
    # and its in-place ops leave the parameters, inputs and targets alone
    before = [t.detach().clone() for t in (*model.parameters(), inputs, targets)]
    assert_same_gradients(manual_gradients(model, inputs, targets), expected, EXACT_ISH, what)
    assert all(torch.equal(a, b) for a, b in zip(before, (*model.parameters(), inputs, targets)))


@given(networks_and_data())
def test_random_networks_equal_finite_differences(case):
    model, inputs, targets = case
    numeric = central_differences(model, inputs, targets)
    assert_same_gradients(manual_gradients(model, inputs, targets), numeric, FINITE_DIFF, "manual vs FD")
    assert_same_gradients(autograd_gradients(model, inputs, targets), numeric, FINITE_DIFF, "autograd vs FD")


class ManualBackprop(torch.autograd.Function):
    """E(θ) whose backward is the hand-written chain rule, so gradcheck judges manual_gradients."""

    @staticmethod
    def forward(ctx, model, inputs, targets, *params):
        ctx.grads = manual_gradients(model, inputs, targets)
        return half_sse(model(inputs), targets)

    @staticmethod
    def backward(ctx, grad_E):
        return (None, None, None, *(grad_E * g for g in ctx.grads.values()))


def test_gradcheck_autograd_and_manual():
    for sizes, shared in [((2, 2, 2), True), ((3, 5, 4, 2), True), ((4, 3, 1), False)]:
        model = BackpropNet(sizes, shared_bias=shared, init="random", seed=1)
        g = torch.Generator().manual_seed(2)
        inputs = torch.randn(5, sizes[0], generator=g, dtype=DTYPE)
        targets = torch.rand(5, sizes[-1], generator=g, dtype=DTYPE)
        names = [n for n, _ in model.named_parameters()]
        params = [p.detach().clone().requires_grad_() for p in model.parameters()]

        def loss_autograd(*ps):
            return half_sse(torch.func.functional_call(model, dict(zip(names, ps)), (inputs,)), targets)

        def loss_manual(*ps):
            with torch.no_grad():
                for p, q in zip(model.parameters(), ps):
                    p.copy_(q)
            return ManualBackprop.apply(model, inputs, targets, *ps)

        assert torch.autograd.gradcheck(loss_autograd, params, eps=FD_EPS, **FINITE_DIFF)
        assert torch.autograd.gradcheck(loss_manual, params, eps=FD_EPS, **FINITE_DIFF)


def as_deck_gradients(Ew, Eb1, Eb2):
    return {"layers.0.weight": torch.tensor(Ew[:4], dtype=DTYPE).view(2, 2),
            "layers.0.bias": torch.tensor(Eb1, dtype=DTYPE),
            "layers.1.weight": torch.tensor(Ew[4:], dtype=DTYPE).view(2, 2),
            "layers.1.bias": torch.tensor(Eb2, dtype=DTYPE)}


def deck_args(model, inputs, targets):
    p = {n: t.detach() for n, t in model.named_parameters()}
    w = p["layers.0.weight"].flatten().tolist() + p["layers.1.weight"].flatten().tolist()
    return (w, p["layers.0.bias"].item(), p["layers.1.bias"].item(), *inputs[0].tolist(), *targets[0].tolist())


def test_deck_code_oracle_on_seed():
    model = BackpropNet()
    E, (E1, E2), Ew, Eb1, Eb2 = deck_code(*deck_args(model, DECK_INPUTS, DECK_TARGETS))
    trace = backprop(model, DECK_INPUTS, DECK_TARGETS)
    torch.testing.assert_close(trace.loss_terms, torch.tensor([E1, E2], dtype=DTYPE), **EXACT_ISH)
    torch.testing.assert_close(trace.loss, torch.tensor(E, dtype=DTYPE), **EXACT_ISH)
    deck = as_deck_gradients(Ew, Eb1, Eb2)
    assert_same_gradients(trace.grads, deck, EXACT_ISH, "manual vs deck code")
    assert_same_gradients(autograd_gradients(model, DECK_INPUTS, DECK_TARGETS), deck, EXACT_ISH,
                          "autograd vs deck code")


def test_deck_code_oracle_over_training():
    """4000 rounds of the deck's loop (its `for x=1:4000`) against manual_sgd, biases fixed."""
    model = BackpropNet()
    args = list(deck_args(model, DECK_INPUTS, DECK_TARGETS))
    rounds = manual_sgd(model, [(DECK_INPUTS, DECK_TARGETS)] * 4000, DECK_LR)
    for r, trace in enumerate(rounds, start=1):
        E, _, Ew, _, _ = deck_code(*args)
        if r in (1, 2, 300, 1000, 4000):
            torch.testing.assert_close(trace.loss.item(), E, **EXACT_ISH, msg=lambda m: f"round {r}: {m}")
            w = [p.detach() for n, p in model.named_parameters() if n.endswith("weight")]
            torch.testing.assert_close(torch.cat([t.flatten() for t in w]),
                                       torch.tensor(args[0], dtype=DTYPE), **EXACT_ISH)
        args[0] = [wk - DECK_LR * gk for wk, gk in zip(args[0], Ew)]  # nw5 = w5 - eta * Ew5, ...

"""The hand-written second derivative (core/hessian.py) against torch.func (the Hessian, H v,
jacrev for the Gauss-Newton part) and torch.autograd.functional.hvp, float64, on 1,040 drawn
networks and the deck, whose w5 entry is also done in scalar arithmetic. Every part is checked
on its own, so "the parts sum to the whole" is tested. Differences of the hand-written gradient,
gradcheck and gradgradcheck: test_hessian_differences.py."""
import math

import pytest
import torch
from hypothesis import given, settings
from second_order_oracles import (FAMILIES, Stacked, E_of, flat, hessian_rr, hvp_rr, one_thread,  # noqa: F401
                                  oracle_parts, stacked_networks, unflatten)
from tolerances import DTYPE, EXACT_ISH

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet
from torch_bp.core.hessian import gradient_pass, hessian, hvp, hvp_total
from torch_bp.core.passes import forward, params_of


@settings(max_examples=26, deadline=None)  # x 40 networks each: 1,040 drawn networks
@given(stacked_networks())
def test_drawn_networks_hessian_and_hvp_equal_torch_func(case):
    params, x, t, acts = case
    what = f"shapes {[tuple(p.shape[1:]) for p in params]}, {[a.name for a in acts]}, batch {x.shape[1]}"
    shapes, theta = [tuple(p.shape[1:]) for p in params], flat(params)
    mine = hessian(Stacked(params), x, t, activations=acts)
    H = torch.vmap(lambda th, xs, ts: hessian_rr(E_of)(th, shapes, xs, ts, acts))(theta, x, t)
    torch.testing.assert_close(mine.total, H, **EXACT_ISH, msg=lambda m: f"{what}, H: {m}")
    gn, res = torch.vmap(lambda th, xs, ts: oracle_parts(th, shapes, xs, ts, acts))(theta, x, t)
    torch.testing.assert_close(mine.gauss_newton, gn, **EXACT_ISH, msg=lambda m: f"{what}, Gauss-Newton: {m}")
    torch.testing.assert_close(mine.residual, res, **EXACT_ISH, msg=lambda m: f"{what}, residual: {m}")
    # H v for one direction per network, never forming H
    v = [torch.randn(p.shape, generator=torch.Generator().manual_seed(1), dtype=DTYPE) for p in params]
    names = [f"layers.{l}.{k}" for l in range(len(params) // 2) for k in ("weight", "bias")]
    Hv = torch.vmap(lambda th, vs, xs, ts: hvp_rr(E_of, th, vs, shapes, xs, ts, acts))(theta, flat(v), x, t)
    got = hvp(Stacked(params), x, t, dict(zip(names, v)), activations=acts)
    torch.testing.assert_close(flat(list(got.total.values())), Hv, **EXACT_ISH, msg=lambda m: f"{what}, H v: {m}")
    p = params_of(Stacked(params), acts)  # both parts in one backward pass, as sharpness() takes it
    f = forward(p, x, t)
    torch.testing.assert_close(flat(hvp_total(p, f, v, gradient_pass(p, f))), Hv, **EXACT_ISH,
                               msg=lambda m: f"{what}, hvp_total: {m}")


# ---- the deck -------------------------------------------------------------------------------

DECK_NAMES = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
WEIGHTS = ["layers.0.weight", "layers.1.weight"]  # the deck trains w1..w8 only


def deck_theta():
    model = BackpropNet()
    params = [p.detach() for p in model.parameters()]
    return model, [tuple(p.shape) for p in params], flat([p.unsqueeze(0) for p in params])[0]


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch.func's forward mode
def test_deck_hessian_equals_torch_func_hessian():
    model, shapes, theta = deck_theta()
    acts = FAMILIES["sigmoid"](2)
    H = torch.func.hessian(E_of)(theta, shapes, DECK_INPUTS, DECK_TARGETS, acts)  # (10, 10)
    mine = hessian(model, DECK_INPUTS, DECK_TARGETS)
    assert mine.names == DECK_NAMES and mine.total.shape == (10, 10)
    torch.testing.assert_close(mine.total, H, **EXACT_ISH)
    gn, res = oracle_parts(theta, shapes, DECK_INPUTS, DECK_TARGETS, acts)
    torch.testing.assert_close(mine.gauss_newton, gn, **EXACT_ISH)
    torch.testing.assert_close(mine.residual, res, **EXACT_ISH)
    # the eight weights: rows and columns 0-3 and 5-8 of the full matrix (4 and 9 are b1, b2)
    w = [0, 1, 2, 3, 5, 6, 7, 8]
    weights = hessian(model, DECK_INPUTS, DECK_TARGETS, WEIGHTS)
    torch.testing.assert_close(weights.total, H[w][:, w], **EXACT_ISH)
    torch.testing.assert_close(weights.residual, res[w][:, w], **EXACT_ISH)


def test_deck_hvp_equals_torch_autograd_functional_hvp():
    model, shapes, theta = deck_theta()
    acts = FAMILIES["sigmoid"](2)
    v = torch.linspace(-1, 1, 10, dtype=DTYPE)
    _, expected = torch.autograd.functional.hvp(lambda th: E_of(th, shapes, DECK_INPUTS, DECK_TARGETS, acts), theta, v)
    got = hvp(model, DECK_INPUTS, DECK_TARGETS, dict(zip(DECK_NAMES, unflatten(v, shapes))))
    torch.testing.assert_close(flat([t.unsqueeze(0) for t in got.total.values()])[0], expected, **EXACT_ISH)
    # a fixed parameter (missing from v, left out of names): H restricted to the others
    only = hvp(model, DECK_INPUTS, DECK_TARGETS, {"layers.1.weight": unflatten(v, shapes)[2]}, names=WEIGHTS)
    H = hessian(model, DECK_INPUTS, DECK_TARGETS, WEIGHTS).total
    torch.testing.assert_close(torch.cat([t.flatten() for t in only.total.values()]),
                               H @ torch.cat([torch.zeros(4, dtype=DTYPE), v[5:9]]), **EXACT_ISH)


def test_deck_w5_entry_in_scalar_arithmetic():
    """∂²E/∂w5² = (∂out_o1/∂w5)² + (out_o1 − target_o1) ∂²out_o1/∂w5², with ∂out_o1/∂w5 = σ'_o1 out_h1
    and ∂²out_o1/∂w5² = σ''_o1 out_h1², from the deck's numbers in plain floats. At the deck's
    start the two parts have opposite signs, and the residual part is the larger."""
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    out_h1, out_h2 = sig(0.15 * 0.05 + 0.20 * 0.10 + 0.35), sig(0.25 * 0.05 + 0.30 * 0.10 + 0.35)
    out_o1 = sig(0.40 * out_h1 + 0.45 * out_h2 + 0.60)
    d1 = out_o1 * (1 - out_o1)
    d2 = d1 * (1 - 2 * out_o1)
    gn, res = (d1 * out_h1) ** 2, (out_o1 - 0.01) * d2 * out_h1 ** 2
    mine = hessian(BackpropNet(), DECK_INPUTS, DECK_TARGETS, WEIGHTS)
    torch.testing.assert_close(mine.gauss_newton[4, 4].item(), gn, **EXACT_ISH)
    torch.testing.assert_close(mine.residual[4, 4].item(), res, **EXACT_ISH)
    assert gn > 0 > res and abs(res) > gn

"""The complex step, ∂E/∂θ = Im E(θ + ih)/h, against the hand-written chain rule: a check with no
subtraction, so its bound (tolerances.COMPLEX_STEP_UNITS rounding units of the running-error scale)
is ~1,000 times tighter than central differences can ever be."""
import mpmath
import pytest
import torch
from drawn_networks import network_batches, one_thread
from hypothesis import given, settings
from oracles import assert_same_gradients, central_differences
from tolerances import (COMPLEX_STEP_H, COMPLEX_STEP_UNITS, DTYPE, EXACT_ISH, FINITE_DIFF, PLANTED_ERROR,
                        UNIT_ROUNDOFF)

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet, manual_gradients
from torch_bp.core.complex_step import complex_step_gradients, rounding_scale, sigmoid


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_thread():
        yield


def assert_within_rounding(actual, expected, scale, what):
    """|actual − expected| ≤ COMPLEX_STEP_UNITS · u · ĝ for every scalar of every parameter."""
    for name in expected:
        bound = COMPLEX_STEP_UNITS * UNIT_ROUNDOFF * scale[name]
        off = (actual[name] - expected[name]).abs()
        assert (off <= bound).all(), (f"{what}, ∂E/∂{name}: off by {off.flatten().tolist()}, "
                                      f"bound {bound.flatten().tolist()}")


def test_sigmoid_is_analytic_and_keeps_its_tails():
    """σ(x + ih): real part σ(x) as torch computes it, Im/h = σ'(x) to a few ulps, even where
    σ' = e^(−|x|) is tiny (out(1 − out) from a rounded out loses those digits)."""
    x = torch.tensor([-40.0, -20.0, -5.0, -0.3, 0.0, 0.3, 5.0, 20.0, 36.0, 40.0], dtype=DTYPE)
    z = sigmoid(torch.complex(x, torch.full_like(x, COMPLEX_STEP_H)))
    torch.testing.assert_close(z.real, torch.sigmoid(x), **EXACT_ISH)
    slope = torch.tensor([sigmoid_slope(v) for v in x.tolist()], dtype=DTYPE)
    torch.testing.assert_close(z.imag / COMPLEX_STEP_H, slope, rtol=4 * UNIT_ROUNDOFF, atol=0)


def sigmoid_slope(x: float) -> float:
    """σ'(x) = σ(x)(1 − σ(x)) at 40 digits, rounded to float64."""
    with mpmath.workdps(40):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
        return float(s * (1 - s))


def test_deck_complex_step_equals_chain_rule():
    model = BackpropNet()
    cs = complex_step_gradients(model, DECK_INPUTS, DECK_TARGETS)
    bp = manual_gradients(model, DECK_INPUTS, DECK_TARGETS)
    assert list(cs) == list(bp)
    assert_within_rounding(cs, bp, rounding_scale(model, DECK_INPUTS, DECK_TARGETS), "deck")


@pytest.mark.parametrize("h", [1e-8, 1e-50, 1e-200])
def test_deck_complex_step_is_flat_in_h(h):
    """No round-off grows as h shrinks: every h ≤ 1e-8 gives the same digits (to rounding)."""
    model = BackpropNet()
    assert_within_rounding(complex_step_gradients(model, DECK_INPUTS, DECK_TARGETS, h),
                           manual_gradients(model, DECK_INPUTS, DECK_TARGETS),
                           rounding_scale(model, DECK_INPUTS, DECK_TARGETS), f"deck, h = {h:g}")


@settings(max_examples=40)  # × drawn_networks.COUNT = 1,000 networks
@given(network_batches())
def test_drawn_networks_complex_step_equals_chain_rule(batch):
    for model, inputs, targets in batch:
        what = f"sizes {model.sizes}, shared {model.shared_bias}, batch {len(inputs)}"
        cs = complex_step_gradients(model, inputs, targets)
        bp = manual_gradients(model, inputs, targets)
        scale = rounding_scale(model, inputs, targets)
        assert all(torch.all(scale[n] >= bp[n].abs()) for n in bp), f"{what}: ĝ < |∂E/∂θ|"
        assert_within_rounding(cs, bp, scale, what)


def planted(grads: dict) -> dict:
    """The planted mistake: every gradient off by a relative PLANTED_ERROR = 1e-12 (what, say, the
    ½ of E typed as 0.5000000000005 does): a few thousand ulps, invisible to central differences."""
    return {name: g * (1 + PLANTED_ERROR) for name, g in grads.items()}


def test_planted_mistake_central_differences_cannot_see():
    """At every step h from 1e-1 to 1e-12, central differences are further from the true gradient
    than the planted mistake is: no tolerance on them tells the two apart."""
    model = BackpropNet()
    true = complex_step_gradients(model, DECK_INPUTS, DECK_TARGETS)
    wrong = planted(manual_gradients(model, DECK_INPUTS, DECK_TARGETS))
    assert_same_gradients(wrong, central_differences(model, DECK_INPUTS, DECK_TARGETS), FINITE_DIFF, "planted vs FD")
    for h in (10.0 ** -k for k in range(1, 13)):
        numeric = central_differences(model, DECK_INPUTS, DECK_TARGETS, eps=h)
        for name in true:
            assert torch.all((numeric[name] - true[name]).abs() > PLANTED_ERROR * true[name].abs()), (name, h)


def test_planted_mistake_complex_step_catches():
    model = BackpropNet()
    cs = complex_step_gradients(model, DECK_INPUTS, DECK_TARGETS)
    wrong = planted(manual_gradients(model, DECK_INPUTS, DECK_TARGETS))
    scale = rounding_scale(model, DECK_INPUTS, DECK_TARGETS)
    for name in cs:  # every parameter's mistake is caught, not just one
        bound = COMPLEX_STEP_UNITS * UNIT_ROUNDOFF * scale[name]
        assert torch.all((wrong[name] - cs[name]).abs() > bound), name
        with pytest.raises(AssertionError):
            assert_within_rounding({name: wrong[name]}, {name: cs[name]}, scale, "planted")

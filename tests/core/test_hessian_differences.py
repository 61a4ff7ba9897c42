"""The hand-written Hessian against central differences of the hand-written gradient (chain_rule.py
and passes.py), torch.autograd.gradcheck / gradgradcheck judging the hand-written H v as the
backward of the hand-written gradient, and the chain rule passes.py reuses against chain_rule.py
and autograd."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from second_order_oracles import FAMILIES, E_of, flat, one_thread  # noqa: F401
from tolerances import DTYPE, EXACT_ISH, FD_EPS, FINITE_DIFF

from torch_bp import BackpropNet, manual_gradients
from torch_bp.core.curve import CurveNet, curve_data
from torch_bp.core.hessian import hessian, hvp
from torch_bp.core.passes import gradients


def fd_hessian(model, inputs, targets, grad_fn, eps=FD_EPS):
    """H[:, j] ≈ (g(θ + ε e_j) − g(θ − ε e_j)) / 2ε, g the hand-written gradient."""
    cols = []
    with torch.no_grad():
        for p in model.parameters():
            flat_p = p.view(-1)
            for k in range(flat_p.numel()):
                x0 = flat_p[k].item()
                flat_p[k] = x0 + eps
                plus = torch.cat([g.flatten() for g in grad_fn(model, inputs, targets).values()])
                flat_p[k] = x0 - eps
                minus = torch.cat([g.flatten() for g in grad_fn(model, inputs, targets).values()])
                flat_p[k] = x0
                cols.append((plus - minus) / (2 * eps))
    return torch.stack(cols, 1)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.booleans(), st.integers(1, 5),
       st.integers(0, 2**31 - 1), st.sampled_from(sorted(FAMILIES)))
def test_drawn_networks_hessian_equals_differences_of_the_gradient(sizes, shared, batch, seed, family):
    g = torch.Generator().manual_seed(seed)
    model = BackpropNet(sizes, shared_bias=shared, seed=seed)
    acts = FAMILIES[family](len(sizes) - 1)
    if family == "tanh-linear":  # the same layers, tanh hidden units and a linear output
        model.activations = acts
    inputs = torch.randn(batch, sizes[0], generator=g, dtype=DTYPE)
    targets = torch.rand(batch, sizes[-1], generator=g, dtype=DTYPE)
    grad_fn = manual_gradients if family == "sigmoid" else gradients  # chain_rule.py, or passes.py
    torch.testing.assert_close(hessian(model, inputs, targets).total, fd_hessian(model, inputs, targets, grad_fn),
                               **FINITE_DIFF)


class ManualGradient(torch.autograd.Function):
    """θ -> ∂E/∂θ by the hand-written chain rule; its backward is the hand-written H v."""

    @staticmethod
    def forward(ctx, model, inputs, targets, *params):
        ctx.model, ctx.inputs, ctx.targets = model, inputs, targets
        ctx.save_for_backward(*params)
        _load(model, params)
        return tuple(gradients(model, inputs, targets).values())

    @staticmethod
    def backward(ctx, *v):  # vᵀ H = (H v)ᵀ, H symmetric
        _load(ctx.model, ctx.saved_tensors)  # gradcheck may have moved the model since forward
        names = [n for n, _ in ctx.model.named_parameters()]
        Hv = hvp(ctx.model, ctx.inputs, ctx.targets, dict(zip(names, v))).total
        return (None, None, None, *Hv.values())


class ManualE(torch.autograd.Function):
    """θ -> E, its backward the hand-written gradient (itself differentiable by ManualGradient)."""

    @staticmethod
    def forward(ctx, model, inputs, targets, *params):
        ctx.model, ctx.inputs, ctx.targets = model, inputs, targets
        ctx.save_for_backward(*params)
        _load(model, params)
        return E_of(flat([p.detach().unsqueeze(0) for p in params])[0], [tuple(p.shape) for p in params],
                    inputs, targets, ctx.model.activations)

    @staticmethod
    def backward(ctx, grad_E):
        grads = ManualGradient.apply(ctx.model, ctx.inputs, ctx.targets, *ctx.saved_tensors)
        return (None, None, None, *(grad_E * g for g in grads))


def _load(model, params):
    with torch.no_grad():
        for p, q in zip(model.parameters(), params):
            p.copy_(q)


@pytest.mark.parametrize("model", [BackpropNet((2, 3, 2), shared_bias=False, init="random", seed=1),
                                   BackpropNet((2, 2, 2, 1), init="random", seed=2), CurveNet((1, 3, 2, 1), seed=3)],
                         ids=["sigmoid 2-3-2", "sigmoid 2-2-2-1 shared", "tanh-linear 1-3-2-1"])
def test_gradcheck_and_gradgradcheck_judge_the_hand_written_hvp(model):
    if not hasattr(model, "activations"):
        model.activations = FAMILIES["sigmoid"](len(model.layers))
    g = torch.Generator().manual_seed(4)
    inputs = torch.randn(3, model.layers[0].in_features, generator=g, dtype=DTYPE)
    targets = torch.rand(3, model.layers[-1].out_features, generator=g, dtype=DTYPE)
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    # the Jacobian of the hand-written gradient (by differences) against its backward, H v by hand
    assert torch.autograd.gradcheck(lambda *ps: ManualGradient.apply(model, inputs, targets, *ps), params,
                                    eps=FD_EPS, **FINITE_DIFF)
    # E whose first and second derivatives are both by hand
    assert torch.autograd.gradgradcheck(lambda *ps: ManualE.apply(model, inputs, targets, *ps), params,
                                        eps=FD_EPS, **FINITE_DIFF)


def test_curve_net_gradients_equal_autograd():
    model = CurveNet((1, 6, 5, 1), seed=5)
    x, y = curve_data(7)
    model.zero_grad()
    (0.5 * (model(x) - y).square().sum() / len(x)).backward()
    mine = gradients(model, x, y)
    assert list(mine) == [n for n, _ in model.named_parameters()]
    for name, p in model.named_parameters():
        torch.testing.assert_close(mine[name], p.grad, **EXACT_ISH, msg=lambda m, name=name: f"∂E/∂{name}: {m}")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.booleans(), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_passes_gradients_equal_the_chain_rule(sizes, shared, batch, seed):
    """passes.py (the chain rule the second pass reuses) and chain_rule.py give the same ∂E/∂θ."""
    g = torch.Generator().manual_seed(seed)
    model = BackpropNet(sizes, shared_bias=shared, seed=seed)
    x = torch.randn(batch, sizes[0], generator=g, dtype=DTYPE)
    t = torch.rand(batch, sizes[-1], generator=g, dtype=DTYPE)
    expected = manual_gradients(model, x, t)
    for name, got in gradients(model, x, t).items():
        torch.testing.assert_close(got, expected[name], **EXACT_ISH)

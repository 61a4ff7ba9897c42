"""The hand-written second derivative (core/hessian.py) against independent oracles, float64:
torch.func (the Hessian, H v, jacrev for the Gauss-Newton part), torch.autograd.functional.hvp, central differences of the
hand-written gradient, torch.autograd.gradcheck / gradgradcheck, and the deck's w5 entry in
scalar arithmetic. Every part is checked on its own, so "the parts sum to the whole" is tested."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tolerances import DTYPE, EXACT_ISH, FD_EPS, FINITE_DIFF

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet, manual_gradients
from torch_bp.core.activations import IDENTITY, SIGMOID, TANH
from torch_bp.core.curve import CurveNet, curve_data
from torch_bp.core.hessian import hessian, hvp
from torch_bp.core.passes import gradients

FAMILIES = {"sigmoid": lambda L: (SIGMOID,) * L, "tanh-linear": lambda L: (TANH,) * (L - 1) + (IDENTITY,)}
NETWORKS_PER_EXAMPLE = 40  # x 26 examples: 1,040 drawn networks against torch.func


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tensors of a few thousand numbers: a second thread only waits for the first (4x slower
    when other processes share the cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- the oracle: E as torch.func sees it, for one network's parameters in one flat vector θ ---
# Reverse over reverse: hessian = jacrev(jacrev(E)), H v = the vjp of grad(E). (torch.func.hessian
# is jacfwd(jacrev): the same matrix, but forward mode costs 1.5 s of one-time compiling here.)

def hessian_rr(f):
    return torch.func.jacrev(torch.func.jacrev(f))


def hvp_rr(f, theta, v, *args):
    """H v as the vjp of ∂E/∂θ (H is symmetric)."""
    return torch.func.vjp(lambda th: torch.func.grad(f)(th, *args), theta)[1](v)[0]

def unflatten(theta, shapes):
    sizes = [math.prod(s) for s in shapes]
    return [p.reshape(s) for p, s in zip(theta.split(sizes), shapes)]


def outputs_of(theta, shapes, x, acts):
    params, out = unflatten(theta, shapes), x
    for (W, b), act in zip(zip(params[0::2], params[1::2]), acts):
        out = act.out(out @ W.T + b)  # a shared bias () broadcasts over the units
    return out


def E_of(theta, shapes, x, t, acts):
    return 0.5 * (outputs_of(theta, shapes, x, acts) - t).square().sum() / x.shape[0]


def oracle_parts(theta, shapes, x, t, acts):
    """(Gauss-Newton part, residual part) of one network's Hessian by torch.func."""
    J = torch.func.jacrev(outputs_of)(theta, shapes, x, acts)          # (B, n_L, P)
    gn = torch.einsum("bkp,bkq->pq", J, J) / x.shape[0]                # Jᵀ J / B
    e = (outputs_of(theta, shapes, x, acts) - t).detach()

    def residual_E(th):  # 1/B Σ e · out(θ) with e held fixed: its Hessian is the residual part
        return (e * outputs_of(th, shapes, x, acts)).sum() / x.shape[0]
    return gn, hessian_rr(residual_E)(theta)


def flat(params) -> torch.Tensor:
    """N networks' parameters (each (N, ...)) as (N, P), in named_parameters() order."""
    return torch.cat([p.reshape(p.shape[0], -1) for p in params], 1)


class Stacked:
    """N networks stacked as a sweep stacks them: .layers with weight (N, n_l, n_{l-1}), bias
    (N,) or (N, n_l)."""
    class Layer:
        def __init__(self, weight, bias):
            self.weight, self.bias = weight, bias

    def __init__(self, params):
        self.layers = [self.Layer(W, b) for W, b in zip(params[0::2], params[1::2])]


# ---- drawn networks: shape, activations, bias kind, batch; then NETWORKS_PER_EXAMPLE of them --
# Smaller than test_gradients.py's (widths 1-4, 1-3 layers, batch 1-5): a Hessian costs P
# gradients, and these shapes already hold every case (deep and shallow, shared and per-unit
# biases, one output and several, flat tails).

@st.composite
def stacked_networks(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    family = draw(st.sampled_from(sorted(FAMILIES)))
    shared = draw(st.booleans())
    batch = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([0.5, 1.0, 3.0]))  # 3.0 reaches the activations' flat tails
    g = torch.Generator().manual_seed(seed)
    N = NETWORKS_PER_EXAMPLE
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(scale * torch.randn(N, n_out, n_in, generator=g, dtype=DTYPE))
        params.append(scale * torch.randn((N,) if shared else (N, n_out), generator=g, dtype=DTYPE))
    x = torch.randn(N, batch, sizes[0], generator=g, dtype=DTYPE)
    t = torch.rand(N, batch, sizes[-1], generator=g, dtype=DTYPE)
    return params, x, t, FAMILIES[family](len(sizes) - 1)


@settings(max_examples=26, deadline=None)
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


# ---- central differences of the hand-written gradient; gradcheck and gradgradcheck --------

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
    x, t = torch.randn(batch, sizes[0], generator=g, dtype=DTYPE), torch.rand(batch, sizes[-1], generator=g, dtype=DTYPE)
    expected = manual_gradients(model, x, t)
    for name, got in gradients(model, x, t).items():
        torch.testing.assert_close(got, expected[name], **EXACT_ISH)

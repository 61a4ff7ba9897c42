"""Forward mode by hand (torch_bp.core.forward_mode.jvp) against torch.func.jvp, against the
hand-written reverse pass (vᵀ(J u) = (Jᵀv)ᵀu), and under gradcheck's forward-mode check."""
import pytest
import torch
from drawn_networks import network_batches, one_thread
from hypothesis import given, settings
from tolerances import DTYPE, EXACT_ISH, FD_EPS, FINITE_DIFF, JVP_RTOL

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet, half_sse, manual_gradients
from torch_bp.core.forward_mode import jvp

# torch.func.jvp's first call loads code of torch's own that still uses torch.jit.script
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_thread():
        yield


def random_like(model, g) -> dict[str, torch.Tensor]:
    """A random tangent u for every parameter."""
    return {n: torch.randn(p.shape, generator=g, dtype=DTYPE) for n, p in model.named_parameters()}


def torch_jvp(model, inputs, targets, tangents, inputs_dot=None):
    """(J u, Ė) by torch.func.jvp of θ, i ↦ (out_L, E)."""
    def f(params, x):
        out = torch.func.functional_call(model, params, (x,))
        return out, half_sse(out, targets)
    params = {n: p.detach() for n, p in model.named_parameters()}
    x_dot = torch.zeros_like(inputs) if inputs_dot is None else inputs_dot
    _, (out_dot, E_dot) = torch.func.jvp(f, (params, inputs), (tangents, x_dot))
    return out_dot, E_dot


def assert_jvp_close(actual, expected, what):
    """Componentwise 1e-12 relative; a component that cancels to near zero: 1e-12 of the largest."""
    torch.testing.assert_close(actual, expected, rtol=JVP_RTOL, atol=JVP_RTOL * expected.abs().max().item(),
                               msg=lambda m: f"{what}: {m}")


def check_jvp(model, inputs, targets, g, what, inputs_move=(False, True)):
    """J u and Ė against torch.func.jvp: the parameters moving, and the inputs with them."""
    u = random_like(model, g)
    i_dot = torch.randn(inputs.shape, generator=g, dtype=DTYPE)
    for inputs_dot in (i_dot if move else None for move in inputs_move):
        ours = jvp(model, inputs, targets, u, inputs_dot)
        out_dot, E_dot = torch_jvp(model, inputs, targets, u, inputs_dot)
        assert_jvp_close(ours.outputs_dot, out_dot, f"{what}: J u")
        assert_jvp_close(ours.loss_dot, E_dot, f"{what}: Ė")
        torch.testing.assert_close(ours.loss, half_sse(ours.outputs, targets), **EXACT_ISH)


def test_deck_jvp_equals_torch_func_jvp():
    model, g = BackpropNet(), torch.Generator().manual_seed(0)
    for k in range(20):
        check_jvp(model, DECK_INPUTS, DECK_TARGETS, g, f"deck, u #{k}")
    # one tangent per parameter: Ė along the unit vector e_θ is ∂E/∂θ, the reverse pass's number
    grads = manual_gradients(model, DECK_INPUTS, DECK_TARGETS)
    for name, p in model.named_parameters():
        for k in range(p.numel()):
            e = torch.zeros(p.numel(), dtype=DTYPE)
            e[k] = 1
            E_dot = jvp(model, DECK_INPUTS, DECK_TARGETS, {name: e.view(p.shape)}).loss_dot
            torch.testing.assert_close(E_dot, grads[name].flatten()[k], **EXACT_ISH)


def reverse_pass(model, inputs, outputs, v) -> dict[str, torch.Tensor]:
    """Jᵀv by the hand-written chain rule: its ∂E/∂out_L = (out − target)/B is v for the targets
    out − B·v, so its ∂E/∂θ = (∂out_L/∂θ)ᵀ v."""
    return manual_gradients(model, inputs, outputs - inputs.shape[0] * v)


def check_transpose(model, inputs, targets, g, what):
    """vᵀ(J u) = (Jᵀv)ᵀu: forward mode and the reverse pass are transposes of one Jacobian."""
    u = random_like(model, g)
    t = jvp(model, inputs, targets, u)
    v = torch.randn(t.outputs.shape, generator=g, dtype=DTYPE)
    JTv = reverse_pass(model, inputs, t.outputs, v)
    terms_forward = v * t.outputs_dot
    terms_reverse = torch.cat([(JTv[n] * u[n]).flatten() for n in u])
    # both sums within a few roundings of Σ|terms|, however much they cancel
    scale = max(terms_forward.abs().sum(), terms_reverse.abs().sum())
    torch.testing.assert_close(terms_forward.sum(), terms_reverse.sum(), rtol=0, atol=JVP_RTOL * scale.item(),
                               msg=lambda m: f"{what}: vᵀ(J u) vs (Jᵀv)ᵀu: {m}")


def test_deck_forward_is_transpose_of_reverse():
    model, g = BackpropNet(), torch.Generator().manual_seed(1)
    for k in range(20):
        check_transpose(model, DECK_INPUTS, DECK_TARGETS, g, f"deck #{k}")


@settings(max_examples=10)  # × drawn_networks.COUNT = 250 networks
@given(network_batches())
def test_drawn_networks_jvp(batch):
    g = torch.Generator().manual_seed(len(batch.draws[0][1]))
    for model, inputs, targets in batch:
        what = f"sizes {model.sizes}, shared {model.shared_bias}, batch {len(inputs)}"
        check_jvp(model, inputs, targets, g, what, inputs_move=(True,))
        check_transpose(model, inputs, targets, g, what)


class HandForwardMode(torch.autograd.Function):
    """out_L(θ) whose forward-mode derivative is the hand-written jvp, so gradcheck's
    check_forward_ad judges it against finite differences."""

    @staticmethod
    def forward(model, inputs, *params):
        with torch.no_grad():
            for p, q in zip(model.parameters(), params):
                p.copy_(q)
            return model(inputs)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.model, ctx.inputs = inputs[0], inputs[1]

    @staticmethod
    def jvp(ctx, _model_dot, inputs_dot, *params_dot):
        names = [n for n, _ in ctx.model.named_parameters()]
        targets = torch.zeros(len(ctx.inputs), ctx.model.sizes[-1], dtype=DTYPE)
        return jvp(ctx.model, ctx.inputs, targets, dict(zip(names, params_dot)), inputs_dot).outputs_dot


@pytest.mark.parametrize("sizes, shared", [((2, 2, 2), True), ((3, 5, 4, 2), True), ((4, 3, 1), False)])
def test_gradcheck_forward_ad(sizes, shared):
    model = BackpropNet(sizes, shared_bias=shared, init="random", seed=1)
    g = torch.Generator().manual_seed(2)
    inputs = torch.randn(5, sizes[0], generator=g, dtype=DTYPE, requires_grad=True)
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    assert torch.autograd.gradcheck(lambda x, *ps: HandForwardMode.apply(model, x, *ps), (inputs, *params),
                                    eps=FD_EPS, **FINITE_DIFF, check_forward_ad=True, check_backward_ad=False,
                                    check_undefined_grad=False)

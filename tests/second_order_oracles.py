"""What the second-order tests share: torch.func's view of E for one network (a flat θ), N
networks stacked as a sweep stacks them, and the drawn networks (test_hessian.py,
test_sharpness.py)."""
import math

import pytest
import torch
from hypothesis import strategies as st
from tolerances import DTYPE

from torch_bp import BackpropNet
from torch_bp.core.activations import IDENTITY, SIGMOID, TANH

FAMILIES = {"sigmoid": lambda L: (SIGMOID,) * L, "tanh-linear": lambda L: (TANH,) * (L - 1) + (IDENTITY,)}
NETWORKS_PER_EXAMPLE = 40  # networks per drawn example (all of one shape)


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


def torch_func_spectrum(params: dict, x, t, trained: list[str]) -> torch.Tensor:
    """Every eigenvalue (ascending) of ∂²E/∂θ² over the parameters `trained`, by torch.func
    (reverse over reverse), for the BackpropNet whose named parameters are `params`."""
    sizes = [params["layers.0.weight"].shape[1]] + [params[f"layers.{l}.weight"].shape[0]
                                                     for l in range(len(params) // 2)]
    net = BackpropNet(sizes, shared_bias=params["layers.0.bias"].dim() == 0)

    def E(theta):
        out = torch.func.functional_call(net, {**params, **theta}, (x,))
        return 0.5 * (out - t).square().sum() / len(x)
    H = hessian_rr(E)({n: params[n] for n in trained})
    size = {n: params[n].numel() for n in trained}
    P = sum(size.values())
    return torch.linalg.eigvalsh(torch.cat([torch.cat([H[a][b].reshape(size[a], size[b]) for b in trained], 1)
                                            for a in trained]).reshape(P, P))

"""Sharpness by power iteration on the hand-written H v (core/sharpness.py), for one network
and for N networks stacked as a sweep stacks them, against the largest eigenvalue of torch.func's
Hessian (reverse over reverse), float64. The stopping rule ‖H v − λ v‖ ≤ POWER_TOL · ‖H‖₂
promises an eigenvalue within POWER_TOL · ‖H‖₂ of the answer: that is the tolerance here."""
import pytest
import torch
from hypothesis import given, settings
from second_order_oracles import Stacked, one_thread, stacked_networks  # noqa: F401
from tolerances import DTYPE

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet
from torch_bp.core.hessian import hessian
from torch_bp.core.sgd import trained_names
from torch_bp.core.sharpness import POWER_TOL, sharpness, sharpness_exact
from torch_bp.training.sweep import StackedNets


def torch_func_eigenvalues(model, inputs, targets, names) -> torch.Tensor:
    """All eigenvalues (ascending) of ∂²E/∂θ² over the parameters `names`, by torch.func."""
    params = {n: p.detach() for n, p in model.named_parameters()}
    shapes = [params[n].shape for n in names]
    sizes = [params[n].numel() for n in names]

    def E(theta):
        sub = {n: t.reshape(s) for n, t, s in zip(names, theta.split(sizes), shapes)}
        out = torch.func.functional_call(model, {**params, **sub}, (inputs,))
        return 0.5 * (out - targets).square().sum() / len(inputs)
    theta = torch.cat([params[n].flatten() for n in names])
    return torch.linalg.eigvalsh(torch.func.jacrev(torch.func.jacrev(E))(theta))


def drawn_networks(count=8, sizes=(3, 4, 2), seed=2):
    """Networks whose largest eigenvalue is positive and others whose most negative one is the
    larger in size (power iteration then needs its shifted second run)."""
    g = torch.Generator().manual_seed(seed)
    nets = []
    for k in range(count):
        net = BackpropNet(sizes, shared_bias=k % 2 == 0, seed=k)
        with torch.no_grad():
            for p in net.parameters():
                p.copy_((0.5 + k % 4) * torch.randn(p.shape, generator=g, dtype=DTYPE))
        nets.append(net)
    return nets, torch.randn(5, sizes[0], generator=g, dtype=DTYPE), torch.rand(5, sizes[-1], generator=g, dtype=DTYPE)


@pytest.mark.parametrize("train_bias", [False, True], ids=["weights", "weights and biases"])
def test_stacked_sharpness_equals_each_networks_torch_func_eigenvalue(train_bias):
    nets, x, t = drawn_networks()
    shared, per_unit = StackedNets.stack(nets[0::2]), StackedNets.stack(nets[1::2])  # biases (N,), (N, n_l)
    for stacked, group in ((shared, nets[0::2]), (per_unit, nets[1::2])):
        names = trained_names(group[0], train_bias)
        s = sharpness(stacked, x, t, names, seed=3)
        exact = sharpness_exact(stacked, x, t, names)
        assert s.value.shape == exact.shape == (len(group),) and bool(s.converged.all())
        for k, net in enumerate(group):
            ev = torch_func_eigenvalues(net, x, t, names)
            norm = ev.abs().max().item()  # ‖H‖₂
            assert abs(s.value[k].item() - ev[-1].item()) <= POWER_TOL * norm, f"network {k}: {s.value[k]} vs {ev}"
            assert abs(exact[k].item() - ev[-1].item()) <= 1e-12 * norm  # eigvalsh's own rounding
    evs = [torch_func_eigenvalues(n, x, t, trained_names(n, train_bias)) for n in nets]
    assert any(-ev[0] > ev[-1] for ev in evs), "no network needs the shifted run"


def test_one_network_and_the_deck():
    model = BackpropNet()
    names = trained_names(model, False)
    s = sharpness(model, DECK_INPUTS, DECK_TARGETS, names)
    ev = torch_func_eigenvalues(model, DECK_INPUTS, DECK_TARGETS, names)
    assert s.value.dim() == 0 and bool(s.converged)
    assert abs(s.value.item() - ev[-1].item()) <= POWER_TOL * ev.abs().max().item()
    assert abs(ev[-1].item() - 0.0365459) < 1e-7  # the deck's λ_max, as docs/second-order.md states it
    exact = sharpness_exact(model, DECK_INPUTS, DECK_TARGETS, names)
    assert exact.dim() == 0 and abs(exact.item() - ev[-1].item()) <= 1e-12 * ev.abs().max().item()


def test_seeded_and_warm_started():
    nets, x, t = drawn_networks(6)
    group = nets[0::2]
    stacked = StackedNets.stack(group)
    norms = torch.tensor([torch_func_eigenvalues(n, x, t, [m for m, _ in n.named_parameters()]).abs().max().item()
                          for n in group], dtype=DTYPE)  # ‖H‖₂ of each
    a, b = sharpness(stacked, x, t, seed=7), sharpness(stacked, x, t, seed=7)
    assert torch.equal(a.value, b.value) and torch.equal(a.iterations, b.iterations)
    assert not sharpness(stacked, x, t, seed=7, max_iters=1).converged.any()  # stopped early: said so
    warm = sharpness(stacked, x, t, start=a)
    assert bool((warm.iterations <= 3).all()), warm.iterations  # an eigenvector already: a product or three
    assert bool(((warm.value - a.value).abs() <= 2 * POWER_TOL * norms).all())
    # each network as if alone: the same λ_max as in the stack, within the two runs' tolerances
    for k, net in enumerate(group):
        assert abs(sharpness(net, x, t, seed=7).value.item() - a.value[k].item()) <= 2 * POWER_TOL * norms[k]


@settings(max_examples=6, deadline=None)
@given(stacked_networks())
def test_drawn_networks_sharpness_is_the_largest_eigenvalue(case):
    """240 drawn networks (either activation family, any bias kind), against the eigenvalues of
    the hand-written Hessian (itself held to torch.func in test_hessian.py). Every answer that says
    it converged is within the promise; at least 95 % converge within POWER_MAX_ITERS products
    (measured: 98.3 % of 6,000; the rest have λ_max within 0.2 % of the next eigenvalue, or tiny
    beside |λ_min|: power iteration's slow cases)."""
    params, x, t, acts = case
    s = sharpness(Stacked(params), x, t, activations=acts)
    ev = torch.linalg.eigvalsh(hessian(Stacked(params), x, t, activations=acts).total)
    ok = (s.value - ev[:, -1]).abs() <= POWER_TOL * ev.abs().max(-1).values
    assert bool(ok[s.converged].all()), (s.value[~ok], ev[~ok][:, -1])
    assert s.converged.float().mean() >= 0.95

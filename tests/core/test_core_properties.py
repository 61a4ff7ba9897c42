"""Properties of the core that the mutation run (scripts/mutants.py) showed no other test states:
both backends' traces, train_bias and the defaults through every SGD entry point, the seeded
random init (its distribution, its independence from global RNG state, golden values), the
requested device and dtype, and load_values' checks."""
from __future__ import annotations

import copy
import io
import math
import weakref

import pytest
import torch
from tolerances import DTYPE, EXACT_ISH
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from torch_bp import BackpropNet, SharedBiasLinear, backprop, half_sse, manual_gradients
from torch_bp.core.sgd import AutogradSGD, ManualSGD, autograd_sgd, manual_sgd, sgd_rounds

SIZES = (3, 4, 2)


def data(rows=5, sizes=SIZES, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(rows, sizes[0], generator=g, dtype=DTYPE), torch.rand(rows, sizes[-1], generator=g, dtype=DTYPE)


def nets(shared_bias=True):
    return BackpropNet(SIZES, shared_bias, seed=1), BackpropNet(SIZES, shared_bias, seed=1)


# ---- the two backends' traces ---------------------------------------------------------------

@pytest.mark.parametrize("shared_bias", [True, False])
def test_autograd_trace_has_the_manual_traces_fields(shared_bias):
    """inputs, targets, layers (empty: neither keeps per-layer tensors), outputs, loss terms,
    loss and gradients of AutogradSGD equal ManualSGD's, for three rounds of updates."""
    (a, b), (x, t) = nets(shared_bias), data()
    manual, auto = ManualSGD(a, lr=0.5, train_bias=True), AutogradSGD(b, lr=0.5, train_bias=True)
    for _ in range(3):
        tm, ta = manual.forward_backward(x, t), auto.forward_backward(x, t)
        for trace in (tm, ta):
            assert trace.inputs is x and trace.targets is t and trace.layers == []
            assert trace.outputs.shape == t.shape and trace.loss_terms.shape == (t.shape[1],) and trace.loss.shape == ()
        torch.testing.assert_close(ta.outputs, tm.outputs, **EXACT_ISH)
        torch.testing.assert_close(ta.outputs, a(x).detach(), **EXACT_ISH)
        torch.testing.assert_close(ta.loss_terms, tm.loss_terms, **EXACT_ISH)
        torch.testing.assert_close(ta.loss, tm.loss, **EXACT_ISH)
        torch.testing.assert_close(ta.loss, ta.loss_terms.sum(), **EXACT_ISH)
        assert list(ta.grads) == list(tm.grads) == [n for n, _ in a.named_parameters()]
        for n in tm.grads:  # a fresh gradient each round, not one accumulated over rounds
            torch.testing.assert_close(ta.grads[n], tm.grads[n], **EXACT_ISH, msg=n)
        manual.step(tm), auto.step(ta)


def test_traced_backprop_keeps_every_layer_in_order():
    model, (x, t) = BackpropNet((3, 4, 5, 2), seed=2), data(sizes=(3, 4, 5, 2))
    trace = backprop(model, x, t)
    assert [layer.out.shape[1] for layer in trace.layers] == [4, 5, 2]
    out = x
    for layer, lt in zip(model.layers, trace.layers):
        torch.testing.assert_close(lt.net, layer(out).detach(), **EXACT_ISH)
        out = torch.sigmoid(lt.net)
        torch.testing.assert_close(lt.out, out, **EXACT_ISH)
        torch.testing.assert_close(lt.dout_dnet, out * (1 - out), **EXACT_ISH)
        torch.testing.assert_close(lt.delta, lt.dE_dout * lt.dout_dnet, **EXACT_ISH)
    torch.testing.assert_close(trace.outputs, out, **EXACT_ISH)
    assert trace.inputs is x and trace.targets is t
    assert backprop(model, x, t, keep=False).layers == []


class LiveBytes(TorchDispatchMode):
    """Peak bytes of the tensors that ops under it allocate, while something still refers to
    them: each new storage counts from its op until its tensor is freed. Deterministic, unlike
    the process's resident set (tracemalloc does not see torch's allocations)."""

    def __init__(self):
        super().__init__()
        self.live = self.peak = 0
        self.sizes: dict[int, int] = {}

    def _free(self, key):
        self.live -= self.sizes.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t._base is None:
                storage = t.untyped_storage()
                if storage.data_ptr() not in self.sizes and storage.nbytes():
                    self.sizes[storage.data_ptr()] = storage.nbytes()
                    self.live += storage.nbytes()
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(t, self._free, storage.data_ptr())
        return out


def peak_bytes(fn):
    with LiveBytes() as mode:
        del fn()[:]
    return mode.peak


def test_manual_gradients_memory_is_bounded():
    """backprop(keep=False) holds each out_l once, the gradients, and ONE (B, n_l) buffer in
    flight (delta_l, formed in ∂E/∂out_l's own buffer): each layer's out_l is freed as soon as
    delta_l is formed. Autograd, for comparison, keeps σ' and the incoming gradient apart."""
    sizes, B = (50, 300, 300, 10), 64
    model = BackpropNet(sizes, dtype=torch.float32)
    x, t = torch.rand(B, sizes[0]), torch.rand(B, sizes[-1])
    item = 4
    bound = (B * sum(sizes[1:]) + sum(p.numel() for p in model.parameters()) + B * max(sizes[1:])) * item
    manual = peak_bytes(lambda: list(manual_gradients(model, x, t).values()))

    def autograd():
        model.zero_grad(set_to_none=True)
        half_sse(model(x), t).backward()
        return [p.grad for p in model.parameters()]

    assert manual <= bound, f"manual_gradients peaked at {manual} bytes, over the bound {bound}"
    assert manual <= peak_bytes(autograd)
    assert peak_bytes(lambda: list(backprop(model, x, t).grads.values())) > bound  # keep=True keeps every layer


# ---- train_bias and the defaults, through every entry point -------------------------------------

def biases(model):
    return [p.detach().clone() for n, p in model.named_parameters() if n.endswith("bias")]


def weights(model):
    return [p.detach().clone() for n, p in model.named_parameters() if n.endswith("weight")]


def run_rounds(make, model, rounds=3):
    before_w, before_b = weights(model), biases(model)
    for _ in zip(range(rounds), make(model)):
        pass
    moved_w = all(not torch.equal(p, q) for p, q in zip(weights(model), before_w))
    moved_b = [not torch.equal(p, q) for p, q in zip(biases(model), before_b)]
    assert moved_w, "every weight matrix learns"
    return moved_b


def loop(cls, **kwargs):
    def make(model):
        x, t = data()
        sgd = cls(model, 0.5, **kwargs)
        while True:
            trace = sgd.forward_backward(x, t)
            yield trace
            sgd.step(trace)
    return make


def batches():
    x, t = data()
    while True:
        yield x, t


ENTRY_POINTS = {
    "ManualSGD": lambda **kw: loop(ManualSGD, **kw),
    "AutogradSGD": lambda **kw: loop(AutogradSGD, **kw),
    "sgd_rounds": lambda **kw: (lambda m: sgd_rounds(m, batches(), 0.5, **kw)),
    "sgd_rounds-autograd": lambda **kw: (lambda m: sgd_rounds(m, batches(), 0.5, backend="autograd", **kw)),
    "manual_sgd": lambda **kw: (lambda m: manual_sgd(m, batches(), 0.5, **kw)),
    "autograd_sgd": lambda **kw: (lambda m: autograd_sgd(m, batches(), 0.5, **kw)),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("shared_bias", [True, False])
def test_train_bias_moves_every_bias_and_the_default_keeps_them(entry, shared_bias):
    assert all(run_rounds(ENTRY_POINTS[entry](train_bias=True), BackpropNet(SIZES, shared_bias, seed=1)))
    assert not any(run_rounds(ENTRY_POINTS[entry](), BackpropNet(SIZES, shared_bias, seed=1)))  # default: fixed


def test_entry_points_take_one_sgd_step_per_round_with_the_given_lr():
    """θ_{r+1} = θ_r − η ∂E/∂θ_r, each round's trace seen before its update, for every entry point."""
    x, t = data()
    for entry, make in ENTRY_POINTS.items():
        model = BackpropNet(SIZES, seed=1)
        reference = copy.deepcopy(model)
        for r, trace in zip(range(3), make(train_bias=True)(model)):  # 3 traces, 2 updates
            torch.testing.assert_close(trace.loss, backprop(reference, x, t).loss, **EXACT_ISH, msg=entry)
            grads = manual_gradients(reference, x, t)
            if r < 2:
                with torch.no_grad():
                    for n, p in reference.named_parameters():
                        p -= 0.5 * grads[n]
        for (n, p), q in zip(model.named_parameters(), reference.parameters()):
            torch.testing.assert_close(p.detach(), q.detach(), **EXACT_ISH, msg=f"{entry}: {n}")


def test_the_default_backend_is_the_hand_written_chain_rule():
    """sgd_rounds without backend= never runs autograd: no parameter ever gets a .grad."""
    model = BackpropNet(SIZES, seed=1)
    for _ in zip(range(2), sgd_rounds(model, batches(), 0.5)):
        pass
    assert all(p.grad is None for p in model.parameters())
    for _ in zip(range(2), sgd_rounds(model, batches(), 0.5, backend="autograd")):
        pass
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("cls", [ManualSGD, AutogradSGD])
def test_optimizer_state_round_trips_through_a_checkpoint(cls):
    """state_dict() is plain data (torch.load(weights_only=True) reads it) and load_state_dict
    restores the optimizer's settings: resuming with a different lr still steps with the saved one."""
    x, t = data()
    straight, resumed = BackpropNet(SIZES, seed=1), BackpropNet(SIZES, seed=1)
    sgd = cls(straight, 0.5, train_bias=True)
    buffer = io.BytesIO()
    torch.save(sgd.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert isinstance(state, dict)
    other = cls(resumed, 0.5 if cls is ManualSGD else 0.1, train_bias=True)  # plain SGD: lr is not state
    other.load_state_dict(state)
    for s in (sgd, other):
        s.step(s.forward_backward(x, t))
    for p, q in zip(straight.parameters(), resumed.parameters()):
        torch.testing.assert_close(p.detach(), q.detach(), **EXACT_ISH)


# ---- the seeded random init -----------------------------------------------------------------

@pytest.mark.parametrize("shared_bias", [True, False])
def test_random_init_is_uniform_within_one_over_root_fan_in(shared_bias):
    """nn.Linear's init, for the shared bias too: every weight and bias of layer l is drawn
    from U(−1/√n_{l−1}, 1/√n_{l−1}): within the bound, spread over it, not all equal."""
    sizes = (9, 4, 16, 3)
    draws = [BackpropNet(sizes, shared_bias, seed=s) for s in range(40)]
    for l, n_in in enumerate(sizes[:-1]):
        bound = 1 / math.sqrt(n_in)
        for kind in ("weight", "bias"):
            values = torch.cat([getattr(m.layers[l], kind).detach().reshape(-1) for m in draws])
            assert values.abs().max() <= bound, f"layer {l + 1} {kind} beyond ±1/√{n_in}"
            assert values.min() < -bound / 2 and values.max() > bound / 2, f"layer {l + 1} {kind} not spread"
            assert values.unique().numel() == values.numel(), f"layer {l + 1} {kind} repeats"


def test_random_init_depends_on_the_seed_only():
    torch.manual_seed(0)
    a = BackpropNet(SIZES, seed=5)
    torch.rand(100)
    b = BackpropNet(SIZES, seed=5)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        c = BackpropNet(SIZES, seed=5)
    for p, q, r in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q) and torch.equal(p, r)


def test_the_random_seed_defaults_to_0():
    for p, q in zip(BackpropNet(SIZES).parameters(), BackpropNet(SIZES, seed=0).parameters()):
        assert torch.equal(p, q)


def test_shared_bias_layer_init_is_seeded_too():
    torch.manual_seed(3)
    a = SharedBiasLinear(5, 2, dtype=DTYPE)
    torch.manual_seed(3)
    b = SharedBiasLinear(5, 2, dtype=DTYPE)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    assert a.bias.abs() <= 1 / math.sqrt(5)


# Golden values: a network drawn with --seed 0 must stay the same network across versions of
# torch_bp (published runs and checkpoints are reproduced from the seed alone). These are
# nn.Linear's uniform init from torch.manual_seed(0): for the shared bias, reset_parameters runs
# twice (once inside nn.Linear.__init__, before the scalar bias exists), so its weights are the
# second draw of the generator, after which comes the bias.
GOLDEN_SEED_0 = {
    True: {"layers.0.weight": [[-0.45451950589406026, -0.21056561691605538], [0.11503343196777419, -0.2994796733648953],
                               [-0.06665351312258412, -0.45707449340811757]],
           "layers.0.bias": 0.17240005600705285,
           "layers.1.weight": [[-0.3401302147156549, 0.1905696703918271, 0.3289440462257217]],
           "layers.1.bias": 0.20408075807631967},
    False: {"layers.0.weight": [[0.6647553301890121, 0.29390167076471757], [-0.05744119269283829, 0.595027081222347],
                                [0.2050950775488388, 0.41174529777772495]],
            "layers.0.bias": [-0.4545195058940603, -0.2105656169160554, 0.1150334319677742],
            "layers.1.weight": [[-0.24452412935978926, -0.05442236557141126, -0.3731997610970005]],
            "layers.1.bias": [-0.1671235520669772]},
}


@pytest.mark.parametrize("shared_bias", [True, False])
def test_random_init_golden_values_for_seed_0(shared_bias):
    model = BackpropNet((2, 3, 1), shared_bias, seed=0)
    assert {n: p.tolist() for n, p in model.named_parameters()} == GOLDEN_SEED_0[shared_bias]


# ---- device and dtype -----------------------------------------------------------------------

@pytest.mark.parametrize("shared_bias", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_every_parameter_on_the_requested_device_and_dtype(shared_bias, dtype):
    """device="meta" allocates nothing, so CPU-only machines check the device handling too."""
    model = BackpropNet((3, 5, 2), shared_bias, init="random", device="meta", dtype=dtype)
    assert [(p.device.type, p.dtype) for p in model.parameters()] == [("meta", dtype)] * 4
    layer = SharedBiasLinear(3, 2, device="meta", dtype=dtype)
    assert [(p.device.type, p.dtype) for p in layer.parameters()] == [("meta", dtype)] * 2


# ---- load_values ----------------------------------------------------------------------------

def deck_values(**change):
    values = {"layers.0.weight": [[0.15, 0.20], [0.25, 0.30]], "layers.0.bias": 0.35,
              "layers.1.weight": [[0.40, 0.45], [0.50, 0.55]], "layers.1.bias": 0.60}
    return {**values, **change}


@pytest.mark.parametrize("weight", [[[True, 0.20], [0.25, 0.30]], [[0.15, True], [0.25, 0.30]],
                                    [[0.15, 0.20], [0.25, False]], [[0.15, 0.20], [1, True]], True])
def test_load_values_rejects_a_bool_anywhere_among_numbers(weight):
    model = BackpropNet((2, 2, 2), init="random")
    with pytest.raises(ValueError, match="layers.1.weight: true/false is not a number"):
        model.load_values(deck_values(**{"layers.1.weight": weight}))


def test_load_values_names_missing_and_unknown_parameters_sorted():
    model = BackpropNet((2, 3, 4, 1), init="random")
    expected = sorted(n for n, _ in model.named_parameters())
    with pytest.raises(ValueError) as e:
        model.load_values({"zeta": 1, "alpha": 2, "mid": 3})
    assert f"missing {expected}, unknown ['alpha', 'mid', 'zeta']" in str(e.value)


def test_load_values_sets_every_parameter_and_broadcasts_a_per_unit_bias():
    shared, per_unit = BackpropNet((2, 2, 2), init="random"), BackpropNet((2, 2, 2), False, init="random")
    shared.load_values(deck_values())
    per_unit.load_values(deck_values())
    assert {n: p.tolist() for n, p in shared.named_parameters()} == deck_values()
    assert per_unit.layers[0].bias.tolist() == [0.35, 0.35] and per_unit.layers[1].bias.tolist() == [0.6, 0.6]
    with pytest.raises(ValueError, match=r"layers.0.bias: expected shape \[\]"):
        shared.load_values(deck_values(**{"layers.0.bias": [0.35, 0.35]}))
    with pytest.raises(ValueError, match="finite"):
        shared.load_values(deck_values(**{"layers.1.bias": float("inf")}))


# ---- the article's sequential rule ----------------------------------------------------------

def sequential_reference(w, b1, b2, i1, i2, t1, t2, lr, rounds):
    """The sequential rule in scalars, as the article's figures imply: w5..w8 updated first,
    then the hidden deltas taken through the UPDATED w5..w8. Returns each round's E and the
    final weights."""
    sigma = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    w, errors = list(w), []
    for _ in range(rounds):
        w1, w2, w3, w4, w5, w6, w7, w8 = w
        h1, h2 = sigma(w1 * i1 + w2 * i2 + b1), sigma(w3 * i1 + w4 * i2 + b1)
        o1, o2 = sigma(w5 * h1 + w6 * h2 + b2), sigma(w7 * h1 + w8 * h2 + b2)
        errors.append(0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2)
        d1, d2 = (o1 - t1) * o1 * (1 - o1), (o2 - t2) * o2 * (1 - o2)  # delta_o
        w5, w6, w7, w8 = w5 - lr * d1 * h1, w6 - lr * d1 * h2, w7 - lr * d2 * h1, w8 - lr * d2 * h2
        e1, e2 = (d1 * w5 + d2 * w7) * h1 * (1 - h1), (d1 * w6 + d2 * w8) * h2 * (1 - h2)  # through new w5..w8
        w = [w1 - lr * e1 * i1, w2 - lr * e1 * i2, w3 - lr * e2 * i1, w4 - lr * e2 * i2, w5, w6, w7, w8]
    return errors, w


def test_sequential_sgd_is_the_sequential_rule_in_scalars():
    from torch_bp.explain.report_rounds import sequential_sgd
    w, b1, b2 = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55), 0.35, 0.60
    x, t = torch.tensor([[0.05, 0.10]], dtype=DTYPE), torch.tensor([[0.01, 0.99]], dtype=DTYPE)
    model = BackpropNet()
    errors, final = sequential_reference(w, b1, b2, 0.05, 0.10, 0.01, 0.99, 0.5, rounds=4)
    traces = [trace for _, trace in zip(range(5), sequential_sgd(model, iter(lambda: (x, t), None), 0.5))]
    for trace, expected in zip(traces, errors):
        assert trace.inputs is x and trace.targets is t
        torch.testing.assert_close(trace.loss.item(), expected, **EXACT_ISH)
    got = model.layers[0].weight.flatten().tolist() + model.layers[1].weight.flatten().tolist()
    torch.testing.assert_close(got, final, **EXACT_ISH)
    assert model.layers[0].bias.item() == b1 and model.layers[1].bias.item() == b2  # biases fixed

"""The layers, the network and the loss, each on its own."""
import pytest
import torch
import torch.nn.functional as F
from tolerances import DTYPE, EXACT_ISH

from torch_bp import BackpropNet, SharedBiasLinear, half_sse, half_sse_terms


def test_shared_bias_linear_is_a_linear_with_one_scalar_bias():
    layer = SharedBiasLinear(3, 4, dtype=DTYPE)
    assert isinstance(layer, torch.nn.Linear)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (4, 3) and layer.bias.shape == ()
    x = torch.randn(5, 3, dtype=DTYPE)
    torch.testing.assert_close(layer(x), x @ layer.weight.T + layer.bias.expand(4), **EXACT_ISH)
    # one scalar, so every unit's gradient flows into it: ∂/∂b Σ net = B · n_out
    layer(x).sum().backward()
    assert layer.bias.grad.item() == pytest.approx(5 * 4)
    assert "bias=shared" in repr(layer)


def test_per_unit_bias_option_uses_plain_linear():
    model = BackpropNet((3, 4, 2), shared_bias=False)
    assert all(type(layer) is torch.nn.Linear for layer in model.layers)
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]
    x = torch.randn(6, 3, dtype=DTYPE)
    expected = torch.sigmoid(F.linear(torch.sigmoid(F.linear(x, *model.layers[0].parameters())),
                                      *model.layers[1].parameters()))
    torch.testing.assert_close(model(x), expected, **EXACT_ISH)


def test_deck_shape_per_unit_bias_starts_as_the_deck_network():
    shared, per_unit = BackpropNet(), BackpropNet(shared_bias=False)
    assert per_unit.layers[0].bias.tolist() == [0.35, 0.35]
    x = torch.tensor([[0.05, 0.10]], dtype=DTYPE)
    torch.testing.assert_close(per_unit(x), shared(x), **EXACT_ISH)
    assert per_unit.scalar_names()[4:6] == ["b1[1]", "b1[2]"]


def test_random_init_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = BackpropNet((3, 5, 2), seed=7)
    assert torch.rand(1).item() == before.item()  # the model's init used its own generator
    b, c = BackpropNet((3, 5, 2), seed=7), BackpropNet((3, 5, 2), seed=8)
    for p, q, r in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q) and not torch.equal(p, r)
        assert p.dtype == DTYPE
    assert BackpropNet((2, 2, 2), init="random").layers[0].weight.tolist() != [[0.15, 0.2], [0.25, 0.3]]


def test_scalar_names_for_other_shapes():
    assert BackpropNet((2, 3, 1)).scalar_names() == [
        "L1.w1_1", "L1.w1_2", "L1.w2_1", "L1.w2_2", "L1.w3_1", "L1.w3_2", "L1.b",
        "L2.w1_1", "L2.w1_2", "L2.w1_3", "L2.b"]
    assert BackpropNet((1, 2), shared_bias=False).scalar_names() == ["L1.w1_1", "L1.w2_1", "L1.b1", "L1.b2"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=(2,)), "at least two"),
    (dict(sizes=(2, 0, 2)), "positive"),
    (dict(sizes=(3, 2), init="deck"), "deck's weights"),
    (dict(init="zeros"), "init must be"),
])
def test_bad_model_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BackpropNet(**kwargs)


@pytest.mark.parametrize("values, match", [
    ({"layers.0.weight": [[1, 2], [3, 4]]}, "missing"),
    ({"layers.0.weight": [[1, 2]], "layers.0.bias": 0, "layers.1.weight": [[1, 2], [3, 4]], "layers.1.bias": 0},
     r"layers.0.weight: expected shape \[2, 2\]"),
    ({"layers.0.weight": [["a", 2], [3, 4]], "layers.0.bias": 0, "layers.1.weight": [[1, 2], [3, 4]],
      "layers.1.bias": 0}, "not a numeric array"),
    ({"layers.0.weight": [[1, 2], [3, float("nan")]], "layers.0.bias": 0,
      "layers.1.weight": [[1, 2], [3, 4]], "layers.1.bias": 0}, "finite"),
    # bad LAST entries: the earlier, good ones must not be copied either (issue 10)
    ({"layers.0.weight": [[1, 2], [3, 4]], "layers.0.bias": 0, "layers.1.weight": [[1, 2], [3, 4]],
      "layers.1.bias": float("inf")}, "layers.1.bias: values must be finite"),
    ({"layers.0.weight": [[1, 2], [3, 4]], "layers.0.bias": 0, "layers.1.weight": [[1, 2], [3, 4]],
      "layers.1.bias": [1, 2, 3]}, r"layers.1.bias: expected shape \[\]"),
])
def test_load_values_rejects_bad_values(values, match):
    model = BackpropNet()
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=match):
        model.load_values(values)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before)), "a failed load changed the model"


def test_half_sse_is_the_decks_error_averaged_over_rows():
    out = torch.tensor([[0.75, 0.77], [0.2, 0.4], [0.9, 0.1]], dtype=DTYPE)
    tgt = torch.tensor([[0.01, 0.99], [0.0, 1.0], [1.0, 0.0]], dtype=DTYPE)
    per_row = [0.5 * sum((t - o) ** 2 for t, o in zip(tr, orow)) for tr, orow in zip(tgt.tolist(), out.tolist())]
    torch.testing.assert_close(half_sse(out, tgt).item(), sum(per_row) / 3, **EXACT_ISH)
    terms = half_sse_terms(out, tgt)
    assert terms.shape == (2,)
    torch.testing.assert_close(terms.sum(), half_sse(out, tgt), **EXACT_ISH)
    torch.testing.assert_close(terms[0].item(), sum(0.5 * (t[0] - o[0]) ** 2 for t, o in zip(tgt.tolist(), out.tolist())) / 3,
                               **EXACT_ISH)
    # one row is exactly the slides' E_total = E_o1 + E_o2
    torch.testing.assert_close(half_sse(out[:1], tgt[:1]).item(),
                               0.5 * (0.01 - 0.75) ** 2 + 0.5 * (0.99 - 0.77) ** 2, **EXACT_ISH)


SLIDES = dict(zip([f"w{i}" for i in range(1, 9)] + ["b1", "b2"], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.25, 0.75]))


def test_slide_names_load_as_the_slides_number_them():
    model = BackpropNet()
    model.load_values({**SLIDES, "w3": "0.3e0"})  # a value as text, read by core.numbers
    torch.testing.assert_close(model.layers[0].weight, torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float64))
    torch.testing.assert_close(model.layers[1].weight, torch.tensor([[0.5, 0.6], [0.7, 0.8]], dtype=torch.float64))
    assert model.layers[0].bias.item() == 0.25 and model.layers[1].bias.item() == 0.75


@pytest.mark.parametrize("values, says", [
    ({"w1": 0.1, "b2": 0.6}, "missing w2, w3, w4, w5, w6, w7, w8, b1 ("),
    ({**SLIDES, "w9": 1.0, "layers.0.bias": 0.3}, "unknown layers.0.bias, w9 ("),
    ({"w9": 1.0, **{k: v for k, v in SLIDES.items() if k != "w1"}}, "match: missing w1; unknown w9 ("),
    ({**SLIDES, "w3": "0,3"}, "w3: '0,3' is not a number"),
    ({**SLIDES, "w3": True}, "w3: expected a finite number, got true"),
    ({**SLIDES, "b2": float("inf")}, "b2: expected a finite number, got Infinity"),
    ({**SLIDES, "w4": [0.4]}, "w4: expected a finite number, got [0.4]"),
])
def test_bad_slide_names_are_refused_by_name_and_change_nothing(values, says):
    model = BackpropNet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError) as raised:
        model.load_values(values)
    assert says in str(raised.value), str(raised.value)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_slide_names_are_the_2_2_2_networks_only():
    with pytest.raises(ValueError, match="parameter names do not match"):
        BackpropNet((2, 3, 2)).load_values(SLIDES)

"""The public entry points check their tensors (torch_bp.core.batches): a wrong dtype, shape,
row count or device is a TypeError or ValueError that says what was expected and what was
given, never torch's "mat1 and mat2 must have the same dtype" or an IndexError."""
import pytest
import torch

import torch_bp as tb
from torch_bp.training.sweep import StackedNets

X, T = tb.DECK_INPUTS, tb.DECK_TARGETS  # (1, 2) float64 each


def entry_points():
    """name -> f(inputs, targets): every public function that takes a batch."""
    model = tb.BackpropNet()
    return {
        "forward": lambda x, t: model(x),
        "backprop": lambda x, t: tb.backprop(model, x, t),
        "manual_gradients": lambda x, t: tb.manual_gradients(model, x, t),
        "half_sse": lambda x, t: tb.half_sse(x, t),
        "half_sse_terms": lambda x, t: tb.half_sse_terms(x, t),
        "stacked backprop": lambda x, t: tb.backprop(StackedNets.stack([model, tb.BackpropNet()]), x, t),
    }


BAD_INPUTS = [  # (inputs, error, what the message must say was given, and was expected by the network)
    (X.float(), TypeError, "torch.float32", "torch.float64"),
    (X[0], ValueError, "(2)", "(B, 2)"),
    (torch.ones(1, 3, dtype=torch.float64), ValueError, "(1, 3)", "(B, 2)"),
    (torch.ones(0, 2, dtype=torch.float64), ValueError, "(0, 2)", "at least one row"),
    (torch.ones(1, 2, 2, dtype=torch.float64), ValueError, "(1, 2, 2)", "(B, 2)"),
    ([[0.05, 0.1]], TypeError, "list", "torch.Tensor"),
    (torch.tensor([[1, 2]]), TypeError, "torch.int64", "torch.float64"),
]


@pytest.mark.parametrize("entry", list(entry_points()))
@pytest.mark.parametrize("inputs, error, given, expected", BAD_INPUTS, ids=lambda v: None)
def test_bad_inputs_say_what_was_expected_and_what_was_given(entry, inputs, error, given, expected):
    """The loss takes the bad tensor as its outputs: its targets (the deck's) then do not fit
    it, or it is no batch (B, n_out) itself; either way the message names what it got."""
    with pytest.raises(error) as raised:
        entry_points()[entry](inputs, T)
    message = str(raised.value)
    assert message.split(":")[0] in ("inputs", "outputs", "targets") and "expected" in message, message
    if not entry.startswith("half_sse"):
        assert message.startswith("inputs:") and expected in message and given in message, message
    else:
        assert given in message or str(tuple(T.shape)) in message, message


@pytest.mark.parametrize("entry", list(entry_points()))
@pytest.mark.parametrize("targets, words", [
    (T.float(), ["torch.float64", "torch.float32"]),
    (T[0], ["(2)"]),
    (torch.ones(2, 2, dtype=torch.float64), ["1 rows", "got 2"]),
    (torch.ones(1, 3, dtype=torch.float64), ["(1, 3)"]),
])
def test_bad_targets_are_named(entry, targets, words):
    if entry == "forward":
        return  # the forward pass takes no targets
    with pytest.raises((TypeError, ValueError)) as raised:
        entry_points()[entry](X, targets)
    message = str(raised.value)
    assert message.startswith("targets:") and all(w in message for w in words), message


def test_the_layer_checks_its_input():
    layer = tb.SharedBiasLinear(2, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"^x: expected torch.float64 \(the layer's\), got torch.float32"):
        layer(torch.ones(4, 2))
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., 2\), got \(4, 3\)"):
        layer(torch.ones(4, 3, dtype=torch.float64))
    assert layer(torch.ones(5, 4, 2, dtype=torch.float64)).shape == (5, 4, 3)  # nn.Linear's shapes


def test_another_device_is_named():
    model = tb.BackpropNet(init="random", device="meta")
    with pytest.raises(ValueError, match="expected a tensor on meta .*got one on cpu"):
        model(X)
    assert model(X.to("meta")).shape == (1, 2)


def test_good_batches_still_pass_and_check_false_skips_the_check():
    model = tb.BackpropNet()
    rows = torch.rand(5, 2, dtype=torch.float64)
    assert model(rows).shape == (5, 2) and tb.backprop(model, rows, rows).loss.dim() == 0
    trace = tb.backprop(model, X, T, check=False)
    torch.testing.assert_close(trace.loss, tb.half_sse(model(X), T), rtol=0, atol=1e-15)


def test_the_loss_names_the_tensor_that_does_not_fit():
    out = torch.rand(3, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"^outputs: expected shape \(B, n_out\), got \(2\)$"):
        tb.half_sse(out[0], T)
    with pytest.raises(TypeError, match=r"^targets: expected torch.float64 \(the outputs'\), got torch.float32"):
        tb.half_sse(out, out.float())
    with pytest.raises(ValueError, match=r"^targets: expected 3 rows \(as the outputs\), got 1$"):
        tb.half_sse_terms(out, T)

"""Every number the deck prints for the forward pass, the cost, the gradients and the one-step
updates, against what torch_bp computes in float64, compared at the precision printed.

The table below is transcribed from the slides by hand, independently of torch_bp.core.deck. Where
the printed number is wrong, the expected text is the true value and a comment says why;
the slide's own text is kept beside it and checked to be wrong, so the erratum stays visible.
"""
import pytest
import torch

from torch_bp import DECK_INPUTS, DECK_LR, DECK_TARGETS, BackpropNet, backprop
from torch_bp.core.sgd import manual_sgd

# quantity: (expected at the slide's precision, what the slide prints if different)
SLIDES = {
    "net_h1": ("0.37750", None),
    "net_h2": ("0.39250", None),
    "out_h1": ("0.59327", None),
    "out_h2": ("0.59688", None),
    "net_o1": ("1.1059", None),
    "net_o2": ("1.2249", None),
    # Slide 18 prints 0.75136: out_o1 = 0.7513650..., cut off rather than rounded.
    "out_o1": ("0.75137", "0.75136"),
    # Slide 18 prints 0.77292: out_o2 = 0.7729284..., cut off rather than rounded.
    "out_o2": ("0.77293", "0.77292"),
    "E_o1": ("0.27481", None),
    # Slide 22 prints 0.023562, which is 0.5·(0.99 − 0.77292)² from the truncated out_o2;
    # the true E_o2 = 0.5·(0.99 − 0.7729284...)² = 0.0235600...
    "E_o2": ("0.023560", "0.023562"),
    "E_total": ("0.29837", None),
    # Slide 29 prints 0.74136: −(0.01 − 0.7513650...) = 0.7413650..., cut off as out_o1 was.
    "dE_total/dout_o1": ("0.74137", "0.74136"),
    "dout_o1/dnet_o1": ("0.1868", None),
    "dnet_o1/dw5": ("0.59327", None),
    # Slides 29-30 print 0.081267: a digit slip for 0.082167 (0.74136 × 0.1868 × 0.59327).
    "dE_total/dw5": ("0.082167", "0.081267"),
    "dE_total/dw6": ("0.082668", None),
    "dE_total/dw7": ("-0.022603", None),
    "dE_total/dw8": ("-0.022740", None),
    # Slide 31 prints w5+ = 0.35937, from the slipped gradient (0.40 − 0.5 × 0.081267);
    # slide 32 prints the true 0.35892.
    "w5+ (slide 31)": ("0.35892", "0.35937"),
    "w5+": ("0.35892", None),
    "w6+": ("0.40867", None),
    "w7+": ("0.51130", None),
    "w8+": ("0.56137", None),
    "dE_total/dout_h1": ("0.036350", None),
    "dE_total/dw1": ("0.000439", None),
    "dE_total/dw2": ("0.000877", None),
    "dE_total/dw3": ("0.000498", None),
    "dE_total/dw4": ("0.000995", None),
    "w1+": ("0.149781", None),
    "w2+": ("0.199561", None),
    "w3+": ("0.249751", None),
    "w4+": ("0.299502", None),
}


def computed_seed_values() -> dict[str, float]:
    model = BackpropNet()
    trace = backprop(model, DECK_INPUTS, DECK_TARGETS)
    h, o = trace.layers  # hidden, output
    gW1, gW2 = trace.grads["layers.0.weight"], trace.grads["layers.1.weight"]
    rounds = manual_sgd(model, [(DECK_INPUTS, DECK_TARGETS)] * 2, DECK_LR)
    next(rounds), next(rounds)  # round 2 sees the weights after one update
    W1, W2 = model.layers[0].weight.detach(), model.layers[1].weight.detach()
    v = {
        "net_h1": h.net[0, 0], "net_h2": h.net[0, 1], "out_h1": h.out[0, 0], "out_h2": h.out[0, 1],
        "net_o1": o.net[0, 0], "net_o2": o.net[0, 1], "out_o1": o.out[0, 0], "out_o2": o.out[0, 1],
        "E_o1": trace.loss_terms[0], "E_o2": trace.loss_terms[1], "E_total": trace.loss,
        "dE_total/dout_o1": o.dE_dout[0, 0], "dout_o1/dnet_o1": o.dout_dnet[0, 0],
        "dnet_o1/dw5": h.out[0, 0],  # ∂net_o1/∂w5 = out_h1
        "dE_total/dout_h1": h.dE_dout[0, 0],
    }
    for k in range(4):
        v[f"dE_total/dw{k + 1}"] = gW1.flatten()[k]
        v[f"dE_total/dw{k + 5}"] = gW2.flatten()[k]
        v[f"w{k + 1}+"] = W1.flatten()[k]
        v[f"w{k + 5}+"] = W2.flatten()[k]
    v["w5+ (slide 31)"] = v["w5+"]
    return {k: float(x) for k, x in v.items()}


@pytest.fixture(scope="module")
def computed():
    return computed_seed_values()


def at_precision_of(printed: str, value: float) -> str:
    decimals = len(printed.split(".")[1])
    return f"{value:.{decimals}f}"


@pytest.mark.parametrize("quantity", list(SLIDES))
def test_slide_number(computed, quantity):
    expected, printed_wrong = SLIDES[quantity]
    assert at_precision_of(expected, computed[quantity]) == expected, quantity
    if printed_wrong is not None:  # the erratum is real: the slide's text is not the value
        assert at_precision_of(printed_wrong, computed[quantity]) != printed_wrong


def test_table_matches_package_transcription():
    """torch_bp.core.deck.DECK_PRINTED (used by the report) holds the same texts as this table."""
    from torch_bp.core.deck import DECK_PRINTED
    assert set(DECK_PRINTED) == set(SLIDES)
    for quantity, (expected, printed_wrong) in SLIDES.items():
        assert DECK_PRINTED[quantity][0] == (printed_wrong or expected), quantity


def test_seed_network_weights_and_data():
    model = BackpropNet()
    p = dict(model.named_parameters())
    assert list(p) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert all(t.dtype == torch.float64 for t in p.values())
    assert p["layers.0.weight"].tolist() == [[0.15, 0.20], [0.25, 0.30]]  # [[w1, w2], [w3, w4]]
    assert p["layers.1.weight"].tolist() == [[0.40, 0.45], [0.50, 0.55]]  # [[w5, w6], [w7, w8]]
    assert p["layers.0.bias"].shape == () and p["layers.0.bias"].item() == 0.35
    assert p["layers.1.bias"].shape == () and p["layers.1.bias"].item() == 0.60
    assert DECK_INPUTS.tolist() == [[0.05, 0.10]] and DECK_TARGETS.tolist() == [[0.01, 0.99]]
    assert DECK_INPUTS.dtype == DECK_TARGETS.dtype == torch.float64 and DECK_LR == 0.5
    assert model.scalar_names() == ["w1", "w2", "w3", "w4", "b1", "w5", "w6", "w7", "w8", "b2"]

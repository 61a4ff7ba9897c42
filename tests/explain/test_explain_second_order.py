"""explain.py --second-order: each formula shown evaluates to the hand-written Hessian entry it
stands for; the entries, eigenvalues, trace and the first step against torch.func and autograd;
the four formats; strict JSON."""
import html.parser
import json

import pytest
import torch
from tolerances import EXACT_ISH

from torch_bp import DECK_INPUTS, DECK_LR, DECK_TARGETS, BackpropNet
from torch_bp.cli import explain
from torch_bp.core.chain_rule import backprop
from torch_bp.core.hessian import hessian
from torch_bp.explain import second_order as so
from torch_bp.explain import second_order_formulas as sf

DECK = dict(weights=None, inputs=(0.05, 0.10), targets=(0.01, 0.99), lr=DECK_LR)
OTHER = dict(weights={"layers.0.weight": [[0.7, -1.2], [0.4, 0.9]], "layers.0.bias": 0.1,
                      "layers.1.weight": [[-0.8, 1.5], [2.0, -0.3]], "layers.1.bias": -0.4},
             inputs=(0.8, -0.6), targets=(0.9, 0.2), lr=0.3)


@pytest.fixture(scope="module")
def deck_rows():
    return {r.quantity: r for r in so.second_order(**DECK)}


def torch_func_hessian(model, x, t) -> torch.Tensor:
    """∂²E/∂w² over w1..w8 by torch.func, biases fixed: (8, 8)."""
    params = {n: p.detach() for n, p in model.named_parameters()}

    def E(w):
        sub = {"layers.0.weight": w[:4].view(2, 2), "layers.1.weight": w[4:].view(2, 2)}
        return 0.5 * (torch.func.functional_call(model, {**params, **sub}, (x,)) - t).square().sum()
    w = torch.cat([params["layers.0.weight"].flatten(), params["layers.1.weight"].flatten()])
    return torch.func.jacrev(torch.func.jacrev(E))(w)


@pytest.mark.parametrize("setting", [DECK, OTHER], ids=["deck", "other weights and data"])
def test_each_formula_evaluates_to_its_entry(setting):
    """The text shown for ∂²E/∂a∂b, evaluated on the forward pass's numbers, is the hand-written
    Hessian's entry, part by part; and the rows carry torch.func's values."""
    model, x, t = so.setting(setting["weights"], setting["inputs"], setting["targets"])
    values = so.symbol_values(model, backprop(model, x, t), t)
    H = hessian(model, x, t, so.TRAINED)
    expected = torch_func_hessian(model, x, t)
    rows = {r.quantity: r for r in so.second_order(**setting)}
    for a, wa in enumerate(so.NAMES):
        for b, wb in enumerate(so.NAMES):
            gn, res = sf.entry(wa, wb)
            torch.testing.assert_close(sf.evaluate(gn, values), H.gauss_newton[a, b].item(), **EXACT_ISH)
            torch.testing.assert_close(sf.evaluate(res, values), H.residual[a, b].item(), **EXACT_ISH)
            if a <= b:
                row = rows[f"d2E/d{wa}d{wb}"]
                torch.testing.assert_close(row.value, expected[a, b].item(), **EXACT_ISH)
                torch.testing.assert_close(row.gauss_newton + row.residual, row.value, **EXACT_ISH)


def test_formulas_read_as_the_slides_write_them():
    assert sf.render(sf.entry("w5", "w5")[0]) == "σ'_o1²·out_h1²"
    assert sf.render(sf.entry("w5", "w5")[1]) == "(out_o1 − target_o1)·σ''_o1·out_h1²"
    assert sf.entry("w5", "w7") == ([], [])  # o1's weights and o2's never meet
    assert sf.render(sf.entry("w1", "w5")[1]) == ("(out_o1 − target_o1)·σ'_h1·σ''_o1·w5·out_h1·i1 + "
                                                  "(out_o1 − target_o1)·σ'_h1·σ'_o1·i1")


def test_spectrum_and_first_step_against_torch(deck_rows):
    model = BackpropNet()
    H = torch_func_hessian(model, DECK_INPUTS, DECK_TARGETS)
    ev = torch.linalg.eigvalsh(H).flip(0)
    scale = ev.abs().max().item()
    for k in range(8):  # the tolerance of eigvalsh: ulps of ‖H‖₂
        assert abs(deck_rows[f"lambda_{k + 1}"].value - ev[k].item()) <= 1e-12 * scale
    torch.testing.assert_close(deck_rows["trace"].value, H.trace().item(), **EXACT_ISH)
    # the step by torch.optim.SGD and autograd, biases fixed
    opt = torch.optim.SGD([model.layers[0].weight, model.layers[1].weight], lr=DECK_LR)
    E0 = 0.5 * (model(DECK_INPUTS) - DECK_TARGETS).square().sum()
    E0.backward()
    g = torch.cat([model.layers[0].weight.grad.flatten(), model.layers[1].weight.grad.flatten()])
    opt.step()
    E1 = 0.5 * (model(DECK_INPUTS) - DECK_TARGETS).square().sum()
    actual = (E1 - E0).item()
    first = -DECK_LR * (g @ g).item()
    second = first + 0.5 * DECK_LR**2 * (g @ H @ g).item()
    for quantity, value in (("dE", actual), ("dE first order", first), ("dE second order", second)):
        torch.testing.assert_close(deck_rows[quantity].value, value, **EXACT_ISH)
    # on the deck the curvature along the step is negative and the second order is 25x closer
    assert deck_rows["gHg"].value < 0 < deck_rows["gHg"].gauss_newton
    assert abs(second - actual) * 25 < abs(first - actual)


def test_deck_w5_parts_have_opposite_signs(deck_rows):
    row = deck_rows["d2E/dw5dw5"]
    assert row.gauss_newton > 0 > row.residual and row.value < 0


def test_formats(capsys):
    def run(*flags):
        assert explain.main(["--second-order", *flags]) == 0
        return capsys.readouterr().out
    text = run()
    assert all(len(line) <= 80 for line in text.splitlines()), "text wider than 80 columns"
    assert "∂²E/∂w5² = [σ'_o1²·out_h1²] + [(out_o1 − target_o1)·σ''_o1·out_h1²]" in text
    rows = json.loads(run("--format", "json"), parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert len(rows) == 10 + 36 + 10 + 7 and {r["section"] for r in rows} == {
        so.CURVATURE, so.ENTRIES, so.SPECTRUM, so.STEP}
    markdown = run("--format", "markdown")
    assert markdown.startswith("## The second derivative, line by line") and markdown.count("### ") == 4
    page = run("--format", "html")
    quantities = []

    class Parser(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag != "script"
            quantities.extend(v for k, v in attrs if k == "data-quantity")
    Parser().feed(page)
    assert quantities == [r["quantity"] for r in rows] and page.count("<table>") == 4
    assert json.loads(run("--format", "json", "--lr", "0.1"))[-1]["value"] != rows[-1]["value"]


def test_the_labels_say_which_eigenvalue_is_the_sharpness_and_which_prediction_is_which(deck_rows):
    """λ_1 (the largest) and only it is named the sharpness; eigenvalues within rounding of zero
    (the deck's 8×8 Hessian has rank 5: three of them, |λ| ≤ 1e-15 · ‖H‖) say so and no other
    does; the two predictions of the first step are written as the issue writes them."""
    lams = [deck_rows[f"lambda_{k}"] for k in range(1, 9)]
    assert [r.formula for r in lams] == [f"λ_{k}: H u = λ_{k} u" + (" (λ_max, the sharpness)" if k == 1 else "")
                                         for k in range(1, 9)]  # the eigen-equation, each λ_k numbered
    scale = max(abs(r.value) for r in lams)
    assert [r.note == "zero up to rounding" for r in lams] == [abs(r.value) <= 1e-15 * scale for r in lams]
    assert sum(r.note == "zero up to rounding" for r in lams) == 3 and all(r.note in ("", "zero up to rounding") for r in lams)
    assert deck_rows["dE first order"].formula == "ΔE ≈ −η ‖g‖²"
    assert deck_rows["dE second order"].formula == "ΔE ≈ −η ‖g‖² + ½ η² gᵀ H g"

"""explain.py --second-order: each formula shown evaluates to the hand-written Hessian entry it
stands for; the entries, eigenvalues, trace and the first step against torch.func and autograd;
the four formats; strict JSON."""
import html.parser
import json
import re

import pytest
import torch
from second_order_oracles import hessian_rr
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


# --- Every row against an oracle of its own: autograd and torch.func on a network built here ---

UNITS = ("h1", "h2", "o1", "o2")                   # numbered from 1, hidden then output
SLIDES = {"w1": "i1→h1", "w2": "i2→h1", "w3": "i1→h2", "w4": "i2→h2",  # the slides' picture: the
          "w5": "h1→o1", "w6": "h2→o1", "w7": "h1→o2", "w8": "h2→o2"}  # weight on each arrow
SATURATED = dict(weights={"layers.0.weight": [[0.15, 0.2], [0.25, 0.3]], "layers.0.bias": 0.35,
                          "layers.1.weight": [[100.0, 100.0], [100.0, 100.0]], "layers.1.bias": 100.0},
                 inputs=(0.05, 0.10), targets=(0.01, 0.99), lr=DECK_LR)  # out_o1 = out_o2 = 1.0 exactly


def oracle(setting) -> dict:
    """What each row should say, by autograd and torch.func (float64), from the setting alone."""
    model = BackpropNet()
    if setting["weights"] is not None:
        model.load_values(setting["weights"])
    x, t = (torch.tensor([list(setting[k])], dtype=torch.float64) for k in ("inputs", "targets"))
    W1, b1, W2, b2 = (p.detach() for p in model.parameters())
    w = torch.cat([W1.flatten(), W2.flatten()])  # w1..w8: layer 0 row by row (w1 i1→h1, w2 i2→h1), then layer 1

    def outputs(w):
        return torch.sigmoid(torch.sigmoid(x @ w[:4].view(2, 2).T + b1) @ w[4:].view(2, 2).T + b2)[0]
    net_h = (x @ W1.T + b1)[0]
    net_o = (torch.sigmoid(net_h) @ W2.T + b2)
    nets = dict(zip(UNITS, torch.cat([net_h, net_o]).tolist()))
    d1 = torch.func.grad(torch.sigmoid)
    J = torch.func.jacrev(outputs)(w)                      # (2, 8): ∂out_ok/∂w
    e = (outputs(w) - t[0]).detach()
    E = lambda w: 0.5 * (outputs(w) - t[0]).square().sum()  # noqa: E731
    g, lr = torch.func.grad(E)(w), setting["lr"]
    return dict(
        w=dict(zip(SLIDES, w.tolist())), x=x[0].tolist(), t=t[0].tolist(), out=outputs(w).tolist(),
        out_h=torch.sigmoid(net_h).tolist(),
        d1={u: d1(torch.tensor(n, dtype=torch.float64)).item() for u, n in nets.items()},
        d2={u: torch.func.grad(d1)(torch.tensor(n, dtype=torch.float64)).item() for u, n in nets.items()},
        dE_dout=torch.func.grad(lambda o: 0.5 * (o - t[0]).square().sum())(outputs(w)).tolist(),
        H=hessian_rr(E)(w), GN=J.T @ J, R=hessian_rr(lambda w: e @ outputs(w))(w),  # R: e held fixed
        g=g, E0=E(w).item(), E1=E(w - lr * g).item(), lr=lr)


def parts_of(formula: str) -> tuple[str, str, str]:
    """'∂²E/∂w1∂w5 = [A] + [B]' -> ('∂²E/∂w1∂w5', 'A', 'B')."""
    lhs, rhs = formula.split(" = ", 1)
    assert rhs.startswith("[") and rhs.endswith("]") and rhs.count("] + [") == 1, formula
    return lhs, *rhs[1:-1].split("] + [")


def value_of(text: str, o: dict) -> float:
    """A bracket's text read as a user reads it: terms joined by ' + ', factors by '·', ² squares;
    each symbol's number from the oracle."""
    symbols = {**o["w"], "i1": o["x"][0], "i2": o["x"][1],
               **{f"out_{u}": v for u, v in zip(UNITS, o["out_h"] + o["out"])},
               **{f"σ'_{u}": v for u, v in o["d1"].items()}, **{f"σ''_{u}": v for u, v in o["d2"].items()},
               **{f"(out_o{k} − target_o{k})": o["out"][k - 1] - o["t"][k - 1] for k in (1, 2)}}
    if text == "0":
        return 0.0
    total = 0.0
    for term in text.split(" + "):
        product = 1.0
        for factor in term.split("·"):
            product *= symbols[factor[:-1]] ** 2 if factor.endswith("²") else symbols[factor]
        total += product
    return total


SETTINGS = pytest.mark.parametrize("setting", [DECK, OTHER], ids=["deck", "other weights and data"])


@SETTINGS
def test_curvature_rows_name_each_unit_and_hold_autograds_derivatives(setting):
    """Curvature rows: σ' and σ'' of h1, h2, o1, o2 (numbered from 1), then out − target of o1,
    o2; each formula names its own unit only; each value is autograd's derivative of the sigmoid
    at that unit's net, and ∂E/∂out_ok for the last two."""
    o = oracle(setting)
    rows = [r for r in so.second_order(**setting) if r.section == so.CURVATURE]
    assert [r.quantity for r in rows] == [q for u in UNITS for q in (f"sigma'_{u}", f"sigma''_{u}")] + [
        "out_o1 - target_o1", "out_o2 - target_o2"]
    for r in rows:
        unit = r.quantity.split("_")[-1]
        assert r.formula.startswith(r.quantity.replace("sigma", "σ").replace(" - ", " − ") + " = ")
        assert set(re.findall(r"_(\w\d)", r.formula)) == {unit} and r.note == "", r.formula
    expected = [v for u in UNITS for v in (o["d1"][u], o["d2"][u])] + o["dE_dout"]
    torch.testing.assert_close([r.value for r in rows], expected, **EXACT_ISH)


@SETTINGS
def test_entry_rows_read_as_the_slides_and_evaluate_to_torch_funcs_parts(setting):
    """The 36 entries, w1..w8 named as the slides name them, row by row of the upper triangle;
    each formula's left side names its entry, and each bracket, read as printed and evaluated on
    autograd's numbers, is torch.func's Gauss-Newton part (Jᵀ J) and residual part (Σ e · out, e
    fixed); the row's own numbers are those parts and their sum."""
    o = oracle(setting)
    rows = [r for r in so.second_order(**setting) if r.section == so.ENTRIES]
    pairs = [(a, b) for a in range(1, 9) for b in range(a, 9)]
    assert [r.quantity for r in rows] == [f"d2E/dw{a}dw{b}" for a, b in pairs]
    for r, (a, b) in zip(rows, pairs):
        lhs, gn, res = parts_of(r.formula)
        assert lhs == (f"∂²E/∂w{a}²" if a == b else f"∂²E/∂w{a}∂w{b}") and r.note == ""
        for text, number, part in ((gn, r.gauss_newton, o["GN"]), (res, r.residual, o["R"])):
            torch.testing.assert_close([value_of(text, o), number], [part[a - 1, b - 1].item()] * 2, **EXACT_ISH)
        torch.testing.assert_close(r.value, o["H"][a - 1, b - 1].item(), **EXACT_ISH)


def test_symbol_values_name_each_weight_as_the_slides_do():
    """symbol_values gives w1..w8 the numbers of the arrows the slides put them on (OTHER's
    weights: layer 0 row by row, w1 i1→h1 … w4 i2→h2, then layer 1, w5 h1→o1 … w8 h2→o2)."""
    model, x, t = so.setting(OTHER["weights"], OTHER["inputs"], OTHER["targets"])
    values = so.symbol_values(model, backprop(model, x, t), t)
    assert {w: values[w] for w in SLIDES} == dict(zip(SLIDES, [0.7, -1.2, 0.4, 0.9, -0.8, 1.5, 2.0, -0.3]))


SPECTRUM_AND_STEP = {  # quantity: formula, as docs/second-order.md and the issue write them
    **{f"lambda_{k}": f"λ_{k}: H u = λ_{k} u" + (" (λ_max, the sharpness)" if k == 1 else "") for k in range(1, 9)},
    "trace": "tr H = Σ_k ∂²E/∂w_k² = Σ_k λ_k",
    "2/lr": "2/η: gradient descent on a quadratic is stable while λ_max < 2/η",
    "|g|^2": "‖g‖² = Σ_k (∂E/∂w_k)²",
    "gHg": "gᵀ H g = Σ_jk ∂E/∂w_j · ∂²E/∂w_j∂w_k · ∂E/∂w_k (curvature along the step)",
    "E before": "E_total before the step", "E after": "E_total after w ← w − η g",
    "dE": "ΔE = E(w − η g) − E(w), the actual change",
    "dE first order": "ΔE ≈ −η ‖g‖²", "dE second order": "ΔE ≈ −η ‖g‖² + ½ η² gᵀ H g"}


def noted(note: str, prefix: str) -> float:
    assert note.startswith(prefix), note
    return float(note[len(prefix):].split()[0])


def close_3g(shown: float, value: float):
    """A number shown to 3 significant digits."""
    assert abs(shown - value) <= 5e-3 * abs(value), (shown, value)


@SETTINGS
def test_spectrum_and_step_rows_against_autograd(setting):
    """Each later row's label and formula, in order; the trace and gᵀ H g with torch.func's two
    parts; 2/η; E before and after the step by autograd; and the notes: λ_max as a fraction of
    2/η and each prediction's error, to 3 digits."""
    o = oracle(setting)
    rows = {r.quantity: r for r in so.second_order(**setting) if r.section in (so.SPECTRUM, so.STEP)}
    assert [(q, r.formula) for q, r in rows.items()] == list(SPECTRUM_AND_STEP.items())
    g, lr, actual = o["g"], o["lr"], o["E1"] - o["E0"]
    first, second = -lr * (g @ g).item(), -lr * (g @ g).item() + 0.5 * lr**2 * (g @ o["H"] @ g).item()
    for q, M in (("trace", lambda A: A.trace()), ("gHg", lambda A: g @ A @ g)):
        torch.testing.assert_close([rows[q].value, rows[q].gauss_newton, rows[q].residual],
                                   [M(A).item() for A in (o["H"], o["GN"], o["R"])], **EXACT_ISH)
    expected = {"2/lr": 2 / lr, "|g|^2": (g @ g).item(), "E before": o["E0"], "E after": o["E1"], "dE": actual,
                "dE first order": first, "dE second order": second}
    torch.testing.assert_close([rows[q].value for q in expected], list(expected.values()), **EXACT_ISH)
    close_3g(noted(rows["2/lr"].note, "λ_max is "), torch.linalg.eigvalsh(o["H"])[-1].item() / (2 / lr))
    for q, predicted in (("dE first order", first), ("dE second order", second)):
        close_3g(noted(rows[q].note, "predicted − actual = "), predicted - actual)
    plain = {q for q in rows if q not in ("2/lr", "dE first order", "dE second order") and "lambda" not in q}
    assert all(rows[q].note == "" for q in plain)  # no note where none is written


def test_sections_are_titled_as_a_reader_finds_them(capsys):
    """The markdown report's four headings, in order, as docs/second-order.md lists the parts."""
    assert explain.main(["--second-order", "--format", "markdown"]) == 0
    headings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("### ")]
    assert headings == ["### Curvature of each unit", "### The Hessian of E over w1..w8",
                        "### Eigenvalues and trace", "### The first SGD step"]


def test_saturated_outputs_have_a_zero_hessian_and_every_eigenvalue_says_so():
    """out_o1 = out_o2 = 1.0 exactly: σ'_o = σ''_o = 0, so H = 0 (torch.func agrees) and each of
    the 8 eigenvalues is zero up to rounding, with no division by ‖H‖ = 0."""
    assert not oracle(SATURATED)["H"].any()
    lams = [r for r in so.second_order(**SATURATED) if r.quantity.startswith("lambda_")]
    assert [(r.value, r.note) for r in lams] == [(0.0, "zero up to rounding")] * 8


OVERFLOWS = [  # (setting, what the one line names)
    (dict(DECK, lr=1e-320), "2/lr overflows float64 for these numbers"),  # 2/η = 2e320
    (dict(DECK, lr=1e160), "dE second order overflows float64 for these numbers"),  # η² = 1e320
    (dict(DECK, targets=(1.7e308, -1.7e308)), "|g|^2 overflows float64 for these numbers"),
    # e = out − target ≈ 1.7e308 times i1·i2 = 1e4 in the residual part; the Gauss-Newton part is finite
    (dict(DECK, weights={"layers.0.weight": [[0.005, 0.005], [0.005, 0.005]], "layers.0.bias": 0.35,
                         "layers.1.weight": [[0.4, 0.45], [0.5, 0.55]], "layers.1.bias": 0.6},
          inputs=(100.0, 100.0), targets=(1.7e308, -1.7e308)),
     "the second derivatives overflow float64 for these numbers"),
]


@pytest.mark.parametrize("setting, message", OVERFLOWS, ids=["2/lr", "lr squared", "g", "residual"])
def test_a_setting_that_overflows_is_refused_in_one_line(setting, message):
    """NotFinite, saying what overflowed in one line, never a row of inf or nan."""
    with pytest.raises(so.NotFinite) as e:
        so.second_order(**setting)
    assert str(e.value) == message


def test_explain_refuses_an_lr_whose_square_overflows(capsys):
    """--lr 1e160 (η² = 1e320): exit status 2 and one line naming the row, not a traceback."""
    assert explain.main(["--second-order", "--lr", "1e160"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dE second order overflows float64" in err

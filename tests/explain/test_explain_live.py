"""explain.py --format html --live in real headless Chromium (Playwright driving Debian's
/usr/bin/chromium; no browser is downloaded). The page's own arithmetic
(torch_bp/explain/live/lesson.js) against torch_bp's backprop() and SGD, its controls, its address
and its layout. One browser and one page for the module; the context is offline and every
request is recorded: the page must fetch nothing. Under CI (CI=true) a missing browser or
Playwright is a failure, not a skip (.ci/run installs Debian's chromium)."""
import contextlib
import io
import itertools
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import load_script
from tolerances import LIVE_PAGE
from torch_bp.core.chain_rule import backprop
from torch_bp.core.model import BackpropNet
from torch_bp.core.sgd import manual_sgd
from torch_bp.explain.report import TRAINING, worked_example
from torch_bp.training.sweep import StackedNets
from torch_bp.viz.draw import num, unit_names

explain = load_script("explain")
CHROMIUM = Path("/usr/bin/chromium")
ROWS = {(2, 2, 2): 1, (2, 3, 1): 4}  # the page's shapes and their data rows
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions"]


def write_page(path: Path, *flags) -> Path:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert explain.main(["--format", "html", "--live", *flags]) == 0
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def page_data(text: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="torch-bp-data">(.*?)</script>', text, re.S)[1])


@pytest.fixture(scope="module")
def browser():
    why = None if CHROMIUM.exists() else f"no {CHROMIUM} (apt-get install -y chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = why or "no playwright (pip install -r requirements.txt)"
    if why and os.environ.get("CI") == "true":
        pytest.fail(f"CI: the live page's tests need a browser: {why}", pytrace=False)
    if why:
        pytest.skip(why)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


class Tab:
    """One page in an offline context; every request it makes and every script error, recorded."""

    def __init__(self, browser, url: str):
        self.url, self.requests, self.errors = url, [], []
        self.context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, fragment: str = "", url: str | None = None):
        self.page.goto("about:blank")
        self.page.goto(url or self.url + fragment)
        self.page.wait_for_function("window.torchBp !== undefined")
        return self.page

    def numbers(self) -> dict:
        """Every quantity's row of the table: {key: {value, formula, printed, verdicts}}."""
        return self.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('tr[data-q]')].map(
            (tr) => [tr.dataset.q, {value: tr.cells[1].textContent, formula: tr.cells[0].textContent,
              printed: [...tr.cells[2].querySelectorAll('.printing')].map((p) => [p.firstChild.textContent, p.dataset.source]),
              verdicts: [...tr.cells[3].querySelectorAll('.verdict')].map((v) => v.firstChild.textContent)}]))""")

    def picture(self) -> list[str]:
        """Every line of text in the network picture: each unit's lines, each edge's label."""
        return self.page.eval_on_selector_all("#net tspan, #net text.edge-label", "ts => ts.map(t => t.textContent)")

    def snapshot(self) -> tuple:
        return self.numbers(), self.picture(), self.page.inner_text("#round"), self.page.evaluate("torchBp.state()")


@pytest.fixture(scope="module")
def tab(browser, tmp_path_factory):
    path = write_page(tmp_path_factory.mktemp("live") / "live page.html")  # a space: a real file:// URL
    t = Tab(browser, path.as_uri())
    yield t
    t.context.close()
    assert not t.errors, t.errors
    assert {u for u in t.requests if not u.startswith("about:")} == {path.as_uri()}, "the page fetched something"


# --- torch_bp's numbers, keyed as the page keys them ---------------------------------------------

def model_of(s: dict) -> BackpropNet:
    model = BackpropNet(s["sizes"], seed=0)
    model.load_values({name: value for l, (W, b) in enumerate(zip(s["W"], s["b"]))
                       for name, value in ((f"layers.{l}.weight", W), (f"layers.{l}.bias", b))})
    return model


def weight_names(sizes) -> list[np.ndarray]:
    """w1, w2, ... layer by layer, unit by unit, input by input (the deck's numbering)."""
    counter = itertools.count(1)
    return [np.array([[f"w{next(counter)}" for _ in range(n_in)] for _ in range(n_out)])
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def expected(s: dict) -> dict[str, float]:
    """Every quantity of round 1 of setting s by torch_bp: backprop(), and one step of manual_sgd."""
    model = model_of(s)
    x, t = (torch.tensor(s[k], dtype=torch.float64) for k in ("inputs", "targets"))
    trace = backprop(model, x, t)
    after = model_of(s)
    rounds = manual_sgd(after, itertools.repeat((x, t)), s["lr"], s["trainBias"])
    next(rounds), next(rounds)  # round 1, its update
    U, Wn, B, L = unit_names(s["sizes"]), weight_names(s["sizes"]), x.shape[0], len(s["W"])
    key = (lambda q, r: f"{q} row {r + 1}") if B > 1 else (lambda q, r: q)
    outs = [x] + [layer.out for layer in trace.layers]
    want = {f"E_{u}": trace.loss_terms[k] for k, u in enumerate(U[L])} | {"E_total": trace.loss}
    for l, layer in enumerate(trace.layers, start=1):
        for r, (j, u) in itertools.product(range(B), enumerate(U[l])):
            for q, v in (("net", layer.net), ("out", layer.out), ("delta", layer.delta)):
                want[key(f"{q}_{u}", r)] = v[r, j]
            want[key(f"dE_total/dout_{u}", r)] = layer.dE_dout[r, j]
            want[key(f"dout_{u}/dnet_{u}", r)] = layer.dout_dnet[r, j]
            if l < L:  # ∂E_ok/∂out_hj = delta_ok · w_kj
                for k, o in enumerate(U[l + 1]):
                    want[key(f"dE_{o}/dout_{u}", r)] = trace.layers[l].delta[r, k] * model.layers[l].weight[k, j].detach()
        for (j, u), (k, _) in itertools.product(enumerate(U[l]), enumerate(U[l - 1])):
            w = Wn[l - 1][j, k]
            for r in range(B):
                want[key(f"dnet_{u}/d{w}", r)] = outs[l - 1][r, k]
            want[f"dE_total/d{w}"] = trace.grads[f"layers.{l - 1}.weight"][j, k]
            want[f"{w}+"] = after.layers[l - 1].weight[j, k].detach()
        want[f"dE_total/db{l}"] = trace.grads[f"layers.{l - 1}.bias"]
        want[f"b{l}+"] = after.layers[l - 1].bias.detach()
    return {k: float(v) for k, v in want.items()}


def givens(s: dict, row: int = 0) -> dict[str, float]:
    """The numbers a setting gives (not computes), by name: w1.., b1.., i1.., target_o1.."""
    U = unit_names(s["sizes"])
    named = {str(n): v for names, W in zip(weight_names(s["sizes"]), s["W"]) for n, v in zip(names.flat, np.ravel(W))}
    named |= {f"b{l + 1}": b for l, b in enumerate(s["b"])} | dict(zip(U[0], s["inputs"][row]))
    return named | {f"target_{u}": t for u, t in zip(U[-1], s["targets"][row])}


def assert_picture(labels: list[str], s: dict, want: dict, row: int = 0):
    """Every number in the picture ("net_h1 = 0.3775", "∂E/∂w5 = 0.082167041") is torch_bp's, as
    the static picture prints it (draw.num); units show data row `row`."""
    known = givens(s, row) | want
    for label in labels:
        name, value = label.split(" = ")
        name = name.replace("∂E/∂out_", "dE_total/dout_").replace("∂E/∂", "dE_total/d")
        assert value == num(known.get(name, known.get(f"{name} row {row + 1}"))), label


def assert_numbers(shown: dict, want: dict, what: str):
    assert set(shown) == set(want), f"{what}: keys differ: {set(shown) ^ set(want)}"
    got = torch.tensor([float(shown[k]["value"]) for k in want], dtype=torch.float64)
    torch.testing.assert_close(got, torch.tensor(list(want.values()), dtype=torch.float64), **LIVE_PAGE,
                               msg=lambda m: f"{what}: {m}")


# --- The tests ---------------------------------------------------------------------------------

def test_page_is_one_file_that_fetches_nothing(tab):
    text = Path(tab.url.removeprefix("file://").replace("%20", " ")).read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)  # no scripts, styles, fonts, images
    assert "@import" not in text and "url(" not in text and "<link" not in text
    assert text.count("<script") == 2 and "<script src" not in text  # the data (JSON) and the code, inline
    tab.open()  # the fixture's teardown checks that nothing but this file was requested


def test_deck_setting_every_number_and_the_deck_columns(tab):
    page = tab.open()
    deck = page.evaluate("torchBp.state().start")
    shown = tab.numbers()
    assert_numbers(shown, expected(deck), "the deck's setting")
    # The deck's columns: every printed line of the static report's round 1, its verdict beside it.
    report = [r for r in worked_example() if r.printed is not None and r.section != TRAINING]
    on_page = [(k, p, src, v) for k, row in shown.items() for (p, src), v in zip(row["printed"], row["verdicts"])]
    assert sorted(on_page) == sorted((r.quantity.split(" (")[0], r.printed, r.source, r.verdict) for r in report)
    assert ("dE_total/dw5", "0.081267", "slides 29-30 (Backpropagation)", "differs") in on_page  # the digit slip
    # The formulas, the picture in its three views: their numbers as the static picture prints them.
    e = expected(deck)
    assert all(row["formula"].endswith(f" = {num(e[k])}") for k, row in shown.items())
    assert {"w1 = 0.15", "net_h1 = 0.3775", "out_h1 = 0.593269992", "target_o1 = 0.01"} <= set(tab.picture())
    for view in ("update", "backward"):
        assert_picture(tab.picture(), deck, e)
        page.check(f"input[name=view][value={view}]")
    assert_picture(tab.picture(), deck, e)
    assert "∂E/∂w5 = 0.082167041" in tab.picture()
    page.focus('[data-weight="1,0,0"]')  # the edge w5: h1 -> o1
    assert page.inner_text("#formula") == (f"∂E/∂w5 = delta_o1 · out_h1 = {num(e['delta_o1'])} · {num(e['out_h1'])} = "
                                           f"{num(e['dE_total/dw5'])}")
    assert page.inner_text("#formula") == "∂E/∂w5 = delta_o1 · out_h1 = 0.138498562 · 0.593269992 = 0.082167041"


def test_deck_error_table_and_the_articles_figures(tab):
    page = tab.open()
    page.fill("#n", "10000")
    page.click("#run")  # round 10001: the article's "after 10000 rounds"
    figures = page.eval_on_selector_all("#figures tr[data-figure]", "trs => trs.map(tr => [tr.dataset.figure, "
                                        "...[...tr.cells].map(c => c.firstChild.textContent)])")
    report = {r.quantity: r for r in worked_example() if r.section == TRAINING and r.printed is not None}
    assert {f[0] for f in figures} == set(report)
    for quantity, round_, what, value, printed, verdict in figures:
        r = report[quantity]
        torch.testing.assert_close(float(value), r.computed, **LIVE_PAGE, msg=quantity)
        assert (printed, verdict) == (r.printed, r.verdict), quantity
    assert tab.numbers()["E_total"]["printed"] == []  # round 10001: the round-1 columns are empty, and say why
    assert "round 10001" in page.inner_text("#deck-note") and "round 10001" in page.inner_text("th.deck >> nth=0")


def random_settings(count: int = 100, seed: int = 19) -> list[dict]:
    """Settings drawn here, in Python: both shapes, weights, biases, data, η, biases trained or not."""
    rng = np.random.default_rng(seed)
    settings = []
    for m in range(count):
        sizes = list(ROWS)[m % 2]
        B, pairs = ROWS[sizes], list(zip(sizes[:-1], sizes[1:]))
        settings.append({"sizes": list(sizes), "W": [rng.uniform(-2, 2, (o, i)).tolist() for i, o in pairs],
                         "b": rng.uniform(-1, 1, len(pairs)).tolist(), "inputs": rng.uniform(-1, 1.5, (B, sizes[0])).tolist(),
                         "targets": rng.uniform(0, 1, (B, sizes[-1])).tolist(), "lr": float(10 ** rng.uniform(-1.3, 0.4)),
                         "trainBias": bool(m % 4 >= 2)})
    return settings


def torch_bp_training(settings: list[dict], counts) -> tuple:
    """torch_bp on N settings of one shape at once, as a sweep trains them (StackedNets, one
    backprop() per round for all), each with its own data and η: θ ← θ − η ∂E/∂θ, biases only where
    trained. Returns the round-1 Trace (keep=True) and {count: [(name, (N, ...) tensor)]}."""
    nets = StackedNets.stack([model_of(s) for s in settings])
    x, t = (torch.tensor([s[k] for s in settings], dtype=torch.float64) for k in ("inputs", "targets"))  # (N, B, n)
    eta = torch.tensor([s["lr"] for s in settings], dtype=torch.float64)
    neg = {name: -(eta if name.endswith("weight") else eta * torch.tensor([s["trainBias"] for s in settings]))
           .view(-1, *[1] * (p.dim() - 1)) for name, p in nets.named_parameters()}
    first, after = backprop(nets, x, t), {}
    for r in range(1, max(counts) + 1):
        trace = backprop(nets, x, t, keep=False)
        for name, p in nets.named_parameters():
            p.add_(trace.grads[name] * neg[name])
        if r in counts:
            after[r] = [(name, p.clone()) for name, p in nets.named_parameters()]
    return first, after


def test_random_settings_match_torch_bp_training(tab):
    """≥ 100 settings: forward and backward values, and the weights after 1, 10 and 1,000 steps."""
    page, counts = tab.open(), (1, 10, 1000)
    settings = random_settings()
    got = page.evaluate("([s, c]) => torchBp.run(s, c)", [settings, list(counts)])
    for sizes in ROWS:
        idx = [n for n, s in enumerate(settings) if tuple(s["sizes"]) == sizes]
        first, after = torch_bp_training([settings[n] for n in idx], counts)
        T = lambda f: torch.tensor([f(got[n]) for n in idx], dtype=torch.float64)  # noqa: E731
        for l, layer in enumerate(first.layers):
            for q in ("net", "out", "dE_dout", "dout_dnet", "delta"):
                torch.testing.assert_close(T(lambda g: g["trace"]["layers"][l][q]), getattr(layer, q), **LIVE_PAGE,
                                           msg=lambda m: f"{sizes} layer {l + 1} {q}: {m}")
            torch.testing.assert_close(T(lambda g: g["trace"]["gradW"][l]), first.grads[f"layers.{l}.weight"], **LIVE_PAGE)
            torch.testing.assert_close(T(lambda g: g["trace"]["gradb"][l]), first.grads[f"layers.{l}.bias"], **LIVE_PAGE)
        torch.testing.assert_close(T(lambda g: g["trace"]["lossTerms"]), first.loss_terms, **LIVE_PAGE)
        torch.testing.assert_close(T(lambda g: g["trace"]["loss"]), first.loss, **LIVE_PAGE)
        for n in counts:
            for name, p in after[n]:
                l, kind = int(name.split(".")[1]), "W" if name.endswith("weight") else "b"
                torch.testing.assert_close(T(lambda g: g["after"][str(n)][kind][l]), p, **LIVE_PAGE,
                                           msg=lambda m: f"{sizes} {name} after {n} steps: {m}")
    # The stacked oracle is torch_bp's SGD: one setting of each shape, again by core.sgd.manual_sgd.
    for s in settings[:2]:
        model, x, t = model_of(s), *(torch.tensor(s[k], dtype=torch.float64) for k in ("inputs", "targets"))
        for _ in itertools.islice(manual_sgd(model, itertools.repeat((x, t)), s["lr"], s["trainBias"]), 1001):
            pass
        torch.testing.assert_close(torch.tensor(got[settings.index(s)]["after"]["1000"]["W"][-1], dtype=torch.float64),
                                   model.layers[-1].weight.detach(), **LIVE_PAGE)


def test_xor_preset_every_number_and_the_decision_picture(tab):
    page = tab.open()
    page.click("[data-preset=xor]")
    xor = page.evaluate("torchBp.state().start")
    assert (xor["sizes"], len(xor["inputs"]), xor["lr"]) == ([2, 3, 1], 4, 2.0)
    assert_numbers(tab.numbers(), expected(xor), "XOR")
    page.check("input[name=row][value='2']")  # the picture shows row 3: i1 = 1, i2 = 0
    assert {"i1 = 1", "i2 = 0", "target_o1 = 1"} <= set(tab.picture())
    for view in ("forward", "backward", "update"):
        page.check(f"input[name=view][value={view}]")
        assert_picture(tab.picture(), xor, expected(xor), row=2)
    before = page.locator("#decision canvas").screenshot()
    page.fill("#n", "3000")  # E_total 0.0056: XOR learnt
    page.click("#run")
    after = np.asarray(Image.open(io.BytesIO(page.locator("#decision canvas").screenshot())).convert("RGB")).astype(int)
    assert np.abs(after - np.asarray(Image.open(io.BytesIO(before)).convert("RGB")).astype(int)).sum() > 0
    blue, orange = (np.abs(after - c).sum(axis=2) < 150 for c in ([33, 102, 172], [217, 95, 2]))
    assert blue.mean() > 0.02 and orange.mean() > 0.02  # it learns XOR: both colours on the square


def test_step_back_returns_the_exact_starting_numbers(tab):
    page = tab.open()
    page.click("[data-preset=xor]")
    start = tab.snapshot()
    page.fill("#n", "25")
    page.click("#run")
    page.click("#step")
    assert page.evaluate("torchBp.state().round") == 27 and tab.numbers() != start[0]
    page.evaluate("n => { for (let k = 0; k < n; k++) document.getElementById('back').click(); }", 26)
    assert tab.snapshot() == start  # every digit, the picture, the round, the state itself
    assert page.is_disabled("#back")


def test_a_link_opens_another_page_on_the_same_numbers(tab):
    page = tab.open()
    page.fill("#f-w6", "-0.7")
    page.fill("#f-i2", "0.8")
    page.fill("#n", "17")
    page.click("#run")
    page.check("input[name=view][value=backward]")
    here, link = tab.snapshot(), page.get_attribute("#link", "href")
    assert "w=0.15,0.2,0.25,0.3,0.4,-0.7,0.5,0.55" in link and "round=18" in link and "view=backward" in link
    tab.open(link)
    assert tab.snapshot() == here and page.url.endswith(link)
    tab.open("#sizes=2,2,2&w=1,2,3&b=0,0&i=0,0&t=0,0&lr=1")  # a broken link: said so, the page's start shown
    assert "w: 3 numbers" in page.inner_text("#banner")
    assert page.evaluate("torchBp.state().round") == 1 and tab.numbers()["net_h1"]["value"] == "0.3775"


def ink(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def label_overlaps(page) -> list:
    """Pairs of the picture's text boxes (unit lines, edge labels) that overlap by more than a pixel."""
    return page.evaluate("""() => {
        const r = [...document.querySelectorAll('#net text')].map((t) => [t.textContent, t.getBoundingClientRect()]);
        const out = [];
        r.forEach(([a, p], i) => r.slice(i + 1).forEach(([b, q]) => {
            const w = Math.min(p.right, q.right) - Math.max(p.left, q.left), h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
            if (w > 1 && h > 1) out.push([a, b]);
        }));
        return out; }""")


def test_keyboard_edit_changes_the_numbers_and_the_picture(tab):
    page = tab.open()
    before, shot = tab.numbers(), ink(page.locator("#net").screenshot())
    page.focus("#f-w5")
    page.keyboard.press("Control+A")
    page.keyboard.type("0.9")
    page.keyboard.press("ArrowUp")  # ↑: +0.01
    s = page.evaluate("torchBp.state().current")
    assert s["W"][1][0][0] == 0.91 and page.input_value("#f-w5") == "0.91"
    after = tab.numbers()
    assert_numbers(after, expected(s), "w5 = 0.91")
    assert after["net_h1"]["value"] == before["net_h1"]["value"]  # w5 comes after h1
    assert all(after[k]["value"] != before[k]["value"] for k in ("net_o1", "out_o1", "E_total", "dE_total/dw1", "w5+"))
    assert "w5 = 0.91" in tab.picture()
    new = ink(page.locator("#net").screenshot())
    assert (new.sum(axis=2) < 3 * 160).mean() > 0.01  # text and lines: not blank
    assert new.shape != shot.shape or np.abs(new - shot).sum() > 0
    # The focus on an edge: ↑ raises its weight, the formula follows it.
    page.focus('[data-weight="0,1,0"]')  # w3: i1 -> h2
    page.keyboard.press("ArrowUp")
    assert page.evaluate("torchBp.state().current.W[0][1][0]") == 0.26
    assert page.inner_text("#formula").startswith("w3 = 0.26")
    # Buttons by keyboard alone
    page.focus("#step")
    page.keyboard.press("Enter")
    assert page.evaluate("torchBp.state().round") == 2
    for preset in ("deck", "xor"):
        page.click(f"[data-preset={preset}]")
        for view in ("forward", "backward", "update"):
            page.check(f"input[name=view][value={view}]")
            assert label_overlaps(page) == [], (preset, view)


def test_bad_edits_show_a_message_and_keep_the_last_good_state(tab):
    page = tab.open()
    page.fill("#f-w5", "0.41")  # the last good state
    good = tab.snapshot()
    for bad, says in (("", "empty"), ("abc", "not a number"), ("1e400", "too large"), ("NaN", "NaN is not a number")):
        page.fill("#f-w5", bad)
        message = page.inner_text("#m-w5")
        assert says in message and "the page keeps 0.41" in message and page.is_visible("#m-w5"), bad
        assert page.get_attribute("#f-w5", "aria-invalid") == "true"
        assert tab.snapshot() == good, bad
    page.fill("#f-lr", "0")
    assert "η must be > 0" in page.inner_text("#m-lr") and tab.snapshot() == good
    page.fill("#f-w5", "0.42")
    assert page.inner_text("#m-w5") == "" and page.evaluate("torchBp.state().current.W[1][0][0]") == 0.42


def test_fits_a_projector_and_a_phone_without_clipping(tab):
    page = tab.open()
    try:
        for width, height in ((1280, 800), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            for preset in ("deck", "xor"):
                page.click(f"[data-preset={preset}]")
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, preset)
                clipped = page.evaluate("""(w) => [...document.querySelectorAll('body *')].filter((e) => {
                    const r = e.getBoundingClientRect();
                    return r.width && r.right > w + 0.5 && !e.closest('.scroll');   // the picture may scroll sideways
                }).map((e) => e.tagName + '#' + e.id + '.' + e.className)""", width)
                assert clipped == [], (width, preset, clipped)
            shot = ink(page.screenshot())
            assert (shot.sum(axis=2) < 3 * 160).mean() > 0.01, width
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_flags_choose_the_start(tmp_path, capsys):
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({"layers.0.weight": [[1, 2], [3, 4], [5, 6]], "layers.0.bias": 0.5,
                                   "layers.1.weight": [[7, 8, 9]], "layers.1.bias": -0.5}))
    text = write_page(tmp_path / "p.html", "--sizes", "2,3,1", "--weights", str(weights), "--inputs",
                      "0,0,0,1,1,0,1,1", "--targets", "0.1,0.9,0.9,0.1", "--lr", "0.25").read_text()
    start = page_data(text)["start"]
    assert start == {"sizes": [2, 3, 1], "W": [[[1, 2], [3, 4], [5, 6]], [[7, 8, 9]]], "b": [0.5, -0.5],
                     "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0.1], [0.9], [0.9], [0.1]],
                     "lr": 0.25, "trainBias": False}
    assert page_data(write_page(tmp_path / "d.html").read_text())["start"] == page_data(text)["deck"]
    for flags, says in ((["--format", "text", "--live"], "--live: only with --format html"),
                        (["--format", "html", "--live", "--sizes", "3,3"], "--sizes 3,3: the live page draws"),
                        (["--format", "html", "--live", "--sizes", "2,3,1", "--inputs", "1,2,3"], "--inputs 1,2,3"),
                        (["--sizes", "2,3,1"], "--sizes: only with --live")):
        assert explain.main(flags) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, err

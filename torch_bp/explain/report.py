"""The worked example, line by line, checked against what the deck and the article print.

Each Row holds a quantity, its formula in the deck's notation, the value torch_bp computes
(backprop() and manual_sgd(), nothing else) and, for the deck's network, a printed value with a
verdict at the printed precision:

    agrees            the computed value, rounded, is the printed text
    agrees-truncated  only the computed value cut off (toward zero) is the printed text
    differs           neither; the note says by how much and, where it can be reproduced, why

Two pieces of arithmetic besides torch_bp's serve the causes only: the deck's own arithmetic
redone on the numbers it printed (_DECK_ARITHMETIC: how an error carries over), and the update
rule the article's closing figures need (report_rounds.sequential_sgd), which is not the deck's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import torch

from torch_bp.core.chain_rule import backprop
from torch_bp.core.deck import (ARTICLE_PRINTED, DECK_ERROR_TABLE, DECK_ERROR_TABLE_SLIDE, DECK_INPUTS, DECK_LR,
                   DECK_PRINTED, DECK_TARGETS, DECK_WEIGHTS, is_deck_setting)
from torch_bp.core.model import BackpropNet
from .report_rounds import (SEQUENTIAL, SEQUENTIAL_DEFINITION, STANDARD, after_one_update, deck_history,
                            deck_sequential_weights, history)

VERDICTS = ("agrees", "agrees-truncated", "differs")


@dataclass
class Row:
    section: str
    quantity: str                    # as keyed in torch_bp.core.deck: "dE_total/dw5", "w5+ (slide 31)"
    formula: str                     # in the deck's notation
    computed: float                  # what torch_bp computes
    printed: str | None = None       # the printed text, at its precision
    source: str | None = None        # "slides 29-30 (Backpropagation)" or "article (...)"
    verdict: str | None = None       # one of VERDICTS; None where nothing is printed
    note: str = ""                   # by how much and why, for the lines that are off
    reproduced: float | None = None  # for `differs`: the value the cause in the note computes


def verdict(computed: float, printed: str) -> str:
    """Compare at the printed number of decimals: rounded, then cut off toward zero."""
    p, c = Decimal(printed), Decimal(computed)  # c: the float's exact value
    if c.quantize(p, ROUND_HALF_EVEN) == p:
        return "agrees"
    if c.quantize(p, ROUND_DOWN) == p:
        return "agrees-truncated"
    return "differs"


def _decimals(printed: str) -> int:
    return -Decimal(printed).as_tuple().exponent


# --- The rows ------------------------------------------------------------------------------

FORWARD, COST = "Forward pass", "Cost"
BACK_O, STEP_O = "Backward pass: output layer", "One SGD step: output layer"
BACK_H, STEP_H = "Backward pass: hidden layer", "One SGD step: hidden layer"
TRAINING = "Training"
MAX_ROUNDS = 100_000  # the report's rounds go no further: seconds of work, not days with no progress shown
_AFTER = re.compile(r"(E_total|out_o1|out_o2) after (\d+) rounds?")  # the article's closing figures
# The rounds those figures need, as the deck counts: n (before the n-th update) and n + 1 (after it).
_ARTICLE_ROUNDS = tuple(sorted({r for q in ARTICLE_PRINTED if (m := _AFTER.fullmatch(q))
                                for r in (int(m[2]), int(m[2]) + 1)}))


def _computed(model, inputs, targets, lr, E: dict[int, dict[str, float]]) -> list[tuple[str, str, str, float]]:
    """(section, quantity, formula, value) for each line of the worked example, deck order;
    E: the history() of the rounds to show."""
    trace = backprop(model, inputs, targets)
    h, o = trace.layers                             # hidden, output; each tensor (1, 2)
    W2 = model.layers[1].weight.detach()            # [[w5, w6], [w7, w8]]
    g = {f"w{k + 1}": v for k, v in enumerate(torch.cat(
        [trace.grads["layers.0.weight"].flatten(), trace.grads["layers.1.weight"].flatten()]))}
    new = after_one_update(model, inputs, targets, lr)
    w_new = torch.cat([layer.weight.flatten() for layer in new.layers]).tolist()  # w1+..w8+

    rows = [
        (FORWARD, "net_h1", "net_h1 = w1·i1 + w2·i2 + b1", h.net[0, 0]),
        (FORWARD, "net_h2", "net_h2 = w3·i1 + w4·i2 + b1", h.net[0, 1]),
        (FORWARD, "out_h1", "out_h1 = σ(net_h1) = 1/(1 + e^(−net_h1))", h.out[0, 0]),
        (FORWARD, "out_h2", "out_h2 = σ(net_h2)", h.out[0, 1]),
        (FORWARD, "net_o1", "net_o1 = w5·out_h1 + w6·out_h2 + b2", o.net[0, 0]),
        (FORWARD, "net_o2", "net_o2 = w7·out_h1 + w8·out_h2 + b2", o.net[0, 1]),
        (FORWARD, "out_o1", "out_o1 = σ(net_o1)", o.out[0, 0]),
        (FORWARD, "out_o2", "out_o2 = σ(net_o2)", o.out[0, 1]),
        (COST, "E_o1", "E_o1 = ½(target_o1 − out_o1)²", trace.loss_terms[0]),
        (COST, "E_o2", "E_o2 = ½(target_o2 − out_o2)²", trace.loss_terms[1]),
        (COST, "E_total", "E_total = E_o1 + E_o2", trace.loss),
        (BACK_O, "dE_total/dout_o1", "∂E_total/∂out_o1 = −(target_o1 − out_o1)", o.dE_dout[0, 0]),
        (BACK_O, "dout_o1/dnet_o1", "∂out_o1/∂net_o1 = out_o1(1 − out_o1)", o.dout_dnet[0, 0]),
        (BACK_O, "dnet_o1/dw5", "∂net_o1/∂w5 = out_h1", h.out[0, 0]),
    ]
    for w, k in zip((5, 6, 7, 8), (1, 1, 2, 2)):  # w5, w6 feed o1; w7, w8 feed o2
        rows.append((BACK_O, f"dE_total/dw{w}", f"∂E_total/∂w{w} = ∂E_total/∂out_o{k} · "
                     f"∂out_o{k}/∂net_o{k} · ∂net_o{k}/∂w{w}", g[f"w{w}"]))
    rows.append((BACK_O, "dE_total/db2", "∂E_total/∂b2 = Σ_k ∂E_total/∂out_ok · ∂out_ok/∂net_ok",
                 trace.grads["layers.1.bias"]))
    rows += [(STEP_O, f"w{w}+", f"w{w}+ = w{w} − η·∂E_total/∂w{w}", w_new[w - 1]) for w in (5, 6, 7, 8)]
    rows += _hidden_rows(trace, W2, g, w_new, inputs)
    rows += [(TRAINING, f"E_total at round {r}", f"E_total at round {r} = E_total before update {r}",
              E[r]["E_total"]) for r in E]
    return [(s, q, f, float(v)) for s, q, f, v in rows]


def _hidden_rows(trace, W2, g, w_new, inputs) -> list[tuple]:
    """The hidden layer's lines of _computed: its backward pass and its SGD step.
    W2: [[w5, w6], [w7, w8]]; g: {"w1": ∂E_total/∂w1, …}; w_new: w1+..w8+."""
    h, o = trace.layers                             # hidden, output; each tensor (1, 2)
    rows = [
        (BACK_H, "dE_o1/dout_h1", "∂E_o1/∂out_h1 = ∂E_o1/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂out_h1",
         o.delta[0, 0] * W2[0, 0]),  # ∂net_o1/∂out_h1 = w5
        (BACK_H, "dE_o2/dout_h1", "∂E_o2/∂out_h1 = ∂E_o2/∂out_o2 · ∂out_o2/∂net_o2 · ∂net_o2/∂out_h1",
         o.delta[0, 1] * W2[1, 0]),  # ∂net_o2/∂out_h1 = w7
        (BACK_H, "dE_total/dout_h1", "∂E_total/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1",
         h.dE_dout[0, 0]),
        (BACK_H, "dout_h1/dnet_h1", "∂out_h1/∂net_h1 = out_h1(1 − out_h1)", h.dout_dnet[0, 0]),
        (BACK_H, "dnet_h1/dw1", "∂net_h1/∂w1 = i1", inputs[0, 0]),
    ]
    for w, j in zip((1, 2, 3, 4), (1, 1, 2, 2)):  # w1, w2 feed h1; w3, w4 feed h2
        rows.append((BACK_H, f"dE_total/dw{w}", f"∂E_total/∂w{w} = ∂E_total/∂out_h{j} · "
                     f"∂out_h{j}/∂net_h{j} · ∂net_h{j}/∂w{w}", g[f"w{w}"]))
    rows.append((BACK_H, "dE_total/db1", "∂E_total/∂b1 = Σ_j ∂E_total/∂out_hj · ∂out_hj/∂net_hj",
                 trace.grads["layers.0.bias"]))
    rows += [(STEP_H, f"w{w}+", f"w{w}+ = w{w} − η·∂E_total/∂w{w}", w_new[w - 1]) for w in (1, 2, 3, 4)]
    return rows


def slide_printings() -> dict[str, list[tuple[str, str, str]]]:
    """quantity -> [(printed key, text, source)] for the slides' numbers; "w5+ (slide 31)" is a
    printing of w5+."""
    out: dict[str, list] = {}
    for key, (text, slide) in DECK_PRINTED.items():
        number, title = slide.split(" ", 1)
        out.setdefault(key.split(" (")[0], []).append((key, text, f"slides {number} ({title})"))
    number, title = DECK_ERROR_TABLE_SLIDE.split(" ", 1)
    for r, text in DECK_ERROR_TABLE.items():
        out.setdefault(f"E_total at round {r}", []).append(
            (f"E_total at round {r}", text, f"slides {number} ({title})"))
    return out


def _printings() -> dict[str, list[tuple[str, str, str]]]:
    """slide_printings(), and the article's figures."""
    out = slide_printings()
    for key, (text, where) in ARTICLE_PRINTED.items():
        out.setdefault(key, []).append((key, text, f"article ({where})"))
    return out


def worked_example(weights: dict | None = None, inputs=DECK_INPUTS, targets=DECK_TARGETS,
                   lr: float = DECK_LR, rounds=tuple(DECK_ERROR_TABLE), printed: bool = True) -> list[Row]:
    """Every line of the worked example for a 2-2-2 BackpropNet; for the deck's network (the
    deck's weights, inputs, targets and η) also the printed values, their verdicts and causes
    (printed=False: the computed lines only, one per quantity, for any network).

    weights: {named_parameters() name: nested list}, None for the deck's. Raises ValueError
    naming the first bad entry of weights, or inputs/targets that are not 2 numbers."""
    model = BackpropNet()
    if weights is not None:
        model.load_values(weights)
    inputs, targets = (torch.as_tensor(v, dtype=torch.float64).reshape(1, -1) for v in (inputs, targets))
    if inputs.shape != (1, 2) or targets.shape != (1, 2):
        raise ValueError(f"inputs and targets must be 2 numbers each, got {inputs.tolist()} and {targets.tolist()}")
    rounds = tuple(sorted(set(rounds)))
    if rounds and rounds[-1] > MAX_ROUNDS:
        raise ValueError(f"rounds: {rounds[-1]:,} is past the last round the report computes, {MAX_ROUNDS:,}")
    if not (printed and is_deck_setting(model, inputs, targets, lr)):
        E = history(model, inputs, targets, lr, rounds)
        return [Row(*line) for line in _computed(model, inputs, targets, lr, E)]

    hist = {STANDARD: deck_history(STANDARD, tuple(sorted({*rounds, *_ARTICLE_ROUNDS}))),
            SEQUENTIAL: deck_history(SEQUENTIAL, _ARTICLE_ROUNDS)}
    computed = _computed(model, inputs, targets, lr, {r: hist[STANDARD][r] for r in rounds})
    for quantity in ARTICLE_PRINTED:
        if m := _AFTER.fullmatch(quantity):  # after n updates: round n + 1 as the deck counts
            what, n = m[1], int(m[2])
            computed.append((TRAINING, quantity, f"{what} after {_updates(n)} by {STANDARD}",
                             hist[STANDARD][n + 1][what]))
    printings, rows = _printings(), []
    for section, quantity, formula, value in computed:
        printed = [Row(section, key, formula, value, text, source, verdict(value, text))
                   for key, text, source in printings.get(quantity, [])]
        rows += printed or [Row(section, quantity, formula, value)]
    for row in rows:
        if row.source and row.source.startswith("article"):
            _explain_article(row, hist)
        elif row.verdict in ("agrees-truncated", "differs"):
            _explain_deck(row, {r.quantity: r for r in rows if r.source and r.source.startswith("slides")})
    return rows


# --- Causes --------------------------------------------------------------------------------

def _sigmoid(x: float) -> float:
    return float(torch.sigmoid(torch.tensor(x, dtype=torch.float64)))


_W5 = DECK_WEIGHTS["layers.1.weight"][0][0]
_T1, _T2 = DECK_TARGETS[0].tolist()

# The deck's own arithmetic, redone on the numbers it printed before (quantity: (the printed
# quantities it uses, the formula)), for the lines that are off: it shows what carried over.
_DECK_ARITHMETIC = {
    "out_o1": (("net_o1",), _sigmoid),
    "out_o2": (("net_o2",), _sigmoid),
    "E_o2": (("out_o2",), lambda out: 0.5 * (_T2 - out) ** 2),
    "dE_total/dout_o1": (("out_o1",), lambda out: -(_T1 - out)),
    "dE_total/dw5": (("dE_total/dout_o1", "dout_o1/dnet_o1", "dnet_o1/dw5"), lambda a, b, c: a * b * c),
    "w5+ (slide 31)": (("dE_total/dw5",), lambda g: _W5 - DECK_LR * g),
}


def transpositions(text: str):
    """text with two adjacent, different digits swapped, every way: a digit slip."""
    for i in range(len(text) - 1):
        a, b = text[i:i + 2]
        if a.isdigit() and b.isdigit() and a != b:
            yield text[:i] + b + a + text[i + 2:]


def _updates(n: int) -> str:
    return f"{n} update" + ("s" if n != 1 else "")


def _explain_deck(row: Row, deck: dict[str, Row]) -> None:
    """Note why a deck line is off: cut off, carried over from earlier printed values (the
    deck's arithmetic redone on them), or a digit slip (two adjacent digits swapped)."""
    d = _decimals(row.printed)
    rounded = f"{row.computed:.{d}f}"
    differs = row.verdict == "differs"
    notes = [f"printed − computed = {float(row.printed) - row.computed:+.2e}" if differs
             else f"cut off; rounded it is {rounded}"]
    if row.quantity in _DECK_ARITHMETIC:
        names, f = _DECK_ARITHMETIC[row.quantity]
        x = f(*(float(deck[n].printed) for n in names))
        used = ", ".join(f"{n} = {deck[n].printed} ({deck[n].verdict})" for n in names)
        how = f"{row.formula.split(' = ', 1)[1]} with the deck's printed {used} gives {x:.{d + 2}f}"
        if verdict(x, row.printed) == "differs":
            notes.append(f"not carried over: {how}")
        else:
            notes.append(f"carried over: {how}" if differs else f"or carried over: {how}")
            row.reproduced = x if differs else None
    if differs and row.reproduced is None:
        for slip in transpositions(rounded):
            if slip == row.printed:
                notes.append(f"a digit slip: the true {rounded} with two adjacent digits swapped is {slip}")
                row.reproduced = float(slip)
    row.note = "; ".join(notes)


def _explain_article(row: Row, hist: dict) -> None:
    """Note which update rule, and which count of updates, reproduces an article figure."""
    if m := _AFTER.fullmatch(row.quantity):
        what, n = m[1], int(m[2])
        candidates = [(f"{SEQUENTIAL} after {_updates(n)}", hist[SEQUENTIAL][n + 1][what])]
        if n > 1:  # round n as the deck counts: before the n-th update
            deck_count = f"at round {n} as the deck counts (after {_updates(n - 1)})"
            candidates = [(f"{STANDARD} {deck_count}", hist[STANDARD][n][what]), *candidates,
                          (f"{SEQUENTIAL} {deck_count}", hist[SEQUENTIAL][n][what])]
    else:  # a weight after one update
        w = int(row.quantity[1:-1])  # "w5+" -> 5
        candidates = [(f"{SEQUENTIAL} after 1 update", deck_sequential_weights()[w - 1])]
    d = _decimals(row.printed) + 2
    if row.verdict != "differs":
        row.note = "; ".join(f"{label} gives {x:.{d}f} ({verdict(x, row.printed)})"
                             for label, x in candidates)
        return
    found = [(label, x) for label, x in candidates if verdict(x, row.printed) != "differs"]
    others = [(label, x) for label, x in candidates if (label, x) not in found]
    notes = [f"printed − computed = {float(row.printed) - row.computed:+.2e}"]
    notes += [f"reproduced by {label}: {x:.{d}f}" for label, x in found]
    if others:
        notes.append("not by " + ", ".join(f"{label} ({x:.{d}f})" for label, x in others))
    if any(label.startswith(SEQUENTIAL) for label, _ in found):
        notes.append(f"{SEQUENTIAL}: {SEQUENTIAL_DEFINITION}")
    row.reproduced = found[0][1] if found else None
    row.note = "; ".join(notes)

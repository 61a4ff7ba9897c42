"""The live page: the worked example as ONE self-contained web page in which every number follows
the learner's edits (explain.py --format html --live).

The page computes with its own implementation of the chain rule, live/lesson.js, in the deck's
notation (JavaScript numbers are float64: one more oracle, held to torch_bp to 1e-12 by
tests/test_explain_live.py). This module only assembles the page: the skeleton (live/page.html),
its style (live/page.css), its scripts (JS_FILES, in order, as one script) and, as JSON, the
starting state, the two shapes' presets, and the deck's printed numbers with the static report's
verdicts (torch_bp.explain.report.worked_example). Nothing is fetched: it works from file://.
"""
from __future__ import annotations

import json
import re
from importlib.resources import files

import torch

from torch_bp.core.data import XOR_INPUTS, XOR_TARGETS
from torch_bp.core.deck import DECK_INPUTS, DECK_LR, DECK_SIZES, DECK_TARGETS
from torch_bp.core.model import BackpropNet
from .report import TRAINING, worked_example

# The shapes the page draws: the deck's network on its one row, and XOR's 2-3-1 on its four rows
# with η = 2 (the README's XOR runs; shared biases, seed 0's weights, as train.py starts them).
SHAPES = {(2, 2, 2): "deck", (2, 3, 1): "xor"}
PRESET_DATA = {"deck": (DECK_INPUTS, DECK_TARGETS, DECK_LR), "xor": (XOR_INPUTS, XOR_TARGETS, 2.0)}
MAX_ROWS = 16  # as live/state.js
JS_FILES = ("numbers.js", "state.js", "lesson.js", "run.js", "quantities.js", "picture.js", "charts.js", "view.js",
            "page.js", "controls.js")
_FIGURE = re.compile(r"(E_total|out_o1|out_o2) (at round|after) (\d+)( rounds?)?")  # the report's Training lines


def setting(model: BackpropNet, inputs: torch.Tensor, targets: torch.Tensor, lr: float,
            train_bias: bool = False) -> dict:
    """The page's state: {sizes, W: per layer (n_l, n_{l-1}) nested lists, b: one per layer,
    inputs (B, n_0), targets (B, n_L), lr (η), trainBias}."""
    return {"sizes": list(model.sizes), "W": [layer.weight.detach().tolist() for layer in model.layers],
            "b": [float(layer.bias.detach()) for layer in model.layers], "inputs": inputs.tolist(), "targets": targets.tolist(),
            "lr": float(lr), "trainBias": train_bias}


def preset(name: str) -> dict:
    sizes = next(s for s, n in SHAPES.items() if n == name)
    inputs, targets, lr = PRESET_DATA[name]
    return setting(BackpropNet(sizes, seed=0), inputs, targets, lr)


def _rows(values, width: int, field: str) -> torch.Tensor:
    if len(values) % width or not 1 <= len(values) // width <= MAX_ROWS:
        raise ValueError(field, f"{len(values)} numbers are not 1 to {MAX_ROWS} rows of {width}")
    return torch.tensor(values, dtype=torch.float64).reshape(-1, width)


def start_state(sizes=None, weights: dict | None = None, inputs=None, targets=None, lr: float | None = None) -> dict:
    """The page's starting state: the preset of the shape (sizes; None: the deck's), with what is
    given in its place. inputs, targets: flat lists, row after row. Raises ValueError(field,
    message) naming the first bad one (sizes, weights, inputs, targets)."""
    sizes = tuple(sizes or DECK_SIZES)
    if sizes not in SHAPES:
        raise ValueError("sizes", "the live page draws " + " and ".join(
            f"{','.join(map(str, s))} ({'the deck' if n == 'deck' else n.upper()})" for s, n in SHAPES.items()))
    start = preset(SHAPES[sizes])
    if weights is not None:
        model = BackpropNet(sizes, seed=0)
        try:
            model.load_values(weights)
        except ValueError as e:
            raise ValueError("weights", str(e)) from None
        start.update(W=[layer.weight.detach().tolist() for layer in model.layers],
                     b=[float(layer.bias.detach()) for layer in model.layers])
    if inputs is not None:
        start["inputs"] = _rows(inputs, sizes[0], "inputs").tolist()
    if targets is not None:
        start["targets"] = _rows(targets, sizes[-1], "targets").tolist()
    if len(start["inputs"]) != len(start["targets"]):
        field = "targets" if targets is not None else "inputs"
        raise ValueError(field, f"{len(start['inputs'])} rows of inputs, {len(start['targets'])} of targets")
    if lr is not None:
        start["lr"] = float(lr)
    return start


def deck_columns() -> tuple[dict, list]:
    """The static report's printed lines on the deck's setting: round 1's by quantity
    ({key: [{printed, source, verdict, note}]}), and the later rounds' figures, each with the
    round the page reaches it at (the deck counts round r before the r-th update)."""
    printed, figures = {}, []
    for r in worked_example():
        if r.printed is None:
            continue
        line = {"printed": r.printed, "source": r.source, "verdict": r.verdict, "note": r.note}
        if r.section == TRAINING:
            what, how, n, _ = _FIGURE.fullmatch(r.quantity).groups()
            figures.append({"quantity": r.quantity, "what": what, "round": int(n) + (how == "after"), **line})
        else:
            printed.setdefault(r.quantity.split(" (")[0], []).append(line)  # "w5+ (slide 31)" is a w5+
    return printed, figures


def _resource(name: str) -> str:
    return files("torch_bp.explain").joinpath("live", name).read_text(encoding="utf-8")


def page(start: dict) -> str:
    """The page, opening on start (a start_state()); a link's #fragment overrides it."""
    printed, figures = deck_columns()
    data = {"shapes": [list(s) for s in SHAPES], "start": start, "deck": preset("deck"),
            "presets": {name: preset(name) for name in SHAPES.values()}, "printed": printed, "figures": figures}
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")  # no "</script>" inside
    script = "\n".join(f"// ---- {name}\n{_resource(name)}" for name in JS_FILES)
    return (_resource("page.html").replace("/*CSS*/", _resource("page.css"))
            .replace("/*DATA*/", blob).replace("/*JS*/", f'(() => {{\n"use strict";\n{script}\n}})();'))

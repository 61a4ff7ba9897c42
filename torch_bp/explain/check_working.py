"""The learner's working model: the slides' scalar formulas, step by step, with one catalogued mistake."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

MISTAKES = {  # id: what the learner did, in the slides' notation
    "sign-of-error": "∂E_total/∂out_o taken as (target − out) instead of −(target − out)",
    "sigmoid-for-derivative": "∂out/∂net taken as out (σ) instead of out(1 − out)",
    "no-half": "E = Σ(target − out)² without the ½, so every ∂E is doubled",
    "missing-bias": "the bias left out of net",
    "transposed-weights": "the weight of input k into unit j read as the weight of input j into unit k "
                          "(w2 and w3, w6 and w7 swapped)",
    "one-path-only": "∂E_total/∂out_h from one output's error alone, forgetting the other path",
    "sequential-update": "the hidden deltas taken through the already-updated w5..w8 (the article's rule)",
    "update-sign": "w+ = w + η·∂E_total/∂w instead of w − η·∂E_total/∂w",
    "learning-rate": "an η other than the one given",
    "digit-slip": "one value with two adjacent digits swapped, everything after it consistent with the true value "
                  "(or with the slipped one carried on)",
}
NONE, UNKNOWN = "none", "unknown"


@dataclass(frozen=True)
class Step:
    quantity: str
    inputs: tuple[str, ...]  # earlier quantities, or the setting: w1..w8, b1, b2, i1, i2, target_o1, target_o2, η
    f: Callable[..., float]  # f(*inputs)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


_SWAP = {"w2": "w3", "w3": "w2", "w6": "w7", "w7": "w6"}
# Where each weight sits: wn -> (unit, the input it multiplies).
_SLOT = {"w1": ("h1", "i1"), "w2": ("h1", "i2"), "w3": ("h2", "i1"), "w4": ("h2", "i2"),
         "w5": ("o1", "out_h1"), "w6": ("o1", "out_h2"), "w7": ("o2", "out_h1"), "w8": ("o2", "out_h2")}


@cache
def working(mistake: str = NONE, path: str = "o1") -> tuple[Step, ...]:
    """One forward pass, backward pass and SGD step of the 2-2-2 network, in computation order,
    as the slides write it, with one catalogued mistake (NONE: the slides' own):

        net_h1 = w1·i1 + w2·i2 + b1         out_h1 = σ(net_h1)         (the same for h2, o1, o2)
        E_o1 = ½(target_o1 − out_o1)²       ∂E_total/∂out_o1 = −(target_o1 − out_o1)
        ∂out_o1/∂net_o1 = out_o1(1 − out_o1)
        ∂E_total/∂w5 = ∂E_total/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5,  ∂net_o1/∂w5 = out_h1
        ∂E_total/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1,  ∂E_o1/∂out_h1 = delta_o1·w5
        w5+ = w5 − η·∂E_total/∂w5

    path: for one-path-only, "o1" (every ∂E_total/∂out_h from E_o1 alone) or "own" (out_hj from
    E_oj alone). learning-rate is NONE's working with another η."""
    w = _Writer(mistake)
    _forward(w)
    _cost(w)
    _output_layer(w)
    _hidden_layer(w, path)
    return tuple(w.steps)


class _Writer:
    """The learner writing the steps down: the formulas they use, with their one mistake."""

    def __init__(self, mistake: str):
        self.mistake, self.steps = mistake, []
        self.bias = 0.0 if mistake == "missing-bias" else 1.0
        self.half = 1.0 if mistake == "no-half" else 0.5
        self.sign = -1.0 if mistake == "sign-of-error" else 1.0

    def step(self, quantity, inputs, f):
        self.steps.append(Step(quantity, tuple(inputs.split()), f))

    def read(self, wn):  # the weight the learner puts where wn sits
        return _SWAP.get(wn, wn) if self.mistake == "transposed-weights" else wn

    def net(self, wa, x, wb, y, b):
        return wa * x + wb * y + self.bias * b

    def dout_dnet(self, out):
        return out if self.mistake == "sigmoid-for-derivative" else out * (1 - out)

    @staticmethod
    def product(a, b, c):
        return a * b * c

    def update(self, w, eta, g):
        return w + eta * g if self.mistake == "update-sign" else w - eta * g

    def gradient(self, wn):  # ∂E_total/∂wn = ∂E_total/∂out_u · ∂out_u/∂net_u · ∂net_u/∂wn, at wn's place as read
        unit, x = _SLOT[self.read(wn)]
        x = {("o1", "out_h1"): "dnet_o1/dw5", ("h1", "i1"): "dnet_h1/dw1"}.get((unit, x), x)
        self.step(f"dE_total/d{wn}", f"dE_total/dout_{unit} dout_{unit}/dnet_{unit} {x}", self.product)

    def updates(self, weights):  # wn+ = wn − η·∂E_total/∂wn
        for wn in weights:
            self.step(f"{wn}+", f"{wn} η dE_total/d{wn}", self.update)


def _forward(w: _Writer) -> None:
    """net_h1 = w1·i1 + w2·i2 + b1, out_h1 = σ(net_h1), the same for h2, o1, o2."""
    for j, (wa, wb) in ((1, ("w1", "w2")), (2, ("w3", "w4"))):
        w.step(f"net_h{j}", f"{w.read(wa)} i1 {w.read(wb)} i2 b1", w.net)
    for j in (1, 2):
        w.step(f"out_h{j}", f"net_h{j}", _sigmoid)
    for k, (wa, wb) in ((1, ("w5", "w6")), (2, ("w7", "w8"))):
        w.step(f"net_o{k}", f"{w.read(wa)} out_h1 {w.read(wb)} out_h2 b2", w.net)
    for k in (1, 2):
        w.step(f"out_o{k}", f"net_o{k}", _sigmoid)


def _cost(w: _Writer) -> None:
    """E_ok = ½(target_ok − out_ok)², E_total = E_o1 + E_o2."""
    half = w.half
    for k in (1, 2):
        w.step(f"E_o{k}", f"target_o{k} out_o{k}", lambda target, out: half * (target - out) ** 2)
    w.step("E_total", "E_o1 E_o2", lambda a, b: a + b)


def _output_layer(w: _Writer) -> None:
    """Backward pass, output layer, then w5+..w8+ (o2's lines are the learner's too, though the
    slides skip them)."""
    half, sign = w.half, w.sign
    for k in (1, 2):
        w.step(f"dE_total/dout_o{k}", f"target_o{k} out_o{k}", lambda target, out: -sign * 2 * half * (target - out))
        w.step(f"dout_o{k}/dnet_o{k}", f"out_o{k}", w.dout_dnet)
    w.step("dnet_o1/dw5", "out_h1", lambda out: out)
    for wn in ("w5", "w6", "w7", "w8"):
        w.gradient(wn)
    w.step("dE_total/db2", "dE_total/dout_o1 dout_o1/dnet_o1 dE_total/dout_o2 dout_o2/dnet_o2",
           lambda a, b, c, d: a * b + c * d)  # shared bias: Σ_k delta_ok
    w.updates(("w5", "w6", "w7", "w8"))


def _hidden_layer(w: _Writer, path: str) -> None:
    """Backward pass, hidden layer: ∂E_ok/∂out_hj = delta_ok · (the weight from hj into ok); then
    w1+..w4+."""
    for j in (1, 2):
        for k in (1, 2):
            wn = w.read({(1, 1): "w5", (2, 1): "w6", (1, 2): "w7", (2, 2): "w8"}[j, k])
            wn += "+" if w.mistake == "sequential-update" else ""
            w.step(f"dE_o{k}/dout_h{j}", f"dE_total/dout_o{k} dout_o{k}/dnet_o{k} {wn}", w.product)
        if w.mistake == "one-path-only":
            w.step(f"dE_total/dout_h{j}", f"dE_o{1 if path == 'o1' else j}/dout_h{j}", lambda a: a)
        else:
            w.step(f"dE_total/dout_h{j}", f"dE_o1/dout_h{j} dE_o2/dout_h{j}", lambda a, b: a + b)
        w.step(f"dout_h{j}/dnet_h{j}", f"out_h{j}", w.dout_dnet)
    w.step("dnet_h1/dw1", "i1", lambda i: i)
    for wn in ("w1", "w2", "w3", "w4"):
        w.gradient(wn)
    w.step("dE_total/db1", "dE_total/dout_h1 dout_h1/dnet_h1 dE_total/dout_h2 dout_h2/dnet_h2",
           lambda a, b, c, d: a * b + c * d)  # shared bias: Σ_j delta_hj
    w.updates(("w1", "w2", "w3", "w4"))


def evaluate(steps: tuple[Step, ...], setting: dict[str, float]) -> dict[str, float]:
    """Every quantity of the working, from the setting."""
    values = dict(setting)
    for s in steps:
        values[s.quantity] = s.f(*(values[x] for x in s.inputs))
    return values

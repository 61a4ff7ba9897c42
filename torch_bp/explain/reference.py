"""The worked example to 50 digits, in mpmath, from the slides' formulas alone (no torch).

The slides' numbers are taken as the decimals they print (w1 = 0.15 exactly, not float64's
0.1499999999999999944…), and every quantity is worked out as the slides write it:

    net_h1 = w1·i1 + w2·i2 + b1                 out_h1 = σ(net_h1) = 1/(1 + e^(−net_h1))
    net_o1 = w5·out_h1 + w6·out_h2 + b2         out_o1 = σ(net_o1)
    E_o1 = ½(target_o1 − out_o1)²               E_total = E_o1 + E_o2
    ∂E_total/∂w5 = ∂E_total/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5
                 = −(target_o1 − out_o1) · out_o1(1 − out_o1) · out_h1
    ∂E_total/∂w1 = (∂E_o1/∂out_h1 + ∂E_o2/∂out_h1) · out_h1(1 − out_h1) · i1
    w5+ = w5 − η·∂E_total/∂w5                   (every gradient at the old weights)

Arithmetic carries DIGITS + GUARD significant digits. The error table's rounds, up to 10,000,
are the same formulas again in integers (reference_rounds.py): mpmath takes ~0.1 ms a round.
"""
from __future__ import annotations

from functools import cache

import mpmath

DIGITS = 50   # digits reported
GUARD = 10    # extra digits carried
MP = mpmath.MPContext()
MP.dps = DIGITS + GUARD

# The slides' numbers, as printed (slides 10-12 and 31): w1..w8, b1, b2, i1, i2, targets, η.
W = ("0.15", "0.20", "0.25", "0.30", "0.40", "0.45", "0.50", "0.55")
B1, B2 = "0.35", "0.60"
I = ("0.05", "0.10")
TARGET = ("0.01", "0.99")
ETA = "0.5"
# The rounds of the error table (slide 40), and round 10,000: E_total before the r-th update.
ROUNDS = (1, 300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000, 3300, 10_000)


def sigma(x):
    """σ(x) = 1/(1 + e^(−x))"""
    return 1 / (1 + MP.exp(-x))


def forward(w, b1, b2, i1, i2) -> dict:
    """The forward pass: net and out of h1, h2, o1, o2."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    q = {"net_h1": w1 * i1 + w2 * i2 + b1, "net_h2": w3 * i1 + w4 * i2 + b1}
    q["out_h1"], q["out_h2"] = sigma(q["net_h1"]), sigma(q["net_h2"])
    q["net_o1"] = w5 * q["out_h1"] + w6 * q["out_h2"] + b2
    q["net_o2"] = w7 * q["out_h1"] + w8 * q["out_h2"] + b2
    q["out_o1"], q["out_o2"] = sigma(q["net_o1"]), sigma(q["net_o2"])
    return q


def backward(q: dict, w, i1, i2, t1, t2) -> dict:
    """The cost and every derivative of the slides, added to the forward pass's q."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    q["E_o1"], q["E_o2"] = (t1 - q["out_o1"]) ** 2 / 2, (t2 - q["out_o2"]) ** 2 / 2
    q["E_total"] = q["E_o1"] + q["E_o2"]
    dE_dout_o1, dE_dout_o2 = -(t1 - q["out_o1"]), -(t2 - q["out_o2"])
    dout_dnet_o1, dout_dnet_o2 = q["out_o1"] * (1 - q["out_o1"]), q["out_o2"] * (1 - q["out_o2"])
    delta_o1, delta_o2 = dE_dout_o1 * dout_dnet_o1, dE_dout_o2 * dout_dnet_o2  # ∂E_total/∂net_ok
    q["dE_total/dout_o1"], q["dout_o1/dnet_o1"], q["dnet_o1/dw5"] = dE_dout_o1, dout_dnet_o1, q["out_h1"]
    q["dE_total/dw5"], q["dE_total/dw6"] = delta_o1 * q["out_h1"], delta_o1 * q["out_h2"]
    q["dE_total/dw7"], q["dE_total/dw8"] = delta_o2 * q["out_h1"], delta_o2 * q["out_h2"]
    q["dE_total/db2"] = delta_o1 + delta_o2
    q["dE_o1/dout_h1"], q["dE_o2/dout_h1"] = delta_o1 * w5, delta_o2 * w7  # ∂net_o1/∂out_h1 = w5
    dE_dout_h1 = q["dE_total/dout_h1"] = q["dE_o1/dout_h1"] + q["dE_o2/dout_h1"]
    dE_dout_h2 = delta_o1 * w6 + delta_o2 * w8
    q["dout_h1/dnet_h1"] = q["out_h1"] * (1 - q["out_h1"])
    q["dnet_h1/dw1"] = i1
    delta_h1, delta_h2 = dE_dout_h1 * q["dout_h1/dnet_h1"], dE_dout_h2 * q["out_h2"] * (1 - q["out_h2"])
    q["dE_total/dw1"], q["dE_total/dw2"] = delta_h1 * i1, delta_h1 * i2
    q["dE_total/dw3"], q["dE_total/dw4"] = delta_h2 * i1, delta_h2 * i2
    q["dE_total/db1"] = delta_h1 + delta_h2
    return q


def deck_numbers():
    """The slides' numbers as mpf: (w (8,), b1, b2, i1, i2, target_o1, target_o2, η)."""
    f = MP.mpf
    return (tuple(map(f, W)), f(B1), f(B2), *map(f, I), *map(f, TARGET), f(ETA))


def sgd_round(w, b1, b2, i1, i2, t1, t2, eta) -> tuple[dict, tuple]:
    """One round: every quantity at w, and the weights after the update w+ = w − η·∂E_total/∂w
    (biases fixed, as in the deck's code)."""
    q = backward(forward(w, b1, b2, i1, i2), w, i1, i2, t1, t2)
    return q, tuple(wk - eta * q[f"dE_total/dw{k}"] for k, wk in enumerate(w, start=1))


@cache
def round_one() -> dict:
    """Every quantity of round 1, named as torch_bp.explain.report names its rows, with the
    updated weights w1+..w8+ (mpf, DIGITS + GUARD digits)."""
    w, b1, b2, i1, i2, t1, t2, eta = deck_numbers()
    q, w_new = sgd_round(w, b1, b2, i1, i2, t1, t2, eta)
    return {**q, **{f"w{k}+": v for k, v in enumerate(w_new, start=1)}}


def text(x, digits: int = DIGITS) -> str:
    """x to `digits` significant digits, in fixed notation: 0.00043856773447…"""
    return MP.nstr(x, digits, strip_zeros=False, min_fixed=-MP.inf, max_fixed=MP.inf)

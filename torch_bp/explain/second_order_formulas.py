"""Each entry of the deck network's Hessian as a formula in the slides' symbols, from the rules:

    ∂²E/∂θ∂φ = Σ_k ∂out_ok/∂θ · ∂out_ok/∂φ                    (Gauss-Newton part)
             + Σ_k (out_ok − target_ok) · ∂²out_ok/∂θ∂φ      (residual part)
    ∂out_ok/∂θ      = σ'_ok · ∂net_ok/∂θ
    ∂²out_ok/∂θ∂φ   = σ''_ok · ∂net_ok/∂θ · ∂net_ok/∂φ + σ'_ok · ∂²net_ok/∂θ∂φ
    net_ok = Σ_j w(hj→ok) out_hj + b2,  out_hj = σ(Σ_m w(im→hj) i_m + b1)
    ∂net_ok/∂w(hj→ok) = out_hj             ∂net_ok/∂w(im→hj) = w(hj→ok) σ'_hj i_m
    ∂²net_ok/∂w(hj→ok)∂w(im→hj) = σ'_hj i_m
    ∂²net_ok/∂w(im→hj)∂w(im'→hj) = w(hj→ok) σ''_hj i_m i_m'      (other pairs: 0)

with σ' = out(1 − out) and σ'' = σ'(1 − 2 out). A formula is a sum of monomials, each a product
of symbols; it is written out (text) and evaluated (numbers) from the same monomials, so the
value of the text shown is checked against the hand-written Hessian (core/hessian.py).
"""
from __future__ import annotations

from collections import Counter

# The deck's weights, named as the slides name them: (from, to)
WEIGHTS = {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
           "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}
OUTPUTS = ("o1", "o2")
Monomial = tuple[str, ...]  # a product of symbols


def _weight(source: str, unit: str) -> str:
    return next(w for w, (a, b) in WEIGHTS.items() if (a, b) == (source, unit))


def dnet(k: str, w: str) -> list[Monomial]:
    """∂net_k/∂w for output unit k."""
    src, unit = WEIGHTS[w]
    if unit == k:                                       # an output weight into k
        return [(f"out_{src}",)]
    if unit.startswith("h"):                            # a hidden weight: through w(unit→k)
        return [(_weight(unit, k), f"σ'_{unit}", src)]
    return []


def d2net(k: str, a: str, b: str) -> list[Monomial]:
    """∂²net_k/∂a∂b for output unit k."""
    (sa, ua), (sb, ub) = WEIGHTS[a], WEIGHTS[b]
    if ua.startswith("h") and ub.startswith("h"):
        return [(_weight(ua, k), f"σ''_{ua}", sa, sb)] if ua == ub else []
    if ua.startswith("h"):
        (sa, ua), (sb, ub) = (sb, ub), (sa, ua)         # a the output weight, b the hidden one
    if ub.startswith("h") and ua == k and sa == ub:     # w(hj→k) and a weight into hj
        return [(f"σ'_{ub}", sb)]
    return []


def _times(xs: list[Monomial], ys: list[Monomial], *extra: str) -> list[Monomial]:
    return [(*extra, *x, *y) for x in xs for y in ys]


def entry(a: str, b: str) -> tuple[list[Monomial], list[Monomial]]:
    """(Gauss-Newton monomials, residual monomials) of ∂²E/∂a∂b."""
    gn, res = [], []
    for k in OUTPUTS:
        da, db = dnet(k, a), dnet(k, b)
        gn += _times(da, db, f"σ'_{k}", f"σ'_{k}")
        res += _times(da, db, f"(out_{k} − target_{k})", f"σ''_{k}")
        res += [(f"(out_{k} − target_{k})", f"σ'_{k}", *m) for m in d2net(k, a, b)]
    return gn, res


def _order(symbol: str) -> tuple:
    """(out − target) first, then σ', σ'', weights, outs, inputs: the slides' reading order."""
    kinds = ("(out", "σ'_", "σ''", "w", "out_", "i")
    return next(i for i, p in enumerate(kinds) if symbol.startswith(p)), symbol


def render(monomials: list[Monomial]) -> str:
    """'σ'_o1²·out_h1² + ...'; '0' for none."""
    if not monomials:
        return "0"
    terms = []
    for m in monomials:
        counts = Counter(m)
        terms.append("·".join(s + ("²" if counts[s] == 2 else "") for s in sorted(counts, key=_order)))
    return " + ".join(terms)


def evaluate(monomials: list[Monomial], values: dict[str, float]) -> float:
    total = 0.0
    for m in monomials:
        product = 1.0
        for s in m:
            product *= values[s]
        total += product
    return total


def symbol_values(out: dict[str, float], inputs: dict[str, float], targets: dict[str, float],
                  weights: dict[str, float]) -> dict[str, float]:
    """Every symbol's value from the forward pass: out_h1.., i1, i2, w1..w8, σ', σ'', out − target."""
    values = {**{f"out_{u}": v for u, v in out.items()}, **inputs, **weights}
    for u, o in out.items():
        values[f"σ'_{u}"] = o * (1 - o)                    # ∂out/∂net = out (1 − out)
        values[f"σ''_{u}"] = o * (1 - o) * (1 - 2 * o)     # ∂²out/∂net² = σ'(1 − 2 out)
    for k in OUTPUTS:
        values[f"(out_{k} − target_{k})"] = out[k] - targets[k]
    return values

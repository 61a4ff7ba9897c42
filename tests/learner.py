"""A learner's working, transcribed from the slides' formulas independently of torch_bp's check
(torch_bp.explain.check_working): the right numbers, and each catalogued mistake made on purpose,
to plant in answer files."""
import math
import random
from decimal import ROUND_DOWN, Decimal

from torch_bp.core.deck import DECK_LR

NAMES = ["net_h1", "net_h2", "out_h1", "out_h2", "net_o1", "net_o2", "out_o1", "out_o2", "E_o1", "E_o2", "E_total",
         "dE_total/dout_o1", "dout_o1/dnet_o1", "dnet_o1/dw5", "dE_total/dw5", "dE_total/dw6", "dE_total/dw7",
         "dE_total/dw8", "dE_total/db2", "w5+", "w6+", "w7+", "w8+", "dE_o1/dout_h1", "dE_o2/dout_h1",
         "dE_total/dout_h1", "dout_h1/dnet_h1", "dnet_h1/dw1", "dE_total/dw1", "dE_total/dw2", "dE_total/dw3",
         "dE_total/dw4", "dE_total/db1", "w1+", "w2+", "w3+", "w4+"]
# The slot each weight fills in the slides' picture: (the unit it enters, the unit it leaves).
SLOT = {"w1": ("h1", "i1"), "w2": ("h1", "i2"), "w3": ("h2", "i1"), "w4": ("h2", "i2"),
        "w5": ("o1", "h1"), "w6": ("o1", "h2"), "w7": ("o2", "h1"), "w8": ("o2", "h2")}
# The slides' setting by the sheet's names (η apart: each test says which it works with).
DECK_SETTING = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55,
                "b1": 0.35, "b2": 0.60, "i1": 0.05, "i2": 0.10, "target_o1": 0.01, "target_o2": 0.99}
FORMULA_MISTAKES = ("sign-of-error", "sigmoid-for-derivative", "no-half", "missing-bias", "transposed-weights",
                    "one-path-only", "sequential-update", "update-sign")


def learner(s: dict, mistake: str = "none", path: str = "o1", lr: float | None = None) -> dict[str, float]:
    """The sheet's 37 values, worked by a student who makes `mistake` (full precision).
    transposed-weights: w2 read in w3's slot and w3 in w2's (w6, w7 likewise); path: for
    one-path-only, "o1" (both hidden units through o1's error) or "own" (h_j through o_j's)."""
    eta = s["lr"] if lr is None else lr
    swap = {"w2": "w3", "w3": "w2", "w6": "w7", "w7": "w6"} if mistake == "transposed-weights" else {}
    in_slot = {SLOT[swap.get(w, w)]: w for w in SLOT}            # (unit, input) -> the weight put there
    W = {slot: s[w] for slot, w in in_slot.items()}
    bias = 0.0 if mistake == "missing-bias" else 1.0
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    slope = (lambda out: out) if mistake == "sigmoid-for-derivative" else (lambda out: out * (1 - out))  # noqa: E731
    v, out = {}, {"i1": s["i1"], "i2": s["i2"]}
    for unit, ins, b in (("h1", ("i1", "i2"), "b1"), ("h2", ("i1", "i2"), "b1"),
                         ("o1", ("h1", "h2"), "b2"), ("o2", ("h1", "h2"), "b2")):
        v[f"net_{unit}"] = sum(W[unit, x] * out[x] for x in ins) + bias * s[b]
        out[unit] = v[f"out_{unit}"] = sig(v[f"net_{unit}"])
    delta = {}
    for k in ("o1", "o2"):
        t, o = s[f"target_{k}"], out[k]
        v[f"E_{k}"] = (1.0 if mistake == "no-half" else 0.5) * (t - o) ** 2
        dE_dout = {"sign-of-error": t - o, "no-half": -2 * (t - o)}.get(mistake, -(t - o))
        delta[k] = dE_dout * slope(o)
        v[f"dE_total/dout_{k}"], v[f"dout_{k}/dnet_{k}"] = dE_dout, slope(o)
    v["E_total"] = v["E_o1"] + v["E_o2"]
    v["dnet_o1/dw5"], v["dE_total/db2"] = out["h1"], delta["o1"] + delta["o2"]
    step = (lambda w, g: w + eta * g) if mistake == "update-sign" else (lambda w, g: w - eta * g)  # noqa: E731
    for w in ("w5", "w6", "w7", "w8"):
        unit, x = SLOT[swap.get(w, w)]  # the gradient worked at the slot the student puts w in
        v[f"dE_total/d{w}"] = delta[unit] * out[x]
        v[f"{w}+"] = step(s[w], v[f"dE_total/d{w}"])
    through = {slot: (v[f"{w}+"] if mistake == "sequential-update" else W[slot])
               for slot, w in in_slot.items() if slot[0][0] == "o"}
    for j in ("h1", "h2"):
        e = {k: delta[k] * through[k, j] for k in ("o1", "o2")}   # ∂E_ok/∂out_hj
        if mistake == "one-path-only":
            dE_dout = e["o1"] if (j == "h1" or path == "o1") else e["o2"]
        else:
            dE_dout = e["o1"] + e["o2"]
        delta[j] = dE_dout * slope(out[j])
        if j == "h1":
            v["dE_o1/dout_h1"], v["dE_o2/dout_h1"], v["dE_total/dout_h1"] = e["o1"], e["o2"], dE_dout
            v["dout_h1/dnet_h1"] = slope(out["h1"])
    v["dnet_h1/dw1"], v["dE_total/db1"] = s["i1"], delta["h1"] + delta["h2"]
    for w in ("w1", "w2", "w3", "w4"):
        unit, x = SLOT[swap.get(w, w)]
        v[f"dE_total/d{w}"] = delta[unit] * out[x]
        v[f"{w}+"] = step(s[w], v[f"dE_total/d{w}"])
    return {q: v[q] for q in NAMES}


def written(x: float, digits: int, cut: bool) -> str:
    """x as a student writes it: `digits` significant digits, rounded or cut off."""
    if not cut:
        return f"{x:.{digits}g}"
    d = Decimal(x)
    return format(d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), ROUND_DOWN), "f")


def slips(text: str) -> list[str]:
    """text with two adjacent, different digits of its mantissa swapped, every way."""
    mantissa = text.lower().split("e")[0]
    return [text[:i] + text[i + 1] + text[i] + text[i + 2:] for i in range(len(mantissa) - 1)
            if mantissa[i:i + 2].isdigit() and mantissa[i] != mantissa[i + 1]]


def wrong_lr(s: dict, k: int) -> float:
    """The η a student uses instead of theirs: the slides' 0.5 or twice theirs."""
    return (DECK_LR, 2 * s["lr"])[k % 2]


def planted(s: dict, mistake: str, rng: random.Random, k: int) -> tuple[dict[str, str], str | None]:
    """(a full answer file of a student who makes `mistake`, the first quantity it changes)."""
    digits, cut = rng.randint(4, 9), rng.random() < 0.3
    true = learner(s)
    if mistake == "learning-rate":
        values = learner(s, lr=wrong_lr(s, k))
    elif mistake in FORMULA_MISTAKES:
        values = learner(s, mistake, rng.choice(["o1", "own"]))
    else:
        values = true
    texts = {q: written(x, digits, cut) for q, x in values.items()}
    if mistake == "digit-slip":
        q = rng.choice([q for q in NAMES if slips(texts[q])])
        texts[q] = rng.choice(slips(texts[q]))
        return texts, q
    return texts, next((q for q in NAMES if not math.isclose(values[q], true[q], rel_tol=1e-9, abs_tol=1e-12)), None)

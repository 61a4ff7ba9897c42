"""The network of the deck: sigmoid layers whose bias is one scalar shared by every unit."""
from __future__ import annotations

import json
import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from . import numbers
from .batches import check_batch, check_tensor
from .deck import DECK_SIZES, DECK_WEIGHTS


class SharedBiasLinear(nn.Linear):
    """net = x Wᵀ + b with weight W of shape (out, in) and ONE scalar bias b (shape ())
    shared by every unit, as b1 and b2 are on the slides: net_h1 = w1·i1 + w2·i2 + b1."""

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, bias=False, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.empty((), device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()  # weight ~ U(-1/√in, 1/√in), as nn.Linear
        if isinstance(self.bias, nn.Parameter):  # nn.Linear.__init__ calls us before bias exists
            bound = 1 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """net = x Wᵀ + b; x (..., in) of the layer's dtype (nn.Linear's shapes)."""
        weight = self.weight
        if not (torch.jit.is_tracing() or isinstance(x, torch.Tensor) and x.dtype == weight.dtype and x.dim()
                and x.shape[-1] == weight.shape[1]):  # a trace (TensorBoard's graph) checks nothing
            check_tensor("x", x, weight.dtype, weight.device, "the layer's")  # says what is wrong
            raise ValueError(f"x: expected shape (..., {self.in_features}), got {tuple(x.shape)}")
        return F.linear(x, weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias=shared"




SLIDE_NAMES = (*(f"w{i}" for i in range(1, 9)), "b1", "b2")  # the 2-2-2 network's parameters as the slides name them


def by_parameter(values: dict) -> dict:
    """A 2-2-2 weights file in the slides' names, {w1..w8, b1, b2: number}, as named_parameters()
    names to nested lists (w1, w2 into h1 and w3, w4 into h2 from i1, i2; w5..w8 likewise from
    h1, h2); any other dict as it is. ValueError naming a missing, unknown or non-number entry."""
    if not set(SLIDE_NAMES) & set(values):
        return values
    missing, unknown = [n for n in SLIDE_NAMES if n not in values], sorted(set(values) - set(SLIDE_NAMES))
    if missing or unknown:
        wrong = "; ".join(f"{what} {', '.join(names)}" for what, names in (("missing", missing), ("unknown", unknown))
                          if names)
        raise ValueError(f"the slides' names w1..w8, b1, b2 do not match: {wrong} "
                         "(a file uses these names or named_parameters()'s, not both)")
    v = {name: _slide_number(name, values[name]) for name in SLIDE_NAMES}
    rows = [[v[f"w{2 * j + 1}"], v[f"w{2 * j + 2}"]] for j in range(4)]  # into h1, h2, o1, o2
    return {"layers.0.weight": rows[:2], "layers.0.bias": v["b1"], "layers.1.weight": rows[2:], "layers.1.bias": v["b2"]}


def _slide_number(name: str, value) -> float:
    """One of w1..w8, b1, b2: a finite number, or its text as files write it (numbers.to_float)."""
    try:
        number = numbers.to_float(value) if isinstance(value, str) else value
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        raise ValueError(f"{name}: expected a finite number, got {json.dumps(value)}")
    return float(number)


def _has_bool(value) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(_has_bool(v) for v in value))


class BackpropNet(nn.Module):
    """A sigmoid MLP: out_0 = x, then for each layer l: net_l = out_{l-1} W_lᵀ + b_l,
    out_l = σ(net_l). The output layer is a sigmoid too, as in the deck.

    BackpropNet() is the deck's 2-2-2 network in float64 with w1..w8, b1, b2 as printed.
    Other sizes (or init="random") get nn.Linear's uniform init from a seeded generator.
    With shared_bias=False each unit has its own bias; at the deck's sizes they start at
    b1, b2 broadcast, so the network computes the same function as the deck's.
    """

    def __init__(
        self,
        sizes: Sequence[int] = DECK_SIZES,
        shared_bias: bool = True,
        *,
        init: str | None = None,  # "deck" | "random"; None: "deck" for sizes (2, 2, 2)
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ):
        super().__init__()
        sizes = tuple(int(n) for n in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be at least two positive widths, got {sizes}")
        init = init or ("deck" if sizes == DECK_SIZES else "random")
        if init not in ("deck", "random"):
            raise ValueError(f"init must be 'deck' or 'random', got {init!r}")
        if init == "deck" and sizes != DECK_SIZES:
            raise ValueError(f"the deck's weights are for sizes {DECK_SIZES}, got {sizes}")
        self.sizes = sizes
        self.shared_bias = shared_bias
        Layer = SharedBiasLinear if shared_bias else nn.Linear
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.layers = nn.ModuleList(
                Layer(n_in, n_out, device=device, dtype=dtype)
                for n_in, n_out in zip(sizes[:-1], sizes[1:])
            )
        if init == "deck":
            self.load_values(DECK_WEIGHTS)

    def forward(self, x: torch.Tensor, *, check: bool = True) -> torch.Tensor:
        """out_L for inputs x (B, sizes[0]) of the network's dtype and device (check=False: a
        hot loop whose data was checked once skips batches.check_batch)."""
        if check and not torch.jit.is_tracing():
            check_batch(self, x)
        out = x  # (B, sizes[0])
        for layer in self.layers:
            out = torch.sigmoid(layer(out))  # (B, n_l)
        return out  # (B, sizes[-1])

    @torch.no_grad()
    def load_values(self, values: dict) -> None:
        """Set parameters from {name: number or nested list}; a scalar fills a per-unit bias.
        The 2-2-2 network also takes the slides' names {w1..w8, b1, b2: number} (by_parameter).
        Raises ValueError naming the first missing, unknown or misshapen entry; every entry
        is checked before any is copied, so a failed load leaves the model unchanged."""
        if self.sizes == DECK_SIZES:
            values = by_parameter(values)
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(values))
        unknown = sorted(set(values) - set(params))
        if missing or unknown:
            raise ValueError(f"parameter names do not match the network: missing {missing}, unknown {unknown}")
        checked = {name: self._checked_value(name, p, values[name]) for name, p in params.items()}
        for name, p in params.items():
            p.copy_(checked[name].expand_as(p))

    def _checked_value(self, name: str, p: torch.Tensor, value) -> torch.Tensor:
        if _has_bool(value):
            raise ValueError(f"{name}: true/false is not a number")
        try:
            v = torch.as_tensor(value, dtype=p.dtype, device=p.device)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"{name}: not a numeric array ({e})") from None
        if v.shape != p.shape and not (v.dim() == 0 and not self.shared_bias and name.endswith("bias")):
            raise ValueError(f"{name}: expected shape {list(p.shape)}, got {list(v.shape)}")
        if not torch.isfinite(v).all():
            raise ValueError(f"{name}: values must be finite")
        return v

    def scalar_names(self) -> list[str]:
        """One name per scalar parameter, in named_parameters() order, element by element.

        The deck's shape uses the slides' names w1..w8, b1, b2 (b1, b2 also for per-unit
        biases: "b1[2]"). Other shapes: "L{l}.w{j}_{k}" for the weight from input k to unit j
        of layer l, "L{l}.b" for a shared bias, "L{l}.b{j}" for a per-unit one (all 1-based)."""
        names: list[str] = []
        slide = self.sizes == DECK_SIZES
        for l, layer in enumerate(self.layers, start=1):
            n_out, n_in = layer.weight.shape
            if slide:
                first = 1 + 4 * (l - 1)
                names += [f"w{first + j * n_in + k}" for j in range(n_out) for k in range(n_in)]
                names += [f"b{l}"] if self.shared_bias else [f"b{l}[{j + 1}]" for j in range(n_out)]
            else:
                names += [f"L{l}.w{j + 1}_{k + 1}" for j in range(n_out) for k in range(n_in)]
                names += [f"L{l}.b"] if self.shared_bias else [f"L{l}.b{j + 1}" for j in range(n_out)]
        return names

"""Hypothesis-drawn networks in batches, for the checks that need a thousand of them in a second.

Like test_gradients.networks_and_data (1 to 4 layers, widths 1 to 6, batch 1 to 8, shared or
per-unit biases, weights N(0, scale²) with scale 0.5, 1 or 3), but each example draws one shape
and COUNT networks of it, each from its own drawn seed and scale: building a BackpropNet inside
a hypothesis example costs ~1.5 ms (torch.manual_seed records the deep stack), so one model per
example is reloaded for each network.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from hypothesis import strategies as st
from tolerances import DTYPE

from torch_bp import BackpropNet

COUNT = 25  # networks per example: 40 examples draw 1,000 networks


@dataclass
class NetworkBatch:
    model: BackpropNet
    draws: list[tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]]  # (parameters, inputs, targets)

    def __iter__(self):
        """(model, inputs, targets) for each network, its parameters loaded into the one model."""
        for params, inputs, targets in self.draws:
            with torch.no_grad():
                for p, value in zip(self.model.parameters(), params):
                    p.copy_(value)
            yield self.model, inputs, targets

    def __repr__(self) -> str:
        m = self.model
        return f"NetworkBatch(sizes={m.sizes}, shared_bias={m.shared_bias}, {len(self.draws)} networks)"


@st.composite
def network_batches(draw, count: int = COUNT) -> NetworkBatch:
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=5))
    shared = draw(st.booleans())
    batch = draw(st.integers(1, 8))
    seeds = draw(st.lists(st.tuples(st.integers(0, 2**31 - 1), st.sampled_from([0.5, 1.0, 3.0])),
                          min_size=count, max_size=count))
    model = BackpropNet(sizes, shared_bias=shared, init="random")
    draws = []
    for seed, scale in seeds:  # 3.0 reaches sigmoid's flat tails
        g = torch.Generator().manual_seed(seed)
        params = [scale * torch.randn(p.shape, generator=g, dtype=DTYPE) for p in model.parameters()]
        draws.append((params, torch.randn(batch, sizes[0], generator=g, dtype=DTYPE),
                      torch.rand(batch, sizes[-1], generator=g, dtype=DTYPE)))
    return NetworkBatch(model, draws)


@contextlib.contextmanager
def one_thread():
    """torch on one thread: on tensors this small, its threads only add overhead (on a loaded
    2-core machine, exp and cos of a few thousand numbers take 1 ms instead of 30 µs)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)

"""Hypothesis strategies the tests share."""
import torch
from hypothesis import strategies as st
from tolerances import DTYPE

from torch_bp import BackpropNet


# Random networks: 1 to 4 layers, widths 1 to 6, batch 1 to 8, shared or per-unit biases,
# weights and data drawn by a seeded generator (hypothesis draws the seed).
@st.composite
def networks_and_data(draw):
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=5))
    shared = draw(st.booleans())
    batch = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([0.5, 1.0, 3.0]))  # 3.0 reaches sigmoid's flat tails
    g = torch.Generator().manual_seed(seed)
    model = BackpropNet(sizes, shared_bias=shared, seed=seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=DTYPE))
    inputs = torch.randn(batch, sizes[0], generator=g, dtype=DTYPE)
    targets = torch.rand(batch, sizes[-1], generator=g, dtype=DTYPE)
    return model, inputs, targets

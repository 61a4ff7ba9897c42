"""torch_bp: the classic backpropagation worked example, in PyTorch, checked against autograd."""
from .chain_rule import LayerTrace, Trace, backprop, manual_gradients
from .loss import half_sse, half_sse_terms
from .model import BackpropNet, SharedBiasLinear
from .seed import SEED_INPUTS, SEED_LR, SEED_TARGETS

__version__ = "0.1.0"

__all__ = [
    "BackpropNet", "SharedBiasLinear",
    "half_sse", "half_sse_terms",
    "backprop", "manual_gradients", "Trace", "LayerTrace",
    "SEED_INPUTS", "SEED_TARGETS", "SEED_LR",
]

"""torch_bp: the classic backpropagation worked example, in PyTorch, checked against autograd."""
from .chain_rule import LayerTrace, Trace, backprop, manual_gradients
from .deck import DECK_INPUTS, DECK_LR, DECK_TARGETS
from .loss import half_sse, half_sse_terms
from .model import BackpropNet, SharedBiasLinear

__version__ = "0.1.0"

__all__ = [
    "BackpropNet", "SharedBiasLinear",
    "half_sse", "half_sse_terms",
    "backprop", "manual_gradients", "Trace", "LayerTrace",
    "DECK_INPUTS", "DECK_TARGETS", "DECK_LR",
]

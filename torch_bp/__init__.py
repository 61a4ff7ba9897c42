"""torch_bp: the classic backpropagation worked example, in PyTorch, checked against autograd.

The package is laid out as its layers; imports point down only (import-linter checks it):

    core/      the lesson: the deck's numbers, the network, the error, the chain rule by hand,
               SGD and the data. Imports nothing else of torch_bp.
    explain/   the worked example line by line against the slides, a learner's working checked
    training/  runs and sweeps: configs, the loop, logs, TensorBoard, checkpoints
    viz/       pictures: the network, a run's curves, a sweep
    cli/       the commands: flags, one-line errors, exit statuses

The public API is below; everything else is reachable by its module.
"""
from .core.chain_rule import LayerTrace, Trace, backprop, manual_gradients
from .core.deck import DECK_INPUTS, DECK_LR, DECK_TARGETS
from .core.loss import half_sse, half_sse_terms
from .core.model import BackpropNet, SharedBiasLinear

__version__ = "0.1.0"

__all__ = ["BackpropNet", "SharedBiasLinear", "half_sse", "half_sse_terms", "backprop", "manual_gradients",
           "Trace", "LayerTrace", "DECK_INPUTS", "DECK_TARGETS", "DECK_LR"]

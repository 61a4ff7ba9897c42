"""torch_bp: the classic backpropagation worked example, in PyTorch, checked against autograd.

Names are loaded on first use (PEP 562): `import torch_bp.run.signals` does not import torch,
so a script catches signals before torch loads.
"""
import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "BackpropNet": "model", "SharedBiasLinear": "model",
    "half_sse": "loss", "half_sse_terms": "loss",
    "backprop": "chain_rule", "manual_gradients": "chain_rule", "Trace": "chain_rule", "LayerTrace": "chain_rule",
    "DECK_INPUTS": "deck", "DECK_TARGETS": "deck", "DECK_LR": "deck",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_EXPORTS])

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


def _lazy_exports(package: str, exports: dict[str, str]):
    """A package's __getattr__ and __dir__ that import exports[name]'s module on first use."""
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{exports[name]}", package), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__():
        return sorted({*vars(importlib.import_module(package)), *exports})
    return __getattr__, __dir__


__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)

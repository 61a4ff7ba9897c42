"""The one check at the public entry points (the model's forward, backprop, manual_gradients,
the loss): a batch is a tensor of rows, (B, n), of the network's dtype and on its device.

A mistake gets a TypeError (not a tensor, another dtype) or a ValueError (another shape, an
empty batch, another device) that says what was expected and what was given, instead of
torch's "mat1 and mat2 must have the same dtype" or an IndexError deep in the chain rule.
Hot loops (a run's rounds, a sweep's) check their data once and then skip it (check=False).
"""
from __future__ import annotations

import torch


def _shape(x: torch.Tensor) -> str:
    return f"({', '.join(map(str, x.shape))})"


def check_tensor(name: str, x, dtype: torch.dtype | None = None, device: torch.device | None = None,
                 whose: str = "the network's") -> None:
    """TypeError unless `x` is a floating-point tensor (of `dtype`, if given); ValueError if it
    is on another device than `device`; `whose`: where dtype and device come from."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name}: expected {dtype} ({whose}), got {x.dtype}; "
                        f"convert with {name}.to({dtype})")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got {x.dtype}")
    if device is not None and x.device != device:
        raise ValueError(f"{name}: expected a tensor on {device} ({whose}), got one on {x.device}")


def check_rows(name: str, x, width: int, dtype: torch.dtype | None = None, device: torch.device | None = None,
               stacked: int | None = None, whose: str = "the network's") -> None:
    """`x` is a batch of rows of `width` values: shape (B, width) with B >= 1; N stacked
    networks (stacked=N) also take (N, B, width)."""
    check_tensor(name, x, dtype, device, whose)
    wanted = f"(B, {width})" + ("" if stacked is None else f" or ({stacked}, B, {width})")
    fits = x.dim() == 2 or (stacked is not None and x.dim() == 3 and x.shape[0] == stacked)
    if not fits or x.shape[-1] != width:
        raise ValueError(f"{name}: expected shape {wanted}, got {_shape(x)}"
                         + ("; one row is x.unsqueeze(0)" if x.dim() == 1 and x.shape[0] == width else ""))
    if x.shape[-2] == 0:
        raise ValueError(f"{name}: expected at least one row, got shape {_shape(x)}")


def check_batch(model, inputs, targets=None) -> None:
    """inputs (B, n_0) and targets (B, n_L) as `model` (a BackpropNet, or N stacked ones:
    every weight (N, n_l, n_{l-1})) takes them: its dtype, its device, its widths."""
    first, last = model.layers[0].weight, model.layers[-1].weight
    stacked = first.shape[0] if first.dim() == 3 else None
    check_rows("inputs", inputs, first.shape[-1], first.dtype, first.device, stacked)
    if targets is None:
        return
    check_rows("targets", targets, last.shape[-2], first.dtype, first.device, stacked)
    if targets.shape[-2] != inputs.shape[-2]:
        raise ValueError(f"targets: expected {inputs.shape[-2]} rows (as the inputs), got {targets.shape[-2]}")


def check_pair(outputs, targets) -> None:
    """outputs and targets of the error: tensors of one dtype, device and shape (B, n_out)."""
    check_tensor("outputs", outputs)
    if outputs.dim() != 2:
        raise ValueError(f"outputs: expected shape (B, n_out), got {_shape(outputs)}")
    check_rows("outputs", outputs, outputs.shape[1])  # at least one row
    check_rows("targets", targets, outputs.shape[1], outputs.dtype, outputs.device, whose="the outputs'")
    if targets.shape[0] != outputs.shape[0]:
        raise ValueError(f"targets: expected {outputs.shape[0]} rows (as the outputs), got {targets.shape[0]}")

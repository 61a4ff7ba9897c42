"""Checkpoints: plain data (tensors, numbers, strings) that torch.load(weights_only=True) reads,
written atomically so a crash mid-save leaves the previous checkpoint whole."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

FORMAT = "torch_bp.checkpoint/1"


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save({"format": FORMAT, **state}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint as data only; ValueError if it is not a whole torch_bp checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(f"{path}: not a checkpoint of plain data (torch.load(weights_only=True) refused it)") from None
    except Exception as e:  # truncated, not a torch file at all, ...
        raise ValueError(f"{path}: not a readable checkpoint ({type(e).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a torch_bp checkpoint")
    missing = {"round", "model", "optimizer", "data_order", "config"} - set(state)
    if missing:
        raise ValueError(f"{path}: checkpoint lacks {sorted(missing)}")
    return state

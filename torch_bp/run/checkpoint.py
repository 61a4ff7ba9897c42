"""Checkpoints: plain data (tensors, numbers, strings) that torch.load(weights_only=True) reads,
written atomically so a crash mid-save leaves the previous checkpoint whole."""
from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

import torch

from .config import DECIDING

FORMAT = "torch_bp.checkpoint/1"
# the settings that decide a run's numbers (which a resumed run takes from its checkpoint), and its folder
REQUIRED_CONFIG = {*DECIDING, "logdir"}


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
        with warnings.catch_warnings():  # torch warns about plain pickles before refusing them
            warnings.simplefilter("ignore")
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
    if isinstance(state["round"], bool) or not isinstance(state["round"], int) or state["round"] < 0:
        raise ValueError(f"{path}: checkpoint's round is {state['round']!r}, not a count of rounds")
    if not isinstance(state["config"], dict) or not REQUIRED_CONFIG <= set(state["config"]):
        raise ValueError(f"{path}: checkpoint's config lacks some of {sorted(REQUIRED_CONFIG)}")
    if not isinstance(state["model"], dict) or not all(isinstance(v, torch.Tensor) for v in state["model"].values()):
        raise ValueError(f"{path}: checkpoint's model is not a state_dict of tensors")
    return state

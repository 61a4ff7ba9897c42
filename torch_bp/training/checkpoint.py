"""Checkpoints: plain data (tensors, numbers, strings) that torch.load(weights_only=True) reads,
sealed with a SHA-256 and written atomically, so a crash mid-save leaves the previous checkpoint
whole and a damaged file (a flipped bit, a cut) is refused before anything of it is trusted.

The file is torch.save's zip with the zip's archive comment set to "torch_bp sha256 <hex>",
the SHA-256 of every byte before the comment (torch.load and zipfile ignore the comment).
"""
from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import struct
import warnings
from pathlib import Path

import torch

from torch_bp.core.files import atomic_write

from .config import RULES
from .resume import DECIDING, NEWER

FORMAT = "torch_bp.checkpoint/1"
# the settings that decide a run's numbers (which a resumed run takes from its checkpoint), and its folder
REQUIRED_CONFIG = {*DECIDING, "logdir"} - set(NEWER)
SEAL = b"torch_bp sha256 "
SEAL_LEN = len(SEAL) + 64         # the archive comment: prefix + hex digest
EOCD = b"PK\x05\x06"              # the zip's end-of-central-directory record, 22 bytes + comment
GENERATOR_STATE_BYTES = torch.Generator().get_state().numel()


def seal(zip_bytes: bytes) -> bytes:
    """torch.save's bytes with the SHA-256 archive comment added."""
    if zip_bytes[-22:-18] != EOCD or zip_bytes[-2:] != b"\0\0":
        raise ValueError("torch.save did not end its zip with a comment-less end record")
    body = zip_bytes[:-2] + struct.pack("<H", SEAL_LEN)
    return body + SEAL + hashlib.sha256(body).hexdigest().encode()


def unseal(data: bytes, path) -> bytes:
    """The zip, if the file's SHA-256 matches the one sealed in it; ValueError if not."""
    if len(data) < 22 + SEAL_LEN or not data[-SEAL_LEN:].startswith(SEAL):
        raise ValueError(f"{path}: not a whole torch_bp checkpoint (cut short, damaged, or written "
                         "without a checksum)")
    if hashlib.sha256(data[:-SEAL_LEN]).hexdigest().encode() != data[-64:]:
        raise ValueError(f"{path}: the checkpoint is damaged (its SHA-256 does not match the one saved in it)")
    return data[:-SEAL_LEN]


write_atomic = atomic_write  # the one atomic-replace helper (torch_bp.core.files)


def nonfinite_entries(state: dict) -> list[str]:
    """Names of the model's and optimizer's floating tensors that hold a NaN or an infinity."""
    def finite(v):
        return not (torch.is_tensor(v) and v.is_floating_point()) or bool(torch.isfinite(v).all())

    model = state.get("model")
    bad = [f"model {k}" for k, v in model.items() if not finite(v)] if isinstance(model, dict) else []
    per_param = state.get("optimizer", {}).get("state", {}) if isinstance(state.get("optimizer"), dict) else {}
    for k, entries in per_param.items() if isinstance(per_param, dict) else ():
        if isinstance(entries, dict):
            bad += [f"optimizer state {k}.{name}" for name, v in entries.items() if not finite(v)]
    return bad


class NonFiniteState(ValueError):
    """A checkpoint would hold NaN or infinite numbers: it is not written."""


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Seal `state` and write it atomically over `path`, never with non-finite numbers in it
    (NonFiniteState: the previous checkpoint at `path` stays as it was)."""
    bad = nonfinite_entries(state)
    if bad:
        raise NonFiniteState(f"{path}: not saved, the run's {bad[0]} holds NaN or infinite "
                             "values; the previous checkpoint is kept")
    buf = io.BytesIO()
    torch.save({"format": FORMAT, **state}, buf)
    write_atomic(path, seal(buf.getvalue()))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint as data only; ValueError if it is not a whole, well-formed torch_bp
    checkpoint: its SHA-256 first, then every value's type, range and finiteness."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror or e})") from None
    zip_bytes = unseal(data, path)
    try:
        with warnings.catch_warnings():  # torch warns about plain pickles before refusing them
            warnings.simplefilter("ignore")
            state = torch.load(io.BytesIO(zip_bytes), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(f"{path}: not a checkpoint of plain data (torch.load(weights_only=True) refused it)") from None
    except Exception as e:  # not a torch file at all, ...
        raise ValueError(f"{path}: not a readable checkpoint ({type(e).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a torch_bp checkpoint")
    missing = {"round", "model", "optimizer", "data_order", "config"} - set(state)
    if missing:
        raise ValueError(f"{path}: checkpoint lacks {sorted(missing)}")
    problem = _check_contents(state)
    if problem:
        raise ValueError(f"{path}: checkpoint's {problem}")
    return state


# ---- what a checkpoint's values may be ---------------------------------------------------------

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# config key: (what it must be, the check), the configs' own rules; keys not listed (meta, ...)
# are not used on resume
CONFIG_TYPES = {key: RULES[key] for key in (*DECIDING, "logdir", "steps", "log_interval", "target_loss",
                                            "save_interval", "check_grads", "graph", "sharpness_interval")}


def _check_contents(state: dict) -> str | None:
    """What is wrong with a loaded checkpoint's values (None: nothing), as 'its <part> ...'."""
    if not _is_int(state["round"]) or state["round"] < 0:
        return f"round is {state['round']!r}, not a count of rounds"
    config = state["config"]
    if not isinstance(config, dict) or not REQUIRED_CONFIG <= set(config):
        return f"config lacks some of {sorted(REQUIRED_CONFIG)}"
    for key, (what, ok) in CONFIG_TYPES.items():
        if key in config and not ok(config[key]):
            return f"config {key} is {config[key]!r}, not {what}"
    model = state["model"]
    if not isinstance(model, dict) or not model or not all(
            isinstance(k, str) and torch.is_tensor(v) and v.is_floating_point() for k, v in model.items()):
        return "model is not a state_dict of floating-point tensors"
    optimizer = state["optimizer"]
    if not isinstance(optimizer, dict):
        return "optimizer state is not a dict"
    if config["backend"] == "autograd" and not (
            isinstance(optimizer.get("state"), dict) and isinstance(optimizer.get("param_groups"), list)
            and optimizer["param_groups"]
            and all(isinstance(g, dict) and isinstance(g.get("params"), list) and _is_number(g.get("lr"))
                    for g in optimizer["param_groups"])):
        return "optimizer state is not torch.optim.SGD's (state and param_groups with params and lr)"
    if config["backend"] == "manual" and optimizer:
        return "optimizer state is not empty, as plain SGD's is"
    bad = nonfinite_entries(state)
    if bad:
        return f"{bad[0]} holds NaN or infinite values"
    order = state["data_order"]
    if not isinstance(order, dict) or not {"generator", "order", "pos"} <= set(order):
        return "data-order state lacks some of ['generator', 'order', 'pos']"
    gen = order["generator"]
    if not (torch.is_tensor(gen) and gen.dtype == torch.uint8 and gen.shape == (GENERATOR_STATE_BYTES,)):
        return f"data-order generator state is not {GENERATOR_STATE_BYTES} bytes (torch.Generator's state)"
    if order["order"] is not None and not (torch.is_tensor(order["order"]) and order["order"].dtype == torch.int64
                                           and order["order"].dim() == 1):
        return "data-order state's order is not a list of row numbers"
    if not _is_int(order["pos"]) or order["pos"] < 0:
        return f"data-order position is {order['pos']!r}, not a row number"
    return None

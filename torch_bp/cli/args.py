"""What the scripts share: argparse with one-line errors, and argument types that say why."""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

from torch_bp.core import numbers


class InputError(ValueError):
    """Bad input from the user: reported as one line on stderr, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with defaults in --help and ONE line on stderr for a bad flag (exit 2)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def explicit(self, argv) -> set[str]:
        """The dests the user set on the command line (not left at their defaults)."""
        saved = {a.dest: a.default for a in self._actions}
        try:
            for a in self._actions:
                a.default = argparse.SUPPRESS
            return set(vars(self.parse_args(argv)))
        finally:
            for a in self._actions:
                a.default = saved[a.dest]


def fail(prog: str, message: str, status: int = 2) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number > 0")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer >= 1")
    return value


def path_arg(text: str) -> str:
    """A file or folder name: not empty (an empty one would read as "not given")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return text


def seed_int(text: str) -> int:
    """A seed for torch.Generator: an integer in [0, 2**63)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} must be in [0, 2**63)")
    return value


def positive_int_list(text: str) -> tuple[int, ...]:
    """'16,256' -> (16, 256): one or more integers >= 1."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every value must be >= 1")
    return values


def int_list(text: str) -> tuple[int, ...]:
    """'2,3,2' -> (2, 3, 2): at least two positive widths."""
    values = positive_int_list(text)
    if len(values) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} needs at least two widths")
    return values



def read_json_object(path: str, flag: str, keys: str = "parameter names") -> dict:
    """numbers.read_json_object, as bad input (InputError)."""
    try:
        return numbers.read_json_object(path, flag, keys)
    except ValueError as e:
        raise InputError(str(e)) from None

def float_list(text: str) -> tuple[float, ...]:
    """'0.05,0.10' -> (0.05, 0.1): finite numbers."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{text!r} must hold finite numbers")
    return values


def check_device(text: str) -> str:
    """A torch device this machine can train on ('cpu', 'cuda', 'cuda:1', 'mps', ...); ValueError if not."""
    import torch  # not at import time: the scripts parse their flags before torch loads
    try:
        with warnings.catch_warnings():  # e.g. 'mkldnn': a deprecation warning, then a device torch cannot use
            warnings.simplefilter("ignore")
            device = torch.device(text)
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"{text!r}: {str(e).splitlines()[0]}") from None
    if device.type == "meta":
        raise ValueError("meta: tensors there hold no values to train")
    try:  # a build without the device's backend fails here in many ways (AssertionError, ImportError, ...)
        available = {"cpu": lambda: True, "cuda": torch.cuda.is_available,
                     "mps": torch.backends.mps.is_available}.get(device.type, lambda: False)()
        if available:
            torch.empty(0, device=device)
    except Exception:  # noqa: BLE001 - which exception depends on the build; the message is the same
        available = False
    if not available:
        raise ValueError(f"{text!r}: not a device this machine's torch can use")
    return text


def device_arg(text: str) -> str:
    """check_device as an argparse type."""
    try:
        return check_device(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None

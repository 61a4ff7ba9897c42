"""What a handout (explain.py's markdown and HTML) states about itself: the setting it is of
(weights, inputs, targets, η) and the exact command that made it, so a reader can make it again.
No absolute paths: a handout goes to other machines (a path inside the working folder is kept
relative to it, any other cut to its file name)."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import torch

from torch_bp.core.model import BackpropNet

PROGRAM = ".venv/bin/python scripts/explain.py"


def _shareable(arg: str) -> str:
    """An argument with an absolute path in it ("/home/me/w.json", "--weights=/home/me/w.json")
    made relative to the working folder, or cut to its name if it lies outside."""
    flag, eq, value = arg.rpartition("=") if arg.startswith("--") and "=" in arg else ("", "", arg)
    path = Path(value)
    if not path.is_absolute():
        return arg
    try:
        shown = path.relative_to(Path.cwd())
    except ValueError:
        shown = Path(path.name)
    return f"{flag}{eq}{shown}"


def command(argv) -> str:
    """The command as typed (argv, or sys.argv[1:]), shell-quoted, without absolute paths."""
    given = sys.argv[1:] if argv is None else [str(a) for a in argv]
    return " ".join([PROGRAM, *(shlex.quote(_shareable(a)) for a in given)])


def _exact(values) -> str:
    return ", ".join(repr(float(v)) for v in values)


def setting(weights: dict | None, weights_file: str | None, inputs, targets, lr: float) -> str:
    """"Weights (the deck's): w1..w8 = 0.15, …; b1 = 0.35, b2 = 0.6. Inputs 0.05, 0.1; targets
    0.01, 0.99; η = 0.5." Every number as float64 holds it (the shortest text that reads back)."""
    model = BackpropNet()
    if weights is not None:
        model.load_values(weights)
    value = dict(zip(model.scalar_names(), torch.cat([p.detach().flatten() for p in model.parameters()]).tolist()))
    whose = "the deck's" if weights is None else f"from {_shareable(str(Path(weights_file).absolute()))}"
    return (f"Weights ({whose}): w1..w8 = {_exact(value[f'w{i}'] for i in range(1, 9))}; "
            f"b1 = {_exact([value['b1']])}, b2 = {_exact([value['b2']])}. "
            f"Inputs i1, i2 = {_exact(inputs)}; targets {_exact(targets)}; η = {_exact([lr])}.")

"""The settings of a run and of a sweep: frozen dataclasses, and every rule checked once, here.

RunConfig holds what a run and a sweep share; TrainConfig and SweepConfig add their own. Each
rule (what a setting may be) lives in RULES, the one table the configs, the command line's
argument types and a checkpoint's stored settings are all checked against. A bad setting
raises ConfigError naming the field (`batch_size`): the library speaks field names, and only
torch_bp.cli turns one into its flag (`--batch-size`).
"""
from __future__ import annotations

import dataclasses
import enum
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from torch_bp.core.data import DATASETS
from torch_bp.core.deck import DECK_LR, DECK_SIZES
from torch_bp.core.sgd import BACKENDS

DRY_RUN_STEPS = 3
NAME_MAX = 255  # bytes in one part of a path (a file or folder's own name), as Linux's file systems allow


class ConfigError(ValueError):
    """A setting that cannot be. `field` is its name in the config; `detail` says why; `hint`,
    if any, is (a field, a value) that would do. str(): "batch_size must be ..."."""

    def __init__(self, field: str, detail: str, hint: tuple[str, str] | None = None):
        self.field, self.detail, self.hint = field, detail, hint
        super().__init__(self.render())

    def render(self, name: Callable[[str], str] = str) -> str:
        """The message, each field called name(field) (the command line passes its flag)."""
        sep = "" if self.detail.startswith(":") else " "
        hint = f"; try {name(self.hint[0])} {self.hint[1]}" if self.hint else ""
        return f"{name(self.field)}{sep}{self.detail}{hint}"


# ---- the rules: field -> (what it must be, the check) ----------------------------------------

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _count(v) -> bool:
    return _is_int(v) and v >= 1


def _optional(check: Callable) -> Callable:
    return lambda v: v is None or check(v)


def _text(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _path(v) -> bool:
    """A file or folder name whose every part fits a file system's name (255 bytes): a longer
    one can only fail later, mid-run, as "File name too long"."""
    return _text(v) and all(len(os.fsencode(part)) <= NAME_MAX for part in Path(v).parts)


def _flag(v) -> bool:
    return isinstance(v, bool)


def _row(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) >= 1 and all(_is_number(x) for x in v)


RULES: dict[str, tuple[str, Callable]] = {
    "steps": ("an integer >= 1", _count),
    "lr": ("a finite number > 0", lambda v: _is_number(v) and v > 0),
    "backend": (f"one of {', '.join(BACKENDS)}", lambda v: v in BACKENDS),
    "train_bias": ("true or false", _flag),
    "sizes": ("a list of at least two widths >= 1",
              lambda v: isinstance(v, (list, tuple)) and len(v) >= 2 and all(_count(w) for w in v)),
    "per_unit_bias": ("true or false", _flag),
    "init": ("a file name (each part at most 255 bytes) or null", _optional(_path)),
    "dataset": (f"one of {', '.join(DATASETS)}", lambda v: v in DATASETS),
    "data": ("a file name (each part at most 255 bytes) or null", _optional(_path)),
    "inputs": ("a list of finite numbers (one row) or null", _optional(_row)),
    "targets": ("a list of finite numbers (one row) or null", _optional(_row)),
    "batch_size": ("an integer >= 1 or null", _optional(_count)),
    "shuffle": ("true or false", _flag),
    "seed": ("an integer in [0, 2**63)", lambda v: _is_int(v) and 0 <= v < 2**63),
    "logdir": ("a folder name (each part at most 255 bytes) or null", _optional(_path)),
    "log_interval": ("an integer >= 1 or null", _optional(_count)),
    "target_loss": ("a finite number > 0 or null", _optional(lambda v: _is_number(v) and v > 0)),
    "device": ("a device name", _text),
    "check_grads": ("true or false", _flag),
    "dry_run": ("true or false", _flag),
    "save_model": ("a file name (each part at most 255 bytes) or null", _optional(_path)),
    "save_interval": ("an integer >= 1 or null", _optional(_count)),
    "resume": ("a file name (each part at most 255 bytes) or null", _optional(_path)),
    "graph": ("true or false", _flag),
    "sharpness_interval": ("an integer >= 0 (0: off)", lambda v: _is_int(v) and v >= 0),
    "sharpness": ("true or false", _flag),
}


def check_value(name: str, value) -> None:
    """ConfigError unless `value` is what setting `name` may be (RULES)."""
    what, ok = RULES[name]
    if not ok(value):
        raise ConfigError(name, f"must be {what}, got {value!r}")


# ---- the configs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RunConfig:
    """What a run and a sweep share; a step is a round: one update."""
    steps: int = 10_000              # rounds in the whole run; one round = one update
    train_bias: bool = False         # update b1, b2 too (the deck's table keeps them fixed)
    sizes: tuple = DECK_SIZES        # layer widths, inputs first
    per_unit_bias: bool = False      # ordinary per-unit biases instead of one per layer
    init: str | None = None          # JSON file of initial parameters; None: the deck's or seeded random
    dataset: str = "deck"            # built-in data: "deck" (the deck's one sample) or "xor"
    data: str | None = None          # CSV or JSON data file; overrides dataset
    inputs: tuple | None = None      # one row of inputs, with targets: the data instead of dataset or data
    targets: tuple | None = None     # that row's targets
    batch_size: int | None = None    # rows per round; None: all (batch gradient descent)
    shuffle: bool = False            # a new random order each epoch (else data order)
    logdir: str | None = None        # None: a new folder under runs/
    device: str = "cpu"
    target_loss: float | None = None  # stop (train) or count rounds (sweep) until E on all data <= this
    meta: dict = field(default_factory=dict)  # versions, data hash: filled in by the run

    EACH, MOST = {}, {}  # fields that hold several values, each checked by another field's rule; how many at most

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TrainConfig(RunConfig):
    """Every setting of a run; saved as config.json beside its logs."""
    lr: float = DECK_LR              # η
    backend: str = "manual"          # "manual": manual_gradients; "autograd": backward() + optim.SGD
    seed: int = 0                    # random seed: random init of other shapes, and the shuffle order
    log_interval: int | None = None  # log every n-th round (and rounds 1 and last); None: every round
    #                                  up to 10,000, then every 10th, 100th, ... a decade (folder.logged_rounds)
    check_grads: bool = False        # log max |autograd − manual| on every logged round
    dry_run: bool = False            # a few rounds, to check that everything works
    save_model: str | None = None    # checkpoint path, written at the end
    save_interval: int | None = None  # ... and every n rounds
    resume: str | None = None        # checkpoint to continue from
    graph: bool = False              # log the model graph (a TorchScript trace; the network picture says more)
    sharpness_interval: int = 1000   # log λ_max and 2/η at round 1 and every n-th (training/curvature.py); 0: off


@dataclass(frozen=True)
class SweepConfig(RunConfig):
    """Every setting of a sweep; saved as config.json beside its results. Network k of the
    sweep is the run TrainConfig(lr=lr[k % len(lr)], seed=seeds[k // len(lr)], ...) makes."""
    lr: tuple = (DECK_LR,)           # η of each network
    seeds: tuple = (0,)              # each seed trains every η
    log_interval: int = 10           # keep every network's error every n-th round (and rounds 1 and last)
    sharpness: bool = True           # λ_max of each network at its start and its end (results.csv)

    EACH = {"lr": "lr", "seeds": "seed"}
    MOST = {"lr": 1_000_000, "seeds": 10_000}  # values at most: bounds the work before anything is built


class Status(enum.Enum):
    """How a run ended."""
    FINISHED = "finished"        # all its rounds
    REACHED = "reached"          # the target loss, before its last round
    INTERRUPTED = "interrupted"  # a signal: stopped after the round it came in


def validate(cfg: RunConfig) -> RunConfig:
    """Check every setting that needs no file or device; the config, a dry run's applied.
    ConfigError names the first bad setting."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in cfg.EACH:
            if not isinstance(value, tuple) or not value:
                raise ConfigError(f.name, f"must be one or more values, got {value!r}")
            if len(value) > cfg.MOST[f.name]:
                raise ConfigError(f.name, f"{len(value):,} values, more than the {cfg.MOST[f.name]:,} a sweep takes")
            for v in value:
                check_value(cfg.EACH[f.name], v)
        elif f.name in RULES:
            check_value(f.name, value)
    for one, other in (("inputs", "targets"), ("targets", "inputs")):  # one row: both or neither
        if getattr(cfg, one) is not None and getattr(cfg, other) is None:
            raise ConfigError(one, f"needs a row of {other} too")
    if cfg.inputs is not None and cfg.data:
        raise ConfigError("inputs", "cannot be given with data: one row or a data file, not both")
    if isinstance(cfg, TrainConfig):
        if cfg.save_interval is not None and not cfg.save_model:
            raise ConfigError("save_interval", "needs save_model")
        for name in ("save_model", "resume"):  # a smoke test never touches a real run's files
            if cfg.dry_run and getattr(cfg, name):
                raise ConfigError(name, "cannot be given with a dry run, which writes only into its temporary "
                                  "folder (a real run's checkpoint is never a smoke test's)")
        if cfg.dry_run:
            cfg = dataclasses.replace(cfg, steps=min(cfg.steps, DRY_RUN_STEPS), graph=False)
    return cfg


def check_device(name: str) -> torch.device:
    """A torch device this machine can train on ('cpu', 'cuda', 'cuda:1', 'mps', ...); ConfigError if not."""
    try:
        with warnings.catch_warnings():  # e.g. 'mkldnn': a deprecation warning, then a device torch cannot use
            warnings.simplefilter("ignore")
            device = torch.device(name)
    except (RuntimeError, ValueError) as e:
        raise ConfigError("device", f"{name!r}: {str(e).splitlines()[0]}") from None
    if device.type == "meta":
        raise ConfigError("device", "meta: tensors there hold no values to train")
    try:  # a build without the device's backend fails here in many ways (AssertionError, ImportError, ...)
        available = {"cpu": lambda: True, "cuda": torch.cuda.is_available,
                     "mps": torch.backends.mps.is_available}.get(device.type, lambda: False)()
        if available:
            torch.empty(0, device=device)
    except Exception:  # noqa: BLE001 - which exception depends on the build; the message is the same
        available = False
    if not available:
        raise ConfigError("device", f"{name!r}: not a device this machine's torch can use")
    return device


def check_places(cfg: TrainConfig, is_log_file: Callable[[Path], bool]) -> None:
    """The settings that name a place: the checkpoint file can be written and is none of the
    files the run reads or logs to (is_log_file: the run folder's own files). ConfigError if not."""
    if cfg.save_model is None:
        return
    target = Path(cfg.save_model)
    if target.is_dir():
        raise ConfigError("save_model", f"{target}: is a directory")
    if not (target.parent.is_dir() and os.access(target.parent, os.W_OK)):
        raise ConfigError("save_model", f"{target}: cannot write in {target.parent}")
    for name in ("data", "init"):  # every path the run writes against every path it reads
        source = getattr(cfg, name)
        if source and same_file(target, Path(source)):
            raise ConfigError("save_model", f"{target}: is the {name} file; the checkpoint would replace it")
    if cfg.logdir is not None and same_file(target.parent, Path(cfg.logdir)) and is_log_file(target):
        raise ConfigError("save_model", f"{target}: is one of the run's own logs in {cfg.logdir}; "
                          "the checkpoint would replace it")


def same_file(a: Path, b: Path) -> bool:
    """Do two paths name one file (through links too), whether or not it exists yet?"""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False

"""A run's settings: one dataclass, checked field by field, and what a resumed run keeps.

Every check raises ValueError naming the setting as its command-line flag (`steps` is
`--steps`), so the same message serves the library and scripts/train.py.
"""
from __future__ import annotations

import dataclasses
import enum
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from torch_bp.core.deck import DECK_LR, DECK_SIZES

DRY_RUN_STEPS = 3
BACKEND_NAMES = ("manual", "autograd")  # torch_bp.core.sgd.BACKENDS
DATASET_NAMES = ("deck", "xor")         # torch_bp.core.data.DATASETS
# The settings that decide a run's numbers: a resumed run takes them from its checkpoint, and
# a caller that gives one of them with another value is refused.
DECIDING = ("lr", "backend", "train_bias", "sizes", "per_unit_bias", "init", "dataset", "data",
            "batch_size", "shuffle", "seed")
# Kept from the checkpoint unless given again: how far the run goes, and how it logs.
KEPT_UNLESS_GIVEN = ("steps", "log_interval", "target_loss")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a run; saved as config.json beside its logs. A step is a round: one update."""
    steps: int = 10_000              # rounds in the whole run; one round = one update
    lr: float = DECK_LR              # η
    backend: str = "manual"          # "manual": manual_gradients; "autograd": backward() + optim.SGD
    train_bias: bool = False         # update b1, b2 too (the deck's table keeps them fixed)
    sizes: tuple = DECK_SIZES        # layer widths, inputs first
    per_unit_bias: bool = False      # ordinary per-unit biases instead of one per layer
    init: str | None = None          # JSON file of initial parameters; None: the deck's or seeded random
    dataset: str = "deck"            # built-in data: "deck" (the deck's one sample) or "xor"
    data: str | None = None          # CSV or JSON data file; overrides dataset
    batch_size: int | None = None    # rows per round; None: all (batch gradient descent)
    shuffle: bool = False            # a new random order each epoch (else data order)
    seed: int = 0                    # random seed: random init of other shapes, and the shuffle order
    log_interval: int | None = None  # log every n-th round (and rounds 1 and last); None: every round
    #                                  up to 10,000, then every 10th, 100th, ... a decade (folder.logged_rounds)
    logdir: str | None = None        # None: a new folder under runs/
    check_grads: bool = False        # log max |autograd − manual| on every logged round
    dry_run: bool = False            # a few rounds, to check that everything works
    device: str = "cpu"
    save_model: str | None = None    # checkpoint path, written at the end
    save_interval: int | None = None  # ... and every n rounds
    resume: str | None = None        # checkpoint to continue from
    target_loss: float | None = None  # stop once the error on all data is <= this (logged rounds)
    graph: bool = False              # log the model graph (a TorchScript trace; the network picture says more)
    meta: dict = field(default_factory=dict)  # versions, data hash: filled in by the run

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Status(enum.Enum):
    """How a run ended."""
    FINISHED = "finished"        # all its rounds
    REACHED = "reached"          # the target loss, before its last round
    INTERRUPTED = "interrupted"  # a signal: stopped after the round it came in


def flag(name: str) -> str:
    """The command-line flag of a setting: "log_interval" -> "--log-interval"."""
    return "--" + name.replace("_", "-")


def _require(ok: bool, name: str, why: str) -> None:
    if not ok:
        raise ValueError(f"{flag(name)} {why}")


def validate(cfg: TrainConfig) -> TrainConfig:
    """Check every setting that needs no file or device; the config, dry-run applied.
    ValueError names the first bad setting."""
    _require(cfg.backend in BACKEND_NAMES, "backend", f"{cfg.backend!r}: choose from {sorted(BACKEND_NAMES)}")
    for name in ("steps", "log_interval"):
        value = getattr(cfg, name)
        _require((value is None and name == "log_interval") or (isinstance(value, int) and value >= 1),
                 name, f"must be >= 1, got {value}")
    _require(math.isfinite(cfg.lr) and cfg.lr > 0, "lr", f"must be a finite number > 0, got {cfg.lr}")
    if cfg.target_loss is not None:
        _require(math.isfinite(cfg.target_loss) and cfg.target_loss > 0, "target_loss",
                 f"must be a finite number > 0, got {cfg.target_loss}")
    if cfg.batch_size is not None:
        _require(cfg.batch_size >= 1, "batch_size", f"must be >= 1, got {cfg.batch_size}")
    if cfg.save_interval is not None:
        _require(cfg.save_interval >= 1 and bool(cfg.save_model), "save_interval",
                 "needs --save-model and must be >= 1")
    if cfg.data is None:
        _require(cfg.dataset in DATASET_NAMES, "dataset", f"{cfg.dataset!r}: choose from {sorted(DATASET_NAMES)}")
    _require(len(cfg.sizes) >= 2 and min(cfg.sizes) >= 1, "sizes", f"{cfg.sizes}: at least two widths >= 1")
    if cfg.dry_run:
        cfg = dataclasses.replace(cfg, steps=min(cfg.steps, DRY_RUN_STEPS), graph=False)
    return cfg


def check_places(cfg: TrainConfig) -> None:
    """The settings that name a place: the checkpoint file can be written and is none of the
    files the run reads or logs to, the device exists. ValueError if not."""
    from torch_bp.cli.args import check_device
    if cfg.save_model is not None:
        target = Path(cfg.save_model)
        _require(not target.is_dir(), "save_model", f"{target}: is a directory")
        _require(target.parent.is_dir() and os.access(target.parent, os.W_OK), "save_model",
                 f"{target}: cannot write in {target.parent}")
        for name in ("data", "init"):  # every path the run writes against every path it reads
            source = getattr(cfg, name)
            _require(not (source and _same_file(target, Path(source))), "save_model",
                     f"{target}: is the {flag(name)} file; the checkpoint would replace it")
        if cfg.logdir is not None:
            from .folder import is_log_file
            _require(not (_same_file(target.parent, Path(cfg.logdir)) and is_log_file(target)), "save_model",
                     f"{target}: is one of the run's own logs in {cfg.logdir}; the checkpoint would replace it")
    try:
        check_device(cfg.device)
    except ValueError as e:
        raise ValueError(f"--device {e}") from None


def _same_file(a: Path, b: Path) -> bool:
    """Do two paths name one file (through links too), whether or not it exists yet?"""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _same(key: str, a, b) -> bool:
    return (tuple(a) == tuple(b)) if key == "sizes" and a is not None and b is not None else a == b


def resumed(cfg: TrainConfig, saved: dict, given: set[str] | None = None) -> TrainConfig:
    """The settings of a run resumed from a checkpoint whose config is `saved`.

    The settings that decide the numbers (DECIDING) come from the checkpoint; one given with
    another value is refused (ValueError naming it). steps, log_interval and target_loss come
    from the checkpoint unless given; the run folder too, unless logdir is given.
    given: the settings the caller chose; None: those that differ from TrainConfig()'s defaults
    (so through the library, a default given on purpose reads as not given)."""
    if given is None:
        default = TrainConfig()
        given = {f.name for f in dataclasses.fields(cfg) if getattr(cfg, f.name) != getattr(default, f.name)}
    changes = {}
    for key in DECIDING:
        value = tuple(saved[key]) if key == "sizes" else saved[key]
        if key in given and not _same(key, getattr(cfg, key), value):
            raise ValueError(f"{flag(key)} {getattr(cfg, key)} differs from the checkpoint's {value}; "
                             "a resumed run keeps its settings")
        changes[key] = value
    for key in (*KEPT_UNLESS_GIVEN, "logdir"):
        if key not in given and key in saved:
            changes[key] = saved[key]
    return dataclasses.replace(cfg, **changes)


def is_own_run(cfg: TrainConfig, saved: dict) -> bool:
    """Does a resumed run continue in the checkpoint's own run folder (it still exists)?"""
    own = saved.get("logdir")
    return bool(own) and Path(own).is_dir() and (cfg.logdir is None or Path(cfg.logdir).resolve() == Path(own).resolve())

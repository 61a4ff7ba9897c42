"""What a resumed run keeps: the settings that decide its numbers come from its checkpoint, and
how far it goes, how it logs and where it checkpoints unless given again (training.config
holds what each setting may be; this, which of them a resume carries over)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .config import ConfigError, TrainConfig

# The settings that decide a run's numbers: a resumed run takes them from its checkpoint, and
# a caller that gives one of them with another value is refused.
DECIDING = ("lr", "backend", "train_bias", "sizes", "per_unit_bias", "init", "dataset", "data", "inputs",
            "targets", "batch_size", "shuffle", "seed")
NEWER = ("inputs", "targets")  # deciding settings older checkpoints lack: absent there means None
# Kept from the checkpoint unless given again: how far the run goes, and how it logs.
KEPT_UNLESS_GIVEN = ("steps", "log_interval", "target_loss", "check_grads", "sharpness_interval")
# A checkpoint written before a setting existed ran without it: these values, not the defaults.
BEFORE_IT_EXISTED = {"sharpness_interval": 0}
# Kept too, unless given, where the run goes on in its own folder: where it checkpoints (a
# resumed run that forgot them would end, when stopped again, with no checkpoint at all).
KEPT_IN_ITS_FOLDER = ("save_model", "save_interval")


def _same(a, b) -> bool:
    sequences = isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
    return tuple(a) == tuple(b) if sequences else a == b


def resumed(cfg: TrainConfig, saved: dict, given: set[str] | None = None) -> TrainConfig:
    """The settings of a run resumed from a checkpoint whose config is `saved`.

    The settings that decide the numbers (DECIDING) come from the checkpoint; one given with
    another value is refused (ConfigError naming it). steps, log_interval, target_loss,
    check_grads and sharpness_interval come from the checkpoint unless given (a checkpoint from
    before sharpness_interval existed: 0, BEFORE_IT_EXISTED); the run folder too, unless logdir is
    given, and then (in its own folder only) save_model and save_interval: a resumed run that is
    stopped again still checkpoints where the original did; a new folder's never overwrites it.
    given: the settings the caller chose; None: those that differ from TrainConfig()'s defaults
    (so through the library, a default given on purpose reads as not given)."""
    if given is None:
        default = TrainConfig()
        given = {f.name for f in dataclasses.fields(cfg) if getattr(cfg, f.name) != getattr(default, f.name)}
    changes = {}
    for key in DECIDING:
        value = saved.get(key) if key in NEWER else saved[key]
        value = tuple(value) if isinstance(value, list) else value
        if key in given and not _same(getattr(cfg, key), value):
            raise ConfigError(key, f"{getattr(cfg, key)} differs from the checkpoint's {value}; "
                              "a resumed run keeps its settings")
        changes[key] = value
    own_folder = "logdir" not in given and not cfg.dry_run  # a dry run writes only into its temporary folder
    kept = (*KEPT_UNLESS_GIVEN, "logdir", *(KEPT_IN_ITS_FOLDER if own_folder else ()))
    for key in kept:
        if key not in given and (key in saved or key in BEFORE_IT_EXISTED):
            changes[key] = saved.get(key, BEFORE_IT_EXISTED.get(key))
    return dataclasses.replace(cfg, **changes)


def is_own_run(cfg: TrainConfig, saved: dict) -> bool:
    """Does a resumed run continue in the checkpoint's own run folder (it still exists)?"""
    own = saved.get("logdir")
    return bool(own) and Path(own).is_dir() and (cfg.logdir is None or Path(cfg.logdir).resolve() == Path(own).resolve())

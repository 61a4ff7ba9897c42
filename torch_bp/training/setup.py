"""What a run and a sweep set up the same way: the data, the network, the metadata saved with
the settings, and the folder's name. Nothing is written here; every failure is a ConfigError
naming the setting."""
from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import torch

import torch_bp
from torch_bp.core.data import DATASETS, file_sha256, load_data
from torch_bp.core.deck import DECK_SIZES
from torch_bp.core.model import BackpropNet
from torch_bp.core.numbers import read_json_object

from .config import ConfigError, RunConfig, TrainConfig
from .dashboard import RUNS, SWEEPS

# sizes that fit the built-in data sets, suggested when the shape given does not fit
SUGGESTED_SIZES = {"deck": "2,2,2", "xor": "2,3,1"}


def run_data(cfg: RunConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The inputs (N, sizes[0]) and targets (N, sizes[-1]) the settings name, on the CPU."""
    n_out = cfg.sizes[-1]
    if cfg.data:
        try:
            inputs, targets = load_data(cfg.data, n_out)
        except ValueError as e:
            raise ConfigError("data", f"{cfg.data}: {e}") from None
    elif cfg.inputs is not None:
        inputs, targets = (torch.tensor([row], dtype=torch.float64) for row in (cfg.inputs, cfg.targets))
    else:
        inputs, targets = DATASETS[cfg.dataset]
    if inputs.shape[1] != cfg.sizes[0] or targets.shape[1] != n_out:
        source, value = (("data", cfg.data) if cfg.data else
                         ("inputs", ",".join(f"{v:g}" for v in cfg.inputs)) if cfg.inputs is not None else
                         ("dataset", cfg.dataset))
        hidden = ",".join(map(str, cfg.sizes[1:-1])) or "3"
        hint = SUGGESTED_SIZES.get(cfg.dataset) if source == "dataset" else None
        raise ConfigError(source, f"{value}: {inputs.shape[1]} inputs and {targets.shape[1]} targets per row do not fit "
                          f"the sizes {','.join(map(str, cfg.sizes))}",
                          ("sizes", hint or f"{inputs.shape[1]},{hidden},{targets.shape[1]}"))
    return inputs, targets


def initial_values(cfg: RunConfig) -> dict | None:
    """The init file's {parameter name: nested list}, or None for the network's own start."""
    if not cfg.init:
        return None
    try:
        return read_json_object(cfg.init)
    except ValueError as e:
        raise ConfigError("init", str(e)) from None


COPIES = 6  # float64 copies of a network a round holds at once: parameters, gradients, the trace's net and out, deltas, slack


def memory_estimate(sizes, networks: int = 1, rows: int = 1, logged: int = 0) -> int:
    """Bytes a run (or a sweep of `networks`) needs for its networks, about: COPIES float64
    copies of every parameter and of every unit's value per data row, and (a sweep) each
    network's error at `logged` rounds."""
    params = sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))
    return 8 * networks * (COPIES * (params + rows * sum(sizes)) + logged)


def check_memory(cfg: RunConfig, networks: int = 1, rows: int = 1, logged: int = 0) -> None:
    """ConfigError naming sizes, with the estimate, before a network too large for this
    machine's memory is allocated (an allocator traceback, or the OOM killer, otherwise)."""
    need = memory_estimate(cfg.sizes, networks, rows, logged)
    try:
        have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf: no bound known
        return
    if need > have:
        what = f"{networks:,} networks of " if networks > 1 else ""
        raise ConfigError("sizes", f"{','.join(map(str, cfg.sizes))}: {what}this shape need{'s' if networks == 1 else ''} about {need / 2**30:,.1f} GiB "
                          f"of memory, more than this machine's {have / 2**30:,.1f} GiB")


def build_model(cfg: RunConfig, seed: int, device, values: dict | None = None) -> BackpropNet:
    """The network a run of these settings starts from: the deck's weights for the deck's
    sizes, else seeded random ones; then `values` (initial_values) if given."""
    model = BackpropNet(cfg.sizes, shared_bias=not cfg.per_unit_bias, seed=seed, device=device)
    if values is not None:
        try:
            model.load_values(values)
        except ValueError as e:
            raise ConfigError("init", f"{cfg.init}: {e}") from None
    return model


def run_meta(cfg: RunConfig, rows: int, **more) -> dict:
    """The versions and inputs' hashes saved with the settings (config.json's "meta")."""
    return {"torch": torch.__version__, "torch_bp": torch_bp.__version__, "python": sys.version.split()[0],
            "data_sha256": file_sha256(cfg.data) if cfg.data else None,
            "init_sha256": file_sha256(cfg.init) if cfg.init else None, "rows": rows, **more}


def resolve_paths(cfg: RunConfig) -> RunConfig:
    """The settings with the data and init files' paths made absolute (links resolved): a run
    saved with them reads the same files from any working folder."""
    return dataclasses.replace(cfg, **{name: str(Path(getattr(cfg, name)).resolve())
                                       for name in ("data", "init") if getattr(cfg, name)})


def check_same_data(saved: dict, cfg: RunConfig) -> None:
    """A resumed run's data file is the one its checkpoint trained on: the SHA-256 saved with
    the checkpoint's settings decides. ConfigError naming data if not."""
    want = (saved.get("meta") or {}).get("data_sha256") if isinstance(saved.get("meta"), dict) else None
    got = cfg.meta.get("data_sha256")
    if cfg.data and want and got != want:
        raise ConfigError("data", f"{cfg.data}: changed since the checkpoint was written (its SHA-256 is "
                          f"{got[:12]}..., the checkpoint's data had {want[:12]}...); a resumed run trains on "
                          "the same numbers or not at all")


def saved_run_id(saved: dict) -> str | None:
    """The run id in a checkpoint's settings (None: a checkpoint from before run ids)."""
    meta = saved.get("meta")
    run_id = meta.get("run_id") if isinstance(meta, dict) else None
    return run_id if isinstance(run_id, str) else None


def name_parts(cfg: RunConfig) -> list[str]:
    """The settings in a folder's name, most telling first (TensorBoard cuts long run names at
    the end); not steps (a resumed run may go on); the seed where it decides the initial weights
    or the order."""
    data = Path(cfg.data).stem if cfg.data else "row" if cfg.inputs is not None else cfg.dataset
    if isinstance(cfg, TrainConfig):
        parts = [cfg.backend, f"lr{cfg.lr:g}", "-".join(map(str, cfg.sizes)), data]
    else:
        parts = ["sweep", f"{len(cfg.lr)}lr", f"{len(cfg.seeds)}seed", f"{cfg.steps}steps",
                 "-".join(map(str, cfg.sizes)), data]
    if cfg.batch_size:
        parts.append(f"bs{cfg.batch_size}")
    if isinstance(cfg, TrainConfig):
        parts += [flag for flag, on in (("shuffle", cfg.shuffle), ("bias", cfg.train_bias),
                                         ("unitbias", cfg.per_unit_bias)) if on]
        if cfg.shuffle or tuple(cfg.sizes) != DECK_SIZES:
            parts.append(f"seed{cfg.seed}")
    return parts


def default_logdir(cfg: RunConfig, root: Path | None = None) -> Path:
    """A new folder under `root` named by the settings and the date and time, made unique:
    runs/<backend>_lr<η>_<sizes>_<data>[_bs<B>][_shuffle][_bias][_unitbias][_seed<n>]_<date-time>
    for a run, sweeps/<date-time>_sweep_<n>lr_<n>seed_<steps>steps_<sizes>_<data>[_bs<B>] for a
    sweep (a folder of its own, with its own dashboard: `make dashboard` shows runs/ only).
    A dry run gets a temporary folder, leaving runs/ alone."""
    if isinstance(cfg, TrainConfig) and cfg.dry_run:
        return Path(tempfile.mkdtemp(prefix="torch_bp-dry-run-"))
    if root is None:
        root = RUNS if isinstance(cfg, TrainConfig) else SWEEPS
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    parts = name_parts(cfg)
    parts = parts + [stamp] if isinstance(cfg, TrainConfig) else [stamp, *parts]
    base = path = root / "_".join(parts)
    k = 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path

"""A sweep run: N networks (every η × every seed) trained side by side, and what it writes.

Its folder holds:
    config.json         every setting (SweepConfig), with versions and the data file's SHA-256
    results.csv         one row per network: lr,seed,final_loss,min_loss,rounds_to_target,diverged
                        (final_loss: E on all data after the last update; min_loss: the least
                        finite E over the rounds and the end; rounds_to_target: the first round
                        whose E, before that round's update, is <= --target-loss, empty if none
                        or no target; diverged: 1 if E became non-finite, the network then frozen)
    losses.npz          numpy arrays: rounds (R,) the logged rounds; loss (N, R) E on all data
                        at those rounds, row k = results.csv's row k, NaN after divergence;
                        lr (N,), seed (N,), final_loss (N,)
    figures/sweep.svg   final error (and rounds to target) against η, log axes, one line per seed
    figures/sweep.png
    events.out.tfevents.*   TensorBoard: the HParams experiment (η, seed -> sweep/* metrics)
    networks/<name>/        one HParams session per network (η, seed; sweep/final_loss,
                            sweep/min_loss, sweep/rounds_to_target, sweep/diverged), and for a
                            handful of representative networks the loss curve, loss/total
Rows are seed-major: network k has seed seeds[k // len(lrs)] and η = lrs[k % len(lrs)].
The TensorBoard files are written by torch_bp/training/sweep_events.py, the picture by sweep_plot.py.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

import torch_bp_launch as signals

from torch_bp import __version__
from torch_bp.core.numbers import read_json_object
from torch_bp.core.data import DATASETS, file_sha256, load_data
from torch_bp.core.deck import DECK_SIZES
from torch_bp.core.model import BackpropNet
from .folder import check_new_logdir
from .sweep import Progress, StackedNets, SweepResult, sweep
from .sweep_events import write_events

RESULT_COLUMNS = ["lr", "seed", "final_loss", "min_loss", "rounds_to_target", "diverged"]
CPU_THREADS = 1  # torch threads while a sweep trains on the CPU


@dataclass
class SweepConfig:
    """Every setting of a sweep; saved as config.json beside its results."""
    lr: str = "0.5"                  # η: a list "0.1,0.5,2" or a log-spaced range "START:STOP:COUNT"
    seeds: str = "0"                 # a list "0,1,2" or a range "A:B" (B excluded)
    steps: int = 10_000              # rounds per network; one round = one update
    train_bias: bool = False         # update the biases too
    sizes: tuple = DECK_SIZES        # layer widths, inputs first
    per_unit_bias: bool = False      # ordinary per-unit biases instead of one per layer
    init: str | None = None          # JSON of initial parameters for every network
    dataset: str = "deck"            # built-in data
    data: str | None = None          # CSV or JSON data file; overrides dataset
    batch_size: int | None = None    # rows per round; None: all (batch gradient descent)
    shuffle: bool = False            # a new random order each epoch, per seed
    log_interval: int = 10           # log every n-th round (and rounds 1 and last)
    logdir: str | None = None        # None: a new folder under runs/
    device: str = "cpu"
    target_loss: float | None = None  # rounds_to_target: first round with E on all data <= this
    meta: dict = field(default_factory=dict)  # versions, data hash, counts: filled in by the run


def parse_lrs(text: str) -> tuple[float, ...]:
    """'0.1,0.5,2' -> (0.1, 0.5, 2.0); '0.01:100:5' -> 5 values log-spaced from 0.01 to 100."""
    try:
        if ":" in text:
            start, stop, count = text.split(":")
            start, stop, count = float(start), float(stop), int(count)
            if count < 1:
                raise ValueError
            if not (math.isfinite(start) and math.isfinite(stop) and start > 0 and stop > 0):
                raise ValueError(f"--lr {text}: START and STOP must be finite numbers > 0")
            values = tuple(np.geomspace(start, stop, count).tolist())
        else:
            values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--lr {text!r}: expected a list like 0.1,0.5,2 or a range START:STOP:COUNT") from None
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"--lr {text}: every η must be a finite number > 0")
    return values


def parse_seeds(text: str) -> tuple[int, ...]:
    """'0,1,2' -> (0, 1, 2); '0:4' -> (0, 1, 2, 3)."""
    try:
        if ":" in text:
            a, b = (int(v) for v in text.split(":"))
            if b <= a:
                raise ValueError(f"--seeds {text}: the range A:B needs B > A (B is excluded)")
            values = tuple(range(a, b))
        else:
            values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--seeds {text!r}: expected a list like 0,1,2 or a range A:B") from None
    if not all(0 <= s < 2**63 for s in values):
        raise ValueError(f"--seeds {text}: every seed must be in [0, 2**63)")
    return values


def check_device(device: str) -> torch.device:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: CUDA is not available on this machine")
    try:
        dev = torch.empty(0, device=device).device
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"--device {device!r}: {str(e).splitlines()[0]}") from None
    if dev.type == "meta":
        raise ValueError("--device meta: tensors there hold no values to train")
    return dev


class SweepRun:
    """Sets up a sweep from a SweepConfig (every input checked before anything is written),
    then trains it and writes its folder. ValueError for bad input."""

    def __init__(self, cfg: SweepConfig, out=None, err=None):
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.cfg = cfg
        self.lrs, self.seeds = parse_lrs(cfg.lr), parse_seeds(cfg.seeds)
        for name in ("steps", "log_interval"):
            if getattr(cfg, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(cfg, name)}")
        if cfg.target_loss is not None and not (math.isfinite(cfg.target_loss) and cfg.target_loss > 0):
            raise ValueError(f"--target-loss must be a finite number > 0, got {cfg.target_loss}")
        if cfg.batch_size is not None and cfg.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {cfg.batch_size}")
        if cfg.data is None and cfg.dataset not in DATASETS:
            raise ValueError(f"--dataset {cfg.dataset!r}: choose from {sorted(DATASETS)}")
        self.device = check_device(cfg.device)
        try:
            self._build()
        except (ValueError, OSError) as e:
            raise ValueError(str(e)) from None

    def _build(self) -> None:
        cfg, n_out = self.cfg, self.cfg.sizes[-1]
        inputs, targets = load_data(cfg.data, n_out) if cfg.data else DATASETS[cfg.dataset]
        if inputs.shape[1] != cfg.sizes[0] or targets.shape[1] != n_out:
            source = cfg.data or f"--dataset {cfg.dataset}"
            raise ValueError(f"{source}: {inputs.shape[1]} inputs and {targets.shape[1]} targets per row "
                             f"do not fit --sizes {','.join(map(str, cfg.sizes))}")
        self.inputs, self.targets = inputs.to(self.device), targets.to(self.device)
        self.full_batch = (cfg.batch_size is None or cfg.batch_size >= len(inputs)) and not cfg.shuffle
        values = read_json_object(cfg.init, "--init") if cfg.init else None
        nets = []
        for s in self.seeds:  # as train.py builds network k: its seed's init, or the deck's weights
            net = BackpropNet(cfg.sizes, shared_bias=not cfg.per_unit_bias, seed=s, device=self.device,
                              init="deck" if tuple(cfg.sizes) == DECK_SIZES else "random")
            if values is not None:
                try:
                    net.load_values(values)
                except ValueError as e:
                    raise ValueError(f"--init {cfg.init}: {e}") from None
            nets.append(net)
        self.nets = StackedNets.stack(nets, repeats=len(self.lrs))
        n = len(self.nets)
        self.lr = torch.tensor(self.lrs, dtype=torch.float64).repeat(len(self.seeds))   # (N,)
        self.network_seed = torch.arange(len(self.seeds)).repeat_interleave(len(self.lrs))  # (N,)
        self.cfg.meta = {"torch": torch.__version__, "torch_bp": __version__, "python": sys.version.split()[0],
                         "data_sha256": file_sha256(cfg.data) if cfg.data else None,
                         "init_sha256": file_sha256(cfg.init) if cfg.init else None,
                         "rows": len(inputs), "networks": n, "lrs": len(self.lrs), "seeds": len(self.seeds)}

    def run(self) -> SweepResult:
        """Make the sweep folder, write config.json, train, write the rest, print a summary."""
        cfg = self.cfg
        self.logdir = Path(cfg.logdir) if cfg.logdir else _default_logdir(cfg, len(self.lrs), len(self.seeds))
        if self.logdir.is_dir() and any(self.logdir.iterdir()):  # (check_new_logdir's hint is --resume)
            raise ValueError(f"--logdir {self.logdir}: already holds files; choose a new folder")
        check_new_logdir(self.logdir)
        cfg.logdir = str(self.logdir.resolve())
        (self.logdir / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
        result = self.train()
        self.write(result)
        self._print_summary(result)
        return result

    def train(self) -> SweepResult:
        """The sweep itself, nothing written; SIGINT/SIGTERM/SIGHUP end it after the current
        chunk of rounds (self.signum: the signal, or 0)."""
        cfg, t0 = self.cfg, time.monotonic()
        threads = torch.get_num_threads()
        if self.device.type == "cpu":  # every op is tiny: a second thread costs more than it saves
            torch.set_num_threads(CPU_THREADS)  # (and stalls badly when other processes share the cores)
        with signals.deferred():
            result = sweep(self.nets, self.lr, self.inputs, self.targets, cfg.steps,
                           seeds=self.seeds, network_seed=self.network_seed, batch_size=cfg.batch_size,
                           shuffle=cfg.shuffle, train_bias=cfg.train_bias, target_loss=cfg.target_loss,
                           log_interval=cfg.log_interval, stop=lambda: bool(signals.caught()),
                           cuda_graph=self.device.type == "cuda" and self.full_batch,
                           progress=Progress(self.err))
            self.signum = signals.caught()
        torch.set_num_threads(threads)
        self.seconds = time.monotonic() - t0
        return result

    # ---- what a sweep writes --------------------------------------------------------------
    def write(self, res: SweepResult) -> None:
        lr = self.lr.numpy()
        seed = np.array(self.seeds, dtype=np.int64)[self.network_seed.numpy()]
        diverged = res.diverged
        lines = [",".join(RESULT_COLUMNS)]  # floats as repr: shortest text that reads back exactly
        for row in zip(lr.tolist(), seed.tolist(), res.final_loss.tolist(), res.min_loss.tolist(),
                       res.rounds_to_target.tolist(), diverged.tolist()):
            lines.append(f"{row[0]!r},{row[1]},{row[2]!r},{row[3]!r},{row[4] or ''},{int(row[5])}")
        (self.logdir / "results.csv").write_text("\n".join(lines) + "\n")
        np.savez(self.logdir / "losses.npz", rounds=res.logged_rounds, loss=res.losses, lr=lr, seed=seed,
                 final_loss=res.final_loss)
        write_events(self.logdir, json.dumps(dataclasses.asdict(self.cfg), indent=2), res, lr, seed, diverged,
                     self.err)
        from torch_bp.viz.sweep_plot import plot_sweep
        try:
            plot_sweep(self.logdir / "figures" / "sweep", lr, seed, res.final_loss, res.rounds_to_target,
                       diverged, title=self._title(res), target_loss=self.cfg.target_loss)
        except Exception as e:  # the picture is a nicety; never lose a sweep's results over it
            print(f"note: figures/sweep.svg not drawn ({type(e).__name__}: {e})", file=self.err)

    def _title(self, res: SweepResult) -> str:
        cfg = self.cfg
        data = Path(cfg.data).name if cfg.data else cfg.dataset
        batch = f", batch {cfg.batch_size}" + (" shuffled" if cfg.shuffle else "") if cfg.batch_size else ""
        return (f"SGD on {'-'.join(map(str, cfg.sizes))}, data: {data}{batch}; "
                f"{len(self.lrs):,} η × {len(self.seeds):,} seed(s), {res.rounds:,} rounds")

    # ---- what the terminal shows ----------------------------------------------------------
    def _print_summary(self, res: SweepResult) -> None:
        cfg, lr = self.cfg, self.lr.numpy()
        status = "finished" if not res.stopped else "interrupted"
        print(f"{status}: {len(lr):,} networks × {res.rounds:,} rounds in {self.seconds:.2f} s", file=self.out)
        for i, s in enumerate(self.seeds):
            k = np.flatnonzero(self.network_seed.numpy() == i)
            fin = np.where(res.diverged[k], np.inf, res.final_loss[k])
            best = k[np.argmin(fin)]
            line = f"seed {s}: least final error E = {res.final_loss[best]:.6g} at η = {lr[best]:.6g}"
            hit = k[res.rounds_to_target[k] > 0]
            if cfg.target_loss is not None:
                if len(hit):
                    fast = hit[np.argmin(res.rounds_to_target[hit])]
                    line += (f"; E <= {cfg.target_loss:g} first at round {res.rounds_to_target[fast]} "
                             f"(η = {lr[fast]:.6g}), reached by {len(hit)} of {len(k)}")
                else:
                    line += f"; none reached E <= {cfg.target_loss:g}"
            n_div = int(res.diverged[k].sum())
            if n_div:
                line += f"; {n_div} diverged (from η = {lr[k][res.diverged[k]].min():.6g})"
            print(line, file=self.out)
        print(f"results: {self.logdir}/ (results.csv, losses.npz, figures/sweep.svg, config.json, "
              "TensorBoard events)", file=self.out)
        from .dashboard import dashboard_hint
        print(f"dashboard: {dashboard_hint(self.logdir)}   then open http://localhost:6006 (HParams tab)",
              file=self.out)


def _default_logdir(cfg: SweepConfig, n_lrs: int, n_seeds: int) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    data = Path(cfg.data).stem if cfg.data else cfg.dataset
    parts = [stamp, "sweep", f"{n_lrs}lr", f"{n_seeds}seed", f"{cfg.steps}steps", "-".join(map(str, cfg.sizes)), data]
    if cfg.batch_size:
        parts.append(f"bs{cfg.batch_size}")
    base = Path("runs") / "_".join(parts)
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def run_sweep(cfg: SweepConfig, out=None, err=None) -> SweepResult:
    return SweepRun(cfg, out, err).run()

"""A sweep run: N networks (every η × every seed) trained side by side, and what it writes.

Its folder holds:
    config.json         every setting (SweepConfig), with versions and the data file's SHA-256
    results.csv         one row per network: lr,seed,final_loss,min_loss,rounds_to_target,diverged
                        (final_loss: E on all data after the last update; min_loss: the least
                        finite E over the rounds and the end; rounds_to_target: the first round
                        whose E, before that round's update, is <= target_loss, empty if none
                        or no target; diverged: 1 if E became non-finite, the network then frozen),
                        then (unless sharpness is off) sharpness_start,sharpness_end: λ_max, the
                        largest eigenvalue of the Hessian of E on all data over the trained
                        parameters, before the first update and after the last (nan if diverged;
                        all networks in one batched pass, training/curvature.py)
    losses.npz          numpy arrays: rounds (R,) the logged rounds; loss (N, R) E on all data
                        at those rounds, row k = results.csv's row k, NaN after divergence;
                        lr (N,), seed (N,), final_loss (N,), and sharpness_start, sharpness_end (N,)
    figures/sweep.svg   final error (and rounds to target) against η, log axes, one line per seed
    figures/sweep.png
    events.out.tfevents.*   TensorBoard: the HParams experiment (η, seed -> sweep/* metrics)
    networks/<name>/        one HParams session per network (η, seed; sweep/final_loss,
                            sweep/min_loss, sweep/rounds_to_target, sweep/diverged), and for a
                            handful of representative networks the loss curve, loss/total
Rows are seed-major: network k has seed seeds[k // len(lrs)] and η = lrs[k % len(lrs)].
The TensorBoard files are written by sweep_events.py; the picture by torch_bp.viz.sweep_plot (the
sweep command draws it once the results are written).
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

import torch_bp_launch as signals
from torch_bp.core.files import atomic_file, atomic_write

from .config import SweepConfig, check_device, validate
from .curvature import largest_eigenvalue
from .dashboard import dashboard_hint, dashboard_url
from .folder import claim_new_logdir, new_run_id
from .setup import build_model, check_memory, default_logdir, initial_values, resolve_paths, run_data, run_meta
from .sweep import Progress, StackedNets, SweepResult, sweep
from .sweep_events import write_events

RESULT_COLUMNS = ["lr", "seed", "final_loss", "min_loss", "rounds_to_target", "diverged"]
SHARPNESS_COLUMNS = ["sharpness_start", "sharpness_end"]  # after RESULT_COLUMNS unless sharpness is off
CPU_THREADS = 1  # torch threads while a sweep trains on the CPU
SHOWN_SEEDS = 10  # the terminal's summary has a line for each of the first 10 seeds, then one for all


class SweepRun:
    """Sets up a sweep from a SweepConfig (every input checked before anything is written),
    then trains it and writes its folder. ConfigError for bad input."""

    def __init__(self, cfg: SweepConfig, out=None, err=None):
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.lock, self.logdir = None, None
        cfg = resolve_paths(validate(cfg))
        self.lrs, self.seeds = cfg.lr, cfg.seeds
        self.device = check_device(cfg.device)
        inputs, targets = run_data(cfg)
        check_memory(cfg, networks=len(cfg.lr) * len(cfg.seeds), rows=len(inputs),
                     logged=cfg.steps // cfg.log_interval + 2)
        self.inputs, self.targets = inputs.to(self.device), targets.to(self.device)
        self.full_batch = (cfg.batch_size is None or cfg.batch_size >= len(inputs)) and not cfg.shuffle
        values = initial_values(cfg)
        # as train.py builds network k: its seed's init, or the deck's weights
        nets = [build_model(cfg, s, self.device, values) for s in self.seeds]
        self.nets = StackedNets.stack(nets, repeats=len(self.lrs))
        self.lr = torch.tensor(self.lrs, dtype=torch.float64).repeat(len(self.seeds))   # (N,)
        self.network_seed = torch.arange(len(self.seeds)).repeat_interleave(len(self.lrs))  # (N,)
        self.cfg = dataclasses.replace(cfg, meta=run_meta(cfg, len(inputs), networks=len(self.nets),
                                                          lrs=len(self.lrs), seeds=len(self.seeds)))

    def run(self) -> SweepResult:
        """Claim the sweep folder (new, locked and marked until close()), write config.json,
        train, write the results and events. A sweep is a run like any other: signals are
        deferred from the first file to the last (one that comes while it trains ends it after
        the current chunk of rounds; every file is then written for the rounds done, and
        config.json's meta.status says "interrupted"); every file is written whole or not at
        all; an OSError (a full disk, ...) leaves the files written before it whole."""
        with signals.deferred():
            logdir = Path(self.cfg.logdir) if self.cfg.logdir else default_logdir(self.cfg)
            run_id = new_run_id()
            self.lock = claim_new_logdir(logdir, run_id, kind="sweep")
            self.logdir = logdir
            meta = {**self.cfg.meta, "run_id": run_id, "status": "training"}  # a sweep cut short says so
            self.cfg = dataclasses.replace(self.cfg, logdir=str(logdir.resolve()), meta=meta)
            self.write_config()
            result = self.train()
            status = f"interrupted after {result.rounds} of {self.cfg.steps} rounds" if result.stopped else "finished"
            self.cfg = dataclasses.replace(self.cfg, meta={**meta, "status": status})
            self.write(result)
        return result

    def close(self) -> None:
        """Unlock the sweep folder (after its last file: the figure, drawn by the caller)."""
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def write_config(self) -> None:
        atomic_write(self.logdir / "config.json", (json.dumps(self.cfg.to_dict(), indent=2) + "\n").encode())

    def train(self) -> SweepResult:
        """The sweep itself, nothing written; SIGINT/SIGTERM/SIGHUP end it after the current
        chunk of rounds (self.signum: the signal, or 0)."""
        cfg, t0 = self.cfg, time.monotonic()
        threads = torch.get_num_threads()
        if self.device.type == "cpu":  # every op is tiny: a second thread costs more than it saves
            torch.set_num_threads(CPU_THREADS)  # (and stalls badly when other processes share the cores)
        with signals.deferred():
            start = self.sharpness()
            result = sweep(self.nets, self.lr, self.inputs, self.targets, cfg.steps,
                           seeds=self.seeds, network_seed=self.network_seed, batch_size=cfg.batch_size,
                           shuffle=cfg.shuffle, train_bias=cfg.train_bias, target_loss=cfg.target_loss,
                           log_interval=cfg.log_interval, stop=lambda: bool(signals.caught()),
                           cuda_graph=self.device.type == "cuda" and self.full_batch,
                           progress=Progress(self.err))
            if start is not None:
                end = np.where(result.diverged, np.nan, self.sharpness())
                result = dataclasses.replace(result, sharpness_start=start, sharpness_end=end)
            self.signum = signals.caught()
        torch.set_num_threads(threads)
        self.seconds = time.monotonic() - t0
        return result

    def sharpness(self) -> np.ndarray | None:
        """(N,) every network's λ_max now, in one batched pass; None when sharpness is off."""
        if not self.cfg.sharpness:
            return None
        return largest_eigenvalue(self.nets, self.inputs, self.targets, self.cfg.train_bias).cpu().numpy()

    # ---- what a sweep writes --------------------------------------------------------------
    def seeds_of_networks(self) -> np.ndarray:
        """(N,) network k's seed."""
        return np.array(self.seeds, dtype=np.int64)[self.network_seed.numpy()]

    def write(self, res: SweepResult) -> None:
        lr, seed = self.lr.numpy(), self.seeds_of_networks()
        diverged = res.diverged
        sharp = res.sharpness_start is not None
        lines = [",".join(RESULT_COLUMNS + SHARPNESS_COLUMNS * sharp)]  # floats as repr: shortest text that reads back exactly
        ends = zip(res.sharpness_start.tolist(), res.sharpness_end.tolist()) if sharp else [()] * len(lr)
        for row, end in zip(zip(lr.tolist(), seed.tolist(), res.final_loss.tolist(), res.min_loss.tolist(),
                                res.rounds_to_target.tolist(), diverged.tolist()), ends):
            lines.append(f"{row[0]!r},{row[1]},{row[2]!r},{row[3]!r},{row[4] or ''},{int(row[5])}"
                         + "".join(f",{v!r}" for v in end))
        atomic_write(self.logdir / "results.csv", ("\n".join(lines) + "\n").encode())
        with atomic_file(self.logdir / "losses.npz") as f:
            np.savez(f, rounds=res.logged_rounds, loss=res.losses, lr=lr, seed=seed, final_loss=res.final_loss,
                     **({"sharpness_start": res.sharpness_start, "sharpness_end": res.sharpness_end} if sharp else {}))
        self.write_config()  # meta.status: finished, or interrupted after how many rounds
        write_events(self.logdir, json.dumps(self.cfg.to_dict(), indent=2), res, lr, seed, diverged,
                     self.err)

    def title(self, res: SweepResult) -> str:
        cfg = self.cfg
        data = Path(cfg.data).name if cfg.data else cfg.dataset
        batch = f", batch {cfg.batch_size}" + (" shuffled" if cfg.shuffle else "") if cfg.batch_size else ""
        return (f"SGD on {'-'.join(map(str, cfg.sizes))}, data: {data}{batch}; "
                f"{len(self.lrs):,} η × {len(self.seeds):,} seed(s), {res.rounds:,} rounds")

    # ---- what the terminal shows ----------------------------------------------------------
    def print_summary(self, res: SweepResult) -> None:
        """A line for the sweep, one for each of the first SHOWN_SEEDS seeds, then one for all
        of them (results.csv has every network), then where its files are."""
        lr = self.lr.numpy()
        status = "finished" if not res.stopped else "interrupted"
        print(f"{status}: {len(lr):,} networks × {res.rounds:,} rounds in {self.seconds:.2f} s", file=self.out)
        for i, s in enumerate(self.seeds[:SHOWN_SEEDS]):
            print(f"seed {s}: " + self.seed_line(res, np.flatnonzero(self.network_seed.numpy() == i)), file=self.out)
        if len(self.seeds) > SHOWN_SEEDS:
            print(f"... {len(self.seeds) - SHOWN_SEEDS:,} more seeds (results.csv has every network); all "
                  f"{len(self.seeds):,} seeds: " + self.seed_line(res, np.arange(len(lr))), file=self.out)
        print(f"results: {self.logdir}/ (results.csv, losses.npz, figures/sweep.svg, config.json, "
              "TensorBoard events)", file=self.out)
        print(f"dashboard: {dashboard_hint(self.logdir)}   then open {dashboard_url(sweeps=True)}", file=self.out)

    def seed_line(self, res: SweepResult, k: np.ndarray) -> str:
        """What networks `k` reached: the least final error and its η, the target, divergence."""
        cfg, lr = self.cfg, self.lr.numpy()
        fin = np.where(res.diverged[k], np.inf, res.final_loss[k])
        best = k[np.argmin(fin)]
        line = f"least final error E = {res.final_loss[best]:.6g} at η = {lr[best]:.6g}"
        if len(k) > len(self.lrs):  # several seeds: which one
            line += f" (seed {self.seeds_of_networks()[best]})"
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
        return line


def run_sweep(cfg: SweepConfig, out=None, err=None) -> SweepResult:
    run = SweepRun(cfg, out, err)
    try:
        return run.run()
    finally:
        run.close()

"""A training run: SGD on a BackpropNet, every logged round written to history.csv and to a
TensorBoard event file, with checkpoints, resume, and clean stops on a signal.

The Trainer assembles the pieces of torch_bp.training and runs the loop; each concern lives in its
own module: config (settings, resume policy), folder (the run's files), metrics (what a
logged round holds), dashboard (TensorBoard extras), console (the terminal), checkpoint,
signals. Set-up checks every input before anything is written (ConfigError naming it).
"""
from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import torch

import torch_bp_launch as signals
import torch_bp
from torch_bp.core.chain_rule import backprop
from torch_bp.core.data import BatchStream
from torch_bp.core.deck import is_deck_setting
from torch_bp.core.loss import half_sse
from torch_bp.core.sgd import BACKENDS

from . import curvature, dashboard, pictures
from .checkpoint import NonFiniteState, load_checkpoint, save_checkpoint
from .config import ConfigError, Status, TrainConfig, check_device, check_places, validate
from .console import Console
from .folder import RunFolder, is_log_file, logged_rounds, new_run_id
from .metrics import MAX_SCALAR_PARAMETERS, Capture, LossWatch, MetricsBuffer, NonFiniteLoss, columns
from .resume import is_own_run, resumed
from .setup import (build_model, check_memory, check_same_data, default_logdir, initial_values, resolve_paths,
                    run_data, run_meta, saved_run_id)

FLUSH_SECONDS = 2.0  # logged rounds are written out at least this often (checked every 64 rounds)


class RunFailed(RuntimeError):
    """A write failed mid-run (a full disk, ...): what was written before it is kept."""


@dataclass
class RunResult:
    logdir: Path
    rounds: int                 # updates done in the whole run
    status: Status              # finished, reached the target loss, or interrupted
    final_loss: float           # E_total after the last update (nan if none)
    outputs: list               # the network's outputs after the last update
    signum: int = 0             # the signal that stopped the run, or came after its last round
    target_loss: float | None = None
    seconds: float = 0.0        # the loop's wall time
    figures: object = None      # the child process drawing RUN/figures/ (subprocess.Popen), if any
    output_failed: OSError | None = None  # the terminal's output failed (a closed pipe, ...): the run stopped there
    checkpoint: str | None = None  # the checkpoint written at the end, if any


class Logger:
    """The loop's logging collaborator: which rounds are logged, their rows (buffered, then
    written to the run folder), the terminal's error table."""

    def __init__(self, folder: RunFolder, capture: Capture, buffer: MetricsBuffer, console: Console,
                 log_interval: int | None, steps: int, target_column: int, watch: LossWatch,
                 curv: curvature.Curvature):
        self.folder, self.capture, self.buffer, self.console = folder, capture, buffer, console
        logged, self.curvature = logged_rounds(log_interval, steps), curv
        self.wants = lambda r: logged(r) or curv.due(r)  # wants(r): is round r logged (λ_max's rounds are)
        self.target_column, self.watch = target_column, watch
        self.t_flush = console.t_start

    def record(self, r: int, trace, inputs, targets) -> None:
        """Log round r: a row for history.csv and TensorBoard, a line of the terminal's table."""
        self.buffer.record(r, self.capture(trace, inputs, targets) + self.curvature(r))
        if self.console.is_table_round(r):
            self.console.row(r, trace.loss.item(), self.error())

    def error(self) -> float:
        """The latest logged round's error on all data: what the target loss is compared with."""
        return self.buffer.last(self.target_column)

    def tick(self, r: int) -> None:
        """After round r: write out a full buffer, or one FLUSH_SECONDS old."""
        if self.buffer.full or (r & 63 == 0 and self.console.elapsed() - self.t_flush > FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Write out the logged rounds; first, every round's E_total since the last flush is
        checked, so a non-finite one is reported at its own round, logged or not."""
        self.t_flush = self.console.elapsed()
        try:
            self.watch.check()
        except NonFiniteLoss:
            with contextlib.suppress(NonFiniteLoss):  # the rows up to the first non-finite logged one
                self.buffer.flush()
            self.folder.flush()
            raise
        self.buffer.flush()
        self.folder.flush()


class Trainer:
    """Sets up a run from a TrainConfig, then trains, logs and checkpoints it.

    checkpoint: cfg.resume's contents, if the caller has loaded them already. given: the
    settings the caller chose (see resume.resumed); None: those that differ from the defaults."""

    def __init__(self, cfg: TrainConfig, out=None, err=None, checkpoint: dict | None = None,
                 given: set[str] | None = None, figures: dict | None = None):
        self.out, self.err, self.figures = out or sys.stdout, err or sys.stderr, figures or {}
        try:
            if cfg.resume and checkpoint is None:
                try:
                    checkpoint = load_checkpoint(cfg.resume)
                except ValueError as e:  # a checkpoint that cannot be trusted: the resume setting's fault
                    raise ConfigError("resume", str(e)) from None
            if checkpoint is not None:
                cfg = resumed(cfg, checkpoint["config"], given)
            cfg = resolve_paths(validate(cfg))
            check_places(cfg, is_log_file)
            self.device = check_device(cfg.device)
            self.checkpoint = checkpoint
            self._build(cfg)
        except OSError as e:  # an input file that cannot be read: bad input, like the rest
            raise ValueError(str(e)) from None

    # ---- set-up: nothing is written ---------------------------------------------------------
    def _build(self, cfg: TrainConfig) -> None:
        inputs, targets = run_data(cfg)
        check_memory(cfg, rows=len(inputs))
        self.inputs, self.targets = inputs.to(self.device), targets.to(self.device)
        self.model = model = build_model(cfg, cfg.seed, self.device, initial_values(cfg))
        self.deck = is_deck_setting(model, self.inputs, self.targets, cfg.lr, cfg.train_bias)
        self.stream = BatchStream(self.inputs, self.targets, cfg.batch_size, cfg.shuffle, cfg.seed)
        self.sgd = BACKENDS[cfg.backend](model, cfg.lr, cfg.train_bias)
        self.start = self._load_checkpoint(cfg) if self.checkpoint is not None else 0
        self.full_loss = not self.stream.full_batch
        self.per_scalar = sum(p.numel() for p in model.parameters()) <= MAX_SCALAR_PARAMETERS
        self.columns = (columns(model, cfg.sizes[-1], self.full_loss, cfg.check_grads, self.per_scalar)
                        + curvature.columns(cfg.sharpness_interval))
        self.cfg = replace(cfg, meta=run_meta(cfg, len(inputs)))
        if self.checkpoint is not None:
            check_same_data(self.checkpoint["config"], self.cfg)

    def _load_checkpoint(self, cfg: TrainConfig) -> int:
        ckpt = self.checkpoint
        shapes = {k: tuple(v.shape) for k, v in ckpt["model"].items()}
        ours = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
        if shapes != ours:
            raise ConfigError("resume", f"{cfg.resume}: the checkpoint is for another network "
                              f"({shapes}), not sizes {','.join(map(str, cfg.sizes))}")
        self.model.load_state_dict(ckpt["model"])
        self.sgd.load_state_dict(ckpt["optimizer"])
        try:
            self.stream.load_state_dict(ckpt["data_order"])
        except ValueError as e:
            raise ConfigError("resume", f"{cfg.resume}: the checkpoint's {e}") from None
        start = int(ckpt["round"])
        if start >= cfg.steps:
            raise ConfigError("steps", f"{cfg.steps}: the checkpoint already has {start} rounds")
        return start

    def _open(self, first_batch) -> RunFolder:
        """The run folder, new or the checkpoint's own; config.json; a new folder's summaries."""
        cfg = self.cfg
        own = self.checkpoint is not None and is_own_run(cfg, self.checkpoint["config"])
        if own:
            saved = self.checkpoint["config"]  # how the run logged up to its checkpoint
            run_id = saved_run_id(saved)
            logged = logged_rounds(saved.get("log_interval", 1), saved.get("steps", self.start))
            folder = RunFolder.resume(Path(saved["logdir"]), self.columns, self.start, logged, run_id)
            if folder.set_aside:
                aside, first, last = folder.set_aside
                print(f"note: history.csv went on past the checkpoint's round {self.start}: its rounds "
                      f"{first}-{last} are kept in {aside}", file=self.err)
        else:
            run_id = new_run_id()  # a new folder is a new run, resumed from a checkpoint or not
            folder = RunFolder.create(Path(cfg.logdir) if cfg.logdir else default_logdir(cfg), self.columns, run_id)
        self.cfg_logdir_given = cfg.logdir is not None
        # the logdir resolved, so --resume finds the run from anywhere; the run id proves it is this run
        self.cfg = replace(cfg, logdir=str(folder.path.resolve()), meta={**cfg.meta, "run_id": run_id})
        folder.write_config(self.cfg.to_dict())
        if not own:
            first = backprop(self.model, *first_batch)  # the run's own first batch: history.csv's first row
            dashboard.write_start(folder.events, self.cfg.to_dict(), self.columns, self.model, first, self.start + 1,
                                  self.inputs[:1] if cfg.graph else None, self.err)
        return folder

    # ---- the run ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Train; from the first file written to the last, a signal stops the run after the
        round it came in (see torch_bp_launch)."""
        with signals.deferred():
            batches = iter(self.stream)
            first = next(batches)
            try:
                folder = self._open(first)
            except OSError as e:
                raise RunFailed(f"{e.filename or self.cfg.logdir}: {e.strerror or e}; nothing of the run logged") from None
            try:
                result = self._run(folder, itertools.chain([first], batches))
                folder.close()
            except BaseException as e:
                with contextlib.suppress(OSError):  # the logs' last bytes, if the disk takes them
                    folder.close()
                if isinstance(e, NonFiniteLoss):
                    raise NonFiniteLoss(f"{e}; stopped, logs up to that round kept in {folder.path}") from None
                if isinstance(e, OSError):
                    kept = (f"logs written before it kept in {folder.path} (resume from its last checkpoint to go on)"
                            if folder.path.is_dir() else "the run folder is gone")
                    raise RunFailed(f"{e.filename or folder.path}: {e.strerror or e}; stopped, {kept}") from None
                raise
            result.signum = signals.caught()
            # The pictures in a child process: drawing them takes longer than the deck's whole
            # run. The milestone images go to the events only when the run was not interrupted
            # (a resumed run's START record would not hide images an interrupted one drew).
            if not self.cfg.dry_run:
                result.figures = pictures.start(
                    folder.path, events_after=None if result.status is Status.INTERRUPTED else self.start, **self.figures)
        self.console.summary(result, self.cfg.save_model)
        if self.cfg.dry_run and not self.cfg_logdir_given:  # a smoke test leaves no folder behind
            shutil.rmtree(result.logdir, ignore_errors=True)
            self.console.print(f"dry run: removed {result.logdir}")
        result.output_failed = self.console.failed
        return result

    def _run(self, folder: RunFolder, batches) -> RunResult:
        cfg, model, sgd = self.cfg, self.model, self.sgd
        self.console = console = Console(self.out, self.err, cfg.steps, self.start, self.deck, self.full_loss,
                                         self.inputs, self.targets)
        check = self._grad_difference if cfg.check_grads else None
        watch = LossWatch(cfg.device)
        log = Logger(folder, Capture(model, self.inputs, self.targets, self.full_loss, self.per_scalar, check),
                     MetricsBuffer(len(self.columns), folder.write_rows, cfg.device), console, cfg.log_interval,
                     cfg.steps, self.columns.index("loss/full") if self.full_loss else 0, watch,
                     curvature.Curvature(model, self.inputs, self.targets, cfg))
        console.header()
        r, status = self.start, Status.FINISHED
        for r in range(self.start + 1, cfg.steps + 1):
            inputs, targets = next(batches)
            trace = sgd.forward_backward(inputs, targets)  # round r: E and ∂E/∂θ before its update
            watch.record(r, trace.loss)
            reached = False
            if log.wants(r):
                log.record(r, trace, inputs, targets)  # one row: history.csv and TensorBoard
                reached = cfg.target_loss is not None and log.error() <= cfg.target_loss
            sgd.step(trace)  # the r-th update
            log.tick(r)
            if cfg.save_interval and r % cfg.save_interval == 0 and r < cfg.steps:
                log.flush()
                self.save(r)
            console.progress(r)
            if signals.caught() or console.failed:  # a signal, or the terminal's output gone
                status = Status.INTERRUPTED
                break
            if reached:
                status = Status.REACHED
                console.row(r, trace.loss.item(), log.error())
                break
        log.flush()
        seconds = console.elapsed()
        if cfg.save_model:
            self.save(r)  # the loop stops after round r's update, finished or not
        with torch.no_grad():
            outputs = model(self.inputs)
            final = half_sse(outputs, self.targets).item()
        dashboard.write_end(folder.events, cfg.to_dict(), final, r, finished=status is not Status.INTERRUPTED,
                            resumed=self.start > 0)
        return RunResult(folder.path, r, status, final, outputs.tolist(), 0, cfg.target_loss, seconds,
                         checkpoint=cfg.save_model)

    def _grad_difference(self, inputs, targets, grads) -> torch.Tensor:
        """max |autograd − manual| over every gradient of this round (the other backend's)."""
        if self.cfg.backend == "manual":
            with torch.enable_grad():
                other = torch.autograd.grad(half_sse(self.model(inputs), targets), list(self.model.parameters()))
        else:
            other = backprop(self.model, inputs, targets, keep=False).grads.values()
        return torch.stack([(a - b).abs().max() for a, b in zip(grads.values(), other)]).max()

    def save(self, rounds: int) -> None:
        """Checkpoint after `rounds` updates: model, optimizer, data order and settings; never
        with a non-finite number in it (the loop has checked every loss before it saves)."""
        try:
            self._save(rounds)
        except NonFiniteState as e:
            raise NonFiniteLoss(f"after round {rounds}: checkpoint {e}") from None

    def _save(self, rounds: int) -> None:
        save_checkpoint(self.cfg.save_model, {
            "round": rounds, "model": self.model.state_dict(), "optimizer": self.sgd.state_dict(),
            "data_order": self.stream.state_dict(), "config": json.loads(json.dumps(self.cfg.to_dict())),
            "torch_version": str(torch.__version__), "torch_bp_version": torch_bp.__version__})


def train(cfg: TrainConfig, out=None, err=None, checkpoint: dict | None = None,
          given: set[str] | None = None, figures: dict | None = None) -> RunResult:  # figures: pictures.start's size, dpi
    return Trainer(cfg, out, err, checkpoint, given, figures).run()

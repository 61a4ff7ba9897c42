"""A training run: SGD on a BackpropNet, every logged round written to history.csv and to a
TensorBoard event file, with checkpoints, resume, and clean stops on a signal.

The Trainer assembles the pieces of torch_bp.run and runs the loop; each concern lives in its
own module: config (settings, resume policy), folder (the run's files), metrics (what a
logged round holds), dashboard (TensorBoard extras), console (the terminal), checkpoint,
signals. Set-up checks every input before anything is written (ValueError naming it).
"""
from __future__ import annotations

import itertools
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from .. import __version__
from ..chain_rule import backprop
from ..cli import read_json_object
from ..data import DATASETS, BatchStream, file_sha256, load_data
from ..deck import DECK_SIZES, is_deck_setting
from ..loss import half_sse
from ..model import BackpropNet
from ..sgd import BACKENDS
from . import dashboard, signals
from .checkpoint import load_checkpoint, save_checkpoint
from .config import Status, TrainConfig, check_places, is_own_run, resumed, validate
from .console import Console
from .folder import RunFolder, default_logdir
from .metrics import MAX_SCALAR_PARAMETERS, Capture, MetricsBuffer, NonFiniteLoss, columns

FLUSH_SECONDS = 2.0  # logged rounds are written out at least this often (checked every 64 rounds)


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


class Logger:
    """The loop's logging collaborator: which rounds are logged, their rows (buffered, then
    written to the run folder), the terminal's error table."""

    def __init__(self, folder: RunFolder, capture: Capture, buffer: MetricsBuffer, console: Console,
                 log_interval: int, steps: int, target_column: int):
        self.folder, self.capture, self.buffer, self.console = folder, capture, buffer, console
        self.every, self.steps, self.target_column = log_interval, steps, target_column
        self.t_flush = console.t_start

    def wants(self, r: int) -> bool:
        return r == 1 or r % self.every == 0 or r == self.steps

    def record(self, r: int, trace, inputs, targets) -> float:
        """Log round r; returns its error on all data (the target loss's measure)."""
        self.buffer.record(r, self.capture(trace, inputs, targets))
        if self.console.is_table_round(r):
            self.console.row(r, trace.loss.item())
        return self.buffer.last(self.target_column)

    def tick(self, r: int) -> None:
        """After round r: write out a full buffer, or one FLUSH_SECONDS old."""
        if self.buffer.full or (r & 63 == 0 and self.console.elapsed() - self.t_flush > FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        self.t_flush = self.console.elapsed()
        self.buffer.flush()
        self.folder.flush()


class Trainer:
    """Sets up a run from a TrainConfig, then trains, logs and checkpoints it.

    checkpoint: cfg.resume's contents, if the caller has loaded them already. given: the
    settings the caller chose (see config.resumed); None: those that differ from the defaults."""

    def __init__(self, cfg: TrainConfig, out=None, err=None, checkpoint: dict | None = None,
                 given: set[str] | None = None):
        self.out, self.err = out or sys.stdout, err or sys.stderr
        try:
            if cfg.resume and checkpoint is None:
                checkpoint = load_checkpoint(cfg.resume)
            if checkpoint is not None:
                cfg = resumed(cfg, checkpoint["config"], given)
            cfg = validate(cfg)
            check_places(cfg)
            self.checkpoint = checkpoint
            self._build(cfg)
        except OSError as e:  # an input file that cannot be read: bad input, like the rest
            raise ValueError(str(e)) from None

    # ---- set-up: nothing is written ---------------------------------------------------------
    def _build(self, cfg: TrainConfig) -> None:
        n_out = cfg.sizes[-1]
        inputs, targets = load_data(cfg.data, n_out) if cfg.data else DATASETS[cfg.dataset]
        if inputs.shape[1] != cfg.sizes[0] or targets.shape[1] != n_out:
            source = cfg.data or f"--dataset {cfg.dataset}"
            raise ValueError(f"{source}: {inputs.shape[1]} inputs and {targets.shape[1]} targets per row "
                             f"do not fit --sizes {','.join(map(str, cfg.sizes))}")
        self.inputs, self.targets = inputs.to(cfg.device), targets.to(cfg.device)
        self.model = model = BackpropNet(cfg.sizes, shared_bias=not cfg.per_unit_bias, seed=cfg.seed,
                                         device=cfg.device, init="deck" if tuple(cfg.sizes) == DECK_SIZES else "random")
        if cfg.init:
            try:
                model.load_values(read_json_object(cfg.init, "--init"))
            except ValueError as e:
                raise ValueError(str(e) if str(e).startswith("--init") else f"--init {cfg.init}: {e}") from None
        self.deck = is_deck_setting(model, self.inputs, self.targets, cfg.lr, cfg.train_bias)
        self.stream = BatchStream(self.inputs, self.targets, cfg.batch_size, cfg.shuffle, cfg.seed)
        self.sgd = BACKENDS[cfg.backend](model, cfg.lr, cfg.train_bias)
        self.start = self._load_checkpoint(cfg) if self.checkpoint is not None else 0
        self.full_loss = not self.stream.full_batch
        self.per_scalar = sum(p.numel() for p in model.parameters()) <= MAX_SCALAR_PARAMETERS
        self.columns = columns(model, n_out, self.full_loss, cfg.check_grads, self.per_scalar)
        self.cfg = replace(cfg, meta={
            "torch": torch.__version__, "torch_bp": __version__, "python": sys.version.split()[0],
            "data_sha256": file_sha256(cfg.data) if cfg.data else None,
            "init_sha256": file_sha256(cfg.init) if cfg.init else None, "rows": len(inputs)})

    def _load_checkpoint(self, cfg: TrainConfig) -> int:
        ckpt = self.checkpoint
        shapes = {k: tuple(v.shape) for k, v in ckpt["model"].items()}
        ours = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
        if shapes != ours:
            raise ValueError(f"--resume {cfg.resume}: the checkpoint is for another network "
                             f"({shapes}), not sizes {','.join(map(str, cfg.sizes))}")
        self.model.load_state_dict(ckpt["model"])
        self.sgd.load_state_dict(ckpt["optimizer"])
        self.stream.load_state_dict(ckpt["data_order"])
        start = int(ckpt["round"])
        if start >= cfg.steps:
            raise ValueError(f"--steps {cfg.steps}: the checkpoint already has {start} rounds")
        return start

    def _open(self, first_batch) -> RunFolder:
        """The run folder, new or the checkpoint's own; config.json; a new folder's summaries."""
        cfg = self.cfg
        own = self.checkpoint is not None and is_own_run(cfg, self.checkpoint["config"])
        if own:
            folder = RunFolder.resume(Path(self.checkpoint["config"]["logdir"]), self.columns, self.start)
        else:
            folder = RunFolder.create(Path(cfg.logdir) if cfg.logdir else default_logdir(cfg), self.columns)
        self.cfg = replace(cfg, logdir=str(folder.path.resolve()))  # so --resume finds the run from anywhere
        folder.write_config(self.cfg.to_dict())
        if not own:
            first = backprop(self.model, *first_batch)  # the run's own first batch: history.csv's first row
            dashboard.write_start(folder.events, self.cfg.to_dict(), self.model, first, self.start + 1,
                                  self.inputs[:1] if cfg.graph else None, self.err)
        return folder

    # ---- the run ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Train; from the first file written to the last, a signal stops the run after the
        round it came in (see torch_bp.run.signals)."""
        with signals.deferred():
            batches = iter(self.stream)
            first = next(batches)
            folder = self._open(first)
            try:
                result = self._run(folder, itertools.chain([first], batches))
            except NonFiniteLoss as e:
                raise NonFiniteLoss(f"{e}; stopped, logs up to that round kept in {folder.path}") from None
            finally:
                folder.close()
            result.signum = signals.caught()
        self.console.summary(result, self.cfg.save_model)
        return result

    def _run(self, folder: RunFolder, batches) -> RunResult:
        cfg, model, sgd = self.cfg, self.model, self.sgd
        self.console = console = Console(self.out, self.err, cfg.steps, self.start, self.deck)
        check = self._grad_difference if cfg.check_grads else None
        log = Logger(folder, Capture(model, self.inputs, self.targets, self.full_loss, self.per_scalar, check),
                     MetricsBuffer(len(self.columns), folder.write_rows, cfg.device), console, cfg.log_interval,
                     cfg.steps, self.columns.index("loss/full") if self.full_loss else 0)
        console.header()
        r, status = self.start, Status.FINISHED
        for r in range(self.start + 1, cfg.steps + 1):
            inputs, targets = next(batches)
            trace = sgd.forward_backward(inputs, targets)  # round r: E and ∂E/∂θ before its update
            reached = False
            if log.wants(r):
                error = log.record(r, trace, inputs, targets)  # one row: history.csv and TensorBoard
                reached = cfg.target_loss is not None and error <= cfg.target_loss
            sgd.step(trace)  # the r-th update
            log.tick(r)
            if cfg.save_interval and r % cfg.save_interval == 0 and r < cfg.steps:
                log.flush()
                self.save(r)
            console.progress(r)
            if signals.caught():
                status = Status.INTERRUPTED
                break
            if reached:
                status = Status.REACHED
                console.row(r, trace.loss.item())
                break
        log.flush()
        seconds = console.elapsed()
        if cfg.save_model:
            self.save(r)  # the loop stops after round r's update, finished or not
        with torch.no_grad():
            outputs = model(self.inputs)
            final = half_sse(outputs, self.targets).item()
        if status is not Status.INTERRUPTED:
            dashboard.write_end(folder.events, cfg.steps, final, r)
        return RunResult(folder.path, r, status, final, outputs.tolist(), 0, cfg.target_loss, seconds)

    def _grad_difference(self, inputs, targets, grads) -> torch.Tensor:
        """max |autograd − manual| over every gradient of this round (the other backend's)."""
        if self.cfg.backend == "manual":
            with torch.enable_grad():
                other = torch.autograd.grad(half_sse(self.model(inputs), targets), list(self.model.parameters()))
        else:
            other = backprop(self.model, inputs, targets, keep=False).grads.values()
        return torch.stack([(a - b).abs().max() for a, b in zip(grads.values(), other)]).max()

    def save(self, rounds: int) -> None:
        """Checkpoint after `rounds` updates: model, optimizer, data order and settings."""
        save_checkpoint(self.cfg.save_model, {
            "round": rounds, "model": self.model.state_dict(), "optimizer": self.sgd.state_dict(),
            "data_order": self.stream.state_dict(), "config": json.loads(json.dumps(self.cfg.to_dict())),
            "torch_version": str(torch.__version__), "torch_bp_version": __version__})


def train(cfg: TrainConfig, out=None, err=None, checkpoint: dict | None = None,
          given: set[str] | None = None) -> RunResult:
    return Trainer(cfg, out, err, checkpoint, given).run()

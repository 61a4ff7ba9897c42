"""A training run: SGD on a BackpropNet, every logged round written to history.csv and to a
TensorBoard event file, with checkpoints, resume, and clean stops on Ctrl-C or SIGTERM."""
from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import re
import shlex
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from . import __version__, figures
from .chain_rule import backprop
from .checkpoint import load_checkpoint, save_checkpoint
from .cli import InputError, read_json_object
from .data import DATASETS, BatchStream, file_sha256, load_data
from .events import EventWriter, ScalarRows
from .loss import half_sse
from .model import SEED_SIZES, BackpropNet
from .seed import DECK_ERROR_TABLE, SEED_LR
from .sgd import BACKENDS

TABLE_EVERY = 300      # the deck's error table lists every 300th round
FLUSH_ROWS = 2000      # logged rounds buffered before they are written out
FLUSH_SECONDS = 2.0    # ... or this long, whichever comes first
PROGRESS_SECONDS = 5.0  # runs longer than this print a progress line this often
DRY_RUN_STEPS = 3
SHOWN_ROWS = 8  # the summary lists each row's outputs for data sets this small
MAX_SCALAR_PARAMETERS = 200  # larger networks log each parameter's norm, not every scalar


@dataclass
class TrainConfig:
    """Every setting of a run; saved as config.json beside its logs."""
    steps: int = 10_000              # rounds in the whole run; one round = one update
    lr: float = SEED_LR              # η
    backend: str = "manual"          # "manual": manual_gradients; "autograd": backward() + optim.SGD
    train_bias: bool = False         # update b1, b2 too (the deck's table keeps them fixed)
    sizes: tuple = SEED_SIZES        # layer widths, inputs first
    per_unit_bias: bool = False      # ordinary per-unit biases instead of one per layer
    init: str | None = None          # JSON file of initial parameters; None: seed or seeded random
    dataset: str = "seed"            # built-in data: "seed" (the deck's one sample) or "xor"
    data: str | None = None          # CSV or JSON data file; overrides dataset
    batch_size: int | None = None    # rows per round; None: all (batch gradient descent)
    shuffle: bool = False            # a new random order each epoch (else data order)
    seed: int = 0                    # random init of other shapes, and the shuffle order
    log_interval: int = 1            # log every n-th round (and rounds 1 and last)
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


@dataclass
class RunResult:
    logdir: Path
    rounds: int          # updates done in the whole run
    status: str          # "finished", "interrupted (SIGINT)", ...
    final_loss: float    # E_total after the last update (nan if none)
    outputs: list        # the network's outputs after the last update
    figures: object = None  # the child process drawing RUN/figures/ (subprocess.Popen), if any


class NonFiniteLoss(RuntimeError):
    pass


def is_deck_setting(cfg: TrainConfig) -> bool:
    """The run the deck's error table describes: seed network, data, η, biases fixed."""
    return (tuple(cfg.sizes) == SEED_SIZES and not cfg.per_unit_bias and cfg.init is None
            and cfg.data is None and cfg.dataset == "seed" and cfg.lr == SEED_LR and not cfg.train_bias)


class StopSignals:
    """Turns the first SIGINT/SIGTERM into a flag the loop checks each round (so a round,
    a log write or a checkpoint is never cut in half); a second signal acts as usual."""

    def __init__(self):
        self.signum = 0

    def _handle(self, signum, frame):
        self.signum = signum
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_DFL if s == signal.SIGTERM else signal.default_int_handler)

    def __enter__(self):
        self._saved = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc):
        for s, h in self._saved.items():
            signal.signal(s, h)


def _columns(model: BackpropNet, n_out: int, full_loss: bool, check_grads: bool, per_scalar: bool):
    """history.csv's columns after `round` (= the TensorBoard tags): the losses, then every
    scalar parameter and its gradient, or (per_scalar=False) each parameter's L2 norm."""
    loss = ["loss/total"] + [f"loss/o{k}" for k in range(1, n_out + 1)] + (["loss/full"] if full_loss else [])
    if per_scalar:
        names = iter(model.scalar_names())
        scalars = [(pname, next(names)) for pname, p in model.named_parameters() for _ in range(p.numel())]
    else:  # "layers.0.weight" -> "L1.w.norm", "layers.0.bias" -> "L1.b.norm"
        scalars = [(pname, f"L{int(pname.split('.')[1]) + 1}.{pname.split('.')[2][0]}.norm")
                   for pname, _ in model.named_parameters()]
    values = [("bias/" if pname.endswith("bias") else "weights/") + name for pname, name in scalars]
    grads = ["grad/" + name for _, name in scalars]
    return loss + values + grads + (["check/max_abs_diff"] if check_grads else [])


HPARAMS_METRIC = "loss/all_data_after_last_update"  # E on all data once the run is over: one value


def _custom_layout(columns: list[str]) -> dict:
    """Custom Scalars: one chart per quantity, so with several runs each chart has one line
    per run (E_total, each output's E, each parameter, each gradient; norms for large nets)."""
    def charts(prefix):
        return {c[len(prefix):]: ["Multiline", [f"^{re.escape(c)}$"]] for c in columns if c.startswith(prefix)}
    layout = {"Loss": {"E_total": ["Multiline", ["^loss/total$"]],
                       **({"E on all data": ["Multiline", ["^loss/full$"]]} if "loss/full" in columns else {}),
                       "after the last update, all data": ["Multiline", [f"^{HPARAMS_METRIC}$"]],
                       **{f"E_{c[5:]}": ["Multiline", [f"^{c}$"]] for c in columns if re.fullmatch(r"loss/o\d+", c)}},
              "Weights": charts("weights/"), "Biases": charts("bias/"), "Gradients ∂E/∂θ": charts("grad/")}
    if "check/max_abs_diff" in columns:
        layout["Checks"] = {"max |autograd − manual|": ["Multiline", ["^check/max_abs_diff$"]]}
    return {k: v for k, v in layout.items() if v}


def dashboard_hint(logdir: Path) -> str:
    """A command that shows this run when pasted: `make dashboard` for runs/ in the checkout
    (from its root), else the venv's tensorboard on the run's own parent folder."""
    repo = Path(__file__).resolve().parents[1]
    parent = Path(logdir).resolve().parent
    if parent == (repo / "runs").resolve() and Path.cwd().resolve() == repo and (repo / "Makefile").exists():
        return "make dashboard"
    tb = Path(sys.executable).parent / "tensorboard"  # the venv's, which a bare `tensorboard` may not be
    if not tb.exists():
        exe = f"{shlex.quote(sys.executable)} -m tensorboard.main"
    elif tb.is_relative_to(Path.cwd()):
        exe = shlex.quote(str(tb.relative_to(Path.cwd())))  # .venv/bin/tensorboard
    else:
        exe = shlex.quote(str(tb))
    return f"{exe} --logdir {shlex.quote(str(parent))} --host localhost --port 6006 {TENSORBOARD_FLAGS}"


TENSORBOARD_FLAGS = "--samples_per_plugin scalars=100000,images=100"  # as the Makefile's: every round of up to 100,000
# Time Series opens with loss/total pinned above every group (groups sort by name: bias, grad,
# loss, ...) and no smoothing; TensorBoard 2.21 reads both from the address.
DASHBOARD_URL = ("http://localhost:6006/?smoothing=0&pinnedCards="
                 "%5B%7B%22plugin%22%3A%22scalars%22%2C%22tag%22%3A%22loss%2Ftotal%22%7D%5D#timeseries")


def _default_logdir(cfg: TrainConfig) -> Path:
    if cfg.dry_run:  # a smoke test leaves runs/ alone
        import tempfile
        return Path(tempfile.mkdtemp(prefix="torch_bp-dry-run-"))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    shape = "-".join(map(str, cfg.sizes))
    data = Path(cfg.data).stem if cfg.data else cfg.dataset
    parts = [cfg.backend, f"lr{cfg.lr:g}", shape, data]  # not --steps: a resumed run may go on longer
    if cfg.batch_size:
        parts.append(f"bs{cfg.batch_size}")
    if cfg.shuffle:
        parts.append("shuffle")
    if cfg.train_bias:
        parts.append("bias")
    if cfg.per_unit_bias:
        parts.append("unitbias")
    if cfg.shuffle or tuple(cfg.sizes) != SEED_SIZES:  # the seed decides the init or the order
        parts.append(f"seed{cfg.seed}")
    parts.append(stamp)  # last: TensorBoard cuts long run names at the end
    base = Path("runs") / "_".join(parts)
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def _check_new_logdir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(f"--logdir {path}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()):
        raise InputError(f"--logdir {path}: already holds a run; choose a new folder "
                         "(or --resume a checkpoint of that run)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise InputError(f"--logdir {path}: cannot write there ({e.strerror or e})") from None


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class Trainer:
    """Sets up a run from a TrainConfig (every input checked before anything is written),
    then trains, logs and checkpoints it. InputError for bad input, before any write."""

    def __init__(self, cfg: TrainConfig, out=None, err=None, checkpoint: dict | None = None):
        """checkpoint: cfg.resume's contents, if the caller has loaded them already."""
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.checkpoint = checkpoint
        try:
            if cfg.resume and checkpoint is None:
                self.checkpoint = load_checkpoint(cfg.resume)
            self.cfg = cfg = self._resolve(cfg)
            self._build()
        except (ValueError, OSError) as e:
            raise InputError(str(e)) from None

    # ---- set-up -------------------------------------------------------------------------
    def _resolve(self, cfg: TrainConfig) -> TrainConfig:
        if cfg.backend not in BACKENDS:
            raise InputError(f"--backend {cfg.backend!r}: choose from {sorted(BACKENDS)}")
        for name in ("steps", "log_interval"):
            if getattr(cfg, name) < 1:
                raise InputError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(cfg, name)}")
        if not (math.isfinite(cfg.lr) and cfg.lr > 0):
            raise InputError(f"--lr must be a finite number > 0, got {cfg.lr}")
        if cfg.target_loss is not None and not (math.isfinite(cfg.target_loss) and cfg.target_loss > 0):
            raise InputError(f"--target-loss must be a finite number > 0, got {cfg.target_loss}")
        if cfg.batch_size is not None and cfg.batch_size < 1:
            raise InputError(f"--batch-size must be >= 1, got {cfg.batch_size}")
        if cfg.save_interval is not None and (cfg.save_interval < 1 or not cfg.save_model):
            raise InputError("--save-interval needs --save-model and must be >= 1")
        if cfg.data is None and cfg.dataset not in DATASETS:
            raise InputError(f"--dataset {cfg.dataset!r}: choose from {sorted(DATASETS)}")
        if cfg.save_model is not None:
            target = Path(cfg.save_model)
            if target.is_dir():
                raise InputError(f"--save-model {target}: is a directory")
            if not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
                raise InputError(f"--save-model {target}: cannot write in {target.parent}")
        if cfg.device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"--device {cfg.device}: CUDA is not available on this machine")
        try:
            kind = torch.empty(0, device=cfg.device).device.type
        except (RuntimeError, ValueError) as e:
            raise InputError(f"--device {cfg.device!r}: {str(e).splitlines()[0]}") from None
        if kind == "meta":
            raise InputError("--device meta: tensors there hold no values to train")
        if cfg.dry_run:
            cfg = dataclasses.replace(cfg, steps=min(cfg.steps, DRY_RUN_STEPS), graph=False)
        return cfg

    def _build(self) -> None:
        cfg, ckpt = self.cfg, self.checkpoint
        n_out = cfg.sizes[-1]
        if cfg.data:
            inputs, targets = load_data(cfg.data, n_out)
        else:
            inputs, targets = DATASETS[cfg.dataset]
        if inputs.shape[1] != cfg.sizes[0] or targets.shape[1] != n_out:
            source = cfg.data or f"--dataset {cfg.dataset}"
            raise InputError(f"{source}: {inputs.shape[1]} inputs and {targets.shape[1]} targets per row "
                             f"do not fit --sizes {','.join(map(str, cfg.sizes))}")
        self.inputs, self.targets = inputs.to(cfg.device), targets.to(cfg.device)
        self.model = BackpropNet(cfg.sizes, shared_bias=not cfg.per_unit_bias, seed=cfg.seed,
                                 device=cfg.device,
                                 init="seed" if tuple(cfg.sizes) == SEED_SIZES else "random")
        if cfg.init:
            values = read_json_object(cfg.init, "--init")
            try:
                self.model.load_values(values)
            except ValueError as e:
                raise InputError(f"--init {cfg.init}: {e}") from None
        self.stream = BatchStream(self.inputs, self.targets, cfg.batch_size, cfg.shuffle, cfg.seed)
        self.sgd = BACKENDS[cfg.backend](self.model, cfg.lr, cfg.train_bias)
        self.start = 0
        if ckpt is not None:
            shapes = {k: tuple(v.shape) for k, v in ckpt["model"].items()}
            ours = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
            if shapes != ours:
                raise InputError(f"--resume {cfg.resume}: the checkpoint is for another network "
                                 f"({shapes}), not sizes {','.join(map(str, cfg.sizes))}")
            self.model.load_state_dict(ckpt["model"])
            self.sgd.load_state_dict(ckpt["optimizer"])
            self.stream.load_state_dict(ckpt["data_order"])
            self.start = int(ckpt["round"])
            if self.start >= cfg.steps:
                raise InputError(f"--steps {cfg.steps}: the checkpoint already has {self.start} rounds")
        self.full_loss = not self.stream.full_batch
        self.per_scalar = sum(p.numel() for p in self.model.parameters()) <= MAX_SCALAR_PARAMETERS
        self.columns = _columns(self.model, n_out, self.full_loss, cfg.check_grads, self.per_scalar)
        self.cfg.meta = {"torch": torch.__version__, "torch_bp": __version__, "python": sys.version.split()[0],
                         "data_sha256": file_sha256(cfg.data) if cfg.data else None,
                         "init_sha256": file_sha256(cfg.init) if cfg.init else None,
                         "rows": len(inputs)}

    # ---- logging ------------------------------------------------------------------------
    def _open_logs(self) -> None:
        cfg, ckpt = self.cfg, self.checkpoint
        own_run = ckpt is not None and ckpt["config"].get("logdir") and (
            cfg.logdir is None or Path(cfg.logdir).resolve() == Path(ckpt["config"]["logdir"]).resolve())
        self.continuing = bool(own_run) and Path(ckpt["config"]["logdir"]).is_dir()
        if self.continuing:
            self.logdir = Path(ckpt["config"]["logdir"])
            self._continue_history()
            events = sorted(p for p in self.logdir.glob("events.out.tfevents.*")
                            if not p.name.endswith(figures.IMAGES_SUFFIX))  # the trainer's own
            self.events = EventWriter(self.logdir, append_to=events[-1]) if events else EventWriter(self.logdir)
            from tensorboard.compat.proto.event_pb2 import Event, SessionLog
            # TensorBoard drops anything logged after the checkpoint's round by the crashed run.
            self.events.write(Event(wall_time=time.time(), step=self.start + 1,
                                    session_log=SessionLog(status=SessionLog.START)))
        else:
            self.logdir = Path(cfg.logdir) if cfg.logdir else _default_logdir(cfg)
            _check_new_logdir(self.logdir)
            self.history = open(self.logdir / "history.csv", "x", newline="")
            self.history.write(",".join(["round"] + self.columns) + "\n")
            self.events = EventWriter(self.logdir)
        self.cfg.logdir = str(self.logdir.resolve())  # so --resume finds the run from anywhere
        _atomic_write_text(self.logdir / "config.json", json.dumps(dataclasses.asdict(self.cfg), indent=2) + "\n")
        self.rows = ScalarRows(self.columns)

    def _continue_history(self) -> None:
        """Keep history.csv's rows up to the checkpoint's round; later ones were never saved."""
        path = self.logdir / "history.csv"
        lines = path.read_text().splitlines(keepends=True) if path.exists() else []
        header = ",".join(["round"] + self.columns) + "\n"
        if lines and lines[0] != header:
            raise InputError(f"{path}: its columns do not match this run's")
        kept = [header] + [ln for ln in lines[1:] if ln.endswith("\n") and int(ln.split(",", 1)[0]) <= self.start]
        _atomic_write_text(path, "".join(kept))
        self.history = open(path, "a", newline="")

    def _write_run_summaries(self, first_trace) -> None:
        from torch.utils.tensorboard import summary as tbs
        cfg = self.cfg
        self.events.write_summary(tbs.custom_scalars(_custom_layout(self.columns)))
        self._write_hparams()
        config_md = "```json\n" + json.dumps(dataclasses.asdict(cfg), indent=2) + "\n```"
        self.events.write_summary(tbs.text("run/config", config_md))
        self.events.write_summary(tbs.text("run/round_1", self._round_table(first_trace)), step=self.start + 1)
        if cfg.graph:
            try:
                from torch.utils.tensorboard._pytorch_graph import graph
                from tensorboard.compat.proto.event_pb2 import Event
                with warnings.catch_warnings():  # TensorBoard's graph still needs torch.jit.trace
                    warnings.simplefilter("ignore", DeprecationWarning)
                    graph_def, _ = graph(self.model, self.inputs[:1])
                self.events.write(Event(wall_time=time.time(), graph_def=graph_def.SerializeToString()))
            except Exception as e:  # the graph is a nicety; never lose a run over it
                print(f"note: model graph not logged ({type(e).__name__}: {e})", file=self.err)
        self.events.flush()

    def _write_hparams(self) -> None:
        """HParams: the settings that decide a run's numbers, against HPARAMS_METRIC. Integers
        as text (TensorBoard prints numbers as 1.0000), sizes as 2-2-2, data by its name.
        TensorBoard 2.21 shows the first five by name (backend, batch_size, data, lr, seed);
        per_unit_bias and init are in the run's name and in run/config."""
        from torch.utils.tensorboard import summary as tbs
        cfg = self.cfg
        hp = {"lr": cfg.lr, "sizes": "-".join(map(str, cfg.sizes)),
              "batch_size": str(cfg.batch_size) if cfg.batch_size else f"all ({len(self.inputs)})",
              "seed": str(cfg.seed), "shuffle": cfg.shuffle, "train_bias": cfg.train_bias, "steps": str(cfg.steps),
              "backend": cfg.backend, "data": Path(cfg.data).name if cfg.data else cfg.dataset}
        exp, ssi, _ = tbs.hparams(hp, {HPARAMS_METRIC: 0.0})
        self.events.write_summary(exp)
        self.events.write_summary(ssi)

    def _round_table(self, trace) -> str:
        """Markdown: the first round's net, out, error and gradients, as the deck lists them."""
        lines = [f"Round {self.start + 1}, first row of the batch:", "", "| quantity | value |", "|---|---|"]
        for l, layer in enumerate(trace.layers, start=1):
            kind = "o" if l == len(trace.layers) else ("h" if len(trace.layers) == 2 else f"h{l}_")
            for j in range(layer.net.shape[1]):
                lines.append(f"| net_{kind}{j + 1} | {layer.net[0, j].item():.9f} |")
                lines.append(f"| out_{kind}{j + 1} | {layer.out[0, j].item():.9f} |")
        for k, e in enumerate(trace.loss_terms.tolist(), start=1):
            lines.append(f"| E_o{k} | {e:.9f} |")
        lines.append(f"| E_total | {trace.loss.item():.9f} |")
        grads = torch.cat([g.reshape(-1) for g in trace.grads.values()]).tolist()
        for tag, g in zip([c for c in self.columns if c.startswith("grad/")], grads):
            lines.append(f"| ∂E_total/∂{tag[5:]} | {g:.9f} |")
        return "\n".join(lines)

    # ---- the loop -----------------------------------------------------------------------
    def run(self) -> RunResult:
        # From here on, SIGINT/SIGTERM end the run cleanly after the current round.
        with StopSignals() as stop:
            return self._run(stop)

    def _run(self, stop: StopSignals) -> RunResult:
        cfg = self.cfg
        self._open_logs()
        model, sgd, batches = self.model, self.sgd, iter(self.stream)
        if not self.continuing:  # the run's first batch, traced for the round-1 text panel
            first = backprop(model, *next(iter(BatchStream(self.inputs, self.targets, cfg.batch_size))))
            self._write_run_summaries(first)
        params = [p.detach().view(-1) for p in model.parameters()]
        pnames = [n for n, _ in model.named_parameters()]
        n_cols = len(self.columns)
        buf = torch.empty(FLUSH_ROWS, n_cols, dtype=torch.float64, device=cfg.device)
        steps_buf, wall_buf = np.empty(FLUSH_ROWS, dtype=np.int64), np.empty(FLUSH_ROWS)
        self._pending = 0
        deck = is_deck_setting(cfg)
        table_rounds = set(range(TABLE_EVERY, cfg.steps + 1, TABLE_EVERY)) | {1, cfg.steps}
        self._print_table_header(deck)
        t_start = t_flush = t_progress = time.monotonic()
        r, status, reached = self.start, "finished", False
        full_col = self.columns.index("loss/full") if self.full_loss else 0  # the error on all data

        def flush():
            n = self._pending
            if n:
                block = buf[:n].cpu().numpy()
                bad = ~np.isfinite(block[:, 0])
                cut = int(np.argmax(bad)) + 1 if bad.any() else n
                self._write_rows(steps_buf[:cut], wall_buf[:cut], block[:cut])
                self._pending = 0
                if bad.any():
                    raise NonFiniteLoss(f"E_total became {block[cut - 1, 0]} at round {steps_buf[cut - 1]}")
            self.history.flush()
            self.events.flush()

        try:
            for r in range(self.start + 1, cfg.steps + 1):
                inputs, targets = next(batches)
                trace = sgd.forward_backward(inputs, targets)
                if r == 1 or r % cfg.log_interval == 0 or r == cfg.steps:
                    i = self._pending
                    pieces = [trace.loss.view(1), trace.loss_terms]
                    if self.full_loss:
                        with torch.no_grad():
                            pieces.append(half_sse(model(self.inputs), self.targets).view(1))
                    if self.per_scalar:
                        pieces += params
                        pieces += [trace.grads[n].reshape(-1) for n in pnames]
                    else:
                        pieces += [torch.linalg.vector_norm(p).view(1) for p in params]
                        pieces += [torch.linalg.vector_norm(trace.grads[n]).view(1) for n in pnames]
                    if cfg.check_grads:
                        pieces.append(self._grad_difference(inputs, targets, trace.grads).view(1))
                    torch.cat(pieces, out=buf[i])
                    steps_buf[i], wall_buf[i] = r, time.time()
                    self._pending = i + 1
                    if r in table_rounds:
                        self._print_table_row(r, trace.loss.item(), deck, buf[i, full_col].item())
                    reached = cfg.target_loss is not None and buf[i, full_col].item() <= cfg.target_loss
                sgd.step(trace)
                if self._pending == FLUSH_ROWS or (r & 63 == 0 and time.monotonic() - t_flush > FLUSH_SECONDS):
                    flush()
                    t_flush = time.monotonic()
                if cfg.save_interval and r % cfg.save_interval == 0 and r < cfg.steps:
                    flush()
                    self._save(r)
                if r & 255 == 0 and time.monotonic() - t_progress > PROGRESS_SECONDS:
                    t_progress = time.monotonic()
                    rate = (r - self.start) / (t_progress - t_start)
                    print(f"round {r}/{cfg.steps}  {rate:,.0f} rounds/s  "
                          f"{(cfg.steps - r) / rate:,.0f} s left", file=self.err, flush=True)
                if stop.signum:
                    status = f"interrupted ({signal.Signals(stop.signum).name})"
                    break
                if reached:
                    status = f"reached E <= {cfg.target_loss:g} at round {r} in {time.monotonic() - t_start:.2f} s"
                    self._print_table_row(r, buf[self._pending - 1, 0].item(), deck, buf[self._pending - 1, full_col].item())
                    break
            flush()
        except NonFiniteLoss as e:
            self._close()
            raise NonFiniteLoss(f"{e}; stopped, logs up to that round kept in {self.logdir}") from None
        except BaseException:
            self._close()
            raise
        done = r  # the loop stops after round r's update, finished or not
        if cfg.save_model:
            self._save(done)
        with torch.no_grad():
            outputs = model(self.inputs)
            final = half_sse(outputs, self.targets).item()
        from torch.utils.tensorboard import summary as tbs
        if self.continuing:  # HParams shows the settings of the whole run, --steps included
            self._write_hparams()
        self.events.write_summary(tbs.scalar(HPARAMS_METRIC, final, new_style=True), step=r)
        if not status.startswith("interrupted"):
            self.events.write_summary(tbs.hparams({"steps": str(cfg.steps)}, {HPARAMS_METRIC: final})[2], step=r)
        self._close()
        # Pictures in a child process: drawing them takes longer than the deck's whole run. The
        # milestone images go to the events only when the run ends normally (a resumed run's
        # START record would not hide images of an interrupted one drawn after it).
        drawing = None if cfg.dry_run else figures.start(
            self.logdir, events_after=None if status.startswith("interrupted") else self.start)
        result = RunResult(self.logdir, done, status, final, outputs.tolist(), drawing)
        self._print_summary(result)
        return result

    def _grad_difference(self, inputs, targets, grads) -> torch.Tensor:
        """max |autograd − manual| over every gradient of this round (the other backend's)."""
        if self.cfg.backend == "manual":
            with torch.enable_grad():
                other = torch.autograd.grad(half_sse(self.model(inputs), targets), list(self.model.parameters()))
        else:
            other = backprop(self.model, inputs, targets, keep=False).grads.values()
        return torch.stack([(a - b).abs().max() for a, b in zip(grads.values(), other)]).max()

    def _write_rows(self, steps, walls, block) -> None:
        text = io.StringIO()
        for step, row in zip(steps.tolist(), block.tolist()):
            text.write(f"{step},{','.join(map(repr, row))}\n")
        self.history.write(text.getvalue())
        self.events.write_bytes(self.rows.encode(steps, walls, block))

    def _save(self, rounds: int) -> None:
        save_checkpoint(self.cfg.save_model, {
            "round": rounds, "model": self.model.state_dict(), "optimizer": self.sgd.state_dict(),
            "data_order": self.stream.state_dict(),
            "config": json.loads(json.dumps(dataclasses.asdict(self.cfg))),
            "torch_version": str(torch.__version__), "torch_bp_version": __version__})

    def _close(self) -> None:
        for f in (getattr(self, "history", None), getattr(self, "events", None)):
            if f is not None:
                f.close()

    # ---- what the terminal shows --------------------------------------------------------
    def _print_table_header(self, deck: bool) -> None:
        batch = f"  {'E all data':>14}" if self.full_loss else ""  # mini-batches: the batch's E differs
        print(f"{'round':>7}  {'E_total':>14}{batch}" + ("  slide 40" if deck else ""), file=self.out)

    def _print_table_row(self, r: int, loss: float, deck: bool, full: float) -> None:
        slide = DECK_ERROR_TABLE.get(r, "") if deck else None
        line = f"{r:>7}  {loss:>14.9f}" + (f"  {full:>14.9f}" if self.full_loss else "") + (f"  {slide}" if slide else "")
        print(line, file=self.out, flush=True)

    def _print_summary(self, res: RunResult) -> None:
        def row(values, spec=".9f"):
            return ", ".join(f"{v:{spec}}" for v in values)
        outs = f"[{row(res.outputs[0])}]" if len(res.outputs) == 1 else f"{len(res.outputs)} rows, below"
        head = {"finished": f"finished: {res.rounds} rounds"}.get(res.status, res.status)
        if res.status.startswith("interrupted"):
            head += f" after {res.rounds} rounds"
        all_data = " on all data" if self.full_loss else ""
        print(f"\n{head}. After the last update: E_total{all_data} = {res.final_loss:.10g}, outputs = {outs}",
              file=self.out)
        if 1 < len(res.outputs) <= SHOWN_ROWS:  # XOR's 4 rows: what the network learned, row by row
            for x, out, t in zip(self.inputs.tolist(), res.outputs, self.targets.tolist()):
                print(f"  inputs [{row(x, 'g')}] -> outputs [{row(out)}]   targets [{row(t, 'g')}]", file=self.out)
        print(f"logs: {self.logdir}/ (history.csv, config.json, TensorBoard events)", file=self.out)
        if res.figures is not None:
            print(f"figures: {self.logdir / figures.FOLDER}/ (loss, parameters, network-first, network-last; "
                  "drawn in the background, ready in a few seconds)", file=self.out)
        print(f"dashboard: {dashboard_hint(self.logdir)}   then open {DASHBOARD_URL}", file=self.out)
        if self.cfg.save_model:
            print(f"checkpoint: {self.cfg.save_model}", file=self.out)


def train(cfg: TrainConfig, out=None, err=None, checkpoint: dict | None = None) -> RunResult:
    return Trainer(cfg, out, err, checkpoint).run()

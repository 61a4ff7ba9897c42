"""A run folder: history.csv (one row per logged round), config.json, and the TensorBoard
event file, new or continued; every whole-file write is atomic (a temporary file renamed)."""
from __future__ import annotations

import io
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from .events import EventWriter, ScalarRows


def atomic_write_text(path: Path, text: str) -> None:
    """Write beside `path`, then rename over it: a reader sees the old file or the new, whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def default_logdir(cfg) -> Path:
    """runs/<date-time>_<backend>_lr<η>_<steps>steps_<sizes>_<data>[_bs<B>][_bias], made unique;
    a dry run gets a temporary folder, leaving runs/ alone."""
    if cfg.dry_run:
        return Path(tempfile.mkdtemp(prefix="torch_bp-dry-run-"))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    data = Path(cfg.data).stem if cfg.data else cfg.dataset
    parts = [stamp, cfg.backend, f"lr{cfg.lr:g}", f"{cfg.steps}steps", "-".join(map(str, cfg.sizes)), data]
    if cfg.batch_size:
        parts.append(f"bs{cfg.batch_size}")
    if cfg.train_bias:
        parts.append("bias")
    base = path = Path("runs") / "_".join(parts)
    k = 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def check_new_logdir(path: Path) -> None:
    """A folder that holds no run yet and can be written to; created. ValueError if not."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"--logdir {path}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()):
        raise ValueError(f"--logdir {path}: already holds a run; choose a new folder "
                         "(or --resume a checkpoint of that run)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise ValueError(f"--logdir {path}: cannot write there ({e.strerror or e})") from None


class RunFolder:
    """history.csv, config.json and the event file of one run. Rows go to both logs at once."""

    def __init__(self, path: Path, columns: list[str], history, events: EventWriter):
        self.path, self.columns, self.history, self.events = path, columns, history, events
        self.rows = ScalarRows(columns)

    @classmethod
    def create(cls, path: Path, columns: list[str]) -> "RunFolder":
        """A new run in `path` (which must hold no run yet)."""
        check_new_logdir(path)
        history = open(path / "history.csv", "x", newline="")
        history.write(",".join(["round"] + columns) + "\n")
        history.flush()  # a run stopped before its first rows still has its header
        return cls(path, columns, history, EventWriter(path))

    @classmethod
    def resume(cls, path: Path, columns: list[str], rounds: int) -> "RunFolder":
        """Continue the run in `path` after round `rounds`: history.csv keeps its rows up to
        there (later ones were never checkpointed), and TensorBoard is told to drop the event
        file's later rounds (a SessionLog START at round `rounds` + 1)."""
        history_path = path / "history.csv"
        lines = history_path.read_text().splitlines(keepends=True) if history_path.exists() else []
        header = ",".join(["round"] + columns) + "\n"
        if lines and lines[0] != header:
            raise ValueError(f"{history_path}: its columns do not match this run's")
        kept = [header] + [ln for ln in lines[1:] if ln.endswith("\n") and int(ln.split(",", 1)[0]) <= rounds]
        atomic_write_text(history_path, "".join(kept))
        events = sorted(path.glob("events.out.tfevents.*"))
        writer = EventWriter(path, append_to=events[-1]) if events else EventWriter(path)
        from tensorboard.compat.proto.event_pb2 import Event, SessionLog
        writer.write(Event(wall_time=time.time(), step=rounds + 1, session_log=SessionLog(status=SessionLog.START)))
        return cls(path, columns, open(history_path, "a", newline=""), writer)

    def write_config(self, config: dict) -> None:
        atomic_write_text(self.path / "config.json", json.dumps(config, indent=2) + "\n")

    def write_rows(self, steps: np.ndarray, walls: np.ndarray, block: np.ndarray) -> None:
        """Rounds `steps` (N,), their wall times (N,) and values (N, len(columns)), float64."""
        text = io.StringIO()
        for step, row in zip(steps.tolist(), block.tolist()):
            text.write(f"{step},{','.join(map(repr, row))}\n")
        self.history.write(text.getvalue())
        self.events.write_bytes(self.rows.encode(steps, walls, block))

    def flush(self) -> None:
        self.history.flush()
        self.events.flush()

    def close(self) -> None:
        self.history.close()
        self.events.close()

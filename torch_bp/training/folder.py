"""A run folder: history.csv (one row per logged round), config.json, and the TensorBoard
event file, new or continued; every whole-file write is atomic (a temporary file renamed)."""
from __future__ import annotations

import fcntl
import errno
import io
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog

from torch_bp.core.files import atomic_write, read_text_capped

from .config import ConfigError
from .dashboard import LOG10_LOSS
from .events import EventWriter, ScalarRows, inspect_event_file, repair_event_file
from .history import kept_history, set_aside
from .pictures import IMAGES_SUFFIX


def atomic_write_text(path: Path, text: str) -> None:
    """Write beside `path`, then rename over it: a reader sees the old file or the new, whole."""
    atomic_write(path, text.encode())


MARKER = ".torch_bp-run"  # a folder's proof that torch_bp made it: "torch_bp <kind> <run id>"
LOG_FILES = ("history.csv", "config.json", MARKER)  # and events.out.tfevents.*


def is_log_file(path: Path) -> bool:
    """Is `path` one of the files a run writes in its folder (or one's temporary file)?"""
    name = path.name
    if name.startswith(".") and name.endswith(".tmp"):  # atomic_write's .<name>.<pid>.tmp
        name = name[1:].rsplit(".", 2)[0]
    return name in LOG_FILES or name.startswith(("events.out.tfevents.", "history.after-round-"))


def new_run_id() -> str:
    """A run's identity: written in its folder's marker, its config.json and its checkpoints."""
    return uuid.uuid4().hex


def read_marker(path: Path) -> tuple[str, str] | None:
    """(kind, run id) of the folder's marker ("train" or "sweep"), or None if it has none we wrote."""
    try:
        parts = read_text_capped(path / MARKER, 4096).split()
    except (OSError, ValueError):
        return None
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "torch_bp" else None


def config_run_id(path: Path) -> str | None:
    """The run id in the folder's config.json (meta.run_id), or None if it holds none."""
    try:
        config = json.loads(read_text_capped(path / "config.json"))
        return config["meta"]["run_id"]
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


def _lock(path: Path) -> int:
    """An exclusive lock on the run folder, held while the run writes there (the kernel drops
    it when the process ends, however it ends). ValueError if another run holds it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigError("logdir", f"{path}: already holds a run (another run is writing there now)") from None
    return fd


def _stopped_before_its_first_round(path: Path) -> bool:
    """Is the folder a run of ours (train.py's marker, and config.json if any with the same run
    id) that holds only its own files and no logged round: one stopped before its first flush?"""
    marker = read_marker(path)
    if marker is None or marker[0] != "train":
        return False
    if not all(p.is_file() and is_log_file(p) for p in path.iterdir()):
        return False
    if (path / "config.json").exists() and config_run_id(path) != marker[1]:
        return False
    history = path / "history.csv"
    return not history.exists() or len(history.read_bytes().splitlines()) <= 1


def claim_new_logdir(path: Path, run_id: str, kind: str = "train") -> int:
    """A folder that holds no run yet, created, locked (see _lock) and marked as run `run_id`'s
    (MARKER): the lock's file descriptor. A folder that holds anything else is refused
    (ConfigError), unless it is a run of ours stopped before its first round, whose files are
    removed: torch_bp deletes only what it can prove it wrote."""
    if path.exists() and not path.is_dir():
        raise ConfigError("logdir", f"{path}: exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError("logdir", f"{path}: cannot write there ({e.strerror or e})") from None
    fd = _lock(path)
    try:
        if any(path.iterdir()):
            if read_marker(path) is None:
                raise ConfigError("logdir", f"{path}: holds files torch_bp did not write (no {MARKER}); "
                                  "choose a new folder")
            if kind != "train" or not _stopped_before_its_first_round(path):
                raise ConfigError("logdir", f"{path}: already holds a run; choose a new folder "
                                  "(or resume a checkpoint of that run)")
            for p in path.iterdir():
                p.unlink()
        _write_marker(path, kind, run_id)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_marker(path: Path, kind: str, run_id: str) -> None:
    """The folder's MARKER, made before any other file of the run (a new file: O_EXCL)."""
    try:
        fd = os.open(path / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, f"torch_bp {kind} {run_id}\n".encode())
        finally:
            os.close(fd)
    except OSError as e:
        raise ConfigError("logdir", f"{path}: cannot write there ({e.strerror or e})") from None


def check_identity(path: Path, run_id: str | None) -> None:
    """Does the folder hold run `run_id` (its marker and its config.json say so)? ConfigError
    naming resume if not: a resumed run writes only into the folder it can prove is its own."""
    where = f": the run folder {path}"
    if not run_id:
        raise ConfigError("resume", f"{where} cannot be proved the checkpoint's (the checkpoint has no run "
                          "id); resume into a new run folder with logdir")
    marker = read_marker(path)
    if marker is None or marker[1] != run_id or config_run_id(path) != run_id:
        raise ConfigError("resume", f"{where} holds another run than the checkpoint's (run id "
                          f"{run_id[:12]}); it is left as it is: resume into a new run folder with logdir")


LOG_ALL_UP_TO = 10_000  # by default every round is logged up to here (see logged_rounds)


def logged_rounds(every: int | None, steps: int):
    """Which rounds a run logs: with `every`, round 1, every `every`-th and the last; without
    (the default), every round up to LOG_ALL_UP_TO, then every 10th up to 10× that, every 100th
    up to 100× that, ...: a long run's logs grow by a tenth as fast each decade."""
    def logged(r: int) -> bool:
        if r == 1 or r == steps:
            return True
        if every is not None:
            return r % every == 0
        step = 1
        while r > LOG_ALL_UP_TO * step:
            step *= 10
        return r % step == 0
    return logged


class RunFolder:
    """history.csv, config.json and the event file of one run. Rows go to both logs at once."""

    def __init__(self, path: Path, columns: list[str], history, events: EventWriter, lock: int):
        self.path, self.columns, self.history, self.events, self.lock = path, columns, history, events, lock
        self.dense = sum(not c.startswith("curvature/") for c in columns)  # the curvature columns come last
        self.rows = ScalarRows(columns[:self.dense])
        self.sparse = ScalarRows(columns[self.dense:]) if self.dense < len(columns) else None
        # the error's fall as TensorBoard's first card shows it: log10 E_total (events only, not history.csv)
        self.log10 = ScalarRows([LOG10_LOSS]) if "loss/total" in columns else None
        self.set_aside: tuple[Path, int, int] | None = None  # resume: (file, first, last round) moved there

    @classmethod
    def create(cls, path: Path, columns: list[str], run_id: str) -> "RunFolder":
        """A new run, `run_id`, in `path` (which must hold no run yet)."""
        lock = claim_new_logdir(path, run_id)
        try:
            history = open(path / "history.csv", "x", newline="")
            history.write(",".join(["round"] + columns) + "\n")
            history.flush()  # a run stopped before its first rows still has its header
            return cls(path, columns, history, EventWriter(path), lock)
        except FileExistsError:
            os.close(lock)
            raise ConfigError("logdir", f"{path}: already holds a run") from None
        except OSError as e:
            os.close(lock)
            raise ConfigError("logdir", f"{path}: cannot write there ({e.strerror or e})") from None

    @classmethod
    def resume(cls, path: Path, columns: list[str], rounds: int, logged=None, run_id: str | None = None) -> "RunFolder":
        """Continue the run in `path` after round `rounds`: history.csv keeps its rows up to
        there; later ones (logged after the checkpoint) go to history.after-round-<rounds>.csv,
        never lost (`set_aside` says where); the event file loses a partial last record,
        and TensorBoard is told to drop its later rounds (a SessionLog START at `rounds` + 1).
        logged(r): did the run log round r (default: logged_rounds(None, rounds)). Everything
        is checked before anything is written: ValueError if the folder is not run `run_id`'s
        (check_identity), cannot be written, or its logs were cut before `rounds`."""
        logged = logged or logged_rounds(None, rounds)
        lock = _lock(path)
        try:
            check_identity(path, run_id)
            history_path = path / "history.csv"
            kept, after = kept_history(history_path, columns, rounds, logged)
            events = sorted(p for p in path.glob("events.out.tfevents.*")
                            if not p.name.endswith(IMAGES_SUFFIX))  # the trainer's own, not the pictures'
            if events:
                _, _, steps = inspect_event_file(events[-1])
                last = int(kept[-1].split(",", 1)[0]) if len(kept) > 1 else None
                if last is not None and last not in steps:
                    raise ValueError(f"{events[-1]}: ends before round {last}, which history.csv holds (the "
                                     "file was cut); resume into a new run folder to keep this run as it is")
            _check_writable(path, [history_path, *events[-1:]])
            aside = set_aside(path, rounds, kept[0], after)
            atomic_write_text(history_path, "".join(kept))
            if events:
                repair_event_file(events[-1])
            writer = EventWriter(path, append_to=events[-1]) if events else EventWriter(path)
        except BaseException:
            os.close(lock)
            raise
        writer.write(Event(wall_time=time.time(), step=rounds + 1, session_log=SessionLog(status=SessionLog.START)))
        folder = cls(path, columns, open(history_path, "a", newline=""), writer, lock)
        folder.set_aside = aside
        return folder

    def write_config(self, config: dict) -> None:
        atomic_write_text(self.path / "config.json", json.dumps(config, indent=2) + "\n")

    def write_rows(self, steps: np.ndarray, walls: np.ndarray, block: np.ndarray) -> None:
        """Rounds `steps` (N,), their wall times (N,) and values (N, len(columns)), float64."""
        text = io.StringIO()
        for step, row in zip(steps.tolist(), block.tolist()):
            text.write(f"{step},{','.join(map(repr, row))}\n")
        self.history.write(text.getvalue())
        self.events.write_bytes(self.rows.encode(steps, walls, block[:, :self.dense]))
        if self.sparse is not None:  # λ_max and 2/η: to the events at the rounds measured only (NaN elsewhere)
            measured = np.isfinite(block[:, self.dense])
            self.events.write_bytes(self.sparse.encode(steps[measured], walls[measured], block[measured, self.dense:]))
        if self.log10 is not None:
            k = self.columns.index("loss/total")
            with np.errstate(divide="ignore"):  # E = 0 exactly: -inf, as log10 says
                self.events.write_bytes(self.log10.encode(steps, walls, np.log10(block[:, k:k + 1])))

    def flush(self) -> None:
        """Write out both logs; FileNotFoundError if history.csv was deleted meanwhile (rm -rf of
        the folder: the writes would go on into a file no one can read, and the run "finish")."""
        self.history.flush()
        self.events.flush()
        if os.fstat(self.history.fileno()).st_nlink == 0:
            raise FileNotFoundError(errno.ENOENT, "deleted while the run wrote it", str(self.path / "history.csv"))

    def close(self) -> None:
        """Close both logs (each flushed first) and unlock the folder; the first error, if any, after all three."""
        errors = []
        for f in (self.history, self.events):
            try:
                f.close()
            except OSError as e:
                errors.append(e)
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None
        if errors:
            raise errors[0]


def _check_writable(path: Path, files: list[Path]) -> None:
    """Can the run write in `path` (a file created and removed) and append to `files`? ValueError if not."""
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
        for f in files:
            if f.exists():
                open(f, "r+b").close()  # opened for writing, nothing written
    except OSError as e:
        raise ConfigError("resume", f": the run folder {path} cannot be written ({e.strerror or e}); "
                          "resume into a new run folder") from None

"""Files written whole or not at all, and read with a bound.

Every write in torch_bp that replaces a file (a checkpoint, config.json, a figure, a chart, a
sweep's results) goes through atomic_write / atomic_file: the new bytes go to a temporary file
beside the target, are fsynced, renamed over it (os.replace), and the folder is fsynced. A
crash, a signal or a full disk at any moment leaves the old file or the new one, whole; on an
error the temporary file is removed and the OSError names the target, not the temporary file.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

# the largest input file torch_bp reads (data, init, answers, config.json): far above any real
# one, far below what would exhaust memory (/dev/zero, a mistyped path to a disk image)
MAX_INPUT_BYTES = 256 * 2**20


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike):
    """A binary file to write `path`'s new contents into; on leaving, fsynced and renamed over
    `path` (then the folder fsynced). On any error nothing at `path` changes."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:  # e.g. a full disk: name the file, not its temporary file
        raise type(e)(e.errno, e.strerror, str(path)) from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_folder(path.parent)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` over `path`, whole or not at all (see atomic_file)."""
    with atomic_file(path) as f:
        f.write(data)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is done either way
    finally:
        os.close(fd)


def read_bytes_capped(path: str | os.PathLike, limit: int = MAX_INPUT_BYTES) -> bytes:
    """A file's bytes; ValueError if it holds more than `limit` (read no further than that,
    so /dev/zero or a FIFO that never ends costs `limit` bytes, not all of memory)."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit:,} bytes; not an input torch_bp reads")
    return data


def read_text_capped(path: str | os.PathLike, limit: int = MAX_INPUT_BYTES) -> str:
    """read_bytes_capped, decoded as UTF-8 (UnicodeDecodeError if it is not)."""
    return read_bytes_capped(path, limit).decode("utf-8")

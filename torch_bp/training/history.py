"""history.csv when a run is resumed from a checkpoint: the rows up to the checkpoint's round
stay; the rows logged after it (a run that went on and was stopped before its next checkpoint)
move, whole, to history.after-round-<round>.csv beside it: nothing logged is ever dropped."""
from __future__ import annotations

from pathlib import Path

from torch_bp.core.files import atomic_write


def set_aside(path: Path, rounds: int, header: str, after: list[str]) -> tuple[Path, int, int] | None:
    """Rows logged after the checkpoint, written whole to a new history.after-round-<rounds>[-k].csv."""
    if not after:
        return None
    target, k = path / f"history.after-round-{rounds}.csv", 1
    while target.exists():  # a second resume from the same checkpoint keeps the first's too
        k += 1
        target = path / f"history.after-round-{rounds}-{k}.csv"
    atomic_write(target, (header + "".join(after)).encode())
    return target, int(after[0].split(",", 1)[0]), int(after[-1].split(",", 1)[0])


def kept_history(path: Path, columns: list[str], rounds: int, logged) -> tuple[list[str], list[str]]:
    """history.csv's lines up to round `rounds` and those after it (a partial last line dropped);
    ValueError naming history.csv if a row is damaged or the rows stop before the last round
    logged by `rounds`."""
    header = ",".join(["round"] + columns) + "\n"
    try:
        lines = path.read_text().splitlines(keepends=True) if path.exists() else []
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    if lines and lines[0] != header:
        theirs, ours = lines[0].rstrip("\n").split(","), ["round", *columns]
        extra, missing = [c for c in theirs if c not in ours], [c for c in ours if c not in theirs]
        raise ValueError(f"{path}: its columns do not match this run's (only the file has: {', '.join(extra) or '-'}; "
                         f"only this run logs: {', '.join(missing) or '-'}); resume with the settings the run "
                         "was started with")
    if lines and not lines[-1].endswith("\n"):
        lines.pop()  # cut mid-row: a crash or a full disk while it was written
    kept, after, previous = [header], [], 0
    for k, line in enumerate(lines[1:], start=2):
        head = line.split(",", 1)[0]
        if not head.isdigit() or line.count(",") != len(columns) or int(head) <= previous:
            raise ValueError(f"{path}: line {k} is damaged; resume into a new run folder to keep this run as it is")
        previous = int(head)
        (kept if previous <= rounds else after).append(line)
    last_logged = next((r for r in range(rounds, max(rounds - 10**7, 0), -1) if logged(r)), None)
    last_kept = int(kept[-1].split(",", 1)[0]) if len(kept) > 1 else 0
    if last_logged is not None and last_kept < last_logged:
        raise ValueError(f"{path}: holds rounds up to {last_kept}, but the checkpoint is at round {rounds} "
                         f"(round {last_logged} was logged): the file was cut; resume into a new run folder "
                         "to keep this run as it is")
    return kept, after

"""Measuring on a shared machine: interleaved repeats, medians, paired ratios; tables and targets."""
from __future__ import annotations

import os
import statistics
from pathlib import Path
from time import perf_counter


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def interleaved(contenders: dict, repeats: int) -> dict[str, list[float]]:
    """Run every contender once per repeat, the order rotated each repeat; each contender is a
    zero-argument callable that returns the seconds it timed. {name: [seconds per repeat]}."""
    names = list(contenders)
    times = {name: [] for name in names}
    for k in range(repeats):
        for name in names[k % len(names):] + names[:k % len(names)]:
            times[name].append(contenders[name]())
    return times


def median(values) -> float:
    return statistics.median(values)


def paired_ratio(num: list[float], den: list[float]) -> float:
    """median over repeats of num_k / den_k: both ran back to back in repeat k, under the
    same load, so the ratio is steadier than the ratio of the medians on a shared machine."""
    return median([n / d for n, d in zip(num, den)])


def fresh_dir(root: Path, name: str) -> Path:
    """A new, not yet existing folder under root (train() wants to create its own logdir)."""
    k = 0
    while (root / f"{name}-{k}").exists():
        k += 1
    return root / f"{name}-{k}"


def dir_bytes(path: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in path.glob(pattern))


def table(headers: list[str], rows: list[list], indent: str = "  ") -> str:
    """Columns as wide as their widest cell; the first left-aligned, the others right-aligned."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(headers))]
    lines = []
    for i, r in enumerate(cells):
        padded = [c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))]
        lines.append(indent + "  ".join(padded))
        if i == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict(met: bool | None) -> str:
    return "n/a " if met is None else ("PASS" if met else "MISS")


class Targets:
    """The targets met and missed, printed at the end and kept for --json."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, name: str, value: float | None, goal: str, met: bool | None, note: str = "") -> None:
        self.rows.append({"target": name, "value": value, "goal": goal, "met": met, "note": note})

    def report(self) -> str:
        lines = []
        for t in self.rows:
            value = "not measured" if t["value"] is None else f"{t['value']:.2f}"
            lines.append(f"  {verdict(t['met'])}  {t['target']}: {value} (target {t['goal']})"
                         + (f"  [{t['note']}]" if t["note"] else ""))
        return "\n".join(lines)


def timed_block(fn, n: int, sync=None):
    def run() -> float:
        t0 = perf_counter()
        for _ in range(n):
            fn()
        if sync:
            sync()
        return (perf_counter() - t0) / n
    return run



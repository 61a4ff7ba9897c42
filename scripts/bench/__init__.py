"""Speed and memory of torch_bp, side by side in one run, with the targets they must meet.

    timing.py      interleaved repeats, medians, paired ratios; tables; Targets
    contenders.py  the plain eager loop, torch_bp's backends, whole train() runs, the scale passes
    train.py       section "train": the deck's network per round and in whole 10,000-round runs
    sharpness.py   section "sharpness": the default run with and without λ_max logging; a sweep's
    scale.py       section "scale": a float32 784-1024-1024-10 network over batch sizes
    sweep.py       section "sweep" (by name or "all" only: minutes): many networks in one process against
                   one train.py run; on a GPU, 10^4 to 10^6 networks
    memory.py      peak memory of one pass, each contender in a fresh process

A section is a function (settings, root, targets) -> dict of figures, registered in SECTIONS
by name: `scripts/benchmark.py --section NAME` runs it. Every time is a median over repeats; in
each repeat the contenders run one after another, in a rotated order, so a burst of load from
other processes hits them alike, and every ratio is the median of the per-repeat ratios.
Nothing fails on a missed target: each is printed with PASS or MISS.
"""
from __future__ import annotations

import os
import platform
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

import torch

from bench.scale import bench_scale
from bench.sharpness import bench_sharpness
from bench.sweep import bench_sweep
from bench.timing import Targets, usable_cores
from bench.train import bench_train

SECTIONS = {"train": bench_train, "sharpness": bench_sharpness, "scale": bench_scale,
            "sweep": bench_sweep}  # name -> section(settings, root, targets)
DEFAULT_SECTIONS = ("train", "sharpness", "scale")  # without --section; sweep (minutes of whole processes) only by name or "all"


@dataclass(frozen=True)
class Settings:
    """How much to measure; quick: a smoke test of a few seconds (figures indicative only)."""
    quick: bool = False
    repeats: int = 7                  # timed repeats per figure, the median reported
    run_repeats: int = 5              # repeats of the whole 10,000-round runs
    batch_sizes: tuple = (1, 16, 64, 256, 1024, 4096)  # section scale
    threads: int = field(default_factory=usable_cores)  # torch.set_num_threads

    @property
    def block_rounds(self) -> int:  # rounds per timed block, section train
        return 200 if self.quick else 2_000

    @property
    def warmup_rounds(self) -> int:
        return 50 if self.quick else 300

    @property
    def run_steps(self) -> int:  # rounds of a whole run: the default run's
        return 300 if self.quick else 10_000

    @property
    def min_block_s(self) -> float:  # section scale: seconds per timed block, at least
        return 0.01 if self.quick else 0.05


QUICK = {"repeats": 2, "run_repeats": 1, "batch_sizes": (16, 256)}  # --quick's defaults


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"torch": torch.__version__, "python": platform.python_version(), "system": platform.system(),
            "cpu": cpu, "usable_cores": usable_cores(), "load_before": load}


def run(settings: Settings, sections: list[str]) -> dict:
    """Run the named sections (SECTIONS' order), print their tables and the targets; every figure."""
    m = machine()
    print(f"torch_bp benchmark{' (--quick)' if settings.quick else ''}: torch {m['torch']}, "
          f"Python {m['python']}, {m['system']}, {m['cpu']}")
    print(f"threads: torch.set_num_threads({settings.threads}) ({m['usable_cores']} usable cores); "
          f"load average before: {m['load_before']:.2f}")
    if m["load_before"] >= 0.5 * m["usable_cores"]:
        print(f"warning: other processes are using the cores (load {m['load_before']:.2f}); times will be noisy "
              f"and {settings.threads} threads may stall on each other; prefer a quiet machine")
    print("timing: time.perf_counter, warm-up first, median of repeats; in every repeat the contenders run "
          "back to back\n        (order rotated), and a ratio is the median of the per-repeat ratios")
    targets = Targets()
    figures = {"machine": {**m, "threads": settings.threads}, "quick": settings.quick}
    t0, threads_before = perf_counter(), torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    try:
        with tempfile.TemporaryDirectory(prefix="torch_bp-bench-") as tmp:
            for name in (n for n in SECTIONS if n in sections):
                figures[name] = SECTIONS[name](settings, Path(tmp), targets)
    finally:
        torch.set_num_threads(threads_before)  # run() may be called inside a test session
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures["machine"]["load_after"] = load
    figures["targets"], figures["seconds"] = targets.rows, perf_counter() - t0
    print(f"\n== targets ==\n{targets.report()}")
    met = sum(t["met"] is True for t in targets.rows)
    print(f"  {met} of {sum(t['met'] is not None for t in targets.rows)} met; "
          f"load average after: {load:.2f} (other processes share the cores; compare the ratios)")
    return figures

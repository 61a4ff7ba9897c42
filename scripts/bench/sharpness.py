"""Section "sharpness" (issue 20): what logging λ_max and 2/η costs.

The default run (train(TrainConfig()): the deck, 10,000 rounds, the default logging, λ_max every
TrainConfig.sharpness_interval rounds) against the same run with sharpness_interval = 0,
interleaved; target: the ratio ≤ 1.10. Then the sweep's two measurements (every network at its
start and its end, one batched pass each): SweepRun.train() with and without them, nothing
written, N learning rates of the deck's network.
"""
from __future__ import annotations

import io
from pathlib import Path
from time import perf_counter

from torch_bp.training import TrainConfig, train
from torch_bp.training.config import SweepConfig
from torch_bp.training.sweep_run import SweepRun
from bench.timing import Targets, fresh_dir, interleaved, median, paired_ratio, table

SHARPNESS_COST = 1.10  # issue 20: the default run with sharpness logging ÷ without, at most
SWEEP_NETWORKS, SWEEP_STEPS = 1_000, 1_000  # the sweep's figure (--quick: 100 × 100)


def default_run(steps: int, interval: int, root: Path):
    """A zero-argument callable: one whole train() of the default settings, its seconds."""
    def timed() -> float:
        cfg = TrainConfig(steps=steps, sharpness_interval=interval, logdir=str(fresh_dir(root, f"sharp{interval}")))
        t0 = perf_counter()
        train(cfg, out=io.StringIO(), err=io.StringIO())
        return perf_counter() - t0
    return timed


def sweep_run(networks: int, steps: int, sharpness: bool):
    def timed() -> float:
        run = SweepRun(SweepConfig(lr=tuple(0.01 * 1.01 ** k for k in range(networks)), steps=steps,
                                   sharpness=sharpness), out=io.StringIO(), err=io.StringIO())
        t0 = perf_counter()
        run.train()
        return perf_counter() - t0
    return timed


def bench_sharpness(settings, root: Path, targets: Targets) -> dict:
    steps, interval = settings.run_steps, TrainConfig().sharpness_interval
    print(f"\n== sharpness: λ_max and 2/η logged every {interval:,} rounds (issue 20) ==")
    runs = {"with": default_run(steps, interval, root), "without": default_run(steps, 0, root)}
    for run in runs.values():
        run()  # warm-up: first-use imports and caches
    times = interleaved(runs, settings.run_repeats)
    ratio = paired_ratio(times["with"], times["without"])
    print(f"\nThe default run, {steps:,} rounds, whole train() (median of {settings.run_repeats}):")
    print(table(["run", "wall s"], [[f"sharpness_interval = {interval:,} (the default)", f"{median(times['with']):.3f}"],
                                    ["sharpness_interval = 0 (off)", f"{median(times['without']):.3f}"],
                                    ["ratio, with ÷ without", f"{ratio:.3f}"]]))
    targets.add(f"sharpness: default {steps:,}-round run with λ_max logging ÷ without", ratio,
                f"<= {SHARPNESS_COST:g}", ratio <= SHARPNESS_COST,
                "the target is for 10,000 rounds" if steps != 10_000 else "")
    networks, rounds = (100, 100) if settings.quick else (SWEEP_NETWORKS, SWEEP_STEPS)
    sweeps = {"with": sweep_run(networks, rounds, True), "without": sweep_run(networks, rounds, False)}
    for run in sweeps.values():
        run()
    sweep_times = interleaved(sweeps, settings.run_repeats)
    sweep_ratio = paired_ratio(sweep_times["with"], sweep_times["without"])
    print(f"\nA sweep's training, {networks:,} networks × {rounds:,} rounds, SweepRun.train() (median of "
          f"{settings.run_repeats}):")
    print(table(["sweep", "wall s"], [["λ_max at the start and the end (the default)", f"{median(sweep_times['with']):.3f}"],
                                      ["--no-sharpness", f"{median(sweep_times['without']):.3f}"],
                                      ["ratio, with ÷ without", f"{sweep_ratio:.3f}"]]))
    return {"interval": interval, "run_steps": steps, "run_wall_s": {k: median(v) for k, v in times.items()},
            "run_ratio": ratio, "sweep_networks": networks, "sweep_steps": rounds,
            "sweep_wall_s": {k: median(v) for k, v in sweep_times.items()}, "sweep_ratio": sweep_ratio}

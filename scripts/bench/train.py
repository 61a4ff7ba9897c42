"""Section "train": the deck's 2-2-2 network, per round and whole runs, against the plain loop."""
from __future__ import annotations

from pathlib import Path

from torch_bp.core.deck import DECK_LR
from bench.contenders import BackendLoop, PlainLoop, TrainRun
from bench.processes import whole_processes
from bench.timing import Targets, dir_bytes, interleaved, median, paired_ratio, table

MANUAL_VS_PLAIN = 5.0  # plain loop µs/round ÷ manual backend µs/round
RUN_VS_PLAIN = 2.0     # plain 10,000-round wall ÷ train() 10,000-round wall
PROCESS_VS_PLAIN = 0.5  # `python scripts/train.py` wall ÷ the plain program's, whole processes


LABELS = {
    "manual": "manual backend: ManualSGD forward_backward + step",
    "autograd": "autograd backend: AutogradSGD forward_backward + step",
    "plain": "plain loop without logging (reference)",
    "plain+add_scalar": "plain loop: nn.Module, backward, optim.SGD, add_scalar",
}
RUN_LABELS = {
    "bare": "bare manual loop, no logging",
    "train manual": "train(): manual backend, logging every round",
    "train manual, logging off": "train(): manual, logging rounds 1 and last only",
    "train autograd": "train(): autograd backend, logging every round",
    "plain+add_scalar": "plain loop + add_scalar every round",
}


def bench_train(settings, root: Path, targets: Targets) -> dict:
    """Per round, whole runs, and what train()'s logging costs; two targets."""
    print(f"\n== train: the deck's 2-2-2 network, float64, one sample, η = {DECK_LR} (issue 3) ==")
    rounds = per_round(settings, root)
    runs = whole_runs(settings, root)
    logging = logging_costs(settings.run_steps, runs, rounds["us_per_round"])
    processes = whole_processes(settings, root)
    ratio_round = rounds["vs_plain"]["manual"]
    ratio_run = runs["vs_plain"]["train manual"]
    steps = settings.run_steps
    targets.add("train: plain loop µs/round ÷ manual backend µs/round", ratio_round,
                f">= {MANUAL_VS_PLAIN:g}", ratio_round >= MANUAL_VS_PLAIN,
                "--quick: indicative only" if settings.quick else "")
    targets.add(f"train: plain loop {steps:,}-round wall ÷ train() {steps:,}-round wall", ratio_run,
                f">= {RUN_VS_PLAIN:g}", ratio_run >= RUN_VS_PLAIN,
                "the target is for 10,000 rounds" if steps != 10_000 else "")
    ratio_process = processes["train_over_plain"] if processes else None
    targets.add(f"train: scripts/train.py {steps:,}-round process ÷ plain program's", ratio_process,
                f"<= {PROCESS_VS_PLAIN:g}", None if processes is None else ratio_process <= PROCESS_VS_PLAIN,
                "no scripts/train.py beside the package" if processes is None
                else ("the target is for 10,000 rounds" if steps != 10_000 else ""))
    return {
        "block_rounds": settings.block_rounds, "repeats": settings.repeats, "run_steps": steps,
        "run_repeats": settings.run_repeats, "us_per_round": rounds["us_per_round"],
        "us_per_round_repeats": rounds["repeats"], "run_wall_s": runs["wall"], "run_wall_s_min": runs["fastest"],
        "run_wall_s_repeats": runs["repeats"], "logging": logging, "processes": processes,
        "ratios": {"plain_over_manual_per_round": ratio_round, "plain_run_over_train_run": ratio_run,
                   "train_process_over_plain_process": ratio_process},
    }


def per_round(settings, root: Path) -> dict:
    """Blocks of settings.block_rounds rounds of each loop, no set-up, interleaved."""
    block, warm = settings.block_rounds, settings.warmup_rounds
    loops = {"manual": BackendLoop("manual"), "autograd": BackendLoop("autograd"),
             "plain": PlainLoop(log=False, root=root), "plain+add_scalar": PlainLoop(log=True, root=root)}
    for loop in loops.values():
        loop.block(warm)
    times = interleaved({k: (lambda loop=loop: loop.block(block)) for k, loop in loops.items()}, settings.repeats)
    us = {k: 1e6 * median(v) / block for k, v in times.items()}
    us_min = {k: 1e6 * min(v) / block for k, v in times.items()}
    vs_plain = {k: paired_ratio(times["plain+add_scalar"], v) for k, v in times.items()}
    print(f"\nPer round, no setup (median of {settings.repeats} blocks of {block:,} rounds, "
          f"after {warm:,} warm-up rounds each):")
    print(table(["contender", "µs/round", "min", "plain loop ÷ this"],
                [[LABELS[k], f"{us[k]:.1f}", f"{us_min[k]:.1f}", f"{vs_plain[k]:.2f}×"] for k in loops]))
    print(f"  (one add_scalar per round costs the plain loop {us['plain+add_scalar'] - us['plain']:.1f} µs/round)")
    return {"us_per_round": us, "vs_plain": vs_plain,
            "repeats": {k: [1e6 * s / block for s in v] for k, v in times.items()}}


def whole_runs(settings, root: Path) -> dict:
    """Whole runs of settings.run_steps rounds, set-up and closing included, interleaved."""
    steps, warm = settings.run_steps, settings.warmup_rounds
    bare, plain_run = BackendLoop("manual"), PlainLoop(log=True, root=root)
    train_runs = {k: TrainRun(backend, steps, every, root) for k, backend, every in (
        ("train manual", "manual", 1), ("train manual, logging off", "manual", steps),
        ("train autograd", "autograd", 1))}
    runs = {"bare": lambda: bare.whole_run(steps), **train_runs,
            "plain+add_scalar": lambda: plain_run.whole_run(steps),
            "train manual, 1 round": TrainRun("manual", 1, 1, root)}  # train()'s fixed cost
    for run in (bare.whole_run, *train_runs.values(), plain_run.whole_run):
        run(warm)  # warm-up: first-use imports and caches
    whole = interleaved(runs, settings.run_repeats)
    wall = {k: median(v) for k, v in whole.items()}
    vs_plain = {k: paired_ratio(whole["plain+add_scalar"], v) for k, v in whole.items()}
    print(f"\nWhole runs of {steps:,} rounds, set-up and closing included "
          f"(median of {settings.run_repeats}; train(TrainConfig(logdir=<new temp dir>, graph=False))):")
    print(table(["run", "wall s", "µs/round", "plain run ÷ this"],
                [[RUN_LABELS[k], f"{wall[k]:.3f}", f"{1e6 * wall[k] / steps:.1f}", f"{vs_plain[k]:.2f}×"]
                 for k in RUN_LABELS]))
    return {"wall": wall, "fastest": {k: min(v) for k, v in whole.items()},  # load only ever adds time
            "repeats": whole, "vs_plain": vs_plain, "train_logdir": train_runs["train manual"].last_logdir,
            "plain_logdir": plain_run.last_logdir}


def logging_costs(steps: int, runs: dict, us: dict) -> dict:
    """What train()'s logging costs per round, in time and bytes, from the fastest runs."""
    fastest, logdir = runs["fastest"], runs["train_logdir"]
    ev_bytes = dir_bytes(logdir, "events.out.tfevents.*")
    csv_bytes = dir_bytes(logdir, "history.csv")
    with open(logdir / "history.csv") as f:
        n_values = len(f.readline().rstrip("\n").split(",")) - 1  # columns after "round"
    plain_bytes = dir_bytes(runs["plain_logdir"], "events.out.tfevents.*")
    add_scalar_us = us["plain+add_scalar"] - us["plain"]
    log_total_us = 1e6 * (fastest["train manual"] - fastest["bare"]) / steps
    log_rounds_us = 1e6 * (fastest["train manual"] - fastest["train manual, logging off"]) / steps
    fixed_ms = 1e3 * fastest["train manual, 1 round"]
    round_us = 1e6 * fastest["train manual"] / steps
    print(f"\ntrain()'s logging, from the fastest of each run above ({steps:,} rounds):")
    print(table(["figure", "value"], [
        ["logging per round = (train manual − bare loop) / rounds", f"{log_total_us:.1f} µs"],
        ["  per-round capture and writes = (logging every round − rounds 1 and last only) / rounds",
         f"{log_rounds_us:.1f} µs"],
        ["  fixed cost: a whole 1-round train() (logdir, config.json, summaries, fsync, close)",
         f"{fixed_ms:.0f} ms"],
        ["logging's share of train()'s round", f"{100 * log_total_us / round_us:.0f} %"],
        [f"written per round: events {ev_bytes / steps:.0f} B + history.csv {csv_bytes / steps:.0f} B",
         f"{(ev_bytes + csv_bytes) / steps:.0f} B"],
        ["values per round (one event of float32s; one CSV row of float64s)", f"{n_values}"],
        ["plain loop: add_scalar per round (1 value)", f"{add_scalar_us:.1f} µs, {plain_bytes / steps:.0f} B"],
    ]))
    return {"us_per_round_total": log_total_us, "us_per_round_capture_and_write": log_rounds_us,
            "fixed_ms": fixed_ms, "share_of_round": log_total_us / round_us,
            "event_bytes_per_round": ev_bytes / steps, "csv_bytes_per_round": csv_bytes / steps,
            "values_per_round": n_values, "plain_add_scalar_us": add_scalar_us,
            "plain_event_bytes_per_round": plain_bytes / steps}

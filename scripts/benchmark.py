"""Speed and memory of torch_bp, side by side in one run, with the targets they must meet.

    python scripts/benchmark.py                  # both sections: about 1.5 minutes on 2 quiet cores
    python scripts/benchmark.py --quick          # a smoke test: smaller counts, a few seconds
    python scripts/benchmark.py --section scale --json bench.json

Section "train" (issue 3): microseconds per round of the deck's 2-2-2 network for the manual
backend, the autograd backend and a plain eager-autograd loop (nn.Module, backward,
optim.SGD, one SummaryWriter.add_scalar per round); whole 10,000-round runs of
torch_bp.training.train() against that plain loop; and what train()'s logging costs per round,
in time and in bytes written.

Section "scale" (issue 5): one forward-and-backward of a float32 784-1024-1024-10 network,
manual_gradients() against loss.backward(), over batch sizes: time, samples per second, and
the peak memory each one needs (measured in a fresh process per contender).

Section "sweep" (issue 13; --section sweep only, not in "all": minutes of whole processes):
torch_bp/bench/sweep.py, many networks in one process against one train.py run (and on a GPU,
10^4 to 10^6 networks).

Every time is a median over repeats; in each repeat the contenders run one after another, in
a rotated order, so a burst of load from other processes hits them alike, and every ratio is
the median of the per-repeat ratios. Nothing here fails on a missed target: each target is
printed with PASS or MISS.
"""
from __future__ import annotations

import argparse
import gc
import io
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

try:
    import torch_bp  # noqa: F401
except ImportError:  # a plain checkout: use the package beside this script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from torch import nn

from torch_bp import SEED_INPUTS, SEED_LR, SEED_TARGETS, BackpropNet, half_sse, manual_gradients
from torch_bp.cli import ArgumentParser, fail, path_arg, positive_int, positive_int_list
from torch_bp.model import SEED_WEIGHTS
from torch_bp.sgd import BACKENDS
from torch_bp.training import TrainConfig, train

PROG = "benchmark.py"

# The targets, as the issues state them.
MANUAL_VS_PLAIN = 5.0      # issue 3: plain loop µs/round ÷ manual backend µs/round
RUN_VS_PLAIN = 2.0         # issue 3: plain 10k-round wall ÷ train() 10k-round wall
MANUAL_VS_AUTOGRAD = 1.0   # issue 5: autograd time ÷ manual time, at the target batches
PEAK_SLACK_KIB = 256       # issue 5: manual peak ≤ autograd peak, up to the measure's run-to-run
                           # noise (heap pages of the small tensors: ~0.1-0.2 MiB) or 1%

SCALE_SIZES = (784, 1024, 1024, 10)
SCALE_TARGET_BATCHES = (256, 4096)


# ---- measuring ------------------------------------------------------------------------------
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


# ---- printing -------------------------------------------------------------------------------
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


# ---- section "train": the deck's network, per round and whole runs (issue 3) -----------------
def seed_data():
    return SEED_INPUTS, SEED_TARGETS  # (1, 2) float64 each


def plain_module() -> nn.Module:
    """The deck's network as a PyTorch user writes it: nn.Linear + nn.Sigmoid, float64, the
    seed's weights and biases (per-unit biases filled with b1, b2: the same function)."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid()).double()
    with torch.no_grad():
        for l, linear in enumerate((net[0], net[2])):
            linear.weight.copy_(torch.tensor(SEED_WEIGHTS[f"layers.{l}.weight"], dtype=torch.float64))
            linear.bias.fill_(SEED_WEIGHTS[f"layers.{l}.bias"])
    return net


class PlainLoop:
    """The plain eager-autograd loop: zero_grad, forward, half_sse, backward, optim.SGD step,
    and (log=True) SummaryWriter.add_scalar("loss", loss.item(), r) every round."""

    def __init__(self, log: bool, root: Path):
        from torch.utils.tensorboard import SummaryWriter
        self.SummaryWriter, self.log, self.root = SummaryWriter, log, root
        self.model = plain_module()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=SEED_LR)
        self.last_logdir: Path | None = None

    def rounds(self, n: int, writer=None) -> None:
        model, opt, (x, t) = self.model, self.optimizer, seed_data()
        for r in range(n):
            opt.zero_grad()
            loss = half_sse(model(x), t)
            loss.backward()
            opt.step()
            if writer is not None:
                writer.add_scalar("loss", loss.item(), r)

    def block(self, n: int) -> float:
        """Seconds for n rounds; the writer is opened before the clock and closed inside it."""
        writer = self._writer() if self.log else None
        t0 = perf_counter()
        self.rounds(n, writer)
        if writer is not None:
            writer.close()  # flushes the queue and waits for the writer thread
        return perf_counter() - t0

    def whole_run(self, n: int) -> float:
        """Seconds for a whole run of n rounds: new model, optimizer and writer included."""
        t0 = perf_counter()
        self.model = plain_module()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=SEED_LR)
        writer = self._writer() if self.log else None
        self.rounds(n, writer)
        if writer is not None:
            writer.close()
        return perf_counter() - t0

    def _writer(self):
        self.last_logdir = fresh_dir(self.root, "plain")
        return self.SummaryWriter(str(self.last_logdir))


class BackendLoop:
    """A bare torch_bp loop, no logging: sgd.step(sgd.forward_backward(x, t)) per round."""

    def __init__(self, backend: str):
        self.backend = backend
        self.sgd = BACKENDS[backend](BackpropNet(), SEED_LR)

    def block(self, n: int) -> float:
        sgd, (x, t) = self.sgd, seed_data()
        t0 = perf_counter()
        for _ in range(n):
            sgd.step(sgd.forward_backward(x, t))
        return perf_counter() - t0

    def whole_run(self, n: int) -> float:
        t0 = perf_counter()
        self.sgd = BACKENDS[self.backend](BackpropNet(), SEED_LR)
        self.block(n)
        return perf_counter() - t0


class TrainRun:
    """torch_bp.training.train(): the full run, its terminal output into a StringIO."""

    def __init__(self, backend: str, steps: int, log_interval: int, root: Path):
        self.backend, self.steps, self.log_interval, self.root = backend, steps, log_interval, root
        self.last_logdir: Path | None = None

    def __call__(self, steps: int | None = None) -> float:
        steps = steps or self.steps
        logdir = fresh_dir(self.root, f"train-{self.backend}-every{self.log_interval}")
        cfg = TrainConfig(steps=steps, backend=self.backend, logdir=str(logdir), graph=False,
                          log_interval=min(self.log_interval, steps))
        t0 = perf_counter()
        result = train(cfg, out=io.StringIO(), err=io.StringIO())
        seconds = perf_counter() - t0
        if result.rounds != steps:
            raise RuntimeError(f"train() stopped after {result.rounds} of {steps} rounds: {result.status}")
        self.last_logdir = logdir
        return seconds


def bench_train(args, root: Path, targets: Targets) -> dict:
    block, warm, steps = args.block_rounds, args.warmup_rounds, args.run_steps
    print(f"\n== train: the deck's 2-2-2 network, float64, one sample, η = {SEED_LR} (issue 3) ==")

    # -- per round: blocks of `block` rounds, interleaved ------------------------------------
    loops = {
        "manual": BackendLoop("manual"),
        "autograd": BackendLoop("autograd"),
        "plain": PlainLoop(log=False, root=root),
        "plain+add_scalar": PlainLoop(log=True, root=root),
    }
    for loop in loops.values():
        loop.block(warm)
    per_round = interleaved({k: (lambda loop=loop: loop.block(block)) for k, loop in loops.items()},
                            args.repeats)
    us = {k: 1e6 * median(v) / block for k, v in per_round.items()}
    us_min = {k: 1e6 * min(v) / block for k, v in per_round.items()}
    vs_plain = {k: paired_ratio(per_round["plain+add_scalar"], v) for k, v in per_round.items()}
    labels = {
        "manual": "manual backend: ManualSGD forward_backward + step",
        "autograd": "autograd backend: AutogradSGD forward_backward + step",
        "plain": "plain loop without logging (reference)",
        "plain+add_scalar": "plain loop: nn.Module, backward, optim.SGD, add_scalar",
    }
    print(f"\nPer round, no setup (median of {args.repeats} blocks of {block:,} rounds, "
          f"after {warm:,} warm-up rounds each):")
    print(table(["contender", "µs/round", "min", "plain loop ÷ this"],
                [[labels[k], f"{us[k]:.1f}", f"{us_min[k]:.1f}", f"{vs_plain[k]:.2f}×"] for k in loops]))
    add_scalar_us = us["plain+add_scalar"] - us["plain"]
    print(f"  (one add_scalar per round costs the plain loop {add_scalar_us:.1f} µs/round)")

    # -- whole runs of `steps` rounds --------------------------------------------------------
    bare, plain_run = BackendLoop("manual"), PlainLoop(log=True, root=root)
    train_runs = {k: TrainRun(backend, steps, every, root) for k, backend, every in (
        ("train manual", "manual", 1), ("train manual, logging off", "manual", steps),
        ("train autograd", "autograd", 1))}
    runs = {"bare": lambda: bare.whole_run(steps), **train_runs,
            "plain+add_scalar": lambda: plain_run.whole_run(steps),
            "train manual, 1 round": TrainRun("manual", 1, 1, root)}  # train()'s fixed cost
    for run in (bare.whole_run, *train_runs.values(), plain_run.whole_run):
        run(warm)  # warm-up: first-use imports and caches
    whole = interleaved(runs, args.run_repeats)
    wall = {k: median(v) for k, v in whole.items()}
    fastest = {k: min(v) for k, v in whole.items()}  # for differences: load only ever adds time
    vs_plain_run = {k: paired_ratio(whole["plain+add_scalar"], v) for k, v in whole.items()}
    run_labels = {
        "bare": "bare manual loop, no logging",
        "train manual": "train(): manual backend, logging every round",
        "train manual, logging off": "train(): manual, logging rounds 1 and last only",
        "train autograd": "train(): autograd backend, logging every round",
        "plain+add_scalar": "plain loop + add_scalar every round",
    }
    print(f"\nWhole runs of {steps:,} rounds, set-up and closing included "
          f"(median of {args.run_repeats}; train(TrainConfig(logdir=<new temp dir>, graph=False))):")
    print(table(["run", "wall s", "µs/round", "plain run ÷ this"],
                [[run_labels[k], f"{wall[k]:.3f}", f"{1e6 * wall[k] / steps:.1f}",
                  f"{vs_plain_run[k]:.2f}×"] for k in run_labels]))

    # -- what logging costs ------------------------------------------------------------------
    logdir = train_runs["train manual"].last_logdir
    ev_bytes = dir_bytes(logdir, "events.out.tfevents.*")
    csv_bytes = dir_bytes(logdir, "history.csv")
    with open(logdir / "history.csv") as f:
        n_values = len(f.readline().rstrip("\n").split(",")) - 1  # columns after "round"
    plain_dir = plain_run.last_logdir
    plain_bytes = dir_bytes(plain_dir, "events.out.tfevents.*")
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

    ratio_round = vs_plain["manual"]
    ratio_run = vs_plain_run["train manual"]
    targets.add("train: plain loop µs/round ÷ manual backend µs/round", ratio_round,
                f">= {MANUAL_VS_PLAIN:g}", ratio_round >= MANUAL_VS_PLAIN,
                "--quick: indicative only" if args.quick else "")
    targets.add(f"train: plain loop {steps:,}-round wall ÷ train() {steps:,}-round wall", ratio_run,
                f">= {RUN_VS_PLAIN:g}", ratio_run >= RUN_VS_PLAIN,
                "the target is for 10,000 rounds" if steps != 10_000 else "")
    return {
        "block_rounds": block, "repeats": args.repeats, "run_steps": steps, "run_repeats": args.run_repeats,
        "us_per_round": us,
        "us_per_round_repeats": {k: [1e6 * s / block for s in v] for k, v in per_round.items()},
        "run_wall_s": wall, "run_wall_s_min": fastest, "run_wall_s_repeats": whole,
        "logging": {"us_per_round_total": log_total_us, "us_per_round_capture_and_write": log_rounds_us,
                    "fixed_ms": fixed_ms, "share_of_round": log_total_us / round_us,
                    "event_bytes_per_round": ev_bytes / steps, "csv_bytes_per_round": csv_bytes / steps,
                    "values_per_round": n_values, "plain_add_scalar_us": add_scalar_us,
                    "plain_event_bytes_per_round": plain_bytes / steps},
        "ratios": {"plain_over_manual_per_round": ratio_round, "plain_run_over_train_run": ratio_run},
    }


# ---- section "scale": 784-1024-1024-10 in float32 (issue 5) ---------------------------------
def scale_model(device="cpu") -> BackpropNet:
    return BackpropNet(SCALE_SIZES, dtype=torch.float32, init="random", seed=0, device=device)


def scale_data(batch: int, device="cpu"):
    g = torch.Generator().manual_seed(batch)
    x = torch.rand(batch, SCALE_SIZES[0], generator=g)   # (B, 784)
    t = torch.rand(batch, SCALE_SIZES[-1], generator=g)  # (B, 10)
    return x.to(device), t.to(device)


def passes(model: BackpropNet, x: torch.Tensor, t: torch.Tensor) -> dict:
    """One forward-and-backward of each contender; each returns what keeps its gradients."""
    def autograd():
        model.zero_grad(set_to_none=True)
        half_sse(model(x), t).backward()
        return None  # the gradients stay in p.grad

    def manual():
        return manual_gradients(model, x, t)

    return {"autograd": autograd, "manual": manual}


def timed_block(fn, n: int, sync=None):
    def run() -> float:
        t0 = perf_counter()
        for _ in range(n):
            fn()
        if sync:
            sync()
        return (perf_counter() - t0) / n
    return run


PEAK_HOW = {  # how measure_peaks measured, as printed
    "VmHWM": "peak = rise of the peak resident memory (VmHWM, reset) over one forward-and-backward\n"
             "after a warm-up pass, gradients included, in a fresh process per contender\n"
             "(glibc's mmap threshold fixed at 64 KiB, so freed tensors leave the resident set)",
    "ru_maxrss": "peak = rise of ru_maxrss over a first forward-and-backward, gradients included,\n"
                 "in a fresh process per contender and batch",
}


def can_reset_peak() -> bool:
    """Linux resets VmHWM, the peak resident set, on writing 5 to /proc/self/clear_refs."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kib("VmHWM") is not None
    except OSError:
        return False


def _status_kib(key: str) -> int | None:
    try:
        m = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _maxrss_kib() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB on Linux


def peak_child(contender: str, batches: tuple[int, ...]) -> None:
    """In a fresh process (see measure_peaks): per batch, one line of JSON with the rise of the
    peak resident memory over one forward-and-backward, the gradients it returns included.

    With VmHWM resettable: a warm-up pass first (GEMM scratch, the autograd engine's first
    use and other one-time allocations are no property of either algorithm), then reset, then
    the measured pass. MALLOC_MMAP_THRESHOLD_ (set by the parent) makes glibc give every
    tensor of 64 KiB or more its own mapping, returned on free: the resident set then follows
    the live tensors, and the warm-up leaves no freed-but-resident heap for the pass to hide in.
    Otherwise (macOS, no /proc): the rise of ru_maxrss over a first pass, one batch per process."""
    model = scale_model()
    resettable = can_reset_peak()
    for batch in batches:
        x, t = scale_data(batch)
        run = passes(model, x, t)[contender]
        if resettable:
            run()
            model.zero_grad(set_to_none=True)
            gc.collect()
            can_reset_peak()
            before = _status_kib("VmRSS")
            kept = run()
            peak = _status_kib("VmHWM") - before
            method = "VmHWM"
        else:
            gc.collect()
            before = _maxrss_kib()
            kept = run()
            peak = _maxrss_kib() - before
            method = "ru_maxrss"
        print(json.dumps({"contender": contender, "batch": batch, "peak_kib": peak, "method": method}), flush=True)
        del kept, x, t, run
        model.zero_grad(set_to_none=True)


def measure_peaks(batches: tuple[int, ...], threads: int) -> tuple[dict[tuple[str, int], int], str]:
    """{(contender, batch): peak KiB} and the method, each contender in fresh processes, one
    after another, at the timings' thread count."""
    if can_reset_peak():
        jobs = [(c, batches) for c in ("autograd", "manual")]
    else:
        jobs = [(c, (b,)) for c in ("autograd", "manual") for b in batches]
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")

    def run(job):
        contender, bs = job
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_peak", contender,
               "--batch-sizes", ",".join(map(str, bs)), "--threads", str(threads)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"peak measurement of {contender} failed: {proc.stderr.strip()[-500:]}")
        return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]

    peaks, methods = {}, set()
    for job in jobs:
        for r in run(job):
            peaks[(r["contender"], r["batch"])] = r["peak_kib"]
            methods.add(r["method"])
    return peaks, "VmHWM" if methods == {"VmHWM"} else "ru_maxrss"


def bench_scale(args, targets: Targets) -> dict:
    batches = args.batch_sizes
    print(f"\n== scale: BackpropNet({','.join(map(str, SCALE_SIZES))}), float32, shared biases, "
          f"seeded random data (issue 5) ==")
    print("one forward-and-backward: autograd = model.zero_grad(set_to_none=True); "
          "half_sse(model(x), t).backward()\n                           manual   = manual_gradients(model, x, t)")
    model = scale_model()
    times: dict[int, dict[str, list[float]]] = {}  # {batch: {contender: [seconds per pass, per repeat]}}
    per_block: dict[int, int] = {}
    for batch in batches:
        x, t = scale_data(batch)
        fns = passes(model, x, t)
        for fn in fns.values():  # warm-up
            fn()
        t0 = perf_counter()
        for fn in fns.values():  # how many passes fill a block
            fn()
        one = (perf_counter() - t0) / len(fns)
        n = max(1, math.ceil(args.min_block_s / max(one, 1e-9)))
        times[batch] = interleaved({k: timed_block(fn, n) for k, fn in fns.items()}, args.repeats)
        per_block[batch] = n
        del x, t, fns
    model.zero_grad(set_to_none=True)

    peaks, method = measure_peaks(batches, args.threads)
    med = {b: {k: median(times[b][k]) for k in ("autograd", "manual")} for b in batches}
    print(f"\nTime: median of {args.repeats} interleaved blocks of ≥ {args.min_block_s * 1e3:.0f} ms; "
          f"{PEAK_HOW[method]}.")
    rows, ratio = [], {}
    for b in batches:
        a, m = med[b]["autograd"], med[b]["manual"]
        ratio[b] = paired_ratio(times[b]["autograd"], times[b]["manual"])
        pa, pm = peaks[("autograd", b)], peaks[("manual", b)]
        rows.append([f"{b:,}", f"{a * 1e3:.3f}", f"{b / a:,.0f}", f"{pa / 1024:.1f}",
                     f"{m * 1e3:.3f}", f"{b / m:,.0f}", f"{pm / 1024:.1f}",
                     f"{ratio[b]:.3f}", f"{pm / pa:.3f}" if pa > 0 else "n/a"])
    print(table(["batch", "autograd ms", "samples/s", "peak MiB", "manual ms", "samples/s", "peak MiB",
                 "time autograd÷manual", "peak manual÷autograd"], rows))
    first = batches[0]
    print(f"\nHow the cost grows with the batch (time per pass relative to batch {first}):")
    print(table(["batch", "× batch", "autograd ×time", "manual ×time",
                 "autograd µs/sample", "manual µs/sample"],
                [[f"{b:,}", f"{b / first:,.0f}", f"{med[b]['autograd'] / med[first]['autograd']:.1f}",
                  f"{med[b]['manual'] / med[first]['manual']:.1f}",
                  f"{1e6 * med[b]['autograd'] / b:.2f}", f"{1e6 * med[b]['manual'] / b:.2f}"] for b in batches]))

    for b in SCALE_TARGET_BATCHES:
        if b in batches:
            pa, pm = peaks[("autograd", b)], peaks[("manual", b)]
            targets.add(f"scale: batch {b:,} time autograd ÷ manual", ratio[b], f">= {MANUAL_VS_AUTOGRAD:g}",
                        ratio[b] >= MANUAL_VS_AUTOGRAD)
            targets.add(f"scale: batch {b:,} peak memory manual ÷ autograd", pm / pa if pa else None,
                        f"<= 1, give or take {PEAK_SLACK_KIB} KiB or 1%",
                        pm <= pa + max(PEAK_SLACK_KIB, pa / 100) if pa else None)
        else:
            targets.add(f"scale: batch {b:,} time autograd ÷ manual, and peak memory", None,
                        f">= {MANUAL_VS_AUTOGRAD:g}, <= 1", None, "batch not in --batch-sizes")

    result = {"sizes": SCALE_SIZES, "dtype": "float32", "repeats": args.repeats, "peak_method": PEAK_HOW[method],
              "batches": {str(b): {"seconds": med[b], "samples_per_s": {k: b / v for k, v in med[b].items()},
                                   "seconds_repeats": {k: times[b][k] for k in ("autograd", "manual")},
                                   "passes_per_block": per_block[b],
                                   "time_ratio_autograd_over_manual": ratio[b],
                                   "peak_kib": {k: peaks[(k, b)] for k in ("autograd", "manual")}}
                          for b in batches}}
    if torch.cuda.is_available():
        result["cuda"] = bench_scale_cuda([b for b in batches if b in SCALE_TARGET_BATCHES] or batches[-1:], args)
    return result


def bench_scale_cuda(batches, args) -> dict:
    """The same on the GPU (optional): time and torch.cuda.max_memory_allocated per pass."""
    dev = torch.device("cuda")
    model, out, rows = scale_model(dev), {}, []
    for b in batches:
        x, t = scale_data(b, dev)
        fns = passes(model, x, t)
        res = {}
        for k, fn in fns.items():
            fn()
            model.zero_grad(set_to_none=True)
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            kept = fn()
            torch.cuda.synchronize()
            res[k] = {"peak_bytes": torch.cuda.max_memory_allocated() - base}
            del kept
            model.zero_grad(set_to_none=True)
        ts = interleaved({k: timed_block(fn, 20, torch.cuda.synchronize) for k, fn in fns.items()}, args.repeats)
        for k in fns:
            res[k]["seconds"] = median(ts[k])
        res["time_ratio_autograd_over_manual"] = paired_ratio(ts["autograd"], ts["manual"])
        out[str(b)] = res
        a, m = res["autograd"], res["manual"]
        rows.append([f"{b:,}", f"{a['seconds'] * 1e3:.3f}", f"{a['peak_bytes'] / 2**20:.1f}",
                     f"{m['seconds'] * 1e3:.3f}", f"{m['peak_bytes'] / 2**20:.1f}",
                     f"{res['time_ratio_autograd_over_manual']:.3f}"])
    print(f"\nOn {torch.cuda.get_device_name(dev)} (peak = torch.cuda.max_memory_allocated over one pass):")
    print(table(["batch", "autograd ms", "peak MiB", "manual ms", "peak MiB", "time autograd÷manual"], rows))
    return out


# ---- main -----------------------------------------------------------------------------------
def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=["train", "scale", "sweep", "all"], default="all", help="which figures")
    p.add_argument("--quick", action="store_true",
                   help="smaller counts, a smoke test of a few seconds (figures indicative only)")
    p.add_argument("--repeats", type=positive_int, default=7,
                   help="timed repeats per figure, the median reported (--quick: 2)")
    p.add_argument("--run-repeats", type=positive_int, default=5,
                   help="repeats of the whole 10,000-round runs (--quick: 1)")
    p.add_argument("--batch-sizes", type=positive_int_list, default=(1, 16, 64, 256, 1024, 4096),
                   help="section scale: batch sizes, e.g. 16,256 (--quick: 16,256)")
    p.add_argument("--threads", type=positive_int, default=usable_cores(),
                   help="torch.set_num_threads; default: the cores this process may use")
    p.add_argument("--json", type=path_arg, metavar="FILE", default=None, help="also write every figure to this JSON file")
    p.add_argument("--_peak", choices=["manual", "autograd"], default=None, help=argparse.SUPPRESS)
    return p


QUICK = {"repeats": 2, "run_repeats": 1, "batch_sizes": (16, 256)}  # --quick's defaults


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        given = parser.explicit(argv)
        for key, value in QUICK.items():
            if key not in given:
                setattr(args, key, value)
    if args.json is not None:  # checked now, not after minutes of measuring
        target = Path(args.json)
        if target.is_dir() or not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
            return fail(PROG, f"--json {target}: cannot write a file there")
    threads_before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        if args._peak:  # the child process of measure_peaks
            peak_child(args._peak, args.batch_sizes)
            return 0
        return run_benchmark(args)
    finally:
        torch.set_num_threads(threads_before)  # main() may run inside a test session


def run_benchmark(args) -> int:
    q = args.quick
    args.block_rounds = 200 if q else 2_000
    args.warmup_rounds = 50 if q else 300
    args.run_steps = 300 if q else TrainConfig().steps
    args.min_block_s = 0.01 if q else 0.05

    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu = platform.processor() or platform.machine()
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    print(f"torch_bp benchmark{' (--quick)' if q else ''}: torch {torch.__version__}, "
          f"Python {platform.python_version()}, {platform.system()}, {cpu}")
    print(f"threads: torch.set_num_threads({args.threads}) ({usable_cores()} usable cores); "
          f"load average before: {load0:.2f}")
    if load0 >= 0.5 * usable_cores():
        print(f"warning: other processes are using the cores (load {load0:.2f}); times will be noisy "
              f"and {args.threads} threads may stall on each other; prefer a quiet machine")
    print("timing: time.perf_counter, warm-up first, median of repeats; in every repeat the contenders run "
          "back to back\n        (order rotated), and a ratio is the median of the per-repeat ratios")

    targets = Targets()
    figures = {"machine": {"torch": torch.__version__, "python": platform.python_version(), "cpu": cpu,
                           "threads": args.threads, "usable_cores": usable_cores(), "load_before": load0},
               "quick": q}
    t0 = perf_counter()
    with tempfile.TemporaryDirectory(prefix="torch_bp-bench-") as tmp:
        if args.section in ("train", "all"):
            figures["train"] = bench_train(args, Path(tmp), targets)
        if args.section in ("scale", "all"):
            figures["scale"] = bench_scale(args, targets)
        if args.section == "sweep":  # minutes of whole processes: only when asked for
            from torch_bp.bench.sweep import bench_sweep
            figures["sweep"] = bench_sweep(args, Path(tmp), targets)
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures["machine"]["load_after"] = load1
    figures["targets"] = targets.rows
    figures["seconds"] = perf_counter() - t0

    print(f"\n== targets ==\n{targets.report()}")
    met = sum(t["met"] is True for t in targets.rows)
    print(f"  {met} of {sum(t['met'] is not None for t in targets.rows)} met; "
          f"load average after: {load1:.2f} (other processes share the cores; compare the ratios)")
    if args.json is not None:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

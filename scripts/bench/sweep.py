"""Section "sweep" (issue 13): many networks side by side, against one train.py run.

Whole processes, as a user runs them: `scripts/sweep.py --lr 0.01:100:N --target-loss 1e-3`
(the deck's network, N learning rates × 10,000 rounds, every file a sweep writes) for N = 1,
10, 100, 1,000, 10,000, interleaved with one default `scripts/train.py` run (10,000 rounds,
logging every round). Targets: N = 1,000 in ≤ 2× and N = 10,000 in ≤ 5× the train.py run.

On a CUDA device (cuda_figures, or `python -m bench.sweep --cuda`): the loop alone,
torch_bp.training.sweep.sweep() for 10^4, 10^5, 10^6 networks × 10,000 rounds of the deck's network,
logging every 1,000th round, eager and with CUDA graphs and/or torch.compile, each after a
warm-up; target: 10^6 networks in ≤ 10 s.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from bench.processes import TRAIN_SCRIPT, timed_process
from bench.timing import fresh_dir, interleaved, median, paired_ratio, table

SWEEP_SCRIPT = TRAIN_SCRIPT.with_name("sweep.py")
SWEEP_VS_RUN = 2.0     # issue 13: 1,000 η × 10,000 rounds, whole process ÷ one train.py run
SWEEP10K_VS_RUN = 5.0  # issue 13: 10,000 networks ÷ one train.py run
CUDA_SECONDS = 10.0    # issue 13: 10^6 networks × 10,000 rounds on one H200
NETWORKS = (1, 10, 100, 1_000, 10_000)
TRAIN_FINAL_LOSS = 3.510187782978859e-05  # train.py's default run: E after 10,000 rounds (repr of its float)


def bench_sweep(settings, root: Path, targets) -> dict:
    """Section "sweep": whole processes (repeats: settings.run_repeats, at most 3), then the GPU."""
    quick = settings.quick
    repeats = 1 if quick else min(settings.run_repeats, 3)
    steps = 300 if quick else 10_000
    networks = (1, 100, 1_000) if quick else NETWORKS
    print(f"\n== sweep: the deck's 2-2-2 network, {steps:,} rounds, N learning rates 0.01…100 in one process "
          f"(issue 13) ==")

    def train_run() -> float:
        return timed_process([sys.executable, str(TRAIN_SCRIPT), "--steps", str(steps),
                              "--logdir", str(fresh_dir(root, "sweep-bench-train"))])

    def sweep_run(n: int):
        return lambda: timed_process([sys.executable, str(SWEEP_SCRIPT), "--lr", f"0.01:100:{n}", "--steps", str(steps),
                                      "--target-loss", "1e-3", "--logdir", str(fresh_dir(root, f"sweep-bench-{n}"))])

    times = interleaved({"train.py": train_run, **{n: sweep_run(n) for n in networks}}, repeats)
    base = median(times["train.py"])
    ratio = {n: paired_ratio(times[n], times["train.py"]) for n in networks}
    rows = [["one train.py run (default flags)", f"{base:.2f}", "1.00×", "", ""]]
    for n in networks:
        wall = median(times[n])
        rows.append([f"sweep.py, {n:,} network{'s' * (n > 1)}", f"{wall:.2f}", f"{ratio[n]:.2f}×",
                     f"{1e3 * wall / n:,.2f}", f"{base * n / wall:,.0f}×"])
    print(f"Whole processes, median of {repeats} interleaved repeat(s): "
          f"sweep.py --lr 0.01:100:N --target-loss 1e-3 --steps {steps}")
    print(table(["process", "wall s", "÷ train.py", "ms per network", "cheaper than N train.py runs"], rows))
    note = "--quick: indicative only" if quick else ""
    for n, goal, name in ((1_000, SWEEP_VS_RUN, "1,000 η"), (10_000, SWEEP10K_VS_RUN, "10,000 networks")):
        if n in ratio:
            targets.add(f"sweep: {name} × {steps:,} rounds, whole process ÷ one train.py run", ratio[n],
                        f"<= {goal:g}", ratio[n] <= goal, note)
        else:
            targets.add(f"sweep: {name} ÷ one train.py run", None, f"<= {goal:g}", None, "not run with --quick")
    result = {"steps": steps, "repeats": repeats, "train_wall_s": times["train.py"],
              "sweep_wall_s": {str(n): times[n] for n in networks}, "ratio_to_train": {str(n): ratio[n] for n in networks}}
    if torch.cuda.is_available():
        result["cuda"] = cuda_figures(targets, quick=quick)
    return result


# ---- on a GPU: the loop alone --------------------------------------------------------------
def _deck_sweep(n: int, device):
    from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet
    from torch_bp.training.sweep import StackedNets
    nets = StackedNets.stack([BackpropNet(device=device)], repeats=n)
    lr = torch.logspace(-2, 2, n, dtype=torch.float64)
    lr[0] = 0.5  # network 0 is train.py's default run: its final error is checked
    return nets, lr, DECK_INPUTS.to(device), DECK_TARGETS.to(device)


VARIANTS = {"eager": {}, "CUDA graphs": {"cuda_graph": True}, "torch.compile": {"compile": True},
            "compile + CUDA graphs": {"compile": True, "cuda_graph": True}}


def cuda_figures(targets=None, quick: bool = False, networks=(10**6, 10**5, 10**4), steps: int = 10_000,
                 budget_s: float = 240.0, variants=VARIANTS, device: str = "cuda") -> dict:
    """Seconds of sweep() for each size and variant, after a warm-up of 2 chunks with the same
    tensors (so torch.compile reuses its kernels); stops starting new ones after budget_s."""
    from torch_bp.training.sweep import CHUNK, sweep
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    steps = 300 if quick else steps
    t_start, out, rows = time.perf_counter(), {}, []
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type
    print(f"\nOn {name}, torch {torch.__version__}: sweep() of the deck's network, "
          f"{steps:,} rounds, logging every 1,000th, target E 1e-3 tracked; warm-up first")
    for n in networks:
        nets, lr, x, t = _deck_sweep(n, dev)
        start = [p.clone() for _, p in nets.named_parameters()]
        for name, opts in variants.items():
            if time.perf_counter() - t_start > budget_s:
                print(f"  (time budget spent: {name} for {n:,} networks not run)", flush=True)
                continue
            try:
                def once(k):
                    for (_, p), p0 in zip(nets.named_parameters(), start):
                        p.copy_(p0)
                    sync()
                    t0 = time.perf_counter()
                    res = sweep(nets, lr, x, t, k, log_interval=1_000, target_loss=1e-3, **opts)
                    sync()
                    return time.perf_counter() - t0, res
                warm, _ = once(2 * CHUNK + 1)
                seconds, res = once(steps)
                rel = abs(res.final_loss[0] / TRAIN_FINAL_LOSS - 1) if steps == 10_000 else float("nan")
                out[f"{n}/{name}"] = {"networks": n, "variant": name, "seconds": seconds, "warmup_s": warm,
                                      "rel_diff_eta_0.5": rel, "reached": int((res.rounds_to_target > 0).sum())}
                rows.append([f"{n:,}", name, f"{seconds:.3f}", f"{1e6 * seconds / steps:.1f}",
                             f"{n * steps / seconds / 1e9:.2f}", f"{warm:.1f}", f"{rel:.1e}"])
                print(f"  {n:>9,}  {name:<22} {seconds:8.3f} s  (warm-up {warm:.1f} s; η=0.5 final E rel. diff "
                      f"from train.py {rel:.1e})", flush=True)
            except Exception as e:  # one variant failing must not cost the others' figures
                out[f"{n}/{name}"] = {"error": f"{type(e).__name__}: {e}"}
                print(f"  {n:>9,}  {name:<22} failed: {type(e).__name__}: {str(e)[:300]}", flush=True)
        del nets, lr, start
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    print(table(["networks", "variant", "seconds", "µs/round", "network-rounds/ns", "warm-up s",
                  "η=0.5 vs train.py"], rows))
    best = min((v["seconds"] for v in out.values() if v.get("networks") == 10**6 and "seconds" in v), default=None)
    if targets is not None:
        targets.add(f"sweep on CUDA: 10^6 networks × {steps:,} rounds, best variant (s)", best,
                    f"<= {CUDA_SECONDS:g}", None if best is None else best <= CUDA_SECONDS)
    return out


def main(argv=None) -> int:
    """`python -m bench.sweep --cuda`: the GPU figures alone (the CPU ones:
    `scripts/benchmark.py --section sweep`)."""
    p = argparse.ArgumentParser(description="the sweep section's GPU figures")
    p.add_argument("--cuda", action="store_true", help="required: the GPU figures")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if not args.cuda:
        p.error("--cuda: the CPU figures are scripts/benchmark.py --section sweep")
    figures = cuda_figures(quick=args.quick)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Section "scale": one forward-and-backward of a float32 784-1024-1024-10 network,
manual_gradients() against loss.backward(), over batch sizes: time, samples per second and
peak memory (each contender in a fresh process, see bench.memory)."""
from __future__ import annotations

import math
from pathlib import Path
from time import perf_counter

import torch

from bench.contenders import SCALE_SIZES, passes, scale_data, scale_model
from bench.memory import PEAK_HOW, measure_peaks
from bench.timing import Targets, interleaved, median, paired_ratio, table, timed_block

SCALE_TARGET_BATCHES = (256, 4096)
MANUAL_VS_AUTOGRAD = 1.0   # autograd time ÷ manual time, at the target batches
PEAK_SLACK_KIB = 256       # manual peak ≤ autograd peak, up to the measure's run-to-run noise
                           # (heap pages of the small tensors: ~0.1-0.2 MiB) or 1%


def time_passes(settings) -> tuple[dict, dict]:
    """{batch: {contender: [seconds per pass, per repeat]}} and {batch: passes per timed block}."""
    model = scale_model()
    times: dict[int, dict[str, list[float]]] = {}
    per_block: dict[int, int] = {}
    for batch in settings.batch_sizes:
        x, t = scale_data(batch)
        fns = passes(model, x, t)
        for fn in fns.values():  # warm-up
            fn()
        t0 = perf_counter()
        for fn in fns.values():  # how many passes fill a block
            fn()
        one = (perf_counter() - t0) / len(fns)
        n = max(1, math.ceil(settings.min_block_s / max(one, 1e-9)))
        times[batch] = interleaved({k: timed_block(fn, n) for k, fn in fns.items()}, settings.repeats)
        per_block[batch] = n
        del x, t, fns
    model.zero_grad(set_to_none=True)
    return times, per_block


def bench_scale(settings, root: Path, targets: Targets) -> dict:
    batches = settings.batch_sizes
    print(f"\n== scale: BackpropNet({','.join(map(str, SCALE_SIZES))}), float32, shared biases, "
          f"seeded random data (issue 5) ==")
    print("one forward-and-backward: autograd = model.zero_grad(set_to_none=True); "
          "half_sse(model(x), t).backward()\n                           manual   = manual_gradients(model, x, t)")
    times, per_block = time_passes(settings)

    peaks, method = measure_peaks(batches, settings.threads)
    med = {b: {k: median(times[b][k]) for k in ("autograd", "manual")} for b in batches}
    print(f"\nTime: median of {settings.repeats} interleaved blocks of ≥ {settings.min_block_s * 1e3:.0f} ms; "
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

    result = {"sizes": SCALE_SIZES, "dtype": "float32", "repeats": settings.repeats, "peak_method": PEAK_HOW[method],
              "batches": {str(b): {"seconds": med[b], "samples_per_s": {k: b / v for k, v in med[b].items()},
                                   "seconds_repeats": {k: times[b][k] for k in ("autograd", "manual")},
                                   "passes_per_block": per_block[b],
                                   "time_ratio_autograd_over_manual": ratio[b],
                                   "peak_kib": {k: peaks[(k, b)] for k in ("autograd", "manual")}}
                          for b in batches}}
    if torch.cuda.is_available():
        result["cuda"] = bench_scale_cuda([b for b in batches if b in SCALE_TARGET_BATCHES] or batches[-1:], settings)
    return result


def bench_scale_cuda(batches, settings) -> dict:
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
        ts = interleaved({k: timed_block(fn, 20, torch.cuda.synchronize) for k, fn in fns.items()}, settings.repeats)
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



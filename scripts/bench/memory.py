"""Peak memory of one forward-and-backward, each contender in a fresh process.

The parent runs `python -m bench.memory CONTENDER BATCHES THREADS` per contender
(no hidden flag of a script); the child prints one line of JSON per batch.
"""
from __future__ import annotations

import gc
import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import torch

from bench.contenders import passes, scale_data, scale_model


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
    root = str(Path(__file__).resolve().parents[1])  # scripts/, the folder that holds bench/
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", PYTHONPATH=path)

    def run(job):
        contender, bs = job
        cmd = [sys.executable, "-m", __name__, contender, ",".join(map(str, bs)), str(threads)]
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


if __name__ == "__main__":  # the child of measure_peaks: CONTENDER BATCHES THREADS
    contender, batch_list, n_threads = sys.argv[1:4]
    torch.set_num_threads(int(n_threads))
    peak_child(contender, tuple(int(b) for b in batch_list.split(",")))

"""Whole processes, as a user runs them: `python scripts/train.py` (the default run: 10,000
rounds, every round logged; the model graph is off by default) against a plain PyTorch program of the
same rounds with one SummaryWriter.add_scalar a round. Python's start and torch's import are
in both."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from time import perf_counter

from bench.timing import fresh_dir, interleaved, median, paired_ratio, table

TRAIN_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"

# The deck's network as a PyTorch user writes it, in a file of its own: argv = LOGDIR STEPS.
PLAIN_PROGRAM = """
import sys
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter
logdir, steps = sys.argv[1], int(sys.argv[2])
net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid()).double()
with torch.no_grad():
    net[0].weight.copy_(torch.tensor([[0.15, 0.2], [0.25, 0.3]])); net[0].bias.fill_(0.35)
    net[2].weight.copy_(torch.tensor([[0.4, 0.45], [0.5, 0.55]])); net[2].bias.fill_(0.6)
x = torch.tensor([[0.05, 0.10]], dtype=torch.float64)
t = torch.tensor([[0.01, 0.99]], dtype=torch.float64)
optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
writer = SummaryWriter(logdir)
for r in range(1, steps + 1):
    optimizer.zero_grad()
    loss = 0.5 * (t - net(x)).square().sum()
    loss.backward()
    optimizer.step()
    writer.add_scalar("loss", loss.item(), r)
writer.close()
"""


def timed_process(argv: list[str]) -> float:
    """Wall seconds of a whole process, from its start to its exit; RuntimeError if it fails."""
    t0 = perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    seconds = perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[1]} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return seconds


def whole_processes(settings, root: Path) -> dict | None:
    """{"wall": {name: s}, "ratio": train.py ÷ plain, paired}; None without scripts/train.py."""
    if not TRAIN_SCRIPT.is_file():  # an installed package, not a checkout
        return None
    steps = settings.run_steps
    steps_flag = [] if steps == 10_000 else ["--steps", str(steps)]
    runs = {"train.py": lambda: timed_process([sys.executable, str(TRAIN_SCRIPT), *steps_flag,
                                               "--logdir", str(fresh_dir(root, "process-train"))]),
            "plain": lambda: timed_process([sys.executable, "-c", PLAIN_PROGRAM,
                                            str(fresh_dir(root, "process-plain")), str(steps)])}
    times = interleaved(runs, settings.run_repeats)
    wall = {k: median(v) for k, v in times.items()}
    ratio = paired_ratio(times["train.py"], times["plain"])
    print(f"\nWhole processes of {steps:,} rounds, Python's start and torch's import included "
          f"(median of {settings.run_repeats}):")
    print(table(["process", "wall s", "this ÷ plain"], [
        [f"python scripts/train.py{' ' + ' '.join(steps_flag) if steps_flag else ''} (every round logged)",
         f"{wall['train.py']:.3f}", f"{ratio:.2f}"],
        ["plain PyTorch program + add_scalar every round", f"{wall['plain']:.3f}", "1.00"]]))
    return {"wall": wall, "repeats": times, "train_over_plain": ratio}

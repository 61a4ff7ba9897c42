"""What the terminal shows during a run: the error table (beside the deck's slide-40 column
in the deck's setting), a progress line for long runs, and the closing summary."""
from __future__ import annotations

import errno
import time

import torch_bp_launch as signals
from torch_bp.core.deck import DECK_ERROR_TABLE
from .config import Status
from .dashboard import DASHBOARD_URL, dashboard_hint

TABLE_EVERY = 300        # the deck's error table lists every 300th round
PROGRESS_SECONDS = 5.0   # runs longer than this print a progress line this often
SHOWN_ROWS = 8           # the summary lists at most this many rows' outputs
ERROR = ">14.9g"         # the table's errors: 9 significant digits, 3.51018778e-05 as small as they get


class Console:
    """out: the table and summary (stdout); err: progress and notes (stderr). full_loss:
    mini-batches, whose error differs from the error on all data: both are shown. The slide-40
    column only when the run is the deck's setting from round 0 (a resumed run's rounds are
    not the deck's). A write to `out` that fails (a closed pipe, a full disk) is kept in
    `failed`, never raised: the run stops after that round, like on a signal, and nothing more
    is printed there."""

    def __init__(self, out, err, steps: int, start: int, deck: bool, full_loss: bool = False,
                 inputs=None, targets=None):
        self.out, self.err, self.steps, self.start = out, err, steps, start
        self.deck = deck and start == 0
        self.full_loss, self.inputs, self.targets = full_loss, inputs, targets
        self.t_start = self.t_progress = time.monotonic()
        self.failed: OSError | None = None  # the first failed write to `out`

    def print(self, text: str = "") -> None:
        """`text` on `out`, unless it has failed before."""
        if self.failed is None:
            try:
                print(text, file=self.out, flush=True)
            except OSError as e:
                self.failed = e
            except ValueError:  # a closed file
                self.failed = OSError(errno.EBADF, "closed")

    def is_table_round(self, r: int) -> bool:
        return r == 1 or r == self.steps or r % TABLE_EVERY == 0

    def header(self) -> None:
        full = f"  {'E all data':>14}" if self.full_loss else ""
        self.print(f"{'round':>7}  {'E_total':>14}{full}" + ("  slide 40" if self.deck else ""))

    def row(self, r: int, loss: float, full: float | None = None) -> None:
        """Round r's E_total (its batch's) and, for mini-batches, the error on all data."""
        slide = DECK_ERROR_TABLE.get(r, "") if self.deck else None
        line = f"{r:>7}  {loss:{ERROR}}" + (f"  {full:{ERROR}}" if self.full_loss else "")
        self.print(line + (f"  {slide}" if slide else ""))

    def progress(self, r: int) -> None:
        """Every PROGRESS_SECONDS: rounds done, rate and time left (checked every 256 rounds)."""
        if r & 255 or time.monotonic() - self.t_progress <= PROGRESS_SECONDS:
            return
        self.t_progress = now = time.monotonic()
        rate = (r - self.start) / (now - self.t_start)
        print(f"round {r}/{self.steps}  {rate:,.0f} rounds/s  {(self.steps - r) / rate:,.0f} s left",
              file=self.err, flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.t_start

    def summary(self, result, save_model: str | None) -> None:
        if self.failed:  # nowhere to print it
            return
        def row(values, spec=".9f"):
            return ", ".join(f"{v:{spec}}" for v in values)
        n, shown = len(result.outputs), min(len(result.outputs), SHOWN_ROWS)
        outs = f"[{row(result.outputs[0])}]" if n == 1 else f"{n} rows, " + ("below" if n == shown else
                                                                            f"the first {shown} below")
        all_data = " on all data" if self.full_loss else ""
        self.print(f"\n{describe(result)}. After the last update: E_total{all_data} = {result.final_loss:.10g}, "
                   f"outputs = {outs}")
        if n > 1 and self.inputs is not None:  # XOR's 4 rows, one by one
            for x, out, t in zip(self.inputs[:shown].tolist(), result.outputs, self.targets[:shown].tolist()):
                self.print(f"  inputs [{row(x, 'g')}] -> outputs [{row(out)}]   targets [{row(t, 'g')}]")
            if n > shown:
                self.print(f"  … {n - shown} more rows")
        self.print(f"logs: {result.logdir}/ (history.csv, config.json, TensorBoard events)")
        if getattr(result, "figures", None) is not None:
            self.print(f"figures: {result.logdir}/figures/ (loss, parameters, network-first, network-last; "
                       "drawn in the background, ready in a few seconds)")
        self.print(f"dashboard: {dashboard_hint(result.logdir)}   then open {DASHBOARD_URL}")
        if save_model:
            self.print(f"checkpoint: {save_model}")


def describe(result) -> str:
    """"finished: 10000 rounds", "interrupted (SIGINT) after 912 rounds", "reached E <= ..."."""
    if result.status is Status.INTERRUPTED:
        return f"interrupted ({signals.name(result.signum)}) after {result.rounds} rounds"
    if result.status is Status.REACHED:
        return f"reached E <= {result.target_loss:g} at round {result.rounds} in {result.seconds:.2f} s"
    return f"finished: {result.rounds} rounds"

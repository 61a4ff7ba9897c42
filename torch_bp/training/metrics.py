"""What a run logs each logged round, and the buffer that holds it until it is written.

A logged round is one row: the losses, then every scalar parameter and its gradient (or, for
large networks, each parameter's L2 norm), then the optional gradient check. The names are
history.csv's columns and the TensorBoard tags.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from torch_bp.core.loss import half_sse

FLUSH_ROWS = 2000            # logged rounds buffered before they are written out
MAX_SCALAR_PARAMETERS = 200  # larger networks log each parameter's norm, not every scalar


class NonFiniteLoss(RuntimeError):
    """E_total became nan or inf: the rows before it are kept, the run stops."""


def columns(model, n_out: int, full_loss: bool, check_grads: bool, per_scalar: bool) -> list[str]:
    """history.csv's columns after `round` (= the TensorBoard tags): the losses, then every
    scalar parameter and its gradient, or (per_scalar=False) each parameter's L2 norm."""
    loss = ["loss/total"] + [f"loss/o{k}" for k in range(1, n_out + 1)] + (["loss/full"] if full_loss else [])
    if per_scalar:
        names = iter(model.scalar_names())
        scalars = [(pname, next(names)) for pname, p in model.named_parameters() for _ in range(p.numel())]
    else:  # layer l's weight -> "L{l}.w.norm", its bias -> "L{l}.b.norm"
        scalars = [(pname, f"L{l + 1}.{kind[0]}.norm") for l, layer in enumerate(model.layers)
                   for kind, pname in (("weight", f"layers.{l}.weight"), ("bias", f"layers.{l}.bias"))]
    values = [("bias/" if pname.endswith("bias") else "weights/") + name for pname, name in scalars]
    grads = ["grad/" + name for _, name in scalars]
    return loss + values + grads + (["check/max_abs_diff"] if check_grads else [])


class LossWatch:
    """Every round's E_total, kept on the device (one small copy a round, no wait for it), so a
    loss that turns NaN or infinite between logged rounds is reported at its true round."""

    def __init__(self, device="cpu", capacity: int = 4096):
        self.losses = torch.empty(capacity, dtype=torch.float64, device=device)  # (capacity,)
        self.first, self.n = 0, 0  # losses[k] is round first + k's

    def record(self, r: int, loss: torch.Tensor) -> None:
        if self.n == len(self.losses):
            self.check()
        if self.n == 0:
            self.first = r
        self.losses[self.n] = loss
        self.n += 1

    def check(self) -> None:
        """NonFiniteLoss naming the first round since the last check whose E_total is not finite."""
        n, self.n = self.n, 0
        bad = torch.nonzero(~torch.isfinite(self.losses[:n]))
        if len(bad):
            k = int(bad[0, 0])
            raise NonFiniteLoss(f"E_total became {self.losses[k].item()} at round {self.first + k}")


class Capture:
    """One logged round's values as a list of tensors, in `columns` order."""

    def __init__(self, model, inputs, targets, full_loss: bool, per_scalar: bool, check=None):
        self.model, self.inputs, self.targets = model, inputs, targets
        self.full_loss, self.per_scalar, self.check = full_loss, per_scalar, check
        self.params = [p.detach().view(-1) for p in model.parameters()]  # views: always current
        self.names = [n for n, _ in model.named_parameters()]

    def __call__(self, trace, inputs, targets) -> list[torch.Tensor]:
        pieces = [trace.loss.view(1), trace.loss_terms]
        if self.full_loss:  # the error on all the data, not only this round's batch
            with torch.no_grad():
                pieces.append(half_sse(self.model(self.inputs), self.targets).view(1))
        grads = [trace.grads[n] for n in self.names]
        if self.per_scalar:
            pieces += self.params
            pieces += [g.reshape(-1) for g in grads]
        else:
            pieces += [torch.linalg.vector_norm(p).view(1) for p in self.params]
            pieces += [torch.linalg.vector_norm(g).view(1) for g in grads]
        if self.check is not None:
            pieces.append(self.check(inputs, targets, trace.grads).view(1))
        return pieces


class MetricsBuffer:
    """Logged rounds, kept on the device until flush() hands them to `write(steps, walls, block)`.

    flush() writes the rows up to and including the first whose E_total (column 0) is not
    finite, then raises NonFiniteLoss: the logs end at the round that went wrong."""

    def __init__(self, n_columns: int, write, device="cpu", capacity: int = FLUSH_ROWS):
        self.write, self.capacity = write, capacity
        self.values = torch.empty(capacity, n_columns, dtype=torch.float64, device=device)  # (capacity, C)
        self.steps = np.empty(capacity, dtype=np.int64)
        self.walls = np.empty(capacity)
        self.pending = 0

    @property
    def full(self) -> bool:
        return self.pending == self.capacity

    def record(self, step: int, pieces: list[torch.Tensor]) -> None:
        """Round `step`'s row, the concatenation of `pieces`; flush() first when full."""
        if self.full:
            self.flush()
        i = self.pending
        torch.cat(pieces, out=self.values[i])
        self.steps[i], self.walls[i] = step, time.time()
        self.pending = i + 1

    def last(self, column: int) -> float:
        """The latest recorded row's value in `column`."""
        return self.values[self.pending - 1, column].item()

    def flush(self) -> None:
        n, self.pending = self.pending, 0
        if not n:
            return
        block = self.values[:n].cpu().numpy()  # (n, C) float64
        bad = ~np.isfinite(block[:, 0])
        cut = int(np.argmax(bad)) + 1 if bad.any() else n
        self.write(self.steps[:cut], self.walls[:cut], block[:cut])
        if bad.any():
            raise NonFiniteLoss(f"E_total became {block[cut - 1, 0]} at round {self.steps[cut - 1]}")

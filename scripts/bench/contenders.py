"""The contenders of section "train": the plain eager loop a PyTorch user writes (with and
without one add_scalar a round), torch_bp's bare backends, and whole torch_bp.training.train() runs."""
from __future__ import annotations

import io
from pathlib import Path
from time import perf_counter

import torch
from torch import nn

from torch_bp.core.chain_rule import manual_gradients
from torch_bp.core.deck import DECK_INPUTS, DECK_LR, DECK_TARGETS, DECK_WEIGHTS
from torch_bp.core.loss import half_sse
from torch_bp.core.model import BackpropNet
from torch_bp.training import TrainConfig, train
from torch_bp.core.sgd import BACKENDS
from bench.timing import fresh_dir

SCALE_SIZES = (784, 1024, 1024, 10)  # section "scale": a float32 MNIST-sized network

def deck_data():
    return DECK_INPUTS, DECK_TARGETS  # (1, 2) float64 each


def plain_module() -> nn.Module:
    """The deck's network as a PyTorch user writes it: nn.Linear + nn.Sigmoid, float64, the
    deck's weights and biases (per-unit biases filled with b1, b2: the same function)."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid()).double()
    with torch.no_grad():
        for l, linear in enumerate((net[0], net[2])):
            linear.weight.copy_(torch.tensor(DECK_WEIGHTS[f"layers.{l}.weight"], dtype=torch.float64))
            linear.bias.fill_(DECK_WEIGHTS[f"layers.{l}.bias"])
    return net


class PlainLoop:
    """The plain eager-autograd loop: zero_grad, forward, half_sse, backward, optim.SGD step,
    and (log=True) SummaryWriter.add_scalar("loss", loss.item(), r) every round."""

    def __init__(self, log: bool, root: Path):
        from torch.utils.tensorboard import SummaryWriter
        self.SummaryWriter, self.log, self.root = SummaryWriter, log, root
        self.model = plain_module()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=DECK_LR)
        self.last_logdir: Path | None = None

    def rounds(self, n: int, writer=None) -> None:
        model, opt, (x, t) = self.model, self.optimizer, deck_data()
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
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=DECK_LR)
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
        self.sgd = BACKENDS[backend](BackpropNet(), DECK_LR)

    def block(self, n: int) -> float:
        sgd, (x, t) = self.sgd, deck_data()
        t0 = perf_counter()
        for _ in range(n):
            sgd.step(sgd.forward_backward(x, t))
        return perf_counter() - t0

    def whole_run(self, n: int) -> float:
        t0 = perf_counter()
        self.sgd = BACKENDS[self.backend](BackpropNet(), DECK_LR)
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


# ---- section "scale": one forward-and-backward, each way ---------------------------------
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

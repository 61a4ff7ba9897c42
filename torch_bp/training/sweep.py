"""Many networks of one shape trained side by side: plain SGD, θ_k ← θ_k − η_k ∂E_k/∂θ_k, for
k = 1..N at once, each network with its own η_k and its own data order (its seed's).

The N networks' parameters are stacked along a leading dimension (StackedNets) and every round
is ONE call of the hand-written chain rule, chain_rule.backprop, which broadcasts over that
dimension. Network k is the run train.py makes with η_k and seed_k: the same initial
parameters, the same batches in the same order, the same formulas: its losses and parameters
agree with that run's to 1e-12 relative (tests/test_sweep.py; a few sums may be added in
another order), and the deck's η = 0.5 network ends bitwise on train.py's error.

Per round, a network's error E on all the data (before that round's update, as train.py
counts rounds) goes into a buffer of CHUNK rounds; every CHUNK rounds the buffer is read once
for min_loss, rounds_to_target, divergence and the logged rounds, so no round waits on the
device. A network whose error is not finite has diverged: from the end of that chunk its η is
0 (frozen), its record stops at that round (later logged losses are NaN), and the others go on,
untouched (no arithmetic mixes networks).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from torch_bp.core.batches import check_batch
from torch_bp.core.chain_rule import backprop
from torch_bp.core.data import BatchStream
from torch_bp.core.model import BackpropNet
from torch_bp.core.sgd import trained_names

CHUNK = 100  # rounds between reads of the error buffer


@dataclass
class StackedLayer:
    weight: torch.Tensor  # (N, n_l, n_{l-1})
    bias: torch.Tensor    # (N,) shared by the layer's units, or (N, n_l)


class StackedNets:
    """N BackpropNets of one shape with their parameters stacked along a leading network
    dimension, in named_parameters() order; backprop() takes it as it takes one network."""

    def __init__(self, layers: list[StackedLayer]):
        self.layers = layers

    @classmethod
    def stack(cls, nets: Sequence[BackpropNet], repeats: int = 1) -> StackedNets:
        """nets[0] × repeats, nets[1] × repeats, ...: network k is nets[k // repeats]."""
        def rows(tensors):
            return torch.stack([t.detach() for t in tensors]).repeat_interleave(repeats, dim=0).contiguous()
        return cls([StackedLayer(rows([n.layers[l].weight for n in nets]), rows([n.layers[l].bias for n in nets]))
                    for l in range(len(nets[0].layers))])

    def __len__(self) -> int:
        return self.layers[0].weight.shape[0]

    def named_parameters(self) -> list[tuple[str, torch.Tensor]]:
        return [(f"layers.{l}.{kind}", getattr(layer, kind))
                for l, layer in enumerate(self.layers) for kind in ("weight", "bias")]

    def network(self, k: int) -> dict[str, torch.Tensor]:
        """Network k's parameters, keyed and shaped like BackpropNet.named_parameters()."""
        return {name: p[k].clone() for name, p in self.named_parameters()}


@dataclass
class SweepResult:
    """What a sweep found, one entry per network (numpy, on the CPU)."""
    rounds: int                   # updates done (steps, or fewer if stopped)
    logged_rounds: np.ndarray     # (R,) the rounds whose errors `losses` holds
    losses: np.ndarray            # (N, R) error on all data before that round's update; NaN once diverged
    final_loss: np.ndarray        # (N,) error on all data after the last update
    min_loss: np.ndarray          # (N,) least finite error over the rounds and after the last update
    rounds_to_target: np.ndarray  # (N,) first round whose error is <= target_loss; 0: never (or no target)
    diverged_at: np.ndarray       # (N,) first round whose error is not finite; 0: none
    stopped: bool = False         # stop() asked to end early
    sharpness_start: np.ndarray | None = None  # (N,) λ_max before the first update (sweep_run.py; None: off)
    sharpness_end: np.ndarray | None = None    # (N,) λ_max after the last update; NaN if diverged

    @property
    def diverged(self) -> np.ndarray:  # (N,) bool: a non-finite error at some round or at the end
        return (self.diverged_at > 0) | ~np.isfinite(self.final_loss)


class _Batches:
    """Each round's batch for every network: (B, n) shared by all, or (N, B, n) when the
    networks' seeds shuffle the data differently. One BatchStream per seed, as train.py's."""

    def __init__(self, inputs, targets, batch_size, shuffle, seeds: Sequence[int], network_seed: torch.Tensor):
        streams = [BatchStream(inputs, targets, batch_size, shuffle, s) for s in (seeds if shuffle else seeds[:1])]
        self.full_batch = streams[0].full_batch
        self.iters = [iter(s) for s in streams]
        self.index = network_seed.to(inputs.device)  # (N,) which stream feeds network k

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if len(self.iters) == 1:
            yield from self.iters[0]
        while True:
            xs, ts = zip(*(next(it) for it in self.iters))
            yield torch.stack(xs)[self.index], torch.stack(ts)[self.index]  # (N, B, n)


def sweep(nets: StackedNets, lr: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor, steps: int, *,
          seeds: Sequence[int] = (0,), network_seed: torch.Tensor | None = None, batch_size: int | None = None,
          shuffle: bool = False, train_bias: bool = False, target_loss: float | None = None,
          log_interval: int = 1, chunk: int = CHUNK, cuda_graph: bool = False, compile: bool | str = False,
          stop: Callable[[], bool] = lambda: False,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Train the N stacked networks in place for `steps` rounds of SGD, network k with η =
    lr[k] on the data in seed seeds[network_seed[k]]'s order (default: all seeds[0]).

    inputs (rows, n_0), targets (rows, n_L): all the data. Logged rounds: 1, every
    log_interval-th, the last. For many networks on a GPU, two ways to cut the launch overhead
    of a round's ~30 tiny kernels: cuda_graph (full batch only) records a chunk of rounds once
    as a CUDA graph and replays it; compile (True, or a torch.compile backend name) fuses a
    round's element-wise kernels with torch.compile.
    stop() is asked after every chunk; progress(round, steps) is called then too."""
    check_batch(nets, inputs, targets)  # once: the rounds skip it
    N, device = len(nets), inputs.device
    network_seed = torch.zeros(N, dtype=torch.long) if network_seed is None else network_seed
    batches = _Batches(inputs, targets, batch_size, shuffle, list(seeds), network_seed)
    full_batch = batches.full_batch
    if cuda_graph and not (full_batch and device.type == "cuda"):
        raise ValueError("cuda_graph needs a CUDA device and full-batch training")

    eta = (-lr).to(device=device, dtype=inputs.dtype).clone()  # (N,); frozen networks get 0
    update = _round_update(nets, eta, inputs, targets, full_batch, train_bias, compile)
    buf = torch.empty(chunk, N, dtype=inputs.dtype, device=device)  # E of each round of a chunk

    def one_round(j: int, x: torch.Tensor, t: torch.Tensor) -> None:
        buf[j].copy_(update(x, t))

    track = _Tracker(N, device, inputs.dtype, steps, log_interval, target_loss)
    graph, it, r, stopped = None, iter(batches), 0, False
    while r < steps:
        n = min(chunk, steps - r)
        if cuda_graph and n == chunk and r > 0:  # the first chunk runs eagerly: a warm-up
            if graph is None:
                graph = _record(lambda: [one_round(j, inputs, targets) for j in range(n)], device)
            graph.replay()
        else:
            for j in range(n):
                one_round(j, *next(it))
        track.chunk(buf[:n], r + 1, eta)
        r += n
        if progress is not None:
            progress(r, steps)
        if r < steps and stop():
            stopped = True
            break
    E_final = backprop(nets, inputs, targets, keep=False).loss
    return track.result(r, E_final, stopped)


def _round_update(nets: StackedNets, eta: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
                  full_batch: bool, train_bias: bool, compile: bool | str) -> Callable:
    """One round as update(x, t) -> E (N,): E on all data, then every network's update
    θ ← θ − η ∂E/∂θ as θ += (−η) · ∂E/∂θ, with −η (eta, (N,)) shaped to broadcast over each
    parameter; torch.compile'd when `compile` asks for it."""
    params = dict(nets.named_parameters())
    updates = [(name, params[name], eta.view(-1, *([1] * (params[name].dim() - 1))))
               for name in trained_names(nets, train_bias)]

    def update(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """One round: E on all data (N,), then every network's update."""
        trace = backprop(nets, x, t, keep=False, check=False)  # sweep() checked the data
        E = trace.loss if full_batch else backprop(nets, inputs, targets, keep=False, check=False).loss
        for name, p, neg_eta in updates:
            p.addcmul_(trace.grads[name], neg_eta)
        return E

    if compile:
        update = torch.compile(update, fullgraph=True, dynamic=False,
                               **({"backend": compile} if isinstance(compile, str) else {}))
    return update


def _record(rounds: Callable[[], None], device) -> torch.cuda.CUDAGraph:
    """A CUDA graph of rounds(), recorded, not run; each replay runs those rounds on the
    tensors they were recorded with (the caller has run them eagerly once: the warm-up)."""
    graph = torch.cuda.CUDAGraph()
    torch.cuda.synchronize(device)
    with torch.cuda.graph(graph):
        rounds()
    return graph


class _Tracker:
    """Reads each chunk of per-round errors once: divergence, min, rounds to target, logs."""

    def __init__(self, N: int, device, dtype, steps: int, log_interval: int, target_loss: float | None):
        self.steps, self.every, self.target = steps, log_interval, target_loss
        self.min_loss = torch.full((N,), math.inf, dtype=dtype, device=device)
        self.to_target = torch.zeros(N, dtype=torch.long, device=device)
        self.diverged_at = torch.zeros(N, dtype=torch.long, device=device)
        self.logged_rounds: list[int] = []
        self.logged: list[torch.Tensor] = []  # (n_logged, N) blocks on the CPU

    def chunk(self, E: torch.Tensor, r0: int, eta: torch.Tensor) -> None:
        """E (n, N): every network's error at rounds r0 .. r0 + n − 1."""
        n = E.shape[0]
        rounds = torch.arange(r0, r0 + n, device=E.device)                        # (n,)
        bad = ~torch.isfinite(E)                                                  # (n, N)
        first_bad = r0 + bad.to(torch.uint8).argmax(0)                            # (N,) if any
        self.diverged_at = torch.where((self.diverged_at == 0) & bad.any(0), first_bad, self.diverged_at)
        eta.mul_(self.diverged_at == 0)                                           # freeze the diverged
        E = E.masked_fill((self.diverged_at > 0) & (rounds[:, None] > self.diverged_at), math.nan)
        self.min_loss = torch.fmin(self.min_loss, E.nan_to_num(math.inf, math.inf, math.inf).amin(0))
        if self.target is not None:
            hit = E <= self.target                                                # NaN: False
            first_hit = r0 + hit.to(torch.uint8).argmax(0)
            self.to_target = torch.where((self.to_target == 0) & hit.any(0), first_hit, self.to_target)
        rows = [j for j, r in enumerate(range(r0, r0 + n)) if r == 1 or r % self.every == 0 or r == self.steps]
        if rows:
            self.logged_rounds += [r0 + j for j in rows]
            self.logged.append(E[rows].cpu())

    def result(self, rounds: int, E_final: torch.Tensor, stopped: bool) -> SweepResult:
        final = torch.where(self.diverged_at > 0, math.nan, E_final)
        min_loss = torch.fmin(self.min_loss, final.nan_to_num(math.inf, math.inf, math.inf))
        logged = torch.cat(self.logged).T if self.logged else torch.empty(len(final), 0, dtype=final.dtype)
        return SweepResult(rounds, np.array(self.logged_rounds, dtype=np.int64), logged.numpy(),
                           final.cpu().numpy(), min_loss.cpu().numpy(), self.to_target.cpu().numpy(),
                           self.diverged_at.cpu().numpy(), stopped)


class Progress:
    """A progress line on `err` every `every` seconds: rounds done, rate, time left."""

    def __init__(self, err, every: float = 5.0):
        self.err, self.every = err, every
        self.t0 = self.last = time.monotonic()

    def __call__(self, r: int, steps: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            rate = r / (now - self.t0)
            print(f"round {r}/{steps}  {rate:,.0f} rounds/s  {(steps - r) / rate:,.0f} s left",
                  file=self.err, flush=True)

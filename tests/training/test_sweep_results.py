"""What sweep() hands back, field by field, as docs/sweep.md defines each: rounds to target (≤),
divergence at the first round or only after the last update, frozen diverged networks, a
sweep of no rounds, the data order its defaults pick, when stop() is asked, and how the
progress line reaches the terminal."""
import io
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet
from torch_bp.core.data import XOR_INPUTS, XOR_TARGETS
from torch_bp.training import sweep as sweep_module
from torch_bp.training.sweep import Progress, StackedLayer, StackedNets, sweep

F64 = torch.float64


def lrs(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def deck_error() -> float:
    """E = ½ Σ (target − out)² of the deck's network before any update (its own forward pass)."""
    with torch.no_grad():
        return (0.5 * (DECK_TARGETS - BackpropNet()(DECK_INPUTS)).square().sum()).item()


def test_rounds_to_target_counts_a_round_whose_error_equals_the_target():
    """rounds_to_target: the first round whose E is ≤ target_loss, an equal E included, in any chunk."""
    first = sweep(StackedNets.stack([BackpropNet()]), lrs(0.5), DECK_INPUTS, DECK_TARGETS, 10)
    curve = first.losses[0]
    assert (np.diff(curve) < 0).all()  # η = 0.5 lowers E every round: round 5 is the first ≤ its own E
    again = sweep(StackedNets.stack([BackpropNet()]), lrs(0.5), DECK_INPUTS, DECK_TARGETS, 10,
                  target_loss=float(curve[4]), chunk=3)
    assert again.rounds_to_target.tolist() == [5]


def test_a_sweep_of_no_rounds_reports_the_starting_error():
    """steps=0: nothing logged (an empty (N, 0) float64 record, integer rounds), E before any update."""
    result = sweep(StackedNets.stack([BackpropNet()], repeats=2), lrs(0.5, 2.0), DECK_INPUTS, DECK_TARGETS, 0)
    assert result.rounds == 0 and not result.stopped
    assert result.losses.shape == (2, 0) and result.losses.dtype == np.float64
    assert result.logged_rounds.shape == (0,) and result.logged_rounds.dtype == np.int64
    assert result.final_loss.tolist() == pytest.approx([deck_error()] * 2, rel=1e-15)
    assert result.min_loss.tolist() == result.final_loss.tolist()
    assert result.diverged_at.tolist() == [0, 0] and not result.diverged.any()


def blowing_up(lr: float, steps: int, chunk: int):
    """The deck's network with targets of 1e155: (target − out)² overflows, E = inf from round 1,
    while ∂E/∂w stays finite (≈ 1e155), so η = 1e-160 moves each weight by ~1e-6 a round."""
    nets = StackedNets.stack([BackpropNet()])
    result = sweep(nets, lrs(lr), DECK_INPUTS, torch.full_like(DECK_TARGETS, 1e155), steps,
                   log_interval=1, chunk=chunk)
    return nets, result


def test_diverged_at_round_one_is_recorded_nan_and_frozen():
    """A network whose very first E is not finite: diverged_at 1 (an integer round), that round's
    E as computed, NaN after it and at the end, and its η 0 from the end of that chunk on."""
    nets, result = blowing_up(1e-160, steps=6, chunk=2)
    assert result.diverged_at.tolist() == [1] and result.diverged_at.dtype.kind == "i"
    assert result.losses[0, 0] == np.inf and np.isnan(result.losses[0, 1:]).all()
    assert np.isnan(result.final_loss[0]) and result.diverged.tolist() == [True]
    after_first_chunk, _ = blowing_up(1e-160, steps=2, chunk=2)
    for name, p in nets.network(0).items():  # rounds 3..6 moved nothing
        assert torch.equal(p, after_first_chunk.network(0)[name]), name
    assert not torch.equal(nets.layers[0].weight, StackedNets.stack([BackpropNet()]).layers[0].weight)


def test_a_network_that_blows_up_in_its_last_update_is_diverged():
    """Every counted round finite (diverged_at 0) but E after the last update NaN: still diverged.
    Hidden unit h1 gets net = w1·x − w2·x with x = 1e150 (tests/training/test_sweep.py's set-up):
    η = 1e20 drives w1, w2 to ±inf in one update, η = 0.5 stays finite."""
    inputs = torch.tensor([[1e150, -1e150], [1e150, 1e150]], dtype=F64)
    targets = torch.tensor([[0.2], [0.8]], dtype=F64)
    nets = StackedNets([StackedLayer(torch.full((2, 1, 2), 0.5, dtype=F64), torch.zeros(2, dtype=F64)),
                        StackedLayer(torch.ones(2, 1, 1, dtype=F64), torch.zeros(2, dtype=F64))])
    result = sweep(nets, lrs(0.5, 1e20), inputs, targets, 1)
    assert result.diverged_at.tolist() == [0, 0] and np.isfinite(result.losses).all()
    assert np.isfinite(result.final_loss[0]) and np.isnan(result.final_loss[1])
    assert result.diverged.tolist() == [False, True]


def test_one_layer_networks_sweep():
    """A single layer (sizes (2, 2)) stacks and sweeps like any other: N networks, N results."""
    nets = StackedNets.stack([BackpropNet((2, 2), seed=s) for s in range(3)])
    result = sweep(nets, lrs(0.1, 0.5, 2.0), DECK_INPUTS, DECK_TARGETS, 5)
    assert len(nets) == 3 and result.final_loss.shape == (3,) and np.isfinite(result.final_loss).all()


def xor_sweep(**kwargs):
    """Two 2-3-1 networks (seeds 0 and 1) on XOR one row at a time, 12 rounds."""
    nets = StackedNets.stack([BackpropNet((2, 3, 1), seed=s) for s in (0, 1)])
    return sweep(nets, lrs(2.0, 2.0), XOR_INPUTS, XOR_TARGETS, 12, batch_size=1, **kwargs).losses


def test_default_data_order_is_the_datas_then_seed_zeros():
    """Defaults: rows in data order (no shuffle); with shuffle=True, seed 0's order for every network."""
    assert np.array_equal(xor_sweep(), xor_sweep(shuffle=False))
    assert not np.array_equal(xor_sweep(), xor_sweep(shuffle=True, seeds=(0,)))
    assert np.array_equal(xor_sweep(shuffle=True), xor_sweep(shuffle=True, seeds=(0,)))
    assert not np.array_equal(xor_sweep(shuffle=True), xor_sweep(shuffle=True, seeds=(1,)))
    assert np.array_equal(xor_sweep(shuffle=True, seeds=(0, 1)), xor_sweep(shuffle=True, seeds=(0,)))


def test_unshuffled_seeds_all_see_the_data_order():
    """shuffle=False: a network's seed does not change its batches, however many seeds there are."""
    assert np.array_equal(xor_sweep(seeds=(0, 1, 2), network_seed=torch.tensor([2, 1])), xor_sweep())


def test_stop_is_not_asked_after_the_last_chunk():
    """stop() is asked between chunks only: a sweep that did all its rounds was not stopped."""
    asked = []

    def stop():
        asked.append(True)
        return True

    result = sweep(StackedNets.stack([BackpropNet()]), lrs(0.5), DECK_INPUTS, DECK_TARGETS, 6, chunk=3, stop=stop)
    assert (result.rounds, result.stopped, len(asked)) == (3, True, 1)
    asked.clear()
    result = sweep(StackedNets.stack([BackpropNet()]), lrs(0.5), DECK_INPUTS, DECK_TARGETS, 3, chunk=3, stop=stop)
    assert (result.rounds, result.stopped, asked) == (3, False, [])


def test_progress_line_every_5_seconds_by_default_flushed_at_once(monkeypatch):
    """Progress(err): a line as soon as 5 s (exactly 5 included) have passed, pushed to the
    terminal at once rather than left in the stream's buffer."""
    clock = iter([100.0, 104.5, 105.0])
    monkeypatch.setattr(sweep_module, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    raw = io.BytesIO()
    p = Progress(io.TextIOWrapper(raw, encoding="utf-8"))  # t0 = 100
    p(450, 1000)                                           # 104.5: quiet
    assert raw.getvalue() == b""
    p(500, 1000)                                           # 105: 500 rounds in 5 s
    assert raw.getvalue().decode() == "round 500/1000  100 rounds/s  5 s left\n"


def test_a_float32_sweep_takes_eta_in_float32():
    """Float32 networks train in float32: η is lr rounded to float32, whether lr comes in float64 or float32."""
    def trained(lr):
        nets = StackedNets.stack([BackpropNet(dtype=torch.float32)], repeats=len(lr))
        sweep(nets, lr, DECK_INPUTS.float(), DECK_TARGETS.float(), 3)
        return nets.named_parameters()

    lr = torch.logspace(-1, 2, 100, dtype=F64)  # η from 0.1 to 100, few of them exact in float32
    for (name, a), (_, b) in zip(trained(lr), trained(lr.float())):
        assert a.dtype == torch.float32 and torch.equal(a, b), name

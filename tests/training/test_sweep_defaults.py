"""torch_bp.training.sweep.sweep() called from Python with its defaults (not through
sweep.py's flags), its guards and switches, and the numbers of its progress line."""
import io
from types import SimpleNamespace

import pytest
import torch

from torch_bp import DECK_INPUTS, DECK_TARGETS, BackpropNet
from torch_bp.training import sweep as sweep_module
from torch_bp.training.sweep import CHUNK, Progress, StackedNets, sweep

from tolerances import TRAJECTORY


def autograd_run(lr: float, steps: int) -> list[float]:
    """The deck's network, weights only (biases fixed), full batch: E before each update, then after the last."""
    net = BackpropNet()
    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    losses = []
    for _ in range(steps):
        loss = 0.5 * (DECK_TARGETS - net(DECK_INPUTS)).square().sum()
        for w, g in zip(weights, torch.autograd.grad(loss, weights)):
            w.data -= lr * g
        losses.append(loss.item())
    with torch.no_grad():
        losses.append((0.5 * (DECK_TARGETS - net(DECK_INPUTS)).square().sum()).item())
    return losses


@pytest.fixture(scope="module")
def two_runs():
    """The deck's network twice, η = 0.5 and 0.1, 250 rounds, every default left alone."""
    nets = StackedNets.stack([BackpropNet()], repeats=2)
    calls = []
    result = sweep(nets, torch.tensor([0.5, 0.1], dtype=torch.float64), DECK_INPUTS, DECK_TARGETS, 250,
                   progress=lambda r, steps: calls.append((r, steps)))
    return nets, result, calls


def test_defaults_log_every_round_and_train_weights_only(two_runs):
    nets, result, _ = two_runs
    assert result.rounds == 250 and not result.stopped
    assert result.logged_rounds.tolist() == list(range(1, 251)) and result.losses.shape == (2, 250)
    assert result.rounds_to_target.tolist() == [0, 0] and result.diverged_at.tolist() == [0, 0]
    assert nets.layers[0].bias.tolist() == [0.35, 0.35] and nets.layers[1].bias.tolist() == [0.60, 0.60]
    for k, lr in enumerate((0.5, 0.1)):
        expected = torch.tensor(autograd_run(lr, 250), dtype=torch.float64)
        got = torch.tensor([*result.losses[k], result.final_loss[k]], dtype=torch.float64)
        torch.testing.assert_close(got, expected, **TRAJECTORY)  # autograd's sums in another order
        assert result.min_loss[k] == pytest.approx(min(expected.tolist()), rel=1e-9)


def test_progress_after_every_chunk(two_runs):
    *_, calls = two_runs
    assert CHUNK == 100 and calls == [(100, 250), (200, 250), (250, 250)]


def test_stop_is_asked_after_each_chunk():
    nets = StackedNets.stack([BackpropNet()])
    result = sweep(nets, torch.tensor([0.5], dtype=torch.float64), DECK_INPUTS, DECK_TARGETS, 1000, stop=lambda: True)
    assert (result.rounds, result.stopped, result.logged_rounds[-1]) == (CHUNK, True, CHUNK)


def test_cuda_graph_needs_cuda_and_the_full_batch():
    nets = StackedNets.stack([BackpropNet()])
    with pytest.raises(ValueError, match="cuda_graph needs a CUDA device"):
        sweep(nets, torch.tensor([0.5], dtype=torch.float64), DECK_INPUTS, DECK_TARGETS, 5, cuda_graph=True)


@pytest.mark.parametrize("compile,kwargs", [(True, {}), ("eager", {"backend": "eager"})])
def test_compile_passes_its_backend(monkeypatch, compile, kwargs):
    """compile=True: torch.compile's default backend; a name: that backend (the call recorded, not run)."""
    seen = []

    def fake_compile(fn, **kw):
        seen.append(kw)
        return fn

    monkeypatch.setattr(torch, "compile", fake_compile)
    sweep(StackedNets.stack([BackpropNet()]), torch.tensor([0.5], dtype=torch.float64), DECK_INPUTS, DECK_TARGETS, 3,
          compile=compile)
    assert seen == [{"fullgraph": True, "dynamic": False, **kwargs}]


def test_progress_line_numbers(monkeypatch):
    """Rounds done of all, the rate since the start, the seconds left at that rate; quiet until
    `every` seconds have passed since the last line."""
    clock = iter([100.0, 102.0, 110.0, 112.0, 130.0])
    monkeypatch.setattr(sweep_module, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    err = io.StringIO()
    p = Progress(err, every=5.0)       # t0 = 100
    p(100, 5000)                       # 102: 2 s since the last line, quiet
    p(1000, 5000)                      # 110: 1,000 rounds in 10 s
    p(1100, 5000)                      # 112: quiet
    p(4500, 5000)                      # 130: 4,500 rounds in 30 s
    assert err.getvalue().splitlines() == ["round 1000/5000  100 rounds/s  40 s left",
                                           "round 4500/5000  150 rounds/s  3 s left"]


@pytest.mark.parametrize("inputs, error, says", [
    (DECK_INPUTS.float(), TypeError, r"^inputs: expected torch.float64 \(the network's\), got torch.float32"),
    (DECK_INPUTS[0], ValueError, r"^inputs: expected shape \(B, 2\) or \(1, B, 2\), got \(2\)"),
])
def test_a_sweep_checks_its_data_once_before_the_rounds(inputs, error, says):
    nets = StackedNets.stack([BackpropNet()])
    with pytest.raises(error, match=says):
        sweep(nets, torch.tensor([0.5], dtype=torch.float64), inputs, DECK_TARGETS, 3)
    with pytest.raises(ValueError, match=r"^targets: expected 1 rows \(as the inputs\), got 2"):
        sweep(nets, torch.tensor([0.5], dtype=torch.float64), DECK_INPUTS, DECK_TARGETS.repeat(2, 1), 3)

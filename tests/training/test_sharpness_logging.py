"""train.py's sharpness over training (training/curvature.py): λ_max logged at round 1, every
sharpness_interval-th round and the last, on the parameters history.csv logs at that round, equal
to the largest eigenvalue (eigvalsh) of torch.func's Hessian of E on all the data over the trained
parameters; 2/η beside it; TensorBoard gets the measured rounds only; resume keeps the interval."""
import io
import math
import shutil

import torch
from logs import read_history, read_scalars, same_history
from second_order_oracles import torch_func_spectrum
from tolerances import DTYPE, EXACT_ISH, FLOAT32

from torch_bp import BackpropNet
from torch_bp.core.data import DATASETS
from torch_bp.core.hessian import hessian
from torch_bp.core.sgd import trained_names
from torch_bp.core.sharpness import POWER_TOL
from torch_bp.training import TrainConfig, curvature, train
from torch_bp.training.resume import resumed
from torch_bp.training.curvature import EXACT_UP_TO, SHARPNESS, TWO_OVER_LR, largest_eigenvalue
from torch_bp.training.dashboard import layout
from torch_bp.training.sweep import StackedNets


def run(tmp_path, name="run", **settings):
    train(TrainConfig(logdir=str(tmp_path / name), graph=False, **settings), out=io.StringIO(), err=io.StringIO())
    return read_history(tmp_path / name)


def spectrum_at_row(cfg: TrainConfig, history: dict, k: int) -> torch.Tensor:
    """Every eigenvalue of ∂²E/∂θ² (torch.func) over the trained parameters, at the parameters
    history.csv logs in row k, E on all of the run's data."""
    net = BackpropNet(cfg.sizes, shared_bias=not cfg.per_unit_bias)
    scalars = iter(net.scalar_names())
    params = {}
    for name, p in net.named_parameters():
        kind = "bias/" if name.endswith("bias") else "weights/"
        params[name] = torch.tensor([history[kind + next(scalars)][k] for _ in range(p.numel())],
                                    dtype=DTYPE).reshape(p.shape)
    return torch_func_spectrum(params, *DATASETS[cfg.dataset], trained_names(net, cfg.train_bias))


def measured(history) -> list[int]:
    return [k for k, v in enumerate(history[SHARPNESS]) if not math.isnan(v)]


def test_the_deck_logs_torch_funcs_largest_eigenvalue_at_its_rounds(tmp_path):
    cfg = TrainConfig(steps=120, sharpness_interval=50)
    h = run(tmp_path, steps=120, sharpness_interval=50)
    rows = measured(h)
    assert [h["round"][k] for k in rows] == [1, 50, 100] and len(h["round"]) == 120  # not the last: see resume
    for k in rows:
        top = spectrum_at_row(cfg, h, k)[-1].item()
        assert math.isclose(h[SHARPNESS][k], top, rel_tol=EXACT_ISH["rtol"], abs_tol=EXACT_ISH["atol"]), \
            f"round {h['round'][k]}: logged {h[SHARPNESS][k]}, torch.func {top}"
        assert h[TWO_OVER_LR][k] == 2 / cfg.lr
    assert h[SHARPNESS][0] != h[SHARPNESS][rows[-1]]  # measured anew, not one value copied
    tags = read_scalars(tmp_path / "run")
    assert sorted(tags[SHARPNESS]) == sorted(tags[TWO_OVER_LR]) == [1, 50, 100]
    torch.testing.assert_close(tags[SHARPNESS][100], h[SHARPNESS][rows[2]], **FLOAT32)


def test_power_iteration_past_the_exact_size_on_all_the_data(tmp_path):
    """88 weights (> EXACT_UP_TO): power iteration, within POWER_TOL · ‖H‖₂; batches of one row,
    λ_max of E on all four rows; rounds logged only every 5th still log the measured ones."""
    cfg = TrainConfig(steps=7, sizes=(2, 8, 8, 1), dataset="xor", batch_size=1, lr=0.3, sharpness_interval=3,
                      log_interval=5)
    assert 2 * 8 + 8 * 8 + 8 > EXACT_UP_TO
    h = run(tmp_path, **{k: getattr(cfg, k) for k in ("steps", "sizes", "dataset", "batch_size", "lr",
                                                      "sharpness_interval", "log_interval")})
    assert h["round"] == [1, 3, 5, 6, 7] and [h["round"][k] for k in measured(h)] == [1, 3, 6]
    for k in measured(h):
        ev = spectrum_at_row(cfg, h, k)
        assert abs(h[SHARPNESS][k] - ev[-1].item()) <= POWER_TOL * ev.abs().max().item()


def test_off_means_no_columns(tmp_path):
    h = run(tmp_path, steps=3, sharpness_interval=0)
    assert SHARPNESS not in h and TWO_OVER_LR not in h
    assert SHARPNESS not in read_scalars(tmp_path / "run")


def test_a_resumed_run_keeps_its_interval_and_logs_what_an_uninterrupted_one_does(tmp_path):
    whole = run(tmp_path, "whole", steps=120, sharpness_interval=40)
    ck = tmp_path / "ck.pt"
    run(tmp_path, "part", steps=60, sharpness_interval=40, save_model=str(ck))
    shutil.copy(ck, tmp_path / "ck-copy.pt")
    train(TrainConfig(resume=str(ck), steps=120, save_model=str(ck)), out=io.StringIO(), err=io.StringIO(),
          given={"resume", "steps", "save_model"})
    again = read_history(tmp_path / "part")
    assert again["round"] == whole["round"]
    assert same_history(again, whole)  # bitwise; round 60, the first part's last, not measured in either
    assert [again["round"][k] for k in measured(again)] == [1, 40, 80, 120]


def test_a_checkpoint_from_before_the_setting_resumes_without_it():
    saved = {**TrainConfig().to_dict(), "sizes": [2, 2, 2], "logdir": "/runs/a"}
    del saved["sharpness_interval"]
    assert resumed(TrainConfig(resume="/runs/a/ck.pt"), saved).sharpness_interval == 0
    saved["sharpness_interval"] = 7
    assert resumed(TrainConfig(resume="/runs/a/ck.pt"), saved).sharpness_interval == 7
    assert resumed(TrainConfig(resume="/runs/a/ck.pt", sharpness_interval=3), saved).sharpness_interval == 3


def test_a_network_gone_non_finite_measures_nan_and_the_others_their_own():
    nets = [BackpropNet(seed=s) for s in range(3)]
    stacked = StackedNets.stack(nets)
    stacked.layers[0].weight[1, 0, 0] = math.nan
    x, t = DATASETS["deck"]
    lam = largest_eigenvalue(stacked, x, t, train_bias=False)
    assert math.isnan(lam[1]) and not lam[[0, 2]].isnan().any()
    for k in (0, 2):
        torch.testing.assert_close(lam[k], largest_eigenvalue(nets[k], x, t, train_bias=False), **EXACT_ISH)


def test_the_whole_hessian_in_passes_of_a_few_networks_or_power_iteration(monkeypatch):
    """EXACT_COPIES bounds a pass's memory: fewer networks a pass, the same λ_max; not even one
    network's copies × rows within it, power iteration (within POWER_TOL · ‖H‖₂)."""
    g = torch.Generator().manual_seed(4)
    nets = StackedNets.stack([BackpropNet((2, 3, 2), init="random", seed=s) for s in range(5)])
    x, t = torch.rand(6, 2, generator=g, dtype=DTYPE), torch.rand(6, 2, generator=g, dtype=DTYPE)
    whole = largest_eigenvalue(nets, x, t, train_bias=False)
    norms = torch.linalg.eigvalsh(hessian(nets, x, t, trained_names(nets, False)).total).abs().amax(-1)  # ‖H‖₂
    P = 2 * 3 + 3 * 2
    monkeypatch.setattr(curvature, "EXACT_COPIES", 2 * P * len(x))  # two networks a pass: three passes
    torch.testing.assert_close(largest_eigenvalue(nets, x, t, train_bias=False), whole, **EXACT_ISH)
    monkeypatch.setattr(curvature, "EXACT_COPIES", P * len(x) - 1)
    power = largest_eigenvalue(nets, x, t, train_bias=False)
    assert ((power - whole).abs() <= POWER_TOL * norms).all() and not torch.equal(power, whole)


def test_custom_scalars_draw_sharpness_and_two_over_lr_on_one_chart():
    base = ["loss/total", "weights/w1", "grad/w1"]
    assert layout(base + [SHARPNESS, TWO_OVER_LR])["Curvature"] == {
        "λ_max and 2/η": ["Multiline", [f"^{SHARPNESS}$", f"^{TWO_OVER_LR}$"]]}
    assert "Curvature" not in layout(base)

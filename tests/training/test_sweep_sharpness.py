"""A sweep's sharpness columns (results.csv sharpness_start, sharpness_end): every network's
λ_max before its first update and after its last, all networks in one batched pass, equal to
that network's own torch.func Hessian's largest eigenvalue; NaN for a diverged network;
--no-sharpness leaves the columns out."""
import csv
import io
import math

import numpy as np
import pytest
import torch
from logs import read_history
from second_order_oracles import torch_func_spectrum
from svg import svg_texts
from test_sweep import diverging_setup
from tolerances import EXACT_ISH

from torch_bp.core.data import DATASETS
from torch_bp.core.sgd import trained_names
from torch_bp.core.sharpness import POWER_TOL
from torch_bp.training import TrainConfig, train
from torch_bp.training.config import SweepConfig
from torch_bp.training.setup import build_model
from torch_bp.training.sweep_run import RESULT_COLUMNS, SHARPNESS_COLUMNS, SweepRun
from torch_bp.viz.sweep_plot import plot_sweep


def run_sweep(tmp_path, **settings):
    run = SweepRun(SweepConfig(logdir=str(tmp_path / "s"), **settings), out=io.StringIO(), err=io.StringIO())
    try:
        result = run.run()
    finally:
        run.close()
    with open(tmp_path / "s" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    return run, result, rows


def top(params, cfg, train_bias, x=None, t=None) -> tuple[float, float]:
    """(λ_max, ‖H‖₂) by torch.func for one network's parameters (data: the built-in set's, or x, t)."""
    x, t = DATASETS[cfg.dataset] if x is None else (x, t)
    ev = torch_func_spectrum(params, x, t, [n for n in params if train_bias or not n.endswith("bias")])
    return ev[-1].item(), ev.abs().max().item()


@pytest.mark.parametrize("sizes, train_bias, tol", [((2, 3, 1), True, "exact"), ((2, 8, 8, 1), False, "power")],
                         ids=["exact", "power iteration"])
def test_sweep_sharpness_is_each_networks_torch_func_eigenvalue(tmp_path, sizes, train_bias, tol):
    lrs = (0.5, 4.0)
    run, result, rows = run_sweep(tmp_path, sizes=sizes, dataset="xor", lr=lrs, seeds=(0, 1), steps=30,
                                  train_bias=train_bias)
    assert list(rows[0]) == RESULT_COLUMNS + SHARPNESS_COLUMNS
    cfg = run.cfg
    for k, row in enumerate(rows):
        seed = cfg.seeds[k // len(lrs)]
        start = {n: p.detach() for n, p in build_model(cfg, seed, "cpu").named_parameters()}
        for column, params in (("sharpness_start", start), ("sharpness_end", run.nets.network(k))):
            value = float(row[column])
            lam, norm = top(params, cfg, train_bias)
            bound = EXACT_ISH["rtol"] * abs(lam) + EXACT_ISH["atol"] if tol == "exact" else POWER_TOL * norm
            assert abs(value - lam) <= bound, f"network {k} {column}: {value} vs torch.func {lam}"
    npz = np.load(tmp_path / "s" / "losses.npz")
    np.testing.assert_array_equal(npz["sharpness_end"], result.sharpness_end)
    assert len(trained_names(run.nets, train_bias)) == (4 if train_bias else len(sizes) - 1)


def test_a_diverged_network_ends_nan_and_the_others_their_own(tmp_path):
    run, result, rows = run_sweep(tmp_path, lr=(0.5, 1e20, 2.0), steps=30, **diverging_setup(tmp_path))
    assert [r["diverged"] for r in rows] == ["0", "1", "0"] and math.isnan(float(rows[1]["sharpness_end"]))
    assert rows[0]["sharpness_start"] == rows[1]["sharpness_start"] == rows[2]["sharpness_start"] != "nan"
    for k in (0, 2):
        torch.testing.assert_close(float(rows[k]["sharpness_end"]),
                                   top(run.nets.network(k), run.cfg, False, run.inputs, run.targets)[0], **EXACT_ISH)


def test_no_sharpness_leaves_the_columns_out(tmp_path):
    _, result, rows = run_sweep(tmp_path, lr=(0.5,), steps=3, sharpness=False)
    assert list(rows[0]) == RESULT_COLUMNS and result.sharpness_start is None
    assert "sharpness_start" not in np.load(tmp_path / "s" / "losses.npz")


def test_the_sweeps_deck_network_ends_on_train_pys_sharpness(tmp_path):
    """η = 0.5 on the deck: the network train.py trains; its λ_max after 20 updates is what
    train.py's run measures before its 21st (the same parameters, the same formula)."""
    _, _, rows = run_sweep(tmp_path, lr=(0.5,), steps=20)
    train(TrainConfig(steps=21, sharpness_interval=21, logdir=str(tmp_path / "t"), graph=False),
          out=io.StringIO(), err=io.StringIO())
    h = read_history(tmp_path / "t")
    torch.testing.assert_close(float(rows[0]["sharpness_end"]), h["curvature/sharpness"][-1], **EXACT_ISH)
    assert float(rows[0]["sharpness_start"]) == h["curvature/sharpness"][0]


@pytest.mark.parametrize("sharpness", [True, False])
def test_the_sweep_figure_draws_sharpness_against_the_two_over_lr_line(tmp_path, sharpness):
    lr, seed = np.array([0.5, 1.0, 2.0]), np.zeros(3, dtype=np.int64)
    svg, _ = plot_sweep(tmp_path / "sweep", lr, seed, np.array([1e-3, 1e-4, 1e-5]), np.zeros(3, dtype=np.int64),
                        np.zeros(3, dtype=bool), title="t", target_loss=None,
                        sharpness=(np.full(3, 0.04), np.array([1e-3, 5e-4, 3e-4])) if sharpness else None)
    texts = svg_texts(svg)
    assert ({"λ_max and 2/η", "2/η", "λ_max at the end", "at the start"} <= texts) == sharpness
    assert ("λ_max and 2/η" in texts) == sharpness
    assert "final error" in texts

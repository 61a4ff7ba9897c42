"""The sweep: N networks side by side (torch_bp.training.sweep, scripts/sweep.py).

Network k of a sweep must be the run train.py makes with its η and seed. The sweep's products
are broadcast multiply-and-sums where train.py's are GEMMs, so the two agree to a few ulps per
round, not bitwise: SAME_RUN (1e-12 relative) is the issue's bound over whole runs.
"""
import csv
import json

import numpy as np
import pytest
import torch
from torch.func import functional_call, grad, vmap

from conftest import load_script
from tolerances import EXACT_ISH
from torch_bp import BackpropNet, backprop, half_sse
from torch_bp.core import chain_rule
from torch_bp.training.checkpoint import load_checkpoint
from torch_bp.training.sweep import StackedNets
from torch_bp.cli.args import lr_values, seed_values
from torch_bp.training.sweep_run import RESULT_COLUMNS, SHARPNESS_COLUMNS, SweepConfig, SweepRun
from torch_bp.training import NonFiniteLoss, TrainConfig, train

SAME_RUN = dict(rtol=1e-12, atol=1e-15)


@pytest.fixture(scope="module")
def sweep_script():
    return load_script("sweep")


# ---- the batched chain rule against autograd (vmap over grad) -------------------------------
@pytest.mark.parametrize("sizes", [(2, 2, 2), (3, 4, 1), (2, 3, 3, 2)])
@pytest.mark.parametrize("shared_bias", [True, False])
@pytest.mark.parametrize("own_inputs", [False, True])
def test_stacked_backprop_matches_vmap_autograd(sizes, shared_bias, own_inputs):
    N, B = 5, 3
    nets = [BackpropNet(sizes, shared_bias=shared_bias, seed=s, init="random") for s in range(N)]
    stacked = StackedNets.stack(nets)
    g = torch.Generator().manual_seed(1)
    x = torch.rand((N, B, sizes[0]) if own_inputs else (B, sizes[0]), generator=g, dtype=torch.float64)
    t = torch.rand(B, sizes[-1], generator=g, dtype=torch.float64)

    params = {name: p.detach() for name, p in stacked.named_parameters()}  # (N, ...) each

    def loss(p, x_k):
        return half_sse(functional_call(nets[0], p, (x_k,)), t)

    in_dims = (0, 0 if own_inputs else None)
    ref_loss = vmap(loss, in_dims=in_dims)(params, x)
    ref_grads = vmap(grad(loss), in_dims=in_dims)(params, x)

    trace = backprop(stacked, x, t, keep=False)
    torch.testing.assert_close(trace.loss, ref_loss, **EXACT_ISH, msg="E_total of each network")
    for name, ref in ref_grads.items():
        torch.testing.assert_close(trace.grads[name], ref, **EXACT_ISH, msg=f"∂E/∂{name}")


def test_each_devices_products_and_sums_are_the_same_formulas():
    """The stacked chain rule picks its products and sums by device (a GEMM or a broadcast
    product summed over k; a GEMV with ones or a reduction): every formula, run here on the CPU,
    equals matmul and sum, for stacked, shared and extra leading dimensions."""
    g = torch.Generator().manual_seed(2)

    def r(*shape):
        return torch.rand(shape, generator=g, dtype=torch.float64)
    for a, b in [(r(4, 3, 5), r(4, 5, 2)), (r(3, 5), r(4, 5, 2)), (r(4, 3, 5), r(5, 2)), (r(2, 4, 3, 5), r(2, 4, 5, 2))]:
        for f in (chain_rule._mm, chain_rule._mm_broadcast):
            torch.testing.assert_close(f(a, b), torch.matmul(a, b), **EXACT_ISH, msg=f"{f.__name__} {a.shape} @ {b.shape}")
    for x in (r(7), r(4, 6), r(3, 2, 5)):
        for f in (chain_rule._sum_last, chain_rule._sum_gemv, chain_rule._sum_reduce):
            torch.testing.assert_close(f(x), x.sum(-1), **EXACT_ISH, msg=f"{f.__name__} {x.shape}")


def test_stacked_trace_is_each_networks_trace():
    """keep=True: every layer's net, out, delta of network k are its own pass's."""
    nets = [BackpropNet((2, 3, 2), shared_bias=False, seed=s, init="random") for s in range(3)]
    x = torch.rand(3, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    t = torch.full((4, 2), 0.3, dtype=torch.float64)
    trace = backprop(StackedNets.stack(nets), x, t)
    for k, net in enumerate(nets):
        one = backprop(net, x[k], t)
        for l, (a, b) in enumerate(zip(trace.layers, one.layers)):
            for q in ("net", "out", "dE_dout", "dout_dnet", "delta"):
                torch.testing.assert_close(getattr(a, q)[k], getattr(b, q), **EXACT_ISH, msg=f"layer {l + 1} {q}")


# ---- network k is train.py's run -------------------------------------------------------------
def train_run(tmp_path, name, **settings):
    """train.py's run with these settings: (history columns, rows, RunResult, final parameters)."""
    ckpt = tmp_path / f"{name}.pt"
    cfg = TrainConfig(logdir=str(tmp_path / name), graph=False, save_model=str(ckpt), **settings)
    result = train(cfg, out=open("/dev/null", "w"), err=open("/dev/null", "w"))
    with open(tmp_path / name / "history.csv") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=np.float64), result, load_checkpoint(str(ckpt))["model"]


SETTINGS = {
    "deck, shared biases": dict(common=dict(), lrs="0.1,0.5,2", seeds="0", check=[0, 1, 2]),
    "xor 2-3-1, per-unit biases, biases trained": dict(
        common=dict(dataset="xor", sizes=(2, 3, 1), per_unit_bias=True, train_bias=True),
        lrs="0.3,3", seeds="0,1", check=[0, 3]),
    "xor 2-3-1, mini-batch of 3, shuffled per seed": dict(
        common=dict(dataset="xor", sizes=(2, 3, 1), batch_size=3, shuffle=True),
        lrs="0.5,4", seeds="0:3", check=[1, 2, 4]),
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_each_network_is_train_py_run(tmp_path, setting):
    s, steps = SETTINGS[setting], 40
    lrs, seeds = lr_values(s["lrs"]), seed_values(s["seeds"])
    run = SweepRun(SweepConfig(lr=lrs, seeds=seeds, steps=steps, log_interval=1, **s["common"]))
    res = run.train()
    assert res.logged_rounds.tolist() == list(range(1, steps + 1))
    for k in s["check"]:
        lr, seed = lrs[k % len(lrs)], seeds[k // len(lrs)]
        columns, rows, result, params = train_run(tmp_path, f"k{k}", lr=lr, seed=seed, steps=steps, **s["common"])
        full = columns.index("loss/full" if "loss/full" in columns else "loss/total")
        np.testing.assert_allclose(res.losses[k], rows[:, full], **SAME_RUN, err_msg=f"network {k}: E per round")
        np.testing.assert_allclose(res.final_loss[k], result.final_loss, **SAME_RUN,
                                   err_msg=f"network {k}: E after the last update")
        for name, p in run.nets.network(k).items():
            torch.testing.assert_close(p, params[name], **SAME_RUN, msg=f"network {k}: final {name}")


def test_deck_sweep_row_is_train_py_final_error(tmp_path, sweep_script):
    """The issue's check: --lr 0.1,0.5,2, the row for η = 0.5 is train.py's 3.510187783e-05."""
    assert sweep_script.main(["--lr", "0.1,0.5,2", "--logdir", str(tmp_path / "sweep")]) == 0
    with open(tmp_path / "sweep" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    row = next(r for r in rows if float(r["lr"]) == 0.5)
    cfg = TrainConfig(logdir=str(tmp_path / "train"), graph=False, log_interval=10_000)
    final = train(cfg, out=open("/dev/null", "w")).final_loss
    assert f"{final:.9e}" == "3.510187783e-05"  # as README and the deck run print it
    assert float(row["final_loss"]) == pytest.approx(final, rel=1e-12, abs=0)


# ---- divergence ------------------------------------------------------------------------------
def diverging_setup(tmp_path):
    """Row 1 keeps hidden unit h1 unsaturated (net = w1·x − w2·x + b, w1 = w2); its gradient
    moves w1 and w2 apart by η·10^150: for η = 1e20 they overflow to ±inf and row 2's
    net = w1·x + w2·x is inf − inf = NaN at round 2; for η ≤ 2 it stays finite."""
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"inputs": [[1e150, -1e150], [1e150, 1e150]], "targets": [[0.2], [0.8]]}))
    init = tmp_path / "init.json"
    init.write_text(json.dumps({"layers.0.weight": [[0.5, 0.5]], "layers.0.bias": 0.0,
                                "layers.1.weight": [[1.0]], "layers.1.bias": 0.0}))
    return dict(sizes=(2, 1, 1), data=str(data), init=str(init))


def test_diverging_network_is_frozen_and_the_others_go_on(tmp_path):
    common, steps = diverging_setup(tmp_path), 30
    run = SweepRun(SweepConfig(lr=(0.5, 1e20, 2.0), steps=steps, log_interval=1, **common))
    res = run.train()
    assert res.diverged.tolist() == [False, True, False]
    assert res.diverged_at.tolist() == [0, 2, 0]
    assert np.isnan(res.losses[1, 1:]).all() and np.isfinite(res.losses[[0, 2]]).all()
    assert np.isnan(res.final_loss[1]) and res.min_loss[1] == res.losses[1, 0]
    for k, lr in ((0, 0.5), (2, 2.0)):  # the others: exactly train.py's runs
        columns, rows, result, params = train_run(tmp_path, f"k{k}", lr=lr, steps=steps, **common)
        np.testing.assert_allclose(res.losses[k], rows[:, columns.index("loss/total")], **SAME_RUN)
        for name, p in run.nets.network(k).items():
            torch.testing.assert_close(p, params[name], **SAME_RUN, msg=f"network {k}: final {name}")
    with pytest.raises(NonFiniteLoss, match="at round 2"):  # train.py stops where the sweep froze it
        train_run(tmp_path, "k1", lr=1e20, steps=steps, **common)


# ---- what a sweep writes ---------------------------------------------------------------------
def test_sweep_folder(tmp_path, sweep_script, capsys):
    logdir = tmp_path / "sweep"
    argv = ["--lr", "0.5:8:3", "--seeds", "0:2", "--sizes", "2,3,1", "--dataset", "xor", "--steps", "25",
            "--log-interval", "10", "--target-loss", "0.125", "--logdir", str(logdir)]
    assert sweep_script.main(argv) == 0
    assert "results:" in capsys.readouterr().out
    with open(logdir / "results.csv") as f:
        reader = csv.reader(f)
        assert next(reader) == RESULT_COLUMNS + SHARPNESS_COLUMNS == [
            "lr", "seed", "final_loss", "min_loss", "rounds_to_target", "diverged", "sharpness_start", "sharpness_end"]
        rows = list(reader)
    assert [(float(r[0]), int(r[1])) for r in rows] == [(lr, s) for s in (0, 1) for lr in (0.5, 2.0, 8.0)]
    z = np.load(logdir / "losses.npz")
    assert z["rounds"].tolist() == [1, 10, 20, 25] and z["loss"].shape == (6, 4)
    np.testing.assert_array_equal(z["final_loss"], [float(r[2]) for r in rows])
    reached = 0
    for r, losses in zip(rows, z["loss"]):  # min_loss and rounds_to_target agree with the record
        assert float(r[3]) <= min(losses.min(), float(r[2]))
        first = int(r[4]) if r[4] else 26
        assert (losses[z["rounds"] < first] > 0.125).all()
        reached += bool(r[4])
        assert (float(r[3]) <= 0.125) == bool(r[4]) or float(r[2]) <= 0.125
    assert 0 < reached < 6  # the target splits the sweep
    svg = (logdir / "figures" / "sweep.svg").read_text()
    assert "<text" in svg and "learning rate η" in svg  # svg.fonttype none: text stays text
    assert (logdir / "figures" / "sweep.png").stat().st_size > 1000
    assert json.loads((logdir / "config.json").read_text())["lr"] == [0.5, 2.0, 8.0]  # the η trained, not the flag's text

    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
    sessions = sorted((logdir / "networks").iterdir())
    assert len(sessions) == 6
    seen, curves = [], 0
    for folder in sessions:
        (events,) = folder.glob("events.out.tfevents.*")
        tags = {}
        for ev in EventFileLoader(str(events)).Load():
            for v in ev.summary.value:
                tags[v.tag] = v
        data = HParamsPluginData.FromString(tags["_hparams_/session_start_info"].metadata.plugin_data.content)
        seen.append((data.session_start_info.hparams["lr"].number_value,
                     int(data.session_start_info.hparams["seed"].number_value)))
        assert {"sweep/final_loss", "sweep/min_loss", "sweep/diverged"} <= set(tags)
        curves += "loss/total" in tags
    assert seen == [(float(r[0]), int(r[1])) for r in rows]
    assert 1 <= curves <= 6


# ---- bad flags -------------------------------------------------------------------------------
BAD = [
    ["--lr", "0"], ["--lr", "-1,2"], ["--lr", "a,b"], ["--lr", "1:2"], ["--lr", "0.1:10:0"], ["--lr", "0:1:5"],
    ["--lr", "nan"], ["--seeds", "3:1"], ["--seeds", "x"], ["--seeds", "-1"], ["--steps", "0"],
    ["--dataset", "nope"], ["--sizes", "3,2"], ["--device", "nope"], ["--init", "/no/such.json"],
    ["--data", "/no/such.csv"], ["--target-loss", "0"], ["--log-interval", "0"], ["--bogus"],
    ["--no-sharpness=yes"],
]


@pytest.mark.parametrize("argv", BAD, ids=" ".join)
def test_bad_flags_exit_2_with_one_line(tmp_path, sweep_script, capsys, argv):
    try:
        status = sweep_script.main(argv + ["--steps", "2"] * ("--steps" not in argv) + ["--logdir", str(tmp_path / "s")])
    except SystemExit as e:
        status = e.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("sweep.py: error: "), err
    assert not (tmp_path / "s").exists()  # nothing written


def test_bad_flag_in_a_subprocess(tmp_path, run_script):
    proc = run_script("sweep", "--lr", "0.1:10", "--logdir", tmp_path / "s")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_signal_stops_the_sweep_after_its_block_and_keeps_what_was_done(tmp_path, monkeypatch):
    """SIGINT while training (sent at round 200's block end, by the progress hook): the sweep
    stops there, writes every file for 200 rounds and reports the signal."""
    import os
    import signal

    import torch_bp.training.sweep_run as sweep_run

    def kill_at_200(err):
        return lambda r, steps: os.kill(os.getpid(), signal.SIGINT) if r == 200 else None
    monkeypatch.setattr(sweep_run, "Progress", kill_at_200)
    run = SweepRun(SweepConfig(lr=(0.5, 2.0), steps=1000, log_interval=100, logdir=str(tmp_path / "s")),
                   out=open(os.devnull, "w"))
    res = run.run()
    assert res.stopped and res.rounds == 200 and run.signum == signal.SIGINT
    load_script("sweep").draw(run, res)  # the command draws the figure once the results are written
    z = np.load(tmp_path / "s" / "losses.npz")
    assert z["rounds"].tolist() == [1, 100, 200]
    with open(tmp_path / "s" / "results.csv") as f:
        assert len(list(csv.DictReader(f))) == 2
    assert (tmp_path / "s" / "figures" / "sweep.svg").exists()

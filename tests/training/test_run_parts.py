"""torch_bp.training's parts on their own: the config's checks and resume policy (through the
library, not the script), the run folder, the metrics buffer and its flush, the round-1 panel,
and the signal modes."""
import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from logs import read_events, read_history

from conftest import ROOT
from torch_bp.training import Status, TrainConfig, train
from torch_bp.training.config import ConfigError, SweepConfig, validate
from torch_bp.training.resume import DECIDING, resumed
from torch_bp.training.folder import RunFolder, atomic_write_text
from torch_bp.training.metrics import MetricsBuffer, NonFiniteLoss


def quiet_train(cfg: TrainConfig, **kw):
    return train(cfg, out=io.StringIO(), err=io.StringIO(), **kw)


# ---- config: checks by setting ----------------------------------------------------------------

@pytest.mark.parametrize("changes", [
    dict(steps=0), dict(log_interval=-1), dict(lr=float("nan")), dict(lr=0.0), dict(target_loss=float("inf")),
    dict(batch_size=0), dict(save_interval=5), dict(dataset="seed"), dict(backend="jax"), dict(sizes=(2,)),
])
def test_validate_names_the_bad_setting_by_its_field(changes):
    """The library speaks field names (the command line alone turns them into flags)."""
    (field,) = changes
    with pytest.raises(ConfigError, match=f"^{field} ") as e:
        validate(TrainConfig(**changes))
    assert e.value.field == field and "--" not in str(e.value)


@pytest.mark.parametrize("changes", [dict(steps=0), dict(lr=(0.5, -1.0)), dict(seeds=(0, -3)), dict(seeds=()),
                                     dict(batch_size=0), dict(sizes=(2,)), dict(log_interval=0)])
def test_a_sweep_is_checked_by_the_same_rules(changes):
    (field,) = changes
    with pytest.raises(ConfigError) as e:
        validate(SweepConfig(**changes))
    assert e.value.field in (field, field.rstrip("s"))


def test_validate_applies_dry_run_and_config_is_frozen():
    cfg = validate(TrainConfig(dry_run=True))
    assert cfg.steps == 3 and cfg.graph is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.steps = 5


def test_status_is_an_enum(tmp_path):
    res = quiet_train(TrainConfig(steps=3, logdir=str(tmp_path / "r"), graph=False))
    assert res.status is Status.FINISHED and res.rounds == 3 and res.signum == 0
    res = quiet_train(TrainConfig(steps=5000, target_loss=0.2, logdir=str(tmp_path / "t"), graph=False))
    assert res.status is Status.REACHED and res.rounds < 5000


# ---- config: the resume policy, through the library ----------------------------------------------

SAVED = {**TrainConfig(backend="autograd", lr=0.1, steps=30_000, log_interval=100, target_loss=1e-4).to_dict(),
         "sizes": [2, 2, 2], "logdir": "/runs/a"}


@pytest.mark.parametrize("key, value", [("lr", 0.2), ("train_bias", True), ("per_unit_bias", True), ("seed", 4),
                                        ("shuffle", True), ("sizes", (2, 3, 2)), ("batch_size", 1),
                                        ("dataset", "xor"), ("data", "d.csv"), ("init", "w.json")])
def test_resume_refuses_a_changed_deciding_setting(key, value):
    with pytest.raises(ConfigError, match=f"^{key} .*differs from the checkpoint"):
        resumed(TrainConfig(resume="ck.pt", **{key: value}), SAVED)


def test_resume_refuses_a_default_the_caller_says_it_gave():
    with pytest.raises(ValueError, match="^backend manual differs from the checkpoint's autograd"):
        resumed(TrainConfig(resume="ck.pt", backend="manual"), SAVED, given={"backend"})


def test_resume_takes_the_checkpoints_settings_and_keeps_its_steps_interval_target():
    cfg = resumed(TrainConfig(resume="ck.pt"), SAVED)
    assert {k: getattr(cfg, k) for k in DECIDING} == {k: (tuple(SAVED[k]) if k == "sizes" else SAVED[k])
                                                      for k in DECIDING}
    assert (cfg.steps, cfg.log_interval, cfg.target_loss, cfg.logdir) == (30_000, 100, 1e-4, "/runs/a")
    given = resumed(TrainConfig(resume="ck.pt", steps=40_000, log_interval=7), SAVED)
    assert (given.steps, given.log_interval, given.target_loss) == (40_000, 7, 1e-4)
    # A script says what the user typed: a default given on purpose counts as given.
    explicit = resumed(TrainConfig(resume="ck.pt", log_interval=1), SAVED, given={"log_interval"})
    assert explicit.log_interval == 1 and explicit.steps == 30_000


@pytest.fixture(scope="module")
def autograd_run(tmp_path_factory):
    """A 40-round autograd run at η = 0.1, logged every 10th round, checkpointed."""
    root = tmp_path_factory.mktemp("lib")
    ck = root / "ck.pt"
    cfg = TrainConfig(steps=40, backend="autograd", lr=0.1, log_interval=10, logdir=str(root / "run"),
                      save_model=str(ck), graph=False)
    quiet_train(cfg)
    return root, ck


def test_library_resume_with_another_lr_is_refused_and_writes_nothing(autograd_run, tmp_path):
    root, ck = autograd_run
    before = {p.name: p.read_bytes() for p in (root / "run").iterdir()}
    with pytest.raises(ValueError, match="^lr 0.3 differs from the checkpoint's 0.1"):
        quiet_train(TrainConfig(resume=str(ck), steps=60, lr=0.3, logdir=str(tmp_path / "new")))
    assert not (tmp_path / "new").exists()
    assert {p.name: p.read_bytes() for p in (root / "run").iterdir()} == before


def test_library_resume_continues_the_checkpoints_run(autograd_run, tmp_path):
    _, ck = autograd_run
    res = quiet_train(TrainConfig(resume=str(ck), steps=60, logdir=str(tmp_path / "new"), save_model=str(ck)))
    config = json.loads((tmp_path / "new" / "config.json").read_text())
    assert (config["backend"], config["lr"], config["steps"], config["log_interval"]) == ("autograd", 0.1, 60, 10)
    assert read_history(tmp_path / "new")["round"] == [50, 60]  # its own log interval, not every round
    assert res.rounds == 60


# ---- the run folder ------------------------------------------------------------------------------

def test_run_folder_create_write_resume(tmp_path):
    cols = ["loss/total", "weights/w1"]
    folder = RunFolder.create(tmp_path / "r", cols, "id1")
    assert (tmp_path / "r" / "history.csv").read_text() == "round,loss/total,weights/w1\n"  # header flushed at once
    folder.write_rows(np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]), np.array([[0.5, 0.1], [0.25, 0.2], [0.125, 0.3]]))
    folder.write_config({"steps": 3, "meta": {"run_id": "id1"}})
    folder.close()
    assert read_history(tmp_path / "r")["loss/total"] == [0.5, 0.25, 0.125]
    assert json.loads((tmp_path / "r" / "config.json").read_text()) == {"steps": 3, "meta": {"run_id": "id1"}}

    again = RunFolder.resume(tmp_path / "r", cols, rounds=2, run_id="id1")  # a checkpoint at round 2: round 3 moves
    again.close()
    assert read_history(tmp_path / "r")["round"] == [1, 2]
    assert again.set_aside == (tmp_path / "r" / "history.after-round-2.csv", 3, 3)  # kept aside, never lost
    assert (tmp_path / "r" / "history.after-round-2.csv").read_text() == "round,loss/total,weights/w1\n3,0.125,0.3\n"
    with pytest.raises(ValueError, match="columns do not match"):
        RunFolder.resume(tmp_path / "r", ["loss/total"], rounds=2, run_id="id1")
    with pytest.raises(ValueError, match="holds another run"):
        RunFolder.resume(tmp_path / "r", cols, rounds=2, run_id="id2")
    with pytest.raises(ValueError, match="already holds a run"):
        RunFolder.create(tmp_path / "r", cols, "id3")


def test_atomic_write_leaves_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    path.write_text("old")

    def fail(*a):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"


# ---- the metrics buffer --------------------------------------------------------------------------

def test_buffer_flushes_when_full_and_on_demand():
    written = []
    buf = MetricsBuffer(2, lambda s, w, v: written.append((s.tolist(), v.tolist())), capacity=3)
    for r in range(1, 5):
        buf.record(r, [torch.tensor([r * 1.0], dtype=torch.float64), torch.tensor([-r * 1.0], dtype=torch.float64)])
    assert written == [([1, 2, 3], [[1, -1], [2, -2], [3, -3]])] and buf.pending == 1
    assert buf.last(1) == -4.0
    buf.flush()
    buf.flush()  # nothing pending: nothing written
    assert written[1:] == [([4], [[4, -4]])]


def test_buffer_writes_up_to_the_first_nonfinite_loss_then_raises():
    written = []
    buf = MetricsBuffer(1, lambda s, w, v: written.append(s.tolist()), capacity=10)
    for r, e in enumerate([0.3, 0.2, float("nan"), 0.1], start=1):
        buf.record(r, [torch.tensor([e], dtype=torch.float64)])
    with pytest.raises(NonFiniteLoss, match="E_total became nan at round 3"):
        buf.flush()
    assert written == [[1, 2, 3]]


# ---- the round-1 panel ---------------------------------------------------------------------------

def test_round_1_panel_is_history_csvs_first_row_for_shuffled_batches(tmp_path):
    """Issue 10: the panel was computed from a second, unshuffled stream (E_total 0.139 against
    history.csv's 0.1088)."""
    logdir = tmp_path / "xor"
    quiet_train(TrainConfig(dataset="xor", sizes=(2, 3, 1), shuffle=True, batch_size=1, seed=3, steps=5,
                            logdir=str(logdir), graph=False))
    (text,) = [v.tensor.string_val[0].decode() for e in read_events(logdir) for v in e.summary.value
               if v.tag == "run/round_1/text_summary"]
    panel = dict(line.strip("|").split("|")[:2] for line in text.splitlines()[4:])
    panel = {k.strip(): float(v) for k, v in panel.items()}
    first = read_history(logdir)
    assert f"{panel['E_total']:.9f}" == f"{first['loss/total'][0]:.9f}"
    assert f"{panel['∂E_total/∂L1.w1_1']:.9f}" == f"{first['grad/L1.w1_1'][0]:.9f}"


def test_graph_is_tensorboards_own_without_the_trace_check():
    from torch.utils.tensorboard._pytorch_graph import graph

    from torch_bp import BackpropNet
    from torch_bp.training.dashboard import graph_def
    model, x = BackpropNet((2, 3, 1)), torch.rand(1, 2, dtype=torch.float64)
    with warnings.catch_warnings():  # torch.jit.trace is deprecated; TensorBoard's graph still uses it
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs = graph(model, x)[0].SerializeToString()
    assert graph_def(model, x).SerializeToString() == theirs


# ---- signals -------------------------------------------------------------------------------------

def test_signals_module_imports_without_torch():
    code = "import sys, torch_bp_launch; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "False", proc.stderr


def test_library_run_puts_the_callers_handlers_back(tmp_path):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    quiet_train(TrainConfig(steps=2, logdir=str(tmp_path / "r"), graph=False))
    assert {s: signal.getsignal(s) for s in before} == before

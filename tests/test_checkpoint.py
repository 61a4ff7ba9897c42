"""Checkpoints on their own: what load_checkpoint accepts and refuses, and the atomic save."""
from __future__ import annotations

import os

import pytest
import torch

from dataclasses import asdict, fields

from torch_bp import BackpropNet
from torch_bp.data import DATASETS, BatchStream

from torch_bp.run.checkpoint import REQUIRED_CONFIG, load_checkpoint, save_checkpoint
from torch_bp.run.config import TrainConfig

CONFIG = {**asdict(TrainConfig()), "logdir": "/tmp/run"}  # a run's settings, as a run saves them


def state(**change):
    base = {"round": 3, "model": BackpropNet().state_dict(), "optimizer": {},
            "data_order": BatchStream(*DATASETS["deck"]).state_dict(), "config": dict(CONFIG)}
    return {**base, **change}


def test_round_trip_as_plain_data(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, state())
    loaded = load_checkpoint(path)
    assert loaded["round"] == 3 and torch.equal(loaded["model"]["layers.0.weight"], BackpropNet().layers[0].weight)
    assert torch.load(path, weights_only=True)["format"] == loaded["format"]  # torch reads it without us
    assert os.listdir(tmp_path) == ["ck.pt"]  # no temporary file left beside it


def test_the_required_settings_are_settings_a_run_saves():
    assert REQUIRED_CONFIG <= {f.name for f in fields(TrainConfig)}
    assert {"lr", "backend", "train_bias", "sizes", "seed", "batch_size", "shuffle"} <= REQUIRED_CONFIG


def test_save_replaces_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, state(round=1))
    save_checkpoint(path, state(round=2))
    assert load_checkpoint(path)["round"] == 2 and os.listdir(tmp_path) == ["ck.pt"]


def test_a_failed_save_leaves_the_previous_checkpoint_whole(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, state(round=1))
    with pytest.raises(Exception):
        save_checkpoint(path, state(model=lambda: None))  # not picklable: fails mid-save
    assert load_checkpoint(path)["round"] == 1 and os.listdir(tmp_path) == ["ck.pt"]


@pytest.mark.parametrize("rounds", [0, 1, 10_000])
def test_any_count_of_rounds_is_accepted_round_0_too(tmp_path, rounds):
    """A checkpoint saved before the first update (round 0) is a valid start."""
    save_checkpoint(tmp_path / "ck.pt", state(round=rounds))
    assert load_checkpoint(tmp_path / "ck.pt")["round"] == rounds


@pytest.mark.parametrize("change, problem", [
    (dict(round=-1), "round is -1, not a count of rounds"),
    (dict(round=True), "round is True, not a count of rounds"),
    (dict(round=2.0), "round is 2.0, not a count of rounds"),
    (dict(config={k: 0 for k in sorted(REQUIRED_CONFIG)[1:]}), "config lacks some of " + str(sorted(REQUIRED_CONFIG))),
    (dict(config=[]), "config lacks some of"),
    (dict(model={"w": [1.0]}), "model is not a state_dict of"),
    (dict(model={"w": torch.ones(1), "v": 1.0}), "model is not a state_dict of"),
    (dict(model=[torch.ones(1)]), "model is not a state_dict of"),
])
def test_malformed_checkpoints_are_refused(tmp_path, change, problem):
    save_checkpoint(tmp_path / "ck.pt", state(**change))
    with pytest.raises(ValueError) as e:
        load_checkpoint(tmp_path / "ck.pt")
    assert str(e.value).startswith(f"{tmp_path / 'ck.pt'}: ") and problem in str(e.value)


@pytest.mark.parametrize("key", ["round", "model", "optimizer", "data_order", "config"])
def test_each_missing_part_is_named(tmp_path, key):
    s = state()
    del s[key]
    save_checkpoint(tmp_path / "ck.pt", s)
    with pytest.raises(ValueError, match=rf"checkpoint lacks \['{key}'\]"):
        load_checkpoint(tmp_path / "ck.pt")


def test_every_required_setting_is_required(tmp_path):
    for key in REQUIRED_CONFIG:
        save_checkpoint(tmp_path / "ck.pt", state(config={k: 0 for k in REQUIRED_CONFIG - {key}}))
        with pytest.raises(ValueError, match="config lacks"):
            load_checkpoint(tmp_path / "ck.pt")


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "none.pt")
    with pytest.raises(ValueError, match="no such checkpoint file"):
        load_checkpoint(tmp_path)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a whole torch_bp checkpoint"):
        load_checkpoint(tmp_path / "text.pt")
    torch.save(state(), tmp_path / "plain.pt")  # torch.save alone: no checksum
    with pytest.raises(ValueError, match="not a whole torch_bp checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")


class Code:  # unpickling this would run code: a checkpoint is data, never code
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_pickled_objects_are_refused_without_running_them(tmp_path, capsys):
    save_checkpoint(tmp_path / "ck.pt", state(optimizer=Code()))
    with pytest.raises(ValueError, match=r"not a checkpoint of plain data \(torch.load\(weights_only=True\) refused it\)"):
        load_checkpoint(tmp_path / "ck.pt")
    assert "unpickled!" not in capsys.readouterr().out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU to save tensors that are not on the CPU")
def test_tensors_load_on_the_cpu(tmp_path):
    save_checkpoint(tmp_path / "ck.pt", state(model={"w": torch.ones(2, device="cuda")}))
    assert load_checkpoint(tmp_path / "ck.pt")["model"]["w"].device.type == "cpu"

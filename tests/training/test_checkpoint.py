"""Checkpoints on their own: what load_checkpoint accepts and refuses, and the atomic save."""
from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import stat
import warnings
import zipfile

import pytest
import torch

from dataclasses import asdict, fields

from torch_bp import BackpropNet
from torch_bp.core.data import DATASETS, BatchStream

from torch_bp.training.checkpoint import (CONFIG_TYPES, FORMAT, REQUIRED_CONFIG, SEAL_LEN, NonFiniteState, load_checkpoint,
                                     nonfinite_entries, save_checkpoint, seal, unseal, write_atomic)
from torch_bp.training.config import TrainConfig

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
    (dict(config=[]), "config lacks some of " + str(sorted(REQUIRED_CONFIG))),
    (dict(model={"w": [1.0]}), "model is not a state_dict of floating-point tensors"),
    (dict(model={"w": torch.ones(1), "v": 1.0}), "model is not a state_dict of floating-point tensors"),
    (dict(model=[torch.ones(1)]), "model is not a state_dict of floating-point tensors"),
    (dict(model={}), "model is not a state_dict of floating-point tensors"),
    (dict(model={"w": torch.ones(1, dtype=torch.int64)}), "model is not a state_dict of floating-point tensors"),
])
def test_malformed_checkpoints_are_refused(tmp_path, change, problem):
    save_checkpoint(tmp_path / "ck.pt", state(**change))
    with pytest.raises(ValueError) as e:
        load_checkpoint(tmp_path / "ck.pt")
    assert str(e.value) == f"{tmp_path / 'ck.pt'}: checkpoint's {problem}"


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


# ---- helpers: files that save_checkpoint would not write -------------------------------------------

def sealed(body: bytes) -> bytes:
    """`body` with the archive comment the module docstring describes: prefix, then its SHA-256 in hex."""
    return body + b"torch_bp sha256 " + hashlib.sha256(body).hexdigest().encode()


def write_unchecked(path, obj) -> None:
    """A sealed torch.save of `obj` as it is: no "format" added, no finiteness check."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    path.write_bytes(seal(buf.getvalue()))


def refusal(path) -> str:
    with pytest.raises(ValueError) as e:
        load_checkpoint(path)
    assert str(e.value).startswith(f"{path}: ")  # the error names the file
    return str(e.value)


def sgd_state(momentum: float = 0.0) -> dict:
    """torch.optim.SGD's state_dict after one step (with momentum: a buffer per parameter)."""
    net = BackpropNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=momentum)
    sum(p.sum() for p in net.parameters()).backward()
    opt.step()
    return opt.state_dict()


def autograd_state(**change):
    return state(config={**CONFIG, "backend": "autograd"}, **{"optimizer": sgd_state(), **change})


def empty_zip() -> bytes:
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    return buf.getvalue()


# ---- the file: format, seal, atomic write ----------------------------------------------------------

def test_the_file_names_its_format_version(tmp_path):
    """Any reader (torch alone) sees torch_bp.checkpoint/1; a new version is a deliberate change,
    since it refuses every checkpoint saved before it."""
    save_checkpoint(tmp_path / "ck.pt", state())
    assert torch.load(tmp_path / "ck.pt", weights_only=True)["format"] == "torch_bp.checkpoint/1"


@pytest.mark.parametrize("obj", [
    state(format="torch_bp.checkpoint/2"),                  # another version, otherwise whole
    {k: v for k, v in state().items()},                     # no format at all
    [state()],                                              # not a dict
    None,
], ids=["other_version", "no_format", "list", "none"])
def test_data_that_is_not_a_torch_bp_checkpoint_is_refused(tmp_path, obj):
    write_unchecked(tmp_path / "ck.pt", obj)
    assert refusal(tmp_path / "ck.pt").endswith(": not a torch_bp checkpoint")


def test_seal_refuses_bytes_that_do_not_end_in_a_comment_less_zip_record():
    """Sealing anything else would write a file that torch cannot read back."""
    whole = empty_zip()
    for bad in [b"\0" * 30,                       # ends in zeros, but no end record
                whole[:-2] + b"\1\0",             # an end record that claims a comment
                whole + b"\0\0"]:                 # the end record is not last
        with pytest.raises(ValueError, match="did not end its zip with a comment-less end record"):
            seal(bad)
    assert unseal(seal(whole), "x") == whole[:-2] + SEAL_LEN.to_bytes(2, "little")


def test_the_shortest_sealed_file_is_an_empty_zip_and_its_seal():
    """An empty zip (its 22-byte end record) plus the seal is whole; a byte less is not, even
    when the bytes left carry a matching seal."""
    smallest = seal(empty_zip())
    assert len(smallest) == 22 + SEAL_LEN and unseal(smallest, "ck.pt") == smallest[:-SEAL_LEN]
    for short in [smallest[1:], sealed(b"\0" * 21), sealed(b"")]:
        with pytest.raises(ValueError, match=r"^ck\.pt: not a whole torch_bp checkpoint"):
            unseal(short, "ck.pt")


def test_a_checkpoint_whose_sha256_does_not_match_is_refused(tmp_path):
    """A flipped bit anywhere, in the data or in the sealed digest, is found before torch reads it."""
    save_checkpoint(tmp_path / "ck.pt", state())
    data = (tmp_path / "ck.pt").read_bytes()
    for at in [0, len(data) // 2, len(data) - SEAL_LEN - 1, len(data) - 1]:
        damaged = bytearray(data)
        damaged[at] ^= 1 if at != len(data) - 1 else 3  # the digest's last hex digit stays a hex digit
        (tmp_path / "bad.pt").write_bytes(bytes(damaged))
        assert "the checkpoint is damaged (its SHA-256 does not match" in refusal(tmp_path / "bad.pt")
    (tmp_path / "cut.pt").write_bytes(data[:-1])
    assert "not a whole torch_bp checkpoint" in refusal(tmp_path / "cut.pt")


@pytest.mark.parametrize("body", [b"hello, world" * 10, b"PK\3\4" + bytes(200)], ids=["text", "zip_head"])
def test_sealed_bytes_that_torch_cannot_read_are_refused(tmp_path, body):
    (tmp_path / "ck.pt").write_bytes(sealed(body))
    assert "not a readable checkpoint (" in refusal(tmp_path / "ck.pt")


def test_a_plain_pickle_is_refused_without_a_warning(tmp_path):
    """torch warns about a pickle that torch.save did not write; the ValueError says it all."""
    (tmp_path / "ck.pt").write_bytes(sealed(pickle.dumps({"format": FORMAT}, protocol=4)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert "not a checkpoint of plain data" in refusal(tmp_path / "ck.pt")
    assert [str(w.message) for w in caught] == []


def test_code_is_refused_even_where_the_environment_turns_torchs_default_off(tmp_path, monkeypatch, capsys):
    """TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD only changes torch.load's default: a checkpoint is read as data."""
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    save_checkpoint(tmp_path / "ck.pt", state(optimizer=Code()))
    assert "not a checkpoint of plain data" in refusal(tmp_path / "ck.pt")
    assert "unpickled!" not in capsys.readouterr().out


def test_a_checkpoint_saved_on_a_gpu_loads_on_the_cpu(tmp_path, monkeypatch):
    """Tensors that torch.save tagged cuda:0 load onto the CPU, on a machine with no GPU too."""
    with monkeypatch.context() as m:
        m.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        save_checkpoint(tmp_path / "ck.pt", state())
    assert b"cuda:0" in (tmp_path / "ck.pt").read_bytes()
    loaded = load_checkpoint(tmp_path / "ck.pt")
    assert {v.device.type for v in loaded["model"].values()} == {"cpu"}
    torch.testing.assert_close(loaded["model"], BackpropNet().state_dict())


def test_an_unreadable_file_is_refused_naming_it_and_why(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "ck.pt", state())

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(type(tmp_path), "read_bytes", denied)
    assert refusal(tmp_path / "ck.pt").endswith(": cannot read it (Permission denied)")


def test_write_atomic_syncs_the_whole_data_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    """What is fsynced is the whole new file while `path` still holds the old one; then its folder."""
    path = tmp_path / "ck.pt"
    path.write_bytes(b"old")
    real_fsync, synced = os.fsync, []

    def fsync(fd):
        st = os.fstat(fd)
        synced.append(("folder" if stat.S_ISDIR(st.st_mode) else f"{st.st_size} bytes", path.read_bytes()))
        real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(path, b"new data")
    assert synced == [(f"{len(b'new data')} bytes", b"old"), ("folder", b"new data")]


def test_a_folder_that_cannot_be_fsynced_does_not_fail_the_write(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")
        real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(tmp_path / "ck.pt", b"data")
    assert (tmp_path / "ck.pt").read_bytes() == b"data" and os.listdir(tmp_path) == ["ck.pt"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_write_atomic_leaves_no_file_open(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    for n in range(20):
        write_atomic(tmp_path / "ck.pt", b"x" * n)
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_failed_write_names_the_checkpoint_and_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "ck.pt"
    path.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(path, "not bytes")  # fails after the temporary file is made
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["ck.pt"]
    (tmp_path / "folder.pt").mkdir()
    (tmp_path / "folder.pt" / "inside").write_bytes(b"")
    with pytest.raises(OSError) as e:  # the rename fails: a folder is in the way
        write_atomic(tmp_path / "folder.pt", b"new")
    assert e.value.filename == str(tmp_path / "folder.pt") and sorted(os.listdir(tmp_path)) == ["ck.pt", "folder.pt"]
    with pytest.raises(FileNotFoundError) as e:  # OSError's subclass by errno, so callers can tell
        write_atomic(tmp_path / "none" / "ck.pt", b"new")
    assert e.value.filename == str(tmp_path / "none" / "ck.pt")


# ---- non-finite numbers ----------------------------------------------------------------------------

def test_non_finite_weights_are_not_saved_and_the_previous_checkpoint_is_kept(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, state(round=1))
    for bad in (math.nan, math.inf, -math.inf):
        model = BackpropNet().state_dict()
        model["layers.1.bias"] = torch.tensor(bad, dtype=torch.float64)
        with pytest.raises(NonFiniteState) as e:
            save_checkpoint(path, state(model=model))
        assert isinstance(e.value, ValueError) and str(path) in str(e.value) and "model layers.1.bias" in str(e.value)
    assert load_checkpoint(path)["round"] == 1 and os.listdir(tmp_path) == ["ck.pt"]


def test_a_non_finite_optimizer_momentum_is_refused_and_named(tmp_path):
    """Refused at save (the old file kept) and at load (a file written some other way)."""
    optimizer = sgd_state(momentum=0.9)
    optimizer["state"][2]["momentum_buffer"][0, 1] = math.nan
    path = tmp_path / "ck.pt"
    save_checkpoint(path, autograd_state(optimizer=sgd_state(momentum=0.9)))  # finite momentum: saved
    with pytest.raises(NonFiniteState, match=r"optimizer state 2\.momentum_buffer holds NaN or infinite"):
        save_checkpoint(path, autograd_state(optimizer=optimizer))
    assert load_checkpoint(path)["round"] == 3
    write_unchecked(path, {"format": FORMAT, **autograd_state(optimizer=optimizer)})
    assert refusal(path).endswith("checkpoint's optimizer state 2.momentum_buffer holds NaN or infinite values")


def test_non_finite_weights_in_a_file_are_refused_and_named(tmp_path):
    model = BackpropNet().state_dict()
    model["layers.0.weight"][1, 0] = math.inf
    write_unchecked(tmp_path / "ck.pt", {"format": FORMAT, **state(model=model)})
    assert refusal(tmp_path / "ck.pt").endswith("checkpoint's model layers.0.weight holds NaN or infinite values")


@pytest.mark.parametrize("odd", [
    {"model": [torch.tensor(math.nan)], "optimizer": [torch.tensor(math.nan)]},
    {"optimizer": {"state": [{"momentum_buffer": torch.tensor(math.nan)}]}},
    {"optimizer": {"state": {0: [torch.tensor(math.nan)]}}},
    {"model": {"w": math.nan, "n": torch.tensor([1, 2])}, "optimizer": {"state": {0: {"step": 3}}}},
    {},
])
def test_nonfinite_entries_looks_only_at_floating_tensors_where_they_belong(odd):
    """Malformed parts are left for load_checkpoint to name; they are not a crash here."""
    assert nonfinite_entries(odd) == []


# ---- the values: round, config, optimizer, data order ------------------------------------------------

def test_a_config_with_only_the_required_settings_is_accepted(tmp_path):
    save_checkpoint(tmp_path / "ck.pt", state(config={k: CONFIG[k] for k in REQUIRED_CONFIG}))
    assert set(load_checkpoint(tmp_path / "ck.pt")["config"]) == REQUIRED_CONFIG


BOOL = ("true or false", [True, False], [0, 1, "true", None])
COUNT_OR_NULL = ("an integer >= 1 or null", [None, 1, 4], [0, -1, 1.0, True, "4"])
# key: (what the refusal says it must be, values accepted, values refused)
SETTINGS = {
    "lr": ("a finite number > 0", [0.5, 1, 1e-300], [0, 0.0, -0.5, math.inf, math.nan, True, "0.5", None]),
    "backend": ("one of manual, autograd", ["manual"], ["", 5, None, "jax"]),
    "train_bias": BOOL,
    "sizes": ("a list of at least two widths >= 1", [[2, 1], (2, 2, 2), [1, 1]],
              [[2], [], [2, 0], [0, 2], [2, -1], [2, 1.0], [2, True], "22", None, 2]),
    "per_unit_bias": BOOL,
    "init": ("a file name (each part at most 255 bytes) or null", [None, "w.json", "d/" + "w" * 255], ["", 3, False, "w" * 256]),
    "dataset": ("one of deck, xor", ["deck", "xor"], ["", None, 3, "iris"]),
    "data": ("a file name (each part at most 255 bytes) or null", [None, "d.csv"], ["", 3, False, "ß" * 128]),
    "inputs": ("a list of finite numbers (one row) or null", [None, [0.05, 0.1], (1.0,)],
               [[], "0.05,0.1", [0.05, float("nan")], [True, 0.1]]),
    "targets": ("a list of finite numbers (one row) or null", [None, [0.01, 0.99]], [[], 0.5, [float("inf")]]),
    "batch_size": COUNT_OR_NULL,
    "shuffle": BOOL,
    "seed": ("an integer in [0, 2**63)", [0, 2**63 - 1], [-1, 2**63, 1.0, True, None]),
    "logdir": ("a folder name (each part at most 255 bytes) or null", [None, "/tmp/run"], ["", 3, "/tmp/" + "r" * 256]),
    "steps": ("an integer >= 1", [1, 10_000], [0, -1, None, 1.5, True]),
    "log_interval": COUNT_OR_NULL,
    "target_loss": ("a finite number > 0 or null", [None, 0.5, 1e-6, 2], [0, -1, math.inf, math.nan, True, "0.1"]),
    "save_interval": COUNT_OR_NULL,
    "check_grads": BOOL,
    "graph": BOOL,
    "sharpness_interval": ("an integer >= 0 (0: off)", [0, 1, 1000], [-1, 1.5, True, None, "100"]),
}


def test_every_checked_setting_has_cases_here():
    assert set(SETTINGS) == set(CONFIG_TYPES) and REQUIRED_CONFIG <= set(SETTINGS)


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_each_setting_accepts_its_valid_values(tmp_path, key):
    for value in SETTINGS[key][1]:
        save_checkpoint(tmp_path / "ck.pt", state(config={**CONFIG, key: value}))
        assert load_checkpoint(tmp_path / "ck.pt")["config"][key] == value


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_each_setting_with_a_wrong_value_is_refused_naming_it_and_what_it_must_be(tmp_path, key):
    what, _, refused = SETTINGS[key]
    for value in refused:
        save_checkpoint(tmp_path / "ck.pt", state(config={**CONFIG, key: value}))
        problem = refusal(tmp_path / "ck.pt")
        assert f"config {key} is {value!r}" in problem and problem.endswith(f", not {what}"), problem


GROUP = {"lr": 0.5, "params": [0, 1, 2, 3]}


@pytest.mark.parametrize("optimizer", [sgd_state(), sgd_state(momentum=0.9),
                                       {"state": {}, "param_groups": [GROUP, {**GROUP, "lr": 2}]}],
                         ids=["sgd", "momentum", "two_groups"])
def test_torch_sgds_state_is_accepted_with_the_autograd_backend(tmp_path, optimizer):
    save_checkpoint(tmp_path / "ck.pt", autograd_state(optimizer=optimizer))
    torch.testing.assert_close(load_checkpoint(tmp_path / "ck.pt")["optimizer"], optimizer)


@pytest.mark.parametrize("optimizer", [
    {},
    {"state": {}},
    {"param_groups": [GROUP]},
    {"state": [], "param_groups": [GROUP]},
    {"state": {}, "param_groups": {0: GROUP}},
    {"state": {}, "param_groups": []},
    {"state": {}, "param_groups": [GROUP, {"params": [0]}]},
    {"state": {}, "param_groups": [{"params": (0, 1), "lr": 0.5}]},
    {"state": {}, "param_groups": [{"params": [0], "lr": True}]},
    {"state": {}, "param_groups": [{"params": [0], "lr": math.inf}]},
    {"state": {}, "param_groups": [[0, 1]]},
])
def test_an_optimizer_state_that_is_not_sgds_is_refused_with_the_autograd_backend(tmp_path, optimizer):
    save_checkpoint(tmp_path / "ck.pt", autograd_state(optimizer=optimizer))
    assert refusal(tmp_path / "ck.pt").endswith(
        "optimizer state is not torch.optim.SGD's (state and param_groups with params and lr)")


@pytest.mark.parametrize("backend", ["manual", "autograd"])
def test_an_optimizer_state_that_is_not_a_dict_is_refused(tmp_path, backend):
    save_checkpoint(tmp_path / "ck.pt", state(config={**CONFIG, "backend": backend}, optimizer=[GROUP]))
    assert refusal(tmp_path / "ck.pt").endswith("checkpoint's optimizer state is not a dict")


@pytest.mark.parametrize("optimizer", [{"state": {}}, sgd_state()], ids=["state", "sgd"])
def test_the_manual_backend_refuses_an_optimizer_state_plain_sgd_does_not_have(tmp_path, optimizer):
    save_checkpoint(tmp_path / "ck.pt", state(optimizer=optimizer))
    assert refusal(tmp_path / "ck.pt").endswith("optimizer state is not empty, as plain SGD's is")


def shuffled_order_state() -> dict:
    stream = BatchStream(*DATASETS["deck"], batch_size=1, shuffle=True, seed=3)
    next(iter(stream))
    return stream.state_dict()


def test_a_data_order_part_way_through_an_epoch_is_accepted(tmp_path):
    order = shuffled_order_state()
    assert order["order"] is not None and order["pos"] == 1
    save_checkpoint(tmp_path / "ck.pt", state(data_order=order))
    torch.testing.assert_close(load_checkpoint(tmp_path / "ck.pt")["data_order"], order)


GEN = torch.Generator().get_state()


@pytest.mark.parametrize("order, problem", [
    ({"generator": GEN, "order": None}, "data-order state lacks some of ['generator', 'order', 'pos']"),
    ({"order": None, "pos": 0}, "data-order state lacks some of ['generator', 'order', 'pos']"),
    ([GEN, None, 0], "data-order state lacks some of ['generator', 'order', 'pos']"),
    ({"generator": GEN[:-1], "order": None, "pos": 0}, f"data-order generator state is not {GEN.numel()} bytes (torch.Generator's state)"),
    ({"generator": GEN.to(torch.int64), "order": None, "pos": 0}, f"data-order generator state is not {GEN.numel()} bytes (torch.Generator's state)"),
    ({"generator": GEN.tolist(), "order": None, "pos": 0}, f"data-order generator state is not {GEN.numel()} bytes (torch.Generator's state)"),
    ({"generator": GEN, "order": torch.arange(4.0), "pos": 0}, "data-order state's order is not a list of row numbers"),
    ({"generator": GEN, "order": torch.arange(4).view(2, 2), "pos": 0}, "data-order state's order is not a list of row numbers"),
    ({"generator": GEN, "order": torch.tensor(1), "pos": 0}, "data-order state's order is not a list of row numbers"),
    ({"generator": GEN, "order": [0, 1, 2, 3], "pos": 0}, "data-order state's order is not a list of row numbers"),
    ({"generator": GEN, "order": torch.arange(4), "pos": -1}, "data-order position is -1, not a row number"),
    ({"generator": GEN, "order": None, "pos": 1.0}, "data-order position is 1.0, not a row number"),
    ({"generator": GEN, "order": None, "pos": True}, "data-order position is True, not a row number"),
])
def test_a_malformed_data_order_is_refused(tmp_path, order, problem):
    save_checkpoint(tmp_path / "ck.pt", state(data_order=order))
    assert refusal(tmp_path / "ck.pt").endswith(f"checkpoint's {problem}")

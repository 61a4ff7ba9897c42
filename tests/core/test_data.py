"""Data files and the order of batches, directly through torch_bp.core.data (the scripts' bad-input
tests go through train.py; these are the fast unit tests the mutation run uses)."""
from __future__ import annotations

import json

import pytest
import torch

from torch_bp.core.data import DATASETS, XOR_INPUTS, XOR_TARGETS, BatchStream, file_sha256, load_data

GOOD_CSV = "i1,i2,t1\n0,0,0\n\n0, 1 ,1\n , \n1,0,1\n1,1,0\n"


def test_csv_and_json_read_as_float64_inputs_then_targets(tmp_path):
    (tmp_path / "x.csv").write_text(GOOD_CSV)
    (tmp_path / "x.JSON").write_text(json.dumps({"inputs": XOR_INPUTS.tolist(), "targets": XOR_TARGETS.int().tolist()}))
    for name in ("x.csv", "x.JSON"):
        inputs, targets = load_data(tmp_path / name, 1)
        assert inputs.dtype == targets.dtype == torch.float64 and inputs.is_contiguous() and targets.is_contiguous()
        assert inputs.tolist() == XOR_INPUTS.tolist() and targets.tolist() == XOR_TARGETS.tolist()
    inputs, targets = load_data(tmp_path / "x.csv", 2)  # the last n_out columns are the targets
    assert inputs.tolist() == [[0.0], [0.0], [1.0], [1.0]] and targets.tolist() == [[0, 0], [1, 1], [0, 1], [1, 0]]


def test_built_in_data_sets_are_float64_pairs_and_xor_is_xor():
    assert set(DATASETS) == {"deck", "xor"} and DATASETS["xor"] == (XOR_INPUTS, XOR_TARGETS)
    for inputs, targets in DATASETS.values():
        assert inputs.dtype == targets.dtype == torch.float64 and len(inputs) == len(targets)
    assert sorted(map(tuple, XOR_INPUTS.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert XOR_TARGETS[:, 0].tolist() == [float(a != b) for a, b in XOR_INPUTS.tolist()]


def test_one_data_row_is_enough(tmp_path):
    (tmp_path / "one.csv").write_text("i1,t1\n0.5,1\n")
    assert [t.tolist() for t in load_data(tmp_path / "one.csv", 1)] == [[[0.5]], [[1.0]]]


def test_file_sha256(tmp_path):
    (tmp_path / "a").write_bytes(b"abc")
    assert file_sha256(tmp_path / "a") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


BAD = {
    "header_only.csv": ("i1,i2,t1\n", "a header row and at least one data row"),
    "empty.csv": ("", "a header row and at least one data row"),
    "one_column.csv": ("t1\n1\n", "1 columns leave no inputs before the 1 target"),
    "ragged.csv": ("i1,i2,t1\n0,0,0\n1,1\n", "line 3 has 2 values, the header has 3"),
    "short_first.csv": ("i1,i2,t1\n0,0\n1,1,1\n", "line 2 has 2 values, the header has 3"),
    "empty_cell.csv": ("i1,i2,t1\n0,,1\n", "line 2: not a number"),
    "word.csv": ("i1,i2,t1\n0,0,0\n1,x,1\n", "line 3: not a number"),
    "nan.csv": ("i1,i2,t1\n0,nan,0\n", "data row 1: nan is not a finite number"),
    "inf.json": ('{"inputs": [[0, 1]], "targets": [[Infinity]]}', "targets row 1: inf is not a finite number"),
    "bool.json": ('{"inputs": [[0, true]], "targets": [[1]]}', "inputs row 1: True is not a finite number"),
    "string.json": ('{"inputs": [[0, "1"]], "targets": [[1]]}', "inputs row 1: '1' is not a finite number"),
    "ragged.json": ('{"inputs": [[0, 1], [1]], "targets": [[1], [0]]}', "inputs row 2 has 1 values, row 1 has 2"),
    "flat.json": ('{"inputs": [0, 1], "targets": [[1]]}', "inputs row 1 is not a non-empty list"),
    "empty_row.json": ('{"inputs": [[0, 1], []], "targets": [[1], [0]]}', "inputs row 2 is not a non-empty list"),
    "no_rows.json": ('{"inputs": [], "targets": []}', "inputs must be a non-empty list of rows"),
    "not_list.json": ('{"inputs": 3, "targets": [[1]]}', "inputs must be a non-empty list of rows"),
    "counts.json": ('{"inputs": [[0, 1], [1, 1]], "targets": [[1]]}', "2 input rows but 1 target rows"),
    "extra_key.json": ('{"inputs": [[0, 1]], "targets": [[1]], "w": 1}', 'expected an object {"inputs"'),
    "list.json": ("[[0, 1]]", 'expected an object {"inputs"'),
    "bad.json": ("{", "not valid JSON"),
    "underflow.csv": ("i1,t1\n1e-400,1\n", "line 2: '1e-400' is too small for a float64"),
    "huge_cell.csv": ("i1,t1\n" + "1" * 131073 + ",1\n",  # one over csv.field_size_limit()'s default
                      "not a CSV file torch_bp reads (field larger than"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_data_files_name_the_file_and_the_problem(tmp_path, name):
    text, problem = BAD[name]
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError) as e:
        load_data(tmp_path / name, 1)
    assert f"{tmp_path / name}: " in str(e.value) and problem in str(e.value)


def test_a_binary_file_is_not_text(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="b.csv: not a text file"):
        load_data(tmp_path / "b.csv", 1)


def rows(stream, n):
    it = iter(stream)
    return [next(it)[0].flatten().tolist() for _ in range(n)]


def test_full_batch_is_the_same_tensors_every_round():
    x, t = torch.arange(4.0)[:, None], torch.arange(4.0)[:, None] * 2
    for batch_size in (None, 4, 9):
        stream = BatchStream(x, t, batch_size)
        assert stream.full_batch and stream.batch_size == 4
        it = iter(stream)
        for _ in range(3):
            a, b = next(it)
            assert a is x and b is t
    assert not BatchStream(x, t, 4, shuffle=True).full_batch and not BatchStream(x, t, 3).full_batch


def test_mini_batches_keep_inputs_and_targets_paired():
    x = torch.arange(5.0)[:, None]
    for shuffle in (False, True):
        it = iter(BatchStream(x, 10 * x, 2, shuffle, seed=4))
        for _ in range(7):
            a, b = next(it)
            assert torch.equal(b, 10 * a)


def test_the_shuffle_seed_defaults_to_0():
    x = torch.arange(6.0)[:, None]
    assert rows(BatchStream(x, x, 2, shuffle=True), 6) == rows(BatchStream(x, x, 2, shuffle=True, seed=0), 6)


def test_shuffled_epochs_differ_and_each_covers_the_data():
    x = torch.arange(6.0)[:, None]
    seen = rows(BatchStream(x, x, 2, shuffle=True, seed=0), 9)
    epochs = [sum(seen[k:k + 3], []) for k in (0, 3, 6)]
    assert all(sorted(e) == list(range(6)) for e in epochs)
    assert len({tuple(e) for e in epochs}) == 3  # a fresh order each epoch
    assert rows(BatchStream(x, x, 2, shuffle=True, seed=1), 9) != seen


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("after", [0, 1, 2, 3, 5])
def test_state_dict_resumes_the_same_batches(shuffle, after):
    """A stream restored from another's state_dict (through torch.save, as in a checkpoint)
    continues with exactly the batches the original would have given."""
    x = torch.arange(7.0)[:, None]
    a = BatchStream(x, x, 3, shuffle, seed=2)
    it = iter(a)
    for _ in range(after):
        next(it)
    b = BatchStream(x, x, 3, shuffle, seed=99)
    b.load_state_dict(a.state_dict())
    assert rows(b, 6) == [next(it)[0].flatten().tolist() for _ in range(6)]


def test_a_file_that_cannot_be_read_names_the_file(tmp_path):
    for path in (tmp_path / "missing.csv", tmp_path):  # no such file; a folder
        with pytest.raises(ValueError) as e:
            load_data(path, 1)
        assert str(e.value).startswith(f"{path}: cannot read it (")  # the library names files, not flags


def stream_state(**change):
    """A 4-row stream's state after one batch of 3 from a drawn order, with `change` applied."""
    x = torch.arange(4.0)[:, None]
    s = BatchStream(x, x, 3, shuffle=True, seed=1)
    next(iter(s))
    return {**s.state_dict(), **change}


@pytest.mark.parametrize("change, problem", [
    (dict(order=torch.tensor([0, 1, 2])), "data order is not an order of this data's 4 rows"),     # too short
    (dict(order=torch.tensor([0, 1, 2, 4])), "data order is not an order of this data's 4 rows"),  # a row not in it
    (dict(order=torch.tensor([0, 1, 1, 3])), "data order is not an order of this data's 4 rows"),  # a row twice
    (dict(pos=5), "position 5 is not in 0..4 (the data has 4 rows)"),
    (dict(pos=-1), "position -1 is not in 0..4"),
    (dict(order=None, pos=1), "position 1 is not in 0..0"),  # before the first epoch: 0 only
    (dict(generator=torch.zeros(3, dtype=torch.uint8)), "generator state is not valid"),
])
def test_a_state_that_does_not_fit_the_data_is_refused_and_nothing_changes(change, problem):
    x = torch.arange(4.0)[:, None]
    s = BatchStream(x, x, 3, shuffle=True, seed=7)
    before = {k: v.clone() if torch.is_tensor(v) else v for k, v in s.state_dict().items()}
    with pytest.raises(ValueError, match="^the data") as e:
        s.load_state_dict(stream_state(**change))
    assert problem in str(e.value)
    after = s.state_dict()
    assert after["order"] is None and after["pos"] == 0 and torch.equal(after["generator"], before["generator"])


def test_the_edges_of_a_fitting_state_are_accepted():
    x = torch.arange(4.0)[:, None]
    for change in (dict(pos=4), dict(pos=0), dict(order=None, pos=0)):  # an epoch used up; a fresh one
        s = BatchStream(x, x, 3, shuffle=True, seed=7)
        s.load_state_dict(stream_state(**change))
        assert s.pos == stream_state(**change)["pos"]

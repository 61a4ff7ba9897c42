"""Data sets and the order in which a run visits them.

A data set is a pair of float64 tensors, inputs (N, n_in) and targets (N, n_out). Built in:
"deck" (the deck's one sample) and "xor". From a file: CSV with a header row (inputs first,
then the last n_out columns as targets, e.g. `i1,i2,t1,t2`) or JSON
{"inputs": [[...]], "targets": [[...]]}.
"""
from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path

import torch

from .deck import DECK_INPUTS, DECK_TARGETS
from .files import read_bytes_capped, read_text_capped
from .numbers import NUMBER, parse_json, shown, to_float

XOR_INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
XOR_TARGETS = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float64)
DATASETS = {"deck": (DECK_INPUTS, DECK_TARGETS), "xor": (XOR_INPUTS, XOR_TARGETS)}


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(read_bytes_capped(path)).hexdigest()


def _matrix(rows, what: str) -> torch.Tensor:
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{what} must be a non-empty list of rows")
    width = None
    for k, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            raise ValueError(f"{what} row {k + 1} is not a non-empty list")
        if width is not None and len(row) != width:
            raise ValueError(f"{what} row {k + 1} has {len(row)} values, row 1 has {width}")
        width = len(row)
        for v in row:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{what} row {k + 1}: {v!r} is not a finite number")
    return torch.tensor(rows, dtype=torch.float64)


def load_data(path: str | Path, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a CSV (header row; the last n_out columns are targets) or JSON data file.
    Raises ValueError naming the file and what is wrong."""
    path = Path(path)
    try:
        return _read(path, n_out)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _read(path: Path, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        text = read_text_capped(path)
    except UnicodeDecodeError:
        raise ValueError("not a text file (not UTF-8)") from None
    except OSError as e:
        raise ValueError(f"cannot read it ({e.strerror or e})") from None
    if path.suffix.lower() == ".json":
        try:
            obj = parse_json(text)
        except ValueError as e:
            raise ValueError(f"not valid JSON ({e})") from None
        if not isinstance(obj, dict) or set(obj) != {"inputs", "targets"}:
            raise ValueError('expected an object {"inputs": [[...]], "targets": [[...]]}')
        inputs, targets = _matrix(obj["inputs"], "inputs"), _matrix(obj["targets"], "targets")
        if len(inputs) != len(targets):
            raise ValueError(f"{len(inputs)} input rows but {len(targets)} target rows")
    else:
        try:
            rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
        except csv.Error as e:  # e.g. a cell over csv.field_size_limit() characters
            raise ValueError(f"not a CSV file torch_bp reads ({e})") from None
        if len(rows) < 2:
            raise ValueError("expected a header row and at least one data row")
        header, body = rows[0], rows[1:]
        if len(header) <= n_out:
            raise ValueError(f"{len(header)} columns leave no inputs before the {n_out} target column(s)")
        values = []
        for k, row in enumerate(body, start=2):
            if len(row) != len(header):
                raise ValueError(f"line {k} has {len(row)} values, the header has {len(header)}")
            if not all(NUMBER.fullmatch(c.strip()) for c in row):
                raise ValueError(f"line {k}: not a number in [{', '.join(shown(c) for c in row[:8])}"
                                 f"{', ...' if len(row) > 8 else ''}]")
            try:
                values.append([to_float(c) for c in row])
            except ValueError as e:  # too small for a float64
                raise ValueError(f"line {k}: {e}") from None
        data = _matrix(values, "data")
        inputs, targets = data[:, :-n_out].contiguous(), data[:, -n_out:].contiguous()
    return inputs, targets


class BatchStream:
    """Endless batches, one per round: the data in order (the last batch of an epoch smaller
    when batch_size does not divide N), or in a fresh random order each epoch with shuffle.
    Its state_dict is the data order's state, so a resumed run sees the same batches."""

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int | None = None,
                 shuffle: bool = False, seed: int = 0):
        self.inputs, self.targets = inputs, targets
        self.n = len(inputs)
        self.batch_size = min(batch_size or self.n, self.n)
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)
        self.order: torch.Tensor | None = None  # this epoch's order, None before the first
        self.pos = 0                            # next row of self.order to use

    @property
    def full_batch(self) -> bool:
        return self.batch_size == self.n and not self.shuffle

    def __iter__(self):
        if self.full_batch:  # batch gradient descent: the same tensors every round
            while True:
                yield self.inputs, self.targets
        while True:
            if self.order is None or self.pos >= self.n:
                self.order = torch.randperm(self.n, generator=self.generator) if self.shuffle else torch.arange(self.n)
                self.pos = 0
            idx = self.order[self.pos:self.pos + self.batch_size].to(self.inputs.device)
            self.pos += len(idx)
            yield self.inputs[idx], self.targets[idx]

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        """A saved data order (a checkpoint's); ValueError if it does not fit this data."""
        order, pos = state["order"], state["pos"]
        if order is not None and (len(order) != self.n or not torch.equal(order.sort().values, torch.arange(self.n))):
            raise ValueError(f"the data order is not an order of this data's {self.n} rows")
        last = self.n if order is not None else 0  # an epoch used up; before the first epoch, 0 only
        if not 0 <= pos <= last:
            raise ValueError(f"the data-order position {pos} is not in 0..{last} "
                             f"(the data has {self.n} rows)")
        try:
            self.generator.set_state(state["generator"])
        except (RuntimeError, TypeError) as e:
            raise ValueError(f"the data-order generator state is not valid ({e})") from None
        self.order, self.pos = order, int(pos)

"""Bad input against every script: each case must end with exit status 2, exactly ONE line on
stderr that names the problem (the flag or the file), no traceback, nothing new written, and a
run folder + checkpoint that existed before byte-for-byte unchanged.

Three tables, TRAIN_CASES, EXPLAIN_CASES and BENCHMARK_CASES, one Case per line: the flags under
test and the words the message must name (the flag, or the file). Paths are placeholders filled in
per test: {files} (generated bad files), {ck} and {run} (a real run and
its checkpoint, made once for the module), {new} (a fresh logdir that must stay unwritten),
{tmp} (this test's own folder). Most cases call `main(argv)` in-process; a handful run the
script as a real process, where a warning or traceback reaches the user's terminal.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import io
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from conftest import ROOT, load_script, without_file_capabilities


# ---- the cases ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    script: str                      # "train", "explain", "benchmark"
    given: tuple[str, ...]           # the flags under test, with {files} {ck} {run} {new} {tmp} placeholders
    names: tuple[str, ...]           # the one stderr line must contain at least one of these
    subprocess: bool = False         # run the script as a real process
    unreadable: str | None = None    # a file under {files} to chmod 000 for this case (see check())
    before: tuple[str, ...] = ()     # the script's argv before `given` ...
    after: tuple[str, ...] = ()      # ... and after it
    note: str = ""                   # shown in the test id

    @property
    def argv(self) -> tuple[str, ...]:
        return self.before + self.given + self.after

    @property
    def id(self) -> str:
        shown = []
        for a in self.given:
            a = (a.replace("{files}/", "").replace("{ck}", "CKPT").replace("{run}", "RUN")
                 .replace("{new}", "NEW").replace("{tmp}/", ""))
            shown.append(a if a else "''")
        extra = [x for x in (self.note, "process" if self.subprocess else "") if x]
        return f"{self.script} {' '.join(shown)}" + (f" [{', '.join(extra)}]" if extra else "")


def _flag_of(argv) -> str:
    return argv[0].split("=", 1)[0]


def _sets(argv, flag) -> bool:
    return any(a.split("=", 1)[0] == flag for a in argv)


def T(*argv, names=None, own_run=False, subprocess=False, unreadable=None) -> Case:
    """A train.py case. Unless the case sets them, 3 rounds into {new}; own_run: no --logdir,
    so a --resume of {ck} continues the protected run itself."""
    after = [] if _sets(argv, "--steps") else ["--steps", "3"]
    if not own_run and not _sets(argv, "--logdir"):
        after += ["--logdir", "{new}"]
    return Case("train", tuple(argv), _names(argv, names), subprocess, unreadable,
                after=(*after, "--no-graph"), note="own run" if own_run else "")


def E(*argv, names=None, subprocess=False, unreadable=None) -> Case:
    """An explain.py case."""
    return Case("explain", tuple(argv), _names(argv, names), subprocess, unreadable)


# If a benchmark case were accepted, the smallest benchmark runs (a few seconds), not 2 minutes.
BENCH_QUICK = ("--quick", "--section", "train", "--repeats", "1", "--run-repeats", "1")


def B(*argv, names=None) -> Case:
    """A benchmark.py case."""
    return Case("benchmark", tuple(argv), _names(argv, names), before=BENCH_QUICK)


def _names(argv, names) -> tuple[str, ...]:
    argv = list(argv)
    if names is not None:
        return tuple(names)
    flag = _flag_of(argv)
    out = [flag]
    if len(argv) > 1 and "/" in argv[1]:  # a file: naming the file is as good as naming the flag
        out.append(Path(argv[1]).name)
    return tuple(out)


def file_cases(builder, flag, names):
    """One case per file name under {files}; a name written "UNREADABLE:name" is chmod 000 for its case."""
    cases = []
    for name in names:
        if name.startswith("UNREADABLE:"):
            fname = name.split(":", 1)[1]
            cases.append(builder(flag, f"{{files}}/{fname}", unreadable=fname))
        else:
            cases.append(builder(flag, f"{{files}}/{name}"))
    return cases


TRAIN_CASES = [
    # --steps: wrong type, out of range, non-finite, empty, missing value
    T("--steps", "0"), T("--steps", "-1"), T("--steps", "1.5"), T("--steps", "abc"), T("--steps", ""),
    T("--steps", "nan"), T("--steps", "inf"), T("--steps", names=["--steps"]),
    # --lr
    T("--lr", "0"), T("--lr=-1"), T("--lr=-0.0"), T("--lr", "nan"), T("--lr", "inf"), T("--lr=-inf"),
    T("--lr", "1e999"), T("--lr", "1e-400"), T("--lr", ""), T("--lr", "x"),
    # --backend, --dataset: not a choice
    T("--backend", "foo"), T("--backend", "MANUAL"), T("--backend", ""),
    T("--dataset", "foo"), T("--dataset", ""),
    T("--dataset", "xor"),  # 2 inputs, 1 target: does not fit the default --sizes 2,2,2
    # --sizes
    T("--sizes", "2"), T("--sizes", "2,0,2"), T("--sizes", "2,-1,2"), T("--sizes", "a,b"), T("--sizes", ""),
    T("--sizes", "2,,2"), T("--sizes", "2.5,2"), T("--sizes", "nan,2"),
    T("--sizes", "3,2,2"), T("--sizes", "2,2,3"),  # do not fit the deck data
    # --batch-size
    T("--batch-size", "0"), T("--batch-size", "-3"), T("--batch-size", "1.5"), T("--batch-size", "x"),
    T("--batch-size", ""), T("--batch-size", "nan"),
    # --seed
    T("--seed", "x"), T("--seed", "1.5"), T("--seed", ""), T("--seed", "nan"),
    T("--seed", "18446744073709551616"),
    # --target-loss
    T("--target-loss", "0"), T("--target-loss=-1"), T("--target-loss", "nan"), T("--target-loss", "inf"),
    T("--target-loss", ""), T("--target-loss", "low"),
    # --log-interval
    T("--log-interval", "0"), T("--log-interval", "-5"), T("--log-interval", "1.5"), T("--log-interval", "x"),
    T("--log-interval", ""), T("--log-interval", "nan"),
    # --figure-size, --dpi (the pictures')
    T("--figure-size", "8"), T("--figure-size", "0,4"), T("--figure-size", "8,nan"), T("--figure-size", ""),
    T("--dpi", "0"), T("--dpi", "x"),
    # --sharpness-interval: 0 is off, so only below it, not an integer, or missing
    T("--sharpness-interval", "-1"), T("--sharpness-interval", "1.5"), T("--sharpness-interval", "x"),
    T("--sharpness-interval", ""), T("--sharpness-interval", "nan"), T("--sharpness-interval", names=["--sharpness-interval"]),
    # --save-interval
    T("--save-interval", "0"), T("--save-interval", "-1"), T("--save-interval", "x"), T("--save-interval", ""),
    T("--save-interval", "inf"), T("--save-interval", "5"),  # without --save-model
    # --device
    T("--device", "foo"), T("--device", ""), T("--device", "cuda:0") if not torch.cuda.is_available()
    else T("--device", "cuda:99"),
    T("--device", "meta"),
    # backends this build of torch lacks: each failed in its own way (AssertionError, ImportError, ...)
    T("--device", "hpu"), T("--device", "privateuseone"), T("--device", "mtia"), T("--device", "mkldnn"),
    T("--device", "xla"), T("--device", "cpu,cuda"),
    # --logdir: a file, below a file, the protected run itself, cannot be created, empty
    T("--logdir", "{ck}"), T("--logdir", "{ck}/sub"), T("--logdir", "{run}"),
    T("--logdir", "/proc/torch_bp-no-such/run"),
    T("--logdir", "", names=["--logdir"]),
    # --save-model: a directory, in a missing folder, below a file, empty
    T("--save-model", "{run}"),
    T("--save-model", "{tmp}/no-such-dir/c.pt"),
    T("--save-model", "{ck}/c.pt"),
    T("--save-model", ""),
    # --init: missing, a directory, unreadable, empty, not JSON, wrong structure, names, shapes, values
    *file_cases(T, "--init", [
        "missing.json", "adir.json", "UNREADABLE:noread.json",
        "empty.json", "bad.json", "list.json", "string.json",
        "init_missing_name.json", "init_extra_name.json", "init_wrong_shape.json",
        "init_bias_vector.json", "init_ragged.json", "init_strings.json",
        "init_null.json", "init_nan.json", "init_inf.json",
        "init_bool.json", "binary.json", "deep.json", "deep_parsable.json", "init_huge_int.json",
    ]),
    T("--init", ""),
    *file_cases(T, "--init", ["slide_missing.json", "slide_mixed.json", "slide_string.json", "slide_nan.json"]),
    # --inputs, --targets: one row, both or neither, not with --data, fitting --sizes
    T("--inputs", "0.05,0.1"), T("--targets", "0.01,0.99"), T("--inputs", "x", "--targets", "0,1"),
    T("--inputs", "nan,1", "--targets", "0,1"), T("--inputs", "", "--targets", "0,1"),
    T("--inputs", "1,2,3", "--targets", "0,1"), T("--inputs", "1,2", "--targets", "0,1,1", names=["--inputs", "--sizes"]),
    T("--inputs", "1,2", "--targets", "0,1", "--data", "{files}/noread.csv", names=["--inputs"]),
    # --data: missing, a directory, unreadable, empty, ragged, non-numbers, NaN/inf, columns, JSON shapes
    *file_cases(T, "--data", [
        "missing.csv", "adir.csv", "UNREADABLE:noread.csv",
        "empty.csv", "header_only.csv", "ragged.csv", "nonnumber.csv",
        "nan.csv", "inf.csv", "neg_inf.csv", "three_inputs.csv",
        "one_column.csv", "binary.csv",
        "empty.json", "bad.json", "list.json", "missing_key.json",
        "extra_key.json", "data_nan.json", "data_inf.json", "data_string.json",
        "data_bool.json", "data_ragged.json", "data_empty.json",
        "data_row_counts.json", "data_three_inputs.json", "data_flat.json",
        "underscore.csv",  # Python's float() reads 0_05 as 5.0
        "deep.json", "deep_parsable.json", "data_huge_int.json",
    ]),
    T("--data", "{files}/not-there.csv", names=["--data"]),  # the flag, not a bare [Errno 2]
    T("--data", ""),
    T("--data", "{files}/one_target.csv", "--sizes", "2,2,2", names=["one_target.csv", "--sizes"]),
    # --resume: missing, a directory, unreadable, not a checkpoint, truncated, code, other shapes
    *file_cases(lambda flag, path, **kw: T(flag, path, "--steps", "60", **kw), "--resume", [
        "missing.pt", "adir.pt", "UNREADABLE:noread.pt", "empty.pt",
        "text.pt", "truncated.pt", "evil_dict.pt", "evil_pickle_p2.pt",
        "tensor.pt", "no_format.pt", "lacks_keys.pt",
        "lying_config.pt",  # a 2,3,2 model whose config claims 2,2,2
        "missing_param.pt",
        "config_lacks_keys.pt",
        "bad_round.pt",
        # whole (sealed) checkpoints whose values are wrong: each once gave a traceback or was trusted
        "no_pos.pt", "pos_past_rows.pt", "order_not_rows.pt", "generator_short.pt", "optimizer_empty.pt",
        "train_bias_string.pt", "lr_string.pt", "sizes_bad.pt", "nan_weights.pt", "inf_weights.pt",
        "round_negative.pt", "unsealed.pt", "flipped_bit.pt", "evil_pickle_sealed.pt",
    ]),
    T("--resume", "", "--steps", "60"),
    T("--resume", "{files}/other_shape.pt", "--steps", "60", "--sizes", "2,2,2", names=["--sizes"]),
    # resuming the protected run itself (no --logdir): nothing of it may change on bad input
    T("--resume", "{ck}", "--steps", "50", own_run=True, names=["--steps"]),  # the checkpoint has 50 rounds
    T("--resume", "{ck}", "--steps", "20", own_run=True, names=["--steps"]),
    T("--resume", "{ck}", "--steps", "60", "--lr", "0.1", own_run=True, names=["--lr"]),
    T("--resume", "{ck}", "--steps", "60", "--backend", "autograd", own_run=True, names=["--backend"]),
    T("--resume", "{ck}", "--steps", "60", "--per-unit-bias", own_run=True, names=["--per-unit-bias"]),
    T("--resume", "{ck}", "--steps", "60", "--sizes", "2,3,2", own_run=True, names=["--sizes"]),
    T("--resume", "{ck}", "--steps", "60", "--data", "{files}/ragged.csv", own_run=True, names=["--data"]),
    T("--resume", "{ck}", "--steps", "60", "--check-grads", own_run=True, names=["history.csv", "--check-grads"]),
    # (in its own folder a resumed run keeps the checkpoint path, so --save-interval alone is fine there;
    # a new folder's run never writes the old run's checkpoint: there it needs --save-model)
    T("--resume", "{ck}", "--steps", "60", "--logdir", "{tmp}/new", "--save-interval", "5", own_run=True,
      names=["--save-interval"]),
    T("--resume", "{ck}", "--steps", "60", "--save-model", "{tmp}/no-such-dir/c.pt", own_run=True,
      names=["--save-model", "no-such-dir"]),
    # argparse itself
    T("--bogus", names=["--bogus"]), T("--no-graph=yes", names=["--no-graph"]),
    # real processes: what reaches the terminal (one per script: the launcher path is shared)
    T("--data", "{files}/ragged.csv", subprocess=True),
    T("--resume", "{files}/evil_pickle.pt", "--steps", "60"),
]

EXPLAIN_CASES = [
    *file_cases(E, "--weights", [
        "missing.json", "adir.json", "UNREADABLE:noread.json",
        "empty.json", "bad.json", "list.json", "string.json",
        "binary.json",
        "init_missing_name.json", "init_extra_name.json", "init_wrong_shape.json",
        "init_bias_vector.json", "init_ragged.json", "init_strings.json",
        "init_null.json", "init_nan.json", "init_inf.json",
        "init_bool.json", "deep.json", "deep_parsable.json", "init_huge_int.json",
    ]),
    E("--weights", "", "--rounds", "1", names=["--weights"]),
    E("--inputs", "1"), E("--inputs", "1,2,3"), E("--inputs", "a,b"), E("--inputs", "nan,1"), E("--inputs", "1,inf"),
    E("--inputs=-inf,0"), E("--inputs", ""), E("--inputs", "1,,2"),
    E("--targets", "1"), E("--targets", "0.1,0.2,0.3"), E("--targets", "0.1,x"), E("--targets", "nan,0.2"),
    E("--targets", "0.1,inf"), E("--targets", ""),
    E("--lr", "0"), E("--lr=-0.5"), E("--lr", "nan"), E("--lr", "inf"), E("--lr", ""), E("--lr", "abc"),
    E("--format", "xml"), E("--format", ""), E("--format", "TEXT"),
    E("--rounds", "0"), E("--rounds=-1"), E("--rounds", "1,x"), E("--rounds", ""), E("--rounds", "1.5"),
    E("--rounds", "nan"), E("--rounds", "inf"), E("--rounds", "1,,2"),
    E("--bogus", names=["--bogus"]), E("--only-differences=yes", names=["--only-differences"]),
    # --live (the live page): its shapes, and its rows of inputs and targets
    E("--sizes", "2,3,1"), E("--sizes", "x"), E("--sizes", "2"), E("--sizes", ""),
    E("--sizes", "3,3", "--live", "--format", "html"), E("--live", names=["--live"]),
    E("--inputs", "1,2,3", "--live", "--format", "html", "--sizes", "2,3,1"),
    E("--targets", "1,0,1", "--live", "--format", "html", "--sizes", "2,3,1"),
    *file_cases(E, "--weights", ["slide_missing.json", "slide_mixed.json", "slide_string.json", "slide_nan.json"]),
    *file_cases(E, "--check", [  # the learner's values; their own bad values: tests/explain/test_check.py
        "missing.json", "adir.json", "UNREADABLE:noread.json", "empty.json",
        "bad.json", "list.json", "string.json", "binary.json",
        "init_missing_name.json", "deep.json", "init_huge_int.json",
    ]),
    E("--check", ""), E("--check", "{files}/missing.json", subprocess=True),
    # --reference, --step-sizes [--figure FILE]: the deck only; a bad --figure fails before any work
    E("--figure", "{tmp}/x.svg"), E("--figure", "", "--step-sizes"), E("--figure", "{tmp}/x.pdf", "--step-sizes"),
    E("--figure", "{tmp}/no/such/folder/x.svg", "--step-sizes"), E("--reference", "--format", "html"),
    E("--reference", "--step-sizes"), E("--step-sizes", "--lr", "0.1"), E("--reference", "--check", "{files}/bad.json"),
    # --second-order: the Hessian report takes the setting's flags only; a setting that overflows
    E("--second-order", "--rounds", "1", names=["--rounds"]), E("--second-order", "--only-differences"),
    E("--second-order", "--check", "{files}/bad.json", names=["--check"]), E("--second-order=yes"),
    E("--second-order", "--weights", "{files}/init_wrong_shape.json", names=["--weights"]),
    E("--second-order", "--weights", "{files}/init_zero_hidden.json", "--inputs", "1e200,1e200",
      names=["--second-order"]),
    E("--second-order", "--lr", "0", names=["--lr"]),
]


BENCHMARK_CASES = [
    B("--repeats", "0"), B("--repeats=-1"), B("--repeats", "1.5"), B("--repeats", "x"), B("--repeats", ""),
    B("--repeats", "nan"), B("--repeats", "inf"),
    B("--run-repeats", "0"), B("--run-repeats=-2"), B("--run-repeats", "x"), B("--run-repeats", ""),
    B("--run-repeats", "inf"),
    B("--threads", "0"), B("--threads=-1"), B("--threads", "two"), B("--threads", ""), B("--threads", "nan"),
    B("--batch-sizes", "0"), B("--batch-sizes=-16"), B("--batch-sizes", "16,0"), B("--batch-sizes", "a,b"),
    B("--batch-sizes", ""), B("--batch-sizes", "16,,256"), B("--batch-sizes", "nan"), B("--batch-sizes", "1.5"),
    B("--section", "nope"), B("--section", ""),
    B("--json", "{tmp}/no-such-dir/bench.json"),
    B("--json", ""),
    B("--bogus", names=["--bogus"]),
]


def _params(cases):
    return [pytest.param(c, id=c.id) for c in cases]


ALL_CASES = _params(TRAIN_CASES) + _params(EXPLAIN_CASES) + _params(BENCHMARK_CASES)


# ---- the files the cases use ------------------------------------------------------------------

class EvilDict(collections.OrderedDict):
    """Not on weights_only's allow-list: torch.load must refuse to build it."""


class RunsCode:
    """Unpickling this runs a command: a checkpoint is data, never code."""
    marker: str = ""

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


SEED_INIT = {"layers.0.weight": [[0.15, 0.2], [0.25, 0.3]], "layers.0.bias": 0.35,
             "layers.1.weight": [[0.4, 0.45], [0.5, 0.55]], "layers.1.bias": 0.6}


SLIDE_INIT = dict(zip([f"w{i}" for i in range(1, 9)] + ["b1", "b2"],
                      [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55, 0.35, 0.6]))


def _init(**changes) -> str:
    values = {k: v for k, v in SEED_INIT.items() if k not in changes.get("drop", ())}
    values.update(changes.get("set", {}))
    return json.dumps(values)


def _nested(depth: int):
    """[[[...[0.1]...]]]: parses, but is no parameter's shape."""
    value = [0.1]
    for _ in range(depth):
        value = [value]
    return value


def sealed_save(obj, path: Path) -> None:
    """torch.save with the seal torch_bp's checkpoints carry, written here independently of
    torch_bp: the zip's archive comment "torch_bp sha256 " + the SHA-256 of every byte before it.
    Checkpoints whose values are wrong but whose bytes are whole test the checks after the seal's."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    assert data[-22:-18] == b"PK\x05\x06" and data[-2:] == b"\0\0", "torch.save's zip ends otherwise"
    body = data[:-2] + (16 + 64).to_bytes(2, "little")
    path.write_bytes(body + b"torch_bp sha256 " + hashlib.sha256(body).hexdigest().encode())


def make_files(files: Path, ck: Path, other_shape: Path, marker: Path) -> None:
    text = {
        # JSON in general
        "empty.json": "", "bad.json": "{bad", "list.json": "[[0.1, 0.2]]", "string.json": '"w"',
        # init / weights files
        "init_missing_name.json": _init(drop=["layers.1.bias"]),
        "init_extra_name.json": _init(set={"layers.2.weight": [[1.0]]}),
        "init_wrong_shape.json": _init(set={"layers.0.weight": [[0.15, 0.2, 0.1], [0.25, 0.3, 0.1]]}),
        # w1..w4 = 0: net_h = b1 whatever the inputs, so huge inputs square into ∂²E/∂w1² = ... i1²
        "init_zero_hidden.json": _init(set={"layers.0.weight": [[0.0, 0.0], [0.0, 0.0]]}),
        "init_bias_vector.json": _init(set={"layers.0.bias": [0.35, 0.35]}),
        "init_ragged.json": _init(set={"layers.0.weight": [[0.15, 0.2], [0.25]]}),
        "init_strings.json": _init(set={"layers.1.weight": [["a", "b"], ["c", "d"]]}),
        "init_null.json": _init(set={"layers.0.bias": None}),
        "init_nan.json": _init(set={"layers.0.weight": [[float("nan"), 0.2], [0.25, 0.3]]}),
        "init_inf.json": _init(set={"layers.1.weight": [[0.4, float("inf")], [0.5, 0.55]]}),
        "init_bool.json": _init(set={"layers.0.bias": True}),
        "deep.json": "[" * 100_000 + "]" * 100_000,  # RecursionError in json.loads
        "deep_parsable.json": json.dumps({"inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]],
                                          **SEED_INIT, "layers.0.weight": _nested(200)}),
        "init_huge_int.json": _init(set={"layers.0.bias": 10**400}),  # OverflowError in float()
        # the slides' names w1..w8, b1, b2
        "slide_missing.json": json.dumps({"w1": 0.15, "w2": 0.2, "b1": 0.35}),
        "slide_mixed.json": json.dumps({**SLIDE_INIT, "layers.0.bias": 0.35}),
        "slide_string.json": json.dumps({**SLIDE_INIT, "w3": "0,25"}),
        "slide_nan.json": json.dumps({**SLIDE_INIT, "b2": None}),
        # CSV data
        "empty.csv": "",
        "underscore.csv": "i1,i2,t1,t2\n0_05,0.10,0.01,0.99\n", "header_only.csv": "i1,i2,t1,t2\n",
        "ragged.csv": "i1,i2,t1,t2\n0.05,0.10,0.01,0.99\n0.05,0.10,0.01\n",
        "nonnumber.csv": "i1,i2,t1,t2\n0.05,ten,0.01,0.99\n",
        "nan.csv": "i1,i2,t1,t2\n0.05,nan,0.01,0.99\n",
        "inf.csv": "i1,i2,t1,t2\n0.05,0.10,inf,0.99\n",
        "neg_inf.csv": "i1,i2,t1,t2\n-inf,0.10,0.01,0.99\n",
        "three_inputs.csv": "i1,i2,i3,t1,t2\n0.05,0.10,0.2,0.01,0.99\n",
        "one_column.csv": "t1\n0.5\n",
        "one_target.csv": "i1,i2,t1\n0.05,0.10,0.01\n",
        # JSON data
        "missing_key.json": json.dumps({"inputs": [[0.05, 0.1]]}),
        "extra_key.json": json.dumps({"inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]], "weights": 1}),
        "data_nan.json": '{"inputs": [[0.05, NaN]], "targets": [[0.01, 0.99]]}',
        "data_inf.json": '{"inputs": [[0.05, 0.1]], "targets": [[0.01, Infinity]]}',
        "data_string.json": json.dumps({"inputs": [[0.05, "0.1"]], "targets": [[0.01, 0.99]]}),
        "data_bool.json": json.dumps({"inputs": [[0.05, True]], "targets": [[0.01, 0.99]]}),
        "data_ragged.json": json.dumps({"inputs": [[0.05, 0.1], [0.2]], "targets": [[0.01, 0.99], [0.5, 0.5]]}),
        "data_empty.json": json.dumps({"inputs": [], "targets": []}),
        "data_row_counts.json": json.dumps({"inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99], [0.5, 0.5]]}),
        "data_three_inputs.json": json.dumps({"inputs": [[0.05, 0.1, 0.2]], "targets": [[0.01, 0.99]]}),
        "data_flat.json": json.dumps({"inputs": [0.05, 0.1], "targets": [0.01, 0.99]}),
        "data_huge_int.json": json.dumps({"inputs": [[10**400, 0.1]], "targets": [[0.01, 0.99]]}),
        # not checkpoints
        "text.pt": "this is not a checkpoint\n", "empty.pt": "",
        "noread.json": json.dumps(SEED_INIT), "noread.csv": "i1,i2,t1,t2\n0.05,0.10,0.01,0.99\n",
    }
    for name, content in text.items():
        (files / name).write_text(content)
    for name in ("binary.json", "binary.csv"):
        (files / name).write_bytes(b"\xff\xfe\x00\x80 not utf-8")
    for name in ("adir.json", "adir.csv", "adir.pt"):
        (files / name).mkdir()
    (files / "noread.pt").write_bytes(ck.read_bytes())

    real = ck.read_bytes()
    (files / "truncated.pt").write_bytes(real[:len(real) // 2])
    sealed_save(EvilDict(w=torch.zeros(2)), files / "evil_dict.pt")
    RunsCode.marker = str(marker)
    (files / "evil_pickle.pt").write_bytes(pickle.dumps(RunsCode()))             # the default protocol
    (files / "evil_pickle_p2.pt").write_bytes(pickle.dumps(RunsCode(), protocol=2))
    sealed_save(RunsCode(), files / "evil_pickle_sealed.pt")  # past the seal: weights_only must refuse it
    sealed_save(torch.zeros(3), files / "tensor.pt")
    state = torch.load(ck, weights_only=True)
    sealed_save({k: v for k, v in state.items() if k != "format"}, files / "no_format.pt")
    sealed_save({"format": state["format"], "round": 1}, files / "lacks_keys.pt")
    sealed_save({**state, "config": {"logdir": None}}, files / "config_lacks_keys.pt")
    sealed_save({**state, "round": "abc"}, files / "bad_round.pt")
    sealed_save({**state, "model": {k: v for k, v in state["model"].items() if k != "layers.1.bias"}},
                files / "missing_param.pt")
    other = torch.load(other_shape, weights_only=True)
    sealed_save({**other, "config": {**other["config"], "sizes": [2, 2, 2], "logdir": None}},
                files / "lying_config.pt")
    order, config = state["data_order"], state["config"]
    for name, changed in {
        "no_pos.pt": {"data_order": {k: v for k, v in order.items() if k != "pos"}},
        "pos_past_rows.pt": {"data_order": {**order, "order": torch.arange(1), "pos": 7}},
        "order_not_rows.pt": {"data_order": {**order, "order": torch.tensor([5]), "pos": 1}},
        "generator_short.pt": {"data_order": {**order, "generator": order["generator"][:100]}},
        "optimizer_empty.pt": {"config": {**config, "backend": "autograd"}, "optimizer": {}},
        "train_bias_string.pt": {"config": {**config, "train_bias": "false"}},  # a non-empty string is true
        "lr_string.pt": {"config": {**config, "lr": "0.5"}},
        "sizes_bad.pt": {"config": {**config, "sizes": [2, 0, 2]}},
        "nan_weights.pt": {"model": {k: v * float("nan") for k, v in state["model"].items()}},
        "inf_weights.pt": {"model": {**state["model"], "layers.0.weight": torch.full((2, 2), float("inf"))}},
        "round_negative.pt": {"round": -5},
    }.items():
        sealed_save({**state, **changed}, files / name)
    unsealed = io.BytesIO()
    torch.save(state, unsealed)  # a whole checkpoint's data without the seal: a cut-off seal looks the same
    (files / "unsealed.pt").write_bytes(unsealed.getvalue())
    flipped = bytearray(ck.read_bytes())
    flipped[len(flipped) // 3] ^= 0x10  # inside the zip's data: torch.load alone reads it without a word
    (files / "flipped_bit.pt").write_bytes(bytes(flipped))
    shutil.copy(other_shape, files / "other_shape.pt")


def snapshot(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file below folder (and '<dir>' for folders)."""
    return {str(p.relative_to(folder)): ("<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def world(tmp_path_factory, train_script):
    """The protected run + checkpoint (a real 50-round run with --save-model), the bad files,
    and the bytes to put the protected folder back should a buggy case change it."""
    base = tmp_path_factory.mktemp("bad_input")
    protected, files = base / "protected", base / "files"
    protected.mkdir(), files.mkdir()
    ck, run = protected / "ck.pt", protected / "run"
    assert train_script.main(["--steps", "50", "--save-model", str(ck), "--save-interval", "20",
                              "--logdir", str(run), "--no-graph"]) == 0
    other = base / "other" / "ck232.pt"
    other.parent.mkdir()
    assert train_script.main(["--steps", "5", "--sizes", "2,3,2", "--save-model", str(other),
                              "--logdir", str(base / "other" / "run"), "--no-graph"]) == 0
    marker = base / "PICKLE-RAN-CODE"
    make_files(files, ck, other, marker)
    pristine = {str(p.relative_to(protected)): p.read_bytes() for p in protected.rglob("*") if p.is_file()}
    return {"protected": protected, "ck": ck, "run": run, "files": files, "marker": marker,
            "before": snapshot(protected), "pristine": pristine}


_MODULES: dict = {}


def script_module(name: str):
    if name not in _MODULES:
        _MODULES[name] = load_script(name)
    return _MODULES[name]


def run_in_process(name: str, argv: list[str], capsys) -> tuple[object, str]:
    """(exit status, stderr) of main(argv); an exception that escapes main() is what a user sees
    as a traceback, so it comes back as the status 'uncaught ...' (and fails the case)."""
    capsys.readouterr()
    try:
        status = script_module(name).main(argv)
    except SystemExit as e:
        status = e.code
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001
        status = f"uncaught {type(e).__name__}: {e}"
    return status, capsys.readouterr().err


def run_process(name: str, argv: list[str], cwd: Path) -> tuple[object, str]:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / f"{name}.py"), *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr


def check(case: Case, world, tmp_path, monkeypatch, capsys):
    as_root = bool(case.unreadable) and os.getuid() == 0
    if case.unreadable:  # root reads a chmod 000 file: its case runs without the capabilities for that
        (world["files"] / case.unreadable).chmod(0)
    new = tmp_path / "new-run"
    paths = {"files": world["files"], "ck": world["ck"], "run": world["run"], "new": new, "tmp": tmp_path}
    argv = [a.format(**paths) for a in case.argv]
    monkeypatch.chdir(tmp_path)  # a default logdir (runs/...) would land here, never in the checkout
    try:
        if case.subprocess:
            status, err = run_process(case.script, argv, tmp_path)
        elif as_root:
            with without_file_capabilities():
                status, err = run_in_process(case.script, argv, capsys)
        else:
            status, err = run_in_process(case.script, argv, capsys)
        after = snapshot(world["protected"])
    finally:
        if case.unreadable:
            (world["files"] / case.unreadable).chmod(0o644)
        restore(world)  # a buggy case must not spoil the cases after it
    lines = err.splitlines()
    problems = []  # every way the case went wrong, reported together
    if status != 2:
        problems.append(f"exit status {status!r}, not 2")
    if "Traceback" in err:
        problems.append("a traceback on stderr")
    if len(lines) != 1 or not err.endswith("\n"):
        problems.append(f"stderr is {len(lines)} lines, not exactly one")
    elif not lines[0].startswith(f"{case.script}.py: error: "):
        problems.append(f"the line does not start with '{case.script}.py: error: '")
    elif not any(n in lines[0] for n in case.names):
        problems.append(f"the message names none of {case.names}")
    elif case.unreadable and "Permission denied" not in lines[0]:
        problems.append("the unreadable file was read: the case tested nothing")
    elif repeated_prefix(lines[0]):
        problems.append(f"the line repeats its prefix {repeated_prefix(lines[0])!r}")
    if after != world["before"]:
        changed = sorted(k for k in set(after) | set(world["before"]) if after.get(k) != world["before"].get(k))
        problems.append(f"the protected run folder or checkpoint changed: {changed}")
    if new.exists():
        problems.append(f"a new run folder was written: {sorted(p.name for p in new.rglob('*'))}")
    if world["marker"].exists():
        problems.append("unpickling a checkpoint ran code")
    assert not problems, "; ".join(problems) + f"\nstderr: {err!r}"


def repeated_prefix(line: str) -> str:
    """The part of an error line that comes twice in a row ("--check F: --check F: not valid JSON"), or ""."""
    parts = line.split(": ")
    return next((a for a, b in zip(parts, parts[1:]) if a == b), "")


def restore(world) -> None:
    protected, pristine = world["protected"], world["pristine"]
    if snapshot(protected) == world["before"]:
        return
    for p in sorted(protected.rglob("*"), reverse=True):
        rel = str(p.relative_to(protected))
        if p.is_file() and rel not in pristine:
            p.unlink()
        elif p.is_dir() and not any(k.startswith(rel + os.sep) for k in pristine):
            shutil.rmtree(p)
    for rel, data in pristine.items():
        (protected / rel).parent.mkdir(parents=True, exist_ok=True)
        (protected / rel).write_bytes(data)
    assert snapshot(protected) == world["before"]


# ---- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ALL_CASES)
def test_bad_input(case, world, tmp_path, monkeypatch, capsys):
    check(case, world, tmp_path, monkeypatch, capsys)


def test_the_table_covers_every_flag():
    """Every flag that takes a value, of every script, has at least one bad-input case."""
    for name, cases in (("train", TRAIN_CASES), ("explain", EXPLAIN_CASES), ("benchmark", BENCHMARK_CASES)):
        parser = script_module(name).build_parser()
        takes_value = {s for a in parser._actions for s in a.option_strings
                       if a.nargs != 0 and s.startswith("--") and a.help != argparse.SUPPRESS}
        covered = {c.given[0].split("=", 1)[0] for c in cases}
        missing = takes_value - covered
        assert not missing, f"{name}.py flags with no bad-input case: {sorted(missing)}"


def test_the_protected_run_still_resumes(world, train_script, tmp_path):
    """After every bad case, the protected checkpoint is still a good one."""
    state = torch.load(world["ck"], weights_only=True)
    assert state["round"] == 50
    assert train_script.main(["--resume", str(world["ck"]), "--steps", "55", "--logdir", str(tmp_path / "r"),
                              "--no-graph"]) == 0


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_checkpoint_is_refused_at_any_offset(damage, world, train_script, tmp_path, capsys):
    """A real checkpoint with one bit flipped, or cut, at 120 seeded random offsets (and at its
    first and last byte): each --resume ends with exit 2 and one line, and writes nothing.
    torch.load alone trusted most single flips (the zip's CRCs are not checked)."""
    real = world["ck"].read_bytes()
    rng = random.Random(9)
    offsets = sorted({0, len(real) - 1, *(rng.randrange(len(real)) for _ in range(120))})
    bad, new = tmp_path / "bad.pt", tmp_path / "new-run"
    for at in offsets:
        if damage == "flip":
            data = bytearray(real)
            data[at] ^= 1 << rng.randrange(8)
        else:
            data = real[:at]
        bad.write_bytes(bytes(data))
        capsys.readouterr()
        status = train_script.main(["--resume", str(bad), "--steps", "60", "--logdir", str(new), "--no-graph"])
        err = capsys.readouterr().err
        assert (status, len(err.splitlines())) == (2, 1), f"{damage} at byte {at}: exit {status}, stderr {err!r}"
        assert "bad.pt" in err and not new.exists(), f"{damage} at byte {at}: {err!r}"

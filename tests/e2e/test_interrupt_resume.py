"""Checkpoints, resume and interruptions of scripts/train.py (issue 6).

(a) 700 rounds + --resume to 1,000 is bitwise the same run as 1,000 rounds straight, for
    both backends and for shuffled per-sample and mini-batch training, resumed into the
    checkpoint's own run or into a new logdir (and from an older checkpoint of a run that went on);
(b) the same command and seed give a byte-identical history.csv, run after run;
(c) real training processes interrupted by SIGINT/SIGTERM/SIGHUP at seeded moments of their own
    progress (start-up, first rounds, mid-run, after the last line) exit 128 + n with one line,
    leave nothing or whole, readable logs and checkpoints, and resuming finishes with the
    uninterrupted result.
"""
from __future__ import annotations

import csv
import functools
import io
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util

import torch_bp
from torch_bp.training.checkpoint import save_checkpoint
from conftest import ROOT

STEPS, HALF = 1000, 700
WENT_ON = 850  # a run checkpointed at HALF that went on (a crash after a save leaves one)
# The runs compared (the settings that decide a run's numbers); every run here skips the graph.
CONFIGS = {
    "manual": ["--backend", "manual"],
    "autograd": ["--backend", "autograd"],
    "xor-shuffled-per-sample": ["--dataset", "xor", "--sizes", "2,3,1", "--batch-size", "1", "--shuffle",
                                "--seed", "3"],
    # 6 rows in batches of 2: 3 rounds an epoch, so round 700 ends mid-epoch (the order and the
    # position in it must come back, not just the generator)
    "csv-shuffled-mini-batch": ["--data", "{data}", "--sizes", "2,3,1", "--batch-size", "2", "--shuffle",
                                "--seed", "5"],
}
FAST = ["--no-graph"]  # no TorchScript trace of the graph: ~0.1 s a run
DATA_CSV = "x1,x2,t\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n0.5,0.5,0.5\n0.25,0.75,0.9\n"


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    """flags(config) -> the config's train.py flags, its data file written once."""
    data = tmp_path_factory.mktemp("data") / "six_rows.csv"
    data.write_text(DATA_CSV)
    return lambda config: [a.replace("{data}", str(data)) for a in CONFIGS[config]]


# ---- reading what a run wrote, strictly --------------------------------------------------------

def history_lines(logdir: Path) -> list[str]:
    """history.csv's lines, newline kept; asserts every line is whole and rounds are 1..n."""
    text = (logdir / "history.csv").read_text()
    assert text.endswith("\n"), "history.csv ends in a partial line"
    lines = text.splitlines(keepends=True)
    width = len(next(csv.reader([lines[0]])))
    rows = list(csv.reader(io.StringIO("".join(lines[1:]))))
    assert all(len(r) == width for r in rows), "a history.csv row has the wrong number of fields"
    rounds = [int(r[0]) for r in rows]
    assert rounds == list(range(1, len(rounds) + 1)), f"history.csv rounds are not 1..n: {rounds[:3]}...{rounds[-3:]}"
    return lines


def event_records(path: Path) -> int:
    """The number of whole TFRecords in an event file; asserts there is no cut record at its end."""
    data, pos, n = path.read_bytes(), 0, 0
    while pos < len(data):
        assert pos + 12 <= len(data), f"{path.name}: a record header cut at byte {pos}"
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        assert pos + 12 + length + 4 <= len(data), f"{path.name}: a record cut at byte {pos}"
        pos += 12 + length + 4
        n += 1
    return n


def loss_series(logdir: Path) -> list[tuple[int, float]]:
    """(step, value) of every loss/total scalar in the run's event files, duplicates kept; each
    file must be whole and load completely with TensorBoard's own EventFileLoader."""
    out = []
    files = sorted(logdir.glob("events.out.tfevents.*"))
    assert len(files) == 1, f"expected one event file, found {[f.name for f in files]}"
    for path in files:
        events = list(EventFileLoader(str(path)).Load())
        assert len(events) == event_records(path), f"{path.name}: EventFileLoader stopped early"
        for e in events:
            for v in e.summary.value:
                if v.tag == "loss/total":
                    out.append((e.step, float(tensor_util.make_ndarray(v.tensor))))
    return out


@functools.lru_cache(maxsize=None)
def _ref_series(logdir: str) -> tuple:
    return tuple(loss_series(Path(logdir)))


def ref_series(logdir: Path) -> list[tuple[int, float]]:
    """loss_series of a straight run, read once (TensorBoard's loader takes ~0.5 s per 3,000 rounds)."""
    return list(_ref_series(str(logdir)))


def load_ck(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)  # data only, never code


def assert_same_state(ck: dict, ref: dict, what: str) -> None:
    assert ck["round"] == ref["round"], f"{what}: round {ck['round']} != {ref['round']}"
    assert list(ck["model"]) == list(ref["model"])
    for k in ref["model"]:
        assert torch.equal(ck["model"][k], ref["model"][k]), f"{what}: {k} differs from the straight run's"
    assert torch.equal(ck["data_order"]["generator"], ref["data_order"]["generator"]), f"{what}: data order"
    assert ck["data_order"]["pos"] == ref["data_order"]["pos"], f"{what}: data order position"


def leftovers(*folders: Path) -> list[str]:
    """Temporary files of an atomic write that were never renamed."""
    return [p.name for f in folders if f.exists() for p in f.iterdir() if p.name.endswith(".tmp")]


# ---- the straight runs everything is compared with -------------------------------------------

@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, train_script, flags):
    """finished_run(config, steps) -> (logdir, checkpoint) of a run of `steps` rounds in one go,
    made once, on demand; tests change only copies."""
    root, made = tmp_path_factory.mktemp("runs"), {}

    def get(config: str, steps: int):
        if (config, steps) not in made:
            logdir, ck = root / f"{config}-{steps}", root / f"{config}-{steps}.pt"
            assert train_script.main([*flags(config), "--steps", str(steps), "--logdir", str(logdir),
                                      "--save-model", str(ck), *FAST]) == 0
            made[config, steps] = (logdir, ck)
        return made[config, steps]
    return get


@pytest.fixture(scope="module")
def straight(finished_run):
    """straight(config): 1,000 rounds in one go, what every resumed run is compared with."""
    return lambda config: finished_run(config, STEPS)


@pytest.fixture(scope="module")
def half(finished_run):
    """half(config): a finished 700-round run, to resume."""
    return lambda config: finished_run(config, HALF)


# ---- (a) resume is bitwise the straight run --------------------------------------------------

def own_copy(half_dir: Path, half_ck: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a finished run and its checkpoint, the checkpoint pointing at the copy."""
    logdir, ck = tmp_path / "run", tmp_path / "ck.pt"
    shutil.copytree(half_dir, logdir)
    state = load_ck(half_ck)
    state["config"]["logdir"] = str(logdir)
    save_checkpoint(ck, {k: v for k, v in state.items() if k != "format"})  # sealed, as the run writes it
    return logdir, ck


@pytest.mark.parametrize("config", list(CONFIGS))
def test_resume_into_its_own_run_is_bitwise_the_straight_run(config, straight, half, tmp_path, train_script):
    ref_dir, ref_ck = straight(config)
    logdir, ck = own_copy(*half(config), tmp_path)
    state = load_ck(ck)
    assert state["round"] == HALF
    if config == "csv-shuffled-mini-batch":
        assert state["data_order"]["pos"] == 2, "round 700 should end mid-epoch (rows 3 to 6 to come)"

    # Only --resume and --steps: every setting comes from the checkpoint, the logdir too.
    assert train_script.main(["--resume", str(ck), "--steps", str(STEPS), "--save-model", str(ck), *FAST]) == 0

    assert (logdir / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    history_lines(logdir)
    assert_same_state(load_ck(ck), load_ck(ref_ck), "resumed checkpoint")
    ours, ref = loss_series(logdir), ref_series(ref_dir)
    assert [s for s, _ in ours] == list(range(1, STEPS + 1)), "event file steps are not 1..STEPS once each"
    assert ours == ref
    config_json = json.loads((logdir / "config.json").read_text())
    assert config_json["steps"] == STEPS and config_json["logdir"] == str(logdir)
    assert not leftovers(logdir, tmp_path)


def test_resume_from_an_older_checkpoint_of_a_run_that_went_on(straight, half, tmp_path, train_script):
    """A run checkpointed at HALF that went on to WENT_ON (as a crash after a save leaves it):
    resuming the HALF checkpoint drops rounds HALF + 1..WENT_ON from history.csv, and TensorBoard
    (its Python loader) purges them from the event file's view."""
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    config = "xor-shuffled-per-sample"
    ref_dir, ref_ck = straight(config)
    logdir, ck = own_copy(*half(config), tmp_path)
    old = tmp_path / f"ck-{HALF}.pt"
    shutil.copy(ck, old)
    assert train_script.main(["--resume", str(ck), "--steps", str(WENT_ON), "--save-model", str(ck), *FAST]) == 0
    assert len(history_lines(logdir)) == WENT_ON + 1

    assert train_script.main(["--resume", str(old), "--steps", str(STEPS), "--save-model", str(old), *FAST]) == 0

    assert (logdir / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    assert_same_state(load_ck(old), load_ck(ref_ck), "resumed checkpoint")
    series = loss_series(logdir)  # whole and loadable; the abandoned HALF + 1..WENT_ON are still in it
    assert [s for s, _ in series] == list(range(1, WENT_ON + 1)) + list(range(HALF + 1, STEPS + 1))
    acc = EventAccumulator(str(logdir), size_guidance={"tensors": 0})
    acc.Reload()
    shown = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors("loss/total")]
    assert shown == ref_series(ref_dir), "TensorBoard does not show the straight run's loss/total"


@pytest.mark.parametrize("config", list(CONFIGS))
def test_resume_into_a_new_logdir_writes_the_resumed_rounds(config, straight, half, flags, tmp_path,
                                                             train_script):
    ref_dir, ref_ck = straight(config)
    half_dir, half_ck = half(config)
    before = {p.name: p.read_bytes() for p in half_dir.iterdir()}
    ck, logdir = tmp_path / "ck.pt", tmp_path / "resumed"
    shutil.copy(half_ck, ck)

    # The trajectory's settings given again, unchanged: accepted.
    assert train_script.main([*flags(config), "--resume", str(ck), "--steps", str(STEPS),
                              "--logdir", str(logdir), "--save-model", str(ck), *FAST]) == 0

    ref_lines = history_lines(ref_dir)
    lines = (logdir / "history.csv").read_text().splitlines(keepends=True)
    assert lines[0] == ref_lines[0]
    assert lines[1:] == ref_lines[HALF + 1:], "history.csv is not the straight run's rows HALF + 1..STEPS"
    assert_same_state(load_ck(ck), load_ck(ref_ck), "resumed checkpoint")
    ours = loss_series(logdir)
    assert ours == [x for x in ref_series(ref_dir) if x[0] > HALF]
    assert {p.name: p.read_bytes() for p in half_dir.iterdir()} == before, "the checkpoint's own run changed"


def test_resume_from_another_directory_continues_the_checkpoints_own_run(tmp_path, monkeypatch, train_script):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    ck = tmp_path / "ck.pt"
    monkeypatch.chdir(tmp_path / "a")
    assert train_script.main(["--steps", "20", "--save-model", str(ck), *FAST]) == 0  # default logdir
    (run,) = (tmp_path / "a" / "runs").iterdir()
    monkeypatch.chdir(tmp_path / "b")
    assert train_script.main(["--resume", str(ck), "--steps", "30", *FAST]) == 0
    assert not (tmp_path / "b" / "runs").exists(), "resumed into a new folder under the new working directory"
    assert len(history_lines(run)) == 31


# ---- (b) reproducible, run after run ---------------------------------------------------------

def test_same_command_same_bytes_in_a_new_process(straight, flags, tmp_path, run_script):
    """The straight run (in this process) and the same command in a fresh process."""
    config = "xor-shuffled-per-sample"
    ref_dir, _ = straight(config)
    proc = run_script("train", *flags(config), "--steps", STEPS, "--logdir", tmp_path / "again",
                      "--save-model", tmp_path / "again.pt", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "again" / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    for logdir in (ref_dir, tmp_path / "again"):
        meta = json.loads((logdir / "config.json").read_text())["meta"]
        assert meta["torch"] == torch.__version__
        assert meta["torch_bp"] == torch_bp.__version__


# ---- (c) interrupts at moments tied to the run's own progress --------------------------------
#
# Every signal is sent when the run shows it has reached a phase: its handlers are installed
# (/proc/PID/status), it printed round r of its table, or it printed its last line. Never after
# a sleep: on a loaded machine a clock says nothing about where a process is. What a run
# leaves is then read from its files, and each outcome the signal contract allows is checked.

SEED = 20240611  # change it to try other moments; each trial draws from its own Random
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP}


def _trials():
    rng = random.Random(SEED)
    signals = rng.sample(["SIGINT", "SIGINT", "SIGTERM", "SIGTERM", "SIGHUP"], 5)
    configs = rng.sample(list(CONFIGS), 4) + [rng.choice(list(CONFIGS))]
    phases = ["start-up", "first-rounds", "mid-run", "mid-run", "after"]
    trials = []
    for k, (phase, sig, config) in enumerate(zip(phases, signals, configs)):
        when = {"start-up": "handlers", "first-rounds": 1, "after": "last line"}.get(
            phase, rng.choice(range(300, 901, 300)))
        trials.append(pytest.param(config, sig, when, id=f"{k}-{phase}-{sig}-{config}"))
    return trials


def handlers_installed(pid: int) -> bool:
    """Has the process its own handler for SIGTERM and SIGHUP yet (SigCgt, a hex bit mask)?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone already
        return True
    caught = int(next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1], 16)
    return all(caught >> (s - 1) & 1 for s in (signal.SIGTERM, signal.SIGHUP))


def interrupted_run(argv: list[str], sig: signal.Signals, when, logdir: Path, ck: Path):
    """Start train.py and send `sig` once the run reaches `when`: "handlers" (installed, before
    any set-up), a round number (its table line printed), or "last line" (its summary printed,
    run() returned). (returncode, stdout, stderr)."""
    cmd = [sys.executable, str(ROOT / "scripts" / "train.py"), *argv, "--steps", str(STEPS),
           "--logdir", str(logdir), "--save-model", str(ck), "--save-interval", "250", *FAST]
    with open(logdir.parent / "stderr.txt", "w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        out = []
        try:
            if when == "handlers":
                while not handlers_installed(proc.pid):
                    os.sched_yield()  # a busy wait on the process's own state, not on a clock
            else:
                for line in proc.stdout:
                    out.append(line)
                    token = line.split()[:1]
                    if when == "last line" and line.startswith("checkpoint: "):
                        break
                    if when != "last line" and token and token[0].isdigit() and int(token[0]) >= when:
                        break
            proc.send_signal(sig)
            rest, _ = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        return proc.returncode, "".join(out) + rest, err.read()


@pytest.mark.parametrize("config, sig, when", _trials())
def test_interrupt_then_resume(config, sig, when, straight, flags, tmp_path, train_script):
    sig = SIGNALS[sig]
    ref_dir, ref_ck = straight(config)
    ref_lines = history_lines(ref_dir)
    logdir, ck = tmp_path / "run", tmp_path / "ck.pt"
    status, out, err = interrupted_run(flags(config), sig, when, logdir, ck)

    # Whatever the phase: 128 + n (130, 143, 129) with one line and no traceback. Only a signal
    # sent after the last line may find the process already gone (exit 0, nothing to say).
    if not (when == "last line" and status == 0):
        assert status == 128 + sig, f"exit status {status}, expected {128 + sig}\n{err}"
        assert err.splitlines() == [f"train.py: interrupted ({sig.name})"], err
    assert not leftovers(logdir, tmp_path)

    if not logdir.exists():  # stopped before set-up was done: nothing written, the same command starts over
        assert not ck.exists(), "a checkpoint without its run folder"
        assert when == "handlers", f"nothing written, yet the run had printed {out!r}"
        assert train_script.main([*flags(config), "--steps", str(STEPS), "--logdir", str(logdir),
                                  "--save-model", str(ck), *FAST]) == 0
    else:  # a run that --resume continues (or a finished one): whole files, the straight run's rounds
        lines = history_lines(logdir)
        n = len(lines) - 1
        assert lines == ref_lines[:n + 1], "history.csv is not the straight run's first rounds"
        assert [s for s, _ in loss_series(logdir)] == list(range(1, n + 1)), "event steps differ from history.csv's"
        state = load_ck(ck)
        assert state["round"] == n, f"the checkpoint has round {state['round']}, history.csv {n} rounds"
        if n < STEPS:
            assert f"interrupted ({sig.name}) after {n} rounds" in out
            values = [float(v) for v in next(csv.reader([ref_lines[n + 1]]))[1:]]  # the weights after update n
            n_loss = sum(c.startswith("loss/") for c in ref_lines[0].strip().split(",")[1:])
            flat = torch.cat([p.reshape(-1) for p in state["model"].values()]).tolist()
            assert flat == values[n_loss:n_loss + len(flat)], "checkpoint weights are not round n's"
            assert train_script.main(["--resume", str(ck), "--save-model", str(ck), *FAST]) == 0  # its own --steps
        else:
            assert when in ("last line", "handlers"), f"the run finished although signalled at round {when}"

    assert (logdir / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    series = loss_series(logdir)
    assert [s for s, _ in series] == list(range(1, STEPS + 1))
    assert series == ref_series(ref_dir)
    assert_same_state(load_ck(ck), load_ck(ref_ck), "final checkpoint")

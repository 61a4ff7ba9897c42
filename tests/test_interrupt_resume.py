"""Checkpoints, resume and interruptions of scripts/train.py (issue 6).

(a) 2,000 rounds + --resume to 3,000 is bitwise the same run as 3,000 rounds straight, for
    both backends and for shuffled per-sample and mini-batch training, resumed into the
    checkpoint's own run or into a new logdir (and from an older checkpoint of a run that went on);
(b) the same command and seed give a byte-identical history.csv, run after run;
(c) real training processes interrupted by SIGINT/SIGTERM at seeded random moments leave
    whole, readable logs and checkpoints, and resuming finishes with the uninterrupted result.
"""
from __future__ import annotations

import csv
import functools
import io
import json
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util

import torch_bp
from conftest import ROOT

STEPS, HALF = 3000, 2000
# The runs compared (the settings that decide a run's numbers); every run here skips the graph.
CONFIGS = {
    "manual": ["--backend", "manual"],
    "autograd": ["--backend", "autograd"],
    "xor-shuffled-per-sample": ["--dataset", "xor", "--sizes", "2,3,1", "--batch-size", "1", "--shuffle",
                                "--seed", "3"],
    # 6 rows in batches of 2: 3 rounds an epoch, so round 2,000 ends mid-epoch (the order and the
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
    """straight(config): 3,000 rounds in one go, what every resumed run is compared with."""
    return lambda config: finished_run(config, STEPS)


@pytest.fixture(scope="module")
def half(finished_run):
    """half(config): a finished 2,000-round run, to resume."""
    return lambda config: finished_run(config, HALF)


# ---- (a) resume is bitwise the straight run --------------------------------------------------

def own_copy(half_dir: Path, half_ck: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a finished run and its checkpoint, the checkpoint pointing at the copy."""
    logdir, ck = tmp_path / "run", tmp_path / "ck.pt"
    shutil.copytree(half_dir, logdir)
    state = load_ck(half_ck)
    state["config"]["logdir"] = str(logdir)
    torch.save(state, ck)
    return logdir, ck


@pytest.mark.parametrize("config", list(CONFIGS))
def test_resume_into_its_own_run_is_bitwise_the_straight_run(config, straight, half, tmp_path, train_script):
    ref_dir, ref_ck = straight(config)
    logdir, ck = own_copy(*half(config), tmp_path)
    state = load_ck(ck)
    assert state["round"] == HALF
    if config == "csv-shuffled-mini-batch":
        assert state["data_order"]["pos"] == 4, "round 2,000 should end mid-epoch (rows 5, 6 to come)"

    # Only --resume and --steps: every setting comes from the checkpoint, the logdir too.
    assert train_script.main(["--resume", str(ck), "--steps", str(STEPS), "--save-model", str(ck), *FAST]) == 0

    assert (logdir / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    history_lines(logdir)
    assert_same_state(load_ck(ck), load_ck(ref_ck), "resumed checkpoint")
    ours, ref = loss_series(logdir), ref_series(ref_dir)
    assert [s for s, _ in ours] == list(range(1, STEPS + 1)), "event file steps are not 1..3000 once each"
    assert ours == ref
    config_json = json.loads((logdir / "config.json").read_text())
    assert config_json["steps"] == STEPS and config_json["logdir"] == str(logdir)
    assert not leftovers(logdir, tmp_path)


def test_resume_from_an_older_checkpoint_of_a_run_that_went_on(straight, half, tmp_path, train_script):
    """A run checkpointed at 2,000 that went on to 2,500 (as a crash after a save leaves it):
    resuming the 2,000 checkpoint drops rounds 2,001..2,500 from history.csv, and TensorBoard
    (its Python loader) purges them from the event file's view."""
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    config = "xor-shuffled-per-sample"
    ref_dir, ref_ck = straight(config)
    logdir, ck = own_copy(*half(config), tmp_path)
    old = tmp_path / "ck-2000.pt"
    shutil.copy(ck, old)
    assert train_script.main(["--resume", str(ck), "--steps", "2500", "--save-model", str(ck), *FAST]) == 0
    assert len(history_lines(logdir)) == 2501

    assert train_script.main(["--resume", str(old), "--steps", str(STEPS), "--save-model", str(old), *FAST]) == 0

    assert (logdir / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    assert_same_state(load_ck(old), load_ck(ref_ck), "resumed checkpoint")
    series = loss_series(logdir)  # whole and loadable; the abandoned 2,001..2,500 are still in it
    assert [s for s, _ in series] == list(range(1, 2501)) + list(range(HALF + 1, STEPS + 1))
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
    assert lines[1:] == ref_lines[HALF + 1:], "history.csv is not the straight run's rows 2,001..3,000"
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


# ---- (c) interrupts at random moments --------------------------------------------------------

SEED = 20240611  # change it to try other moments; each trial draws from its own Random


def _trials():
    rng = random.Random(SEED)
    signals = rng.sample([signal.SIGINT, signal.SIGINT, signal.SIGTERM, signal.SIGTERM], 4)
    configs = rng.sample(list(CONFIGS), 4)  # each config interrupted once
    trials = []
    for k, (phase, sig, config) in enumerate(zip(["start-up", "first-rounds", "mid-run", "mid-run"],
                                               signals, configs)):
        if phase == "start-up":     # while Python imports torch or reads the input: before any round
            when = {"after_s": round(rng.uniform(0.0, 2.0), 3)}
        elif phase == "first-rounds":  # just after round 1, before the first --save-interval checkpoint
            when = {"round": 1, "then_s": round(rng.uniform(0.0, 0.01), 4)}
        else:                       # after some interval checkpoints
            when = {"round": rng.choice(range(300, 1201, 300)), "then_s": round(rng.uniform(0.0, 0.05), 3)}
        trials.append(pytest.param(config, sig, when, id=f"{k}-{phase}-{sig.name}-{config}"))
    return trials


def interrupted_run(argv: list[str], sig: signal.Signals, when: dict, logdir: Path, ck: Path):
    """Start train.py, send `sig` at the moment `when` describes; (returncode, stdout, stderr)."""
    cmd = [sys.executable, str(ROOT / "scripts" / "train.py"), *argv, "--steps", str(STEPS),
           "--logdir", str(logdir), "--save-model", str(ck), "--save-interval", "250", *FAST]
    with open(logdir.parent / "stderr.txt", "w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        out = []
        try:
            if "after_s" in when:
                time.sleep(when["after_s"])
            else:
                for line in proc.stdout:  # the round table: a line per 300 rounds, flushed
                    out.append(line)
                    token = line.split()[:1]
                    if token and token[0].isdigit() and int(token[0]) >= when["round"]:
                        break
                time.sleep(when["then_s"])
            proc.send_signal(sig)
            rest, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        return proc.returncode, "".join(out) + rest, err.read()


@pytest.mark.parametrize("config, sig, when", _trials())
def test_interrupt_then_resume(config, sig, when, straight, flags, tmp_path, train_script):
    ref_dir, ref_ck = straight(config)
    ref_lines = history_lines(ref_dir)
    logdir, ck = tmp_path / "run", tmp_path / "ck.pt"
    status, out, err = interrupted_run(flags(config), sig, when, logdir, ck)

    shell_status = 128 + sig  # 130 for SIGINT, 143 for SIGTERM
    assert status != 0, f"the run finished before the signal came (machine too slow?)\n{out}"
    if status == -sig:
        # Killed by the signal's default action (a shell shows 128 + n): only possible before
        # train.py got going, while Python was still importing, so nothing may be written.
        assert not logdir.exists() and not ck.exists(), f"killed by {sig.name} after writing:\n{err}"
        written = False
    else:
        assert status == shell_status, f"exit status {status}, expected {shell_status}\n{err}"
        assert "Traceback" not in err, err
        written = logdir.exists()
    assert not leftovers(logdir, tmp_path)

    if written:
        assert f"interrupted ({sig.name})" in out
        lines = history_lines(logdir)
        n = len(lines) - 1
        assert 1 <= n < STEPS, f"{n} rounds logged"
        assert lines == ref_lines[:n + 1], "history.csv is not the straight run's first rounds"
        series = loss_series(logdir)
        assert [s for s, _ in series] == list(range(1, n + 1)), "event file steps differ from history.csv's"
        assert series == ref_series(ref_dir)[:n]
        state = load_ck(ck)
        assert state["round"] == n, f"the checkpoint has round {state['round']}, history.csv {n} rounds"
        # The checkpoint holds the weights after update n: the straight run's row n + 1.
        values = [float(v) for v in next(csv.reader([ref_lines[n + 1]]))[1:]]
        n_loss = sum(c.startswith("loss/") for c in ref_lines[0].strip().split(",")[1:])
        flat = torch.cat([p.reshape(-1) for p in state["model"].values()]).tolist()
        assert flat == values[n_loss:n_loss + len(flat)], "checkpoint weights are not round n's"
        # Resume into the run's own folder, to the full --steps.
        assert train_script.main(["--resume", str(ck), "--steps", str(STEPS), "--save-model", str(ck), *FAST]) == 0
    else:  # nothing was written: the same command starts over cleanly
        assert train_script.main([*flags(config), "--steps", str(STEPS), "--logdir", str(logdir),
                                  "--save-model", str(ck), *FAST]) == 0

    assert (logdir / "history.csv").read_bytes() == (ref_dir / "history.csv").read_bytes()
    series = loss_series(logdir)
    assert [s for s, _ in series] == list(range(1, STEPS + 1))
    assert series == ref_series(ref_dir)
    assert_same_state(load_ck(ck), load_ck(ref_ck), "final checkpoint")

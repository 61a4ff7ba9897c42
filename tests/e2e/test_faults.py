"""Faults that lose nothing (issue 9), each tried for real through scripts/train.py:

- a full disk while logging and while saving a checkpoint (a small tmpfs, mounted as root);
- a read-only run folder on --resume;
- a history.csv or event file cut before --resume;
- two runs aimed at one --logdir at the same instant;
- SIGKILL at moments tied to the run's progress (a line it prints, the k-th fsync or rename);
- a loss that turns NaN between logged rounds, with checkpoints in between;
- a checkpoint path that is one of the run's own inputs or logs;
- sizes and step counts that once cost gigabytes or minutes; --dry-run's temporary folder.

Each ends with a clear line and an exit status, and nothing already written lost: the
checkpoint on disk is always a whole one, and resuming gives the straight run's history.csv
byte for byte and TensorBoard's values for every round.
"""
from __future__ import annotations

import csv
import functools
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from conftest import ROOT, drop_file_capabilities, one_line, snapshot
from logs import read_scalars

STEPS, SAVE = 600, 100
RUN = ["--no-graph", "--steps", str(STEPS)]
CK_EVERY = ["--save-interval", str(SAVE)]
TRAIN = str(ROOT / "scripts" / "train.py")


# ---- helpers ------------------------------------------------------------------------------------

def train(train_script, capsys, *argv) -> tuple[int, str]:
    """(exit status, stderr) of train.py's main(argv), in this process."""
    capsys.readouterr()
    status = train_script.main([str(a) for a in argv])
    return status, capsys.readouterr().err


def process(*argv, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, TRAIN, *map(str, argv)], capture_output=True, text=True,
                          timeout=120, env=env, **kwargs)


def event_records(path: Path) -> int:
    """Whole TFRecords in an event file; asserts that none is cut."""
    data, pos, n = path.read_bytes(), 0, 0
    while pos < len(data):
        assert pos + 12 <= len(data), f"{path.name}: a record header cut at byte {pos}"
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        assert pos + 16 + length <= len(data), f"{path.name}: a record cut at byte {pos}"
        pos += 16 + length
        n += 1
    return n


def assert_same_run(logdir: Path, straight: Path) -> None:
    """history.csv byte for byte the straight run's; every event file whole and read to its end
    by TensorBoard's loader; the scalars TensorBoard shows the straight run's, every round."""
    assert (logdir / "history.csv").read_bytes() == (straight / "history.csv").read_bytes(), "history.csv differs"
    for path in logdir.glob("events.out.tfevents.*"):
        assert len(list(EventFileLoader(str(path)).Load())) == event_records(path), f"{path.name}: loader stopped"
    got, want = read_scalars(logdir), _scalars(straight)
    assert sorted(got["loss/total"]) == sorted(want["loss/total"]) == list(range(1, STEPS + 1))
    assert got["loss/total"] == want["loss/total"]


@functools.lru_cache(maxsize=None)
def _scalars(logdir: Path) -> dict:
    return read_scalars(logdir)


def history_row(logdir: Path, r: int) -> dict[str, float]:
    with open(logdir / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    return {k: float(v) for k, v in zip(rows[0], rows[r])}


def assert_whole_checkpoint(ck: Path, straight: Path) -> int:
    """The checkpoint loads and holds the straight run's weights after its round; its round."""
    state = torch.load(ck, map_location="cpu", weights_only=True)
    r = state["round"]
    assert r % SAVE == 0 and 0 < r < STEPS, f"checkpoint at round {r}"
    row = history_row(straight, r + 1)  # round r + 1's parameters = those after r updates
    values = [v for k, v in row.items() if k.startswith(("weights/", "bias/"))]
    assert torch.cat([p.reshape(-1) for p in state["model"].values()]).tolist() == values
    return r


@pytest.fixture(scope="module")
def straight(tmp_path_factory, train_script):
    """The reference: STEPS rounds straight, a checkpoint every SAVE rounds."""
    base = tmp_path_factory.mktemp("straight")
    assert train_script.main([*RUN, *CK_EVERY, "--save-model", str(base / "ck.pt"), "--logdir", str(base / "run")]) == 0
    return base / "run"


def grow(where: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)


# ---- a full disk ----------------------------------------------------------------------------------

def test_full_disk_while_logging(tmpfs, straight, train_script, tmp_path, capsys):
    """The run folder's disk fills up: one line naming the problem, exit 1, the checkpoint (on
    another disk) whole; with space again, --resume finishes it as the straight run."""
    disk = tmpfs("200k")
    run, ck = disk / "run", tmp_path / "ck.pt"
    status, err = train(train_script, capsys, *RUN, *CK_EVERY, "--save-model", ck, "--logdir", run)
    assert status == 1 and "No space left" in one_line(err), err
    assert_whole_checkpoint(ck, straight)
    grow(disk, "64m")
    status, err = train(train_script, capsys, "--resume", ck, "--steps", STEPS)
    assert status == 0, err
    assert_same_run(run, straight)


def test_event_writer_closed_by_a_failed_close(tmpfs):
    """A flush that fails for a full disk still closes the event file: no buffered bytes are
    left for the garbage collector to write later, into the middle of a resumed run's records
    (under load, that landed a garbage record length in test_full_disk_while_logging)."""
    import gc

    from torch_bp.training.events import EventWriter
    disk = tmpfs("64k")
    writer = EventWriter(disk)
    with pytest.raises(OSError):
        writer.write_bytes(b"x" * 200_000)    # the disk fills up
    writer.write_bytes(b"y" * 1000)           # buffered: no error yet
    with pytest.raises(OSError):
        writer.close()                        # its flush fails
    size = writer.path.stat().st_size
    grow(disk, "64m")
    del writer
    gc.collect()
    assert max(p.stat().st_size for p in disk.iterdir()) == size, "bytes written after close() failed"


def test_full_disk_while_saving(tmpfs, straight, train_script, tmp_path, capsys):
    """The checkpoint's disk has room for one checkpoint, not for the next beside it: one line
    naming the checkpoint, exit 1, the previous checkpoint whole; resuming finishes the run."""
    disk = tmpfs("12k")  # a checkpoint is ~9 kB: the second save's temporary file does not fit
    ck, run = disk / "ck.pt", tmp_path / "run"
    status, err = train(train_script, capsys, *RUN, *CK_EVERY, "--save-model", ck, "--logdir", run)
    line = one_line(err)
    assert status == 1 and "No space left" in line and "ck.pt" in line, err
    assert assert_whole_checkpoint(ck, straight) == SAVE
    grow(disk, "64m")
    status, err = train(train_script, capsys, "--resume", ck, "--steps", STEPS)
    assert status == 0, err
    assert_same_run(run, straight)


# ---- a read-only run folder -----------------------------------------------------------------------

def test_resume_into_a_read_only_run_folder(tmp_path, train_script):
    """chmod 555 on the run folder and 444 on its files (root: its file capabilities dropped, so
    the modes bind it): --resume says the folder cannot be written, exit 2, nothing changed."""
    run, ck = tmp_path / "run", tmp_path / "ck.pt"
    assert train_script.main(["--no-graph", "--steps", "20", "--save-model", str(ck), "--logdir", str(run)]) == 0
    for p in run.iterdir():
        p.chmod(0o444)
    run.chmod(0o555)
    before = snapshot(run)
    try:
        proc = process("--resume", ck, "--steps", STEPS, "--save-model", tmp_path / "ck2.pt",
                       preexec_fn=drop_file_capabilities if os.getuid() == 0 else None)
    finally:
        run.chmod(0o755)
    assert proc.returncode == 2 and str(run) in one_line(proc.stderr), proc.stderr
    assert snapshot(run) == before


# ---- logs cut before --resume ---------------------------------------------------------------------

@pytest.fixture
def finished(tmp_path, train_script):
    """A run of SAVE * 2 rounds with its checkpoint at the end, and its folder's bytes."""
    run, ck = tmp_path / "run", tmp_path / "ck.pt"
    assert train_script.main([*RUN, "--steps", str(2 * SAVE), "--save-model", str(ck), "--logdir", str(run)]) == 0
    return run, ck


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_history_cut_before_resume_is_named(finished, cut, train_script, capsys):
    """history.csv cut (rows 1..~k of 400, the checkpoint at 400): resuming would leave a silent
    gap. One line naming history.csv, exit 2, the folder unchanged."""
    run, ck = finished
    path = run / "history.csv"
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * cut)])
    before = snapshot(run)
    status, err = train(train_script, capsys, "--resume", ck, "--steps", 3 * SAVE)
    assert status == 2 and "history.csv" in one_line(err), err
    assert snapshot(run) == before


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_event_file_cut_before_resume_is_named(finished, cut, train_script, capsys):
    """The event file cut mid-way: TensorBoard would show a gap up to the checkpoint. One line
    naming the event file, exit 2, the folder unchanged."""
    run, ck = finished
    (path,) = run.glob("events.out.tfevents.*")
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * cut)])
    before = snapshot(run)
    status, err = train(train_script, capsys, "--resume", ck, "--steps", 3 * SAVE)
    assert status == 2 and "events.out.tfevents" in one_line(err), err
    assert snapshot(run) == before


def test_a_partial_last_event_record_is_dropped_on_resume(finished, train_script, capsys):
    """Only the last record cut (a crash mid-write): resuming drops it and appends after it, so
    TensorBoard reads every round (before: it stopped at the cut record, hiding the resumed ones)."""
    run, ck = finished
    (path,) = run.glob("events.out.tfevents.*")
    path.write_bytes(path.read_bytes()[:-7])
    status, err = train(train_script, capsys, "--resume", ck, "--steps", 3 * SAVE)
    assert status == 0, err
    assert len(list(EventFileLoader(str(path)).Load())) == event_records(path)
    assert sorted(read_scalars(run)["loss/total"]) == list(range(1, 3 * SAVE + 1))


# ---- two runs, one folder -------------------------------------------------------------------------

RACER = """
import sys
sys.path.insert(0, sys.argv[1])
from conftest import load_script
main = load_script("train").main
import contextlib, io
for line in sys.stdin:  # one race per line: the parent releases both racers at once
    with contextlib.redirect_stdout(io.StringIO()):  # the run's own table and summary
        status = main(line.split())
    print("status", status, flush=True)
    print("ready", flush=True)
"""


def test_two_runs_on_one_logdir_at_once(tmp_path):
    """Two processes, released together (a line on each one's stdin), start runs on the same new
    --logdir, 4 times: each time one finishes, the other says the folder holds a run (one line,
    exit 2); never a traceback, never "cannot write there"."""
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(ROOT / "tests")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
              for _ in range(2)]
    outcomes = []
    try:
        for k in range(4):
            argv = f"--steps 20 --no-graph --logdir {tmp_path / f'run{k}'}\n"
            for p in racers:
                p.stdin.write(argv)
                p.stdin.flush()
            outcomes.append(sorted(int(p.stdout.readline().split()[1]) for p in racers))
            assert all(p.stdout.readline() == "ready\n" for p in racers)
    finally:
        for p in racers:
            p.stdin.close()
        errs = [p.stderr.read() for p in racers]
        for p in racers:
            p.wait(timeout=60)
    assert outcomes == [[0, 2]] * 4, (outcomes, errs)
    lines = [ln for e in errs for ln in e.splitlines()]
    assert len(lines) == 4 and all("already holds a run" in ln for ln in lines), lines


# ---- SIGKILL at moments tied to progress ----------------------------------------------------------

# One process imports train.py once (torch's import is most of a run's cost), then forks one run
# per line of stdin and SIGKILLs it at the moment the line names: "fsync K" / "replace K" just
# before the run's K-th os.fsync / os.replace (a log flush, a checkpoint's temporary file, its
# rename, config.json), or "line R" as soon as the run prints round R of the deck's table. It
# answers each line with the run's wait status. The fork happens before any torch op has run.
KILLER = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from conftest import load_script
main = load_script("train").main
for request in sys.stdin:
    kind, at, *argv = request.split()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        os.dup2(write, 1)
        if kind != "line":
            real, calls = getattr(os, kind), [0]
            def killing(*a, **kw):
                calls[0] += 1
                if calls[0] == int(at):
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*a, **kw)
            setattr(os, kind, killing)
        os._exit(main(argv))
    os.close(write)
    with os.fdopen(read) as out:
        for line in out:
            if kind == "line" and line.split()[:1] == [at]:
                os.kill(child, signal.SIGKILL)
                break
    print(os.waitpid(child, 0)[1], flush=True)
"""


def sigkill_runs(requests: list[str], cwd: Path) -> list[int]:
    """The wait status of each request's run, run and killed by KILLER."""
    proc = subprocess.run([sys.executable, "-c", KILLER, str(ROOT / "tests")], input="".join(requests),
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return [int(v) for v in proc.stdout.split()]


KILLS = [f"fsync {k}" for k in sorted(random.Random(4).sample(range(3, 17), 2))] + ["replace 4", "line 300"]


EARLY = ["--no-graph", "--steps", "30"]  # killed at its first rename: config.json, before any round is flushed


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """Every SIGKILL trial, run by one KILLER process: {kill: (wait status, run folder, checkpoint)}."""
    base = tmp_path_factory.mktemp("killed")
    trials = {kill: (base / f"run{k}", base / f"ck{k}.pt", RUN + CK_EVERY) for k, kill in enumerate(KILLS)}
    trials["replace 1"] = (base / "early", None, EARLY)
    statuses = sigkill_runs([f"{kill} {' '.join(argv)} --logdir {run}" + (f" --save-model {ck}" if ck else "") + "\n"
                             for kill, (run, ck, argv) in trials.items()], base)
    return {kill: (status, run, ck) for (kill, (run, ck, _)), status in zip(trials.items(), statuses)}


@pytest.mark.parametrize("kill", KILLS)
def test_sigkill_at_moments_tied_to_progress(kill, killed, straight, train_script, capsys):
    """SIGKILL just before the run's k-th fsync or rename, or as soon as it prints a round (mid-
    round, mid-write or between: any of them must do): the checkpoint on disk is the previous
    whole one, and resuming gives the straight run, byte for byte."""
    status, run, ck = killed[kill]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"{kill}: status {status}"
    assert_whole_checkpoint(ck, straight)
    status, err = train(train_script, capsys, "--resume", ck, "--steps", STEPS)
    assert status == 0, f"{kill}: {err}"
    assert_same_run(run, straight)


def test_sigkill_before_the_first_flush_leaves_a_reusable_folder(killed, train_script, capsys):
    """SIGKILL at the run's first rename (its config.json), before any round is flushed:
    history.csv holds its header (it was 0 bytes), and the same command then runs in that
    folder, which holds no round."""
    status, run, _ = killed["replace 1"]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert (run / "history.csv").read_text().startswith("round,loss/total,")
    status, err = train(train_script, capsys, *EARLY, "--logdir", run)
    assert status == 0, err
    assert len((run / "history.csv").read_text().splitlines()) == 31


# ---- a loss that turns NaN between logged rounds --------------------------------------------------

def test_nan_between_logged_rounds_is_reported_at_its_round(tmp_path, train_script, capsys):
    """Targets of -1e150 and η = 1e308 send the loss to NaN at round 2. With --log-interval 500
    and --save-interval 10 the run says round 2 (it said 500), exits 1, and never writes a
    checkpoint with non-finite weights: the good one already at --save-model stays."""
    data = tmp_path / "boom.csv"
    data.write_text("i1,i2,t1,t2\n0.05,0.10,-1e150,-1e150\n")
    ck = tmp_path / "ck.pt"
    assert train_script.main(["--no-graph", "--steps", "5", "--save-model", str(ck),
                              "--logdir", str(tmp_path / "good")]) == 0
    good = ck.read_bytes()
    status, err = train(train_script, capsys, "--no-graph", "--data", data, "--lr", "1e308", "--steps", "1000",
                        "--log-interval", "500", "--save-interval", "10", "--save-model", ck,
                        "--logdir", tmp_path / "run")
    line = one_line(err)
    assert status == 1 and "round 2" in line and "nan" in line.lower(), err
    assert ck.read_bytes() == good


# ---- outputs that are inputs ----------------------------------------------------------------------

@pytest.mark.parametrize("target", ["data", "init", "history"])
def test_save_model_onto_an_input_is_refused(target, tmp_path, train_script, capsys):
    """--save-model naming the --data file, the --init file or the run's own history.csv: one
    line naming both flags' file, exit 2, the file unchanged (it was replaced by the checkpoint)."""
    data, init, run = tmp_path / "d.csv", tmp_path / "w.json", tmp_path / "run"
    data.write_text("i1,i2,t1,t2\n0.05,0.10,0.01,0.99\n")
    init.write_bytes((ROOT / "torch_bp" / "core" / "deck_weights.json").read_bytes())
    argv = ["--no-graph", "--steps", "5", "--data", data, "--init", init, "--logdir", run]
    if target == "history":  # a first run, then its resume aimed at its own history.csv
        assert train_script.main([str(a) for a in argv + ["--save-model", tmp_path / "ck.pt"]]) == 0
        argv = ["--resume", tmp_path / "ck.pt", "--steps", "9"]
    path = {"data": data, "init": init, "history": run / "history.csv"}[target]
    before = path.read_bytes()
    status, err = train(train_script, capsys, *argv, "--save-model", path)
    assert status == 2 and "--save-model" in one_line(err), err
    assert path.read_bytes() == before


# ---- sizes that once cost gigabytes or minutes --------------------------------------------------

def test_a_huge_step_count_allocates_nothing_for_it(tmp_path):
    """--steps 10**18 that stops at round 1 (--target-loss above the first error): with the
    address space capped at 1.5 GiB it finishes (it built a set of 3·10**15 table rounds)."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    proc = process("--no-graph", "--steps", str(10**18), "--target-loss", "0.5", "--logdir", tmp_path / "run",
                   preexec_fn=cap)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_huge_network_logs_a_short_round_1_table(tmp_path, train_script, capsys):
    """--sizes 2,20000,2: the round-1 text panel lists a bounded number of lines, not one per
    unit and weight (it was megabytes, checksummed byte by byte: 14 of 16 s at 2,100000,2)."""
    status, err = train(train_script, capsys, "--no-graph", "--sizes", "2,20000,2", "--steps", "3",
                        "--logdir", tmp_path / "run")
    assert status == 0, err
    (path,) = (tmp_path / "run").glob("events.out.tfevents.*")
    texts = [v for e in EventFileLoader(str(path)).Load() for v in e.summary.value if v.tag.startswith("run/round_1")]
    (text,) = texts
    assert len(text.tensor.string_val[0]) < 20_000


def test_long_records_are_checksummed_as_tensorboard_does():
    """masked CRC-32C of long records (a picture, a large text panel) equals TensorBoard's own."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as tensorboards
    from torch_bp.training.events import masked_crc32c
    rng = np.random.default_rng(0)
    for length in (1, 4, 5, 4095, 4096 * 4 + 1, 65_537, 200_003):
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert masked_crc32c(data) == tensorboards(data), length


# ---- new-user edges -------------------------------------------------------------------------------

def test_dry_run_leaves_no_temporary_folder(tmp_path, train_script, capsys, monkeypatch):
    """--dry-run's temporary run folder is removed when it ends (it was left in /tmp)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.chdir(tmp_path)
    status, err = train(train_script, capsys, "--dry-run")
    assert status == 0, err
    assert list(tmp.iterdir()) == [] and not (tmp_path / "runs").exists()


def test_xor_alone_suggests_its_sizes(tmp_path, train_script, capsys):
    status, err = train(train_script, capsys, "--dataset", "xor", "--no-graph", "--logdir", tmp_path / "run")
    assert status == 2 and "--sizes 2,3,1" in one_line(err), err


def test_help_shows_defaults_as_flags(train_script):
    """--sizes' default as a user types it, and no default that contradicts its flag's help."""
    text = train_script.build_parser().format_help()
    assert "(default: 2,2,2)" in text and "(2, 2, 2)" not in text
    assert "(default: True)" not in text.split("--no-graph", 2)[-1]  # "--no-graph (default: True)" read as no graph
    assert "(default: None)" not in text and "(default: False)" not in text  # noise, or wrong (--batch-size)


def test_explain_json_is_json_with_extreme_values(tmp_path, capsys):
    """Weights and inputs of 1e308 overflow the forward pass: the JSON report carries null for a
    number that is not finite (json.dumps wrote Infinity and NaN, which no JSON parser accepts;
    issue 24 made null the one convention, where this report had written the strings "nan", "inf")."""
    import json
    from conftest import load_script
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({"layers.0.weight": [[1e308, -1e308], [0.25, 0.3]], "layers.0.bias": 0.35,
                                   "layers.1.weight": [[1e308, 0.45], [0.5, 0.55]], "layers.1.bias": 0.6}))
    capsys.readouterr()
    assert load_script("explain").main(["--weights", str(weights), "--format", "json", "--inputs", "1e308,1e308",
                                        "--lr", "1e308"]) == 0

    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")
    rows = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert not any(isinstance(r["computed"], str) for r in rows)
    assert any(r["computed"] is None for r in rows)


@pytest.mark.parametrize("script", ["train", "explain", "benchmark"])
def test_a_python_without_torch_gets_one_line(script, tmp_path):
    """A Python without torch (the system's, say): one line saying which Python to use, not an
    ImportError traceback. Here torch's import is blocked in a child of this Python."""
    blocked = (f"import runpy, sys; sys.modules['torch'] = None; sys.argv = [{str(ROOT / 'scripts' / (script + '.py'))!r}]; "
               "runpy.run_path(sys.argv[0], run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode != 0 and ".venv/bin/python" in one_line(proc.stderr), proc.stderr


def test_the_default_log_schedule_keeps_long_runs_small():
    """By default: every round up to 10,000, then every 10th up to 100,000, every 100th up to
    1,000,000; always round 1, the last, and the deck's table rounds. A 60,000-round run logs
    15,000 rows (60,000 before); a given --log-interval keeps its old meaning."""
    from torch_bp.core.deck import DECK_ERROR_TABLE
    from torch_bp.training.folder import logged_rounds
    logged = logged_rounds(None, 60_000)
    rows = [r for r in range(1, 60_001) if logged(r)]
    assert len(rows) == 15_000 and rows[:3] == [1, 2, 3] and rows[-1] == 60_000
    assert rows[10_000:10_002] == [10_010, 10_020]
    assert all(logged(r) for r in DECK_ERROR_TABLE)
    odd_end = logged_rounds(None, 123_457)
    assert odd_end(123_457) and odd_end(123_400) and not odd_end(123_410)
    assert [r for r in range(1, 1001) if logged_rounds(300, 1000)(r)] == [1, 300, 600, 900, 1000]

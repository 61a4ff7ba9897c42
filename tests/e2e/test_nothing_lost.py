"""Nothing lost, nothing silently wrong (issue 24): torch_bp deletes or replaces only what it can
prove it wrote, a resume proves its identity, a sweep is a run like any other.

Each test names the issue's item it pins; "class:" marks a test that tries a member of the
defect's class the issue did not list. Most run the commands' main() in this process (fast);
a signal is sent by the process to itself at a point it has reached (no sleeps, no races).
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import torch_bp_launch
from conftest import ROOT, drop_file_capabilities, load_script, one_line, snapshot
from torch_bp.training import sweep_run
from torch_bp.training.checkpoint import load_checkpoint, save_checkpoint
from torch_bp.training.config import SweepConfig, TrainConfig

QUICK = ["--no-graph", "--steps", "5"]


@pytest.fixture(scope="module")
def sweep_script():
    return load_script("sweep")


def run(script, capsys, *argv) -> tuple[int, str]:
    """(exit status, stderr) of a command's main(argv), in this process."""
    capsys.readouterr()
    status = script.main([str(a) for a in argv])
    return status, capsys.readouterr().err


def fill(where: Path) -> None:
    """Fill a file system to its last byte."""
    with open(where / "filler", "wb", buffering=0) as f:
        for size in (4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


# ---- 1. a folder is ours only if it carries our marker ---------------------------------------------

FOREIGN = {
    "another tool's events and the user's config.json": {
        "events.out.tfevents.1700000000.host.1.v2": b"\x18\x00\x00\x00other tool",
        "config.json": b'{"my": "settings"}\n'},
    # class: names a run writes, none of them ours (another tool's history.csv, header only)
    "a header-only history.csv of another tool": {"history.csv": b"round,loss/total\n"},
    # class: our marker, but a sweep's (a sweep killed before its results): train.py takes no sweep's folder
    "a sweep's marker and config.json": {".torch_bp-run": b"torch_bp sweep 0123abcd\n",
                                         "config.json": b'{"meta": {"run_id": "0123abcd"}}\n'},
    # class: train.py's marker, but config.json holds another run id: the folder is not provably one run's
    "a marker whose config.json is another run's": {".torch_bp-run": b"torch_bp train 0123abcd\n",
                                                    "config.json": b'{"meta": {"run_id": "ffff"}}\n'},
}


@pytest.mark.parametrize("what", list(FOREIGN))
def test_a_folder_of_files_torch_bp_cannot_prove_it_wrote_is_refused(what, tmp_path, train_script,
                                                                    sweep_script, capsys):
    """Item 1: train.py deleted another tool's event file and the user's config.json (exit 0)."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    for name, data in FOREIGN[what].items():
        (folder / name).write_bytes(data)
    before = snapshot(folder)
    for script, argv in ((train_script, QUICK), (sweep_script, ["--steps", "5"])):
        status, err = run(script, capsys, *argv, "--logdir", folder)
        assert status == 2 and "--logdir" in one_line(err), err
        assert snapshot(folder) == before


def test_a_run_of_ours_stopped_before_its_first_round_is_still_taken(tmp_path, train_script, capsys):
    """The one folder train.py may clear: its own marker, its own files, no round logged."""
    folder = tmp_path / "stopped"
    folder.mkdir()
    (folder / ".torch_bp-run").write_text("torch_bp train 0123abcd\n")
    (folder / "config.json").write_text('{"meta": {"run_id": "0123abcd"}}\n')
    (folder / "history.csv").write_text("round,loss/total\n")
    status, err = run(train_script, capsys, *QUICK, "--logdir", folder)
    assert status == 0, err
    assert len((folder / "history.csv").read_text().splitlines()) == 6


# ---- 2. a dry run never writes outside its temporary folder ---------------------------------------

@pytest.fixture(scope="module")
def real_run(tmp_path_factory, train_script):
    """A real run of 5 rounds with its checkpoint: (run folder, checkpoint)."""
    base = tmp_path_factory.mktemp("real")
    assert train_script.main([*QUICK, "--save-model", str(base / "ck.pt"), "--logdir", str(base / "run")]) == 0
    return base / "run", base / "ck.pt"


@pytest.mark.parametrize("flag", ["--save-model", "--resume"])  # class: --resume, which wrote into the real run
def test_a_dry_run_refuses_a_real_runs_checkpoint(flag, real_run, train_script, capsys):
    """Item 2: --dry-run --save-model ck.pt replaced a real checkpoint with the smoke test's."""
    folder, ck = real_run
    before, ck_bytes = snapshot(folder), ck.read_bytes()
    status, err = run(train_script, capsys, "--dry-run", flag, ck)
    assert status == 2 and flag in one_line(err) and "dry run" in err, err
    assert ck.read_bytes() == ck_bytes and snapshot(folder) == before


# ---- 3. a resume proves its identity -------------------------------------------------------------

def test_resume_refuses_a_folder_that_now_holds_another_run(tmp_path, train_script, capsys):
    """Item 3: the checkpoint's folder was removed and another run took its name; resuming kept
    the other run's first rows, dropped the rest and appended."""
    folder, ck = tmp_path / "run", tmp_path / "ck.pt"
    assert run(train_script, capsys, *QUICK, "--save-model", ck, "--logdir", folder)[0] == 0
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    assert run(train_script, capsys, "--no-graph", "--steps", "12", "--lr", "0.3", "--logdir", folder)[0] == 0
    before = snapshot(folder)
    status, err = run(train_script, capsys, "--resume", ck, "--steps", "10")
    assert status == 2 and "--resume" in one_line(err) and "another run" in err, err
    assert snapshot(folder) == before


def test_resume_refuses_a_folder_whose_config_is_another_runs(tmp_path, train_script, capsys):
    """Class: the folder's marker is the checkpoint's run, but its config.json is not (copied
    over from another run): config.json was never compared with the checkpoint."""
    folder, ck = tmp_path / "run", tmp_path / "ck.pt"
    assert run(train_script, capsys, *QUICK, "--save-model", ck, "--logdir", folder)[0] == 0
    assert run(train_script, capsys, *QUICK, "--lr", "0.3", "--logdir", tmp_path / "other")[0] == 0
    (folder / "config.json").write_bytes((tmp_path / "other" / "config.json").read_bytes())
    before = snapshot(folder)
    status, err = run(train_script, capsys, "--resume", ck, "--steps", "10")
    assert status == 2 and "another run" in one_line(err), err
    assert snapshot(folder) == before


def test_resume_refuses_a_checkpoint_without_a_run_id_in_its_own_folder(tmp_path, train_script, capsys):
    """Class: a checkpoint that cannot say which run it is (older, or edited) continues no folder."""
    folder, ck = tmp_path / "run", tmp_path / "ck.pt"
    assert run(train_script, capsys, *QUICK, "--save-model", ck, "--logdir", folder)[0] == 0
    state = load_checkpoint(ck)
    del state["config"]["meta"]["run_id"]
    save_checkpoint(ck, state)
    before = snapshot(folder)
    status, err = run(train_script, capsys, "--resume", ck, "--steps", "10")
    assert status == 2 and "run id" in one_line(err), err
    assert snapshot(folder) == before
    status, err = run(train_script, capsys, "--resume", ck, "--steps", "10", "--logdir", tmp_path / "new")
    assert status == 0, err  # into a new folder it goes on


# ---- 7. the data a resumed run reads is the checkpoint's ------------------------------------------

DATA = "i1,i2,t1,t2\n0.05,0.10,0.01,0.99\n"


def test_resume_refuses_data_that_changed(tmp_path, train_script, capsys):
    """Item 7: after the CSV's targets were edited, the resumed run trained on them (exit 0)."""
    data, ck = tmp_path / "d.csv", tmp_path / "ck.pt"
    data.write_text(DATA)
    assert run(train_script, capsys, *QUICK, "--data", data, "--save-model", ck, "--logdir", tmp_path / "run")[0] == 0
    data.write_text(DATA.replace("0.99", "0.5"))
    before = snapshot(tmp_path / "run")
    status, err = run(train_script, capsys, "--resume", ck, "--steps", "10")
    assert status == 2 and "--data" in one_line(err) and "changed" in err, err
    assert snapshot(tmp_path / "run") == before


def test_a_data_path_is_stored_resolved(tmp_path, train_script, capsys, monkeypatch):
    """Item 7: --data d.csv was stored as typed, so a resume from another folder read another d.csv."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "d.csv").write_text(DATA)
    (tmp_path / "b" / "d.csv").write_text(DATA.replace("0.99", "0.5"))
    monkeypatch.chdir(tmp_path / "a")
    assert run(train_script, capsys, *QUICK, "--data", "d.csv", "--save-model", tmp_path / "ck.pt",
               "--logdir", tmp_path / "run")[0] == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"] == str(tmp_path / "a" / "d.csv")
    monkeypatch.chdir(tmp_path / "b")
    status, err = run(train_script, capsys, "--resume", tmp_path / "ck.pt", "--steps", "10")
    assert status == 0, err  # the checkpoint's file, a/d.csv, whose hash is the checkpoint's
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(rows) == 11


# ---- 4. a sweep is locked for its whole life ------------------------------------------------------

def test_train_cannot_take_a_sweeps_folder_while_it_trains(tmp_path, train_script, sweep_script, capsys,
                                                           monkeypatch):
    """Item 4: a sweep held no lock while it trained; train.py aimed at its folder deleted the
    sweep's config.json and mixed the two runs' files. train.py runs here at the moment the
    sweep starts training (its folder then holds only config.json)."""
    folder, seen = tmp_path / "sweep", {}
    real = sweep_run.sweep

    def train_meanwhile(*args, **kwargs):
        seen["status"] = train_script.main([*QUICK, "--logdir", str(folder)])
        seen["files"] = snapshot(folder)
        return real(*args, **kwargs)
    monkeypatch.setattr(sweep_run, "sweep", train_meanwhile)
    status, err = run(sweep_script, capsys, "--steps", "5", "--lr", "0.5,1", "--logdir", folder)
    assert status == 0, err
    assert seen["status"] == 2 and "config.json" in seen["files"] and "history.csv" not in seen["files"]
    assert "another run is writing there now" in err
    assert not (folder / "history.csv").exists() and len((folder / "results.csv").read_text().splitlines()) == 3
    before = snapshot(folder)  # and once the sweep is done, its folder is no run's to take either
    status, err = run(train_script, capsys, *QUICK, "--logdir", folder)
    assert status == 2 and "already holds a run" in one_line(err)
    assert snapshot(folder) == before


# ---- 5. signals are deferred over a sweep's writes ------------------------------------------------

def test_sigint_while_a_sweep_writes_its_files_keeps_every_file_whole(tmp_path, sweep_script, capsys, monkeypatch):
    """Item 5: SIGINT while the sweep wrote its files: exit 130 with a losses.npz that was not a
    zip, no events, no figures. The signal comes as the sweep starts writing losses.npz."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    real = np.savez

    def interrupted_savez(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)
    monkeypatch.setattr(sweep_run.np, "savez", interrupted_savez)
    folder = tmp_path / "sweep"
    status, err = run(sweep_script, capsys, "--steps", "5", "--lr", "0.5,1,2", "--logdir", folder)
    assert status == 130 and err.splitlines()[-1] == "sweep.py: interrupted (SIGINT)", err
    with np.load(folder / "losses.npz") as z:
        assert z["loss"].shape == (3, 2)
    assert len((folder / "results.csv").read_text().splitlines()) == 4
    assert list(folder.glob("events.out.tfevents.*")) and len(list((folder / "networks").iterdir())) == 3
    assert (folder / "figures" / "sweep.svg").exists() and (folder / "figures" / "sweep.png").exists()
    assert json.loads((folder / "config.json").read_text())["meta"]["status"] == "finished"  # every round done


def test_a_sweep_stopped_early_says_so_in_its_config(tmp_path, monkeypatch):
    """Class: a partial sweep is clearly marked: config.json's meta.status says how far it got
    (it said nothing; a sweep killed outright keeps "training")."""
    real = sweep_run.sweep
    statuses = []

    def signalled(*args, **kwargs):
        statuses.append(json.loads((tmp_path / "s" / "config.json").read_text())["meta"]["status"])
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)
    monkeypatch.setattr(sweep_run, "sweep", signalled)
    res = sweep_run.run_sweep(sweep_run.SweepConfig(steps=300, logdir=str(tmp_path / "s")), out=open(os.devnull, "w"))
    assert res.stopped and res.rounds == 100 and statuses == ["training"]
    meta = json.loads((tmp_path / "s" / "config.json").read_text())["meta"]
    assert meta["status"] == "interrupted after 100 of 300 rounds"


# ---- 6. every replacing write is atomic; OSError is one line --------------------------------------

def test_a_full_disk_under_a_sweep_is_one_line_and_no_cut_file(tmpfs, sweep_script, capsys):
    """Item 6: a full disk gave a traceback and a results.csv cut mid-row."""
    where = tmpfs("96k")  # config.json (37 kB) fits, results.csv (95 kB) does not
    status, err = run(sweep_script, capsys, "--steps", "2", "--lr", "0.01:10:1500", "--logdir", where / "s")
    line = one_line(err)
    assert status == 1 and "No space left on device" in line and "results.csv" in line, err
    files = sorted(p.name for p in (where / "s").iterdir())
    assert files == [".torch_bp-run", "config.json"], files  # results.csv whole or absent: absent
    assert json.loads((where / "s" / "config.json").read_text())["meta"]["status"] == "training"


def test_a_read_only_folder_under_a_sweep_is_one_line(tmp_path):
    """Item 6: a read-only (empty) sweep folder gave a traceback."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "sweep.py"), "--steps", "2",
                           "--logdir", str(folder)], capture_output=True, text=True, timeout=120,
                          preexec_fn=drop_file_capabilities)
    assert proc.returncode == 2 and "--logdir" in one_line(proc.stderr), proc.stderr
    assert not list(folder.iterdir())


def test_plot_on_a_full_disk_keeps_the_old_chart(tmpfs, real_run, capsys):
    """Item 6: plot.py -o over an existing chart on a full disk destroyed the old chart."""
    where = tmpfs("256k")
    chart = where / "chart.svg"
    chart.write_text("<svg>the old chart</svg>")
    fill(where)
    status, err = run(load_script("plot"), capsys, real_run[0], "-o", chart)
    assert status == 2 and "No space left" in one_line(err), err
    assert chart.read_text() == "<svg>the old chart</svg>"
    assert sorted(p.name for p in where.iterdir()) == ["chart.svg", "filler"]


# Every write in the package that replaces a file goes through core.files; these few write
# otherwise, each for its reason (a class test: a new direct write anywhere fails it).
DIRECT_WRITES = {
    "torch_bp/core/files.py": "the atomic helper itself",
    "torch_bp/training/events.py": "appends records to its own new event file",
    "torch_bp/training/folder.py": "history.csv: created with 'x', appended; the marker: O_EXCL",
    "torch_bp/training/pictures.py": "the drawing child's stderr log, a new file per drawing",
}
# a write to a path: not to `f` (atomic_file's file) or `buf` (bytes in memory)
WRITES = re.compile(r"\.write_(text|bytes)\(|savefig\((?!f\b|buf\b)|np\.savez?\((?!f\b)|open\([^)]*[\"'][wax]b?[\"']")


def test_every_replacing_write_goes_through_the_atomic_helper():
    found = [f"{p.relative_to(ROOT)}:{k}: {line.strip()}"
             for p in sorted((ROOT / "torch_bp").rglob("*.py")) if str(p.relative_to(ROOT)) not in DIRECT_WRITES
             for k, line in enumerate(p.read_text().splitlines(), 1) if WRITES.search(line)]
    assert not found, "writes that replace a file without core.files.atomic_write:\n" + "\n".join(found)


# ---- 11. an inherited SIG_IGN stays ignored -------------------------------------------------------

@pytest.fixture
def restore_handlers():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    state = dict(torch_bp_launch._state)
    yield
    for s, h in saved.items():
        signal.signal(s, h)
    torch_bp_launch._state.update(state)


def test_catch_leaves_an_ignored_signal_ignored(restore_handlers):
    """Item 11: a nohup run stopped on SIGHUP (129); a run backgrounded from a script, on SIGINT."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch_bp_launch.catch("x")
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is torch_bp_launch._handle


def test_deferred_as_a_library_leaves_an_ignored_signal_ignored(restore_handlers):
    """Class: deferred() without catch() (torch_bp as a library) installs its handlers only
    over signals that are not ignored, and puts back what was there."""
    torch_bp_launch._state["installed"] = False
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with torch_bp_launch.deferred():
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is torch_bp_launch._handle
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN


def test_nohup_keeps_a_run_going_through_sighup(tmp_path):
    """Item 11, for real: a process started with SIGHUP ignored (as nohup starts it) shows
    SIGHUP ignored, not caught, once its handlers are installed (SIGTERM caught)."""
    code = ("import signal, sys, torch_bp_launch as s; s.catch('x'); "
            "print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN, signal.getsignal(signal.SIGTERM) is s._handle)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    assert proc.stdout.split() == ["True", "True"], proc.stderr


# ---- 12. bounded by construction --------------------------------------------------------------------

@pytest.mark.parametrize("script, argv", [
    ("train", ["--sizes", "2,1000000,1000000,2", "--dry-run"]),  # 2,100000,100000,2: an allocator traceback
    ("sweep", ["--lr", "0.1:1:1000000", "--steps", "100000000", "--log-interval", "1"]),  # class: the sweep's logged errors
])
def test_memory_is_estimated_before_it_is_allocated(script, argv, tmp_path, capsys):
    """Item 12: too large for this machine: one line giving the estimate, nothing written."""
    status, err = run(load_script(script), capsys, *argv, "--logdir", tmp_path / "run")
    assert status == 2 and "GiB of memory" in one_line(err) and "--sizes" in err, err
    assert not (tmp_path / "run").exists()


def test_an_error_line_caps_the_value_it_echoes(capsys, train_script):
    """Item 12: an error line echoed a 50-100 MB bad value in full."""
    with pytest.raises(SystemExit):
        train_script.main(["--lr", "x" * 1_000_000])
    line = one_line(capsys.readouterr().err)
    assert len(line) < 300 and "1,000,000 characters" in line


def test_an_input_file_is_read_with_a_size_cap(tmp_path, capsys, train_script, monkeypatch):
    """Item 12: --data /dev/zero read until the OOM killer came (here the cap is made small)."""
    from torch_bp.core import files
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr(files.read_bytes_capped, "__defaults__", (1000,))
    monkeypatch.setattr(files.read_text_capped, "__defaults__", (1000,))
    status, err = run(train_script, capsys, "--dry-run", "--data", "/dev/zero")
    assert status == 2 and "larger than" in one_line(err), err


# ---- 13. one line where one line is promised ------------------------------------------------------

def test_plot_on_a_deeply_nested_config_is_one_line(real_run, tmp_path, capsys):
    """Item 13: a deeply nested config.json gave plot.py a RecursionError traceback."""
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "history.csv").write_bytes((real_run[0] / "history.csv").read_bytes())
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    status, err = run(load_script("plot"), capsys, folder, "-o", tmp_path / "c.png")
    assert status == 2 and "malformed" in one_line(err), err


def test_every_error_line_is_capped_whatever_the_message(capsys):
    """Item 12, class: a message that echoes its value uncut (sweep.py's --figure-size printed
    its text with !r), caught by the cap on every error line (fail and ArgumentParser.error)."""
    with pytest.raises(SystemExit):
        load_script("sweep").main(["--figure-size", "1," * 500_000 + "1"])
    line = one_line(capsys.readouterr().err)
    assert len(line) < 1500 and "characters" in line and line.endswith("(see --help)"), line[:200]


def test_a_sweep_of_many_seeds_prints_a_bounded_summary(tmp_path):
    """Item 12: 10,000 seeds printed 10,003 lines; now ~10 seed lines, then one for all."""
    out = io.StringIO()
    run = sweep_run.SweepRun(SweepConfig(seeds=tuple(range(40)), lr=(0.1, 1.0), steps=2, logdir=str(tmp_path / "s")),
                             out=out, err=io.StringIO())
    result = run.run()
    run.close()
    run.print_summary(result)
    lines = out.getvalue().splitlines()
    seed_lines = [ln for ln in lines if ln.startswith("seed ")]
    assert len(seed_lines) == sweep_run.SHOWN_SEEDS and len(lines) <= sweep_run.SHOWN_SEEDS + 4, lines
    assert any("all 40 seeds" in ln and "30 more seeds" in ln for ln in lines), lines


@pytest.mark.parametrize("argv, said", [
    (["--lr", "0.01:1:100000000"], "COUNT must be in [1, 1,000,000]"),  # 10^8 η: minutes of geomspace, then gigabytes
    (["--seeds", "0:1000000000"], "1,000,000,000 seeds, more than the 10,000"),  # class: the seeds' range, built whole
])
def test_a_sweeps_counts_are_bounded_before_anything_is_built(argv, said, sweep_script, tmp_path, capsys):
    """Item 12: sweeps of 10^7-10^9 η (or seeds) ran for minutes with nothing said; now refused
    at once, one line, no folder."""
    with pytest.raises(SystemExit) as e:
        sweep_script.main([*argv, "--logdir", str(tmp_path / "s")])
    assert e.value.code == 2 and said in one_line(capsys.readouterr().err)
    assert not (tmp_path / "s").exists()


def test_a_sweep_config_bounds_its_counts_as_a_library():
    """Item 12, class: the library's own door (SweepConfig), not only the command line's."""
    from torch_bp.training.config import ConfigError, validate
    with pytest.raises(ConfigError, match="10,001 values, more than the 10,000"):
        validate(SweepConfig(seeds=tuple(range(10_001))))
    validate(SweepConfig(seeds=tuple(range(10_000))))


def test_explain_rounds_are_bounded(capsys):
    """Item 12: explain.py --rounds 10^12 ran with no bound and no progress."""
    from torch_bp.explain import report
    with pytest.raises(SystemExit) as e:
        load_script("explain").main(["--rounds", "1,1000000000000"])
    assert e.value.code == 2 and f"rounds up to {report.MAX_ROUNDS:,}" in one_line(capsys.readouterr().err)
    with pytest.raises(ValueError, match="past the last round"):  # class: the library's worked_example
        report.worked_example(rounds=(1, report.MAX_ROUNDS + 1))


@pytest.mark.parametrize("flag", ["--logdir", "--save-model"])  # class: --save-model, which failed at the run's end
def test_a_path_part_longer_than_a_file_name_is_refused_up_front(flag, tmp_path, train_script, capsys):
    """Item 13: a 300-byte --logdir name failed mid-set-up ("File name too long", exit 1); now
    the setting's rule refuses it (exit 2), and nothing is written."""
    argv = ["--logdir", tmp_path / "run", flag, tmp_path / ("é" * 150)]  # 150 characters, 300 bytes
    status, err = run(train_script, capsys, *QUICK, *argv)
    assert status == 2 and "at most 255 bytes" in one_line(err) and flag in err, err
    assert list(tmp_path.iterdir()) == []


class DeletingOutput(io.StringIO):
    """A terminal at which someone deletes the run folder once round `r`'s line is shown."""

    def __init__(self, folder: Path, r: int):
        super().__init__()
        self.folder, self.line = folder, f"{r:>7}  "

    def write(self, text):
        if text.startswith(self.line):
            shutil.rmtree(self.folder)
        return super().write(text)


def test_a_run_whose_folder_is_deleted_stops_saying_so(tmp_path, monkeypatch):
    """Item 13: the run folder deleted mid-run: the run went on writing into unlinked files,
    printed "finished ... logs: RUN/", then the figures child's start ended in a traceback. Now
    the next flush finds history.csv gone: one line (RunFailed), the folder named as gone."""
    from torch_bp.training import pictures
    from torch_bp.training.trainer import RunFailed, train
    folder = tmp_path / "run"
    with pytest.raises(RunFailed, match="history.csv: deleted while the run wrote it; stopped, the run folder is gone"):
        train(TrainConfig(steps=600, logdir=str(folder)), out=DeletingOutput(folder, 300), err=io.StringIO())
    monkeypatch.setenv("TORCH_BP_FIGURES", "1")  # class: the pictures of a run whose folder went at its very end
    assert pictures.start(folder) is None and not folder.exists()


# ---- 14. output failures are about output ---------------------------------------------------------

class FailingOutput(io.StringIO):
    """A terminal that takes `lines` lines, then fails as a pipe whose reader has gone does."""

    def __init__(self, lines: int):
        super().__init__()
        self.left = lines

    def write(self, text):
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= text.count("\n")
        return super().write(text)


def test_a_failing_output_stops_the_run_with_its_files_whole(tmp_path):
    """Item 14: a run whose terminal fails stops after that round, its logs whole and its
    checkpoint written (the run folder has nothing to do with it)."""
    from torch_bp.training.trainer import train
    ck = tmp_path / "ck.pt"
    result = train(TrainConfig(steps=3000, logdir=str(tmp_path / "run"), save_model=str(ck)),
                   out=FailingOutput(3), err=io.StringIO())
    assert isinstance(result.output_failed, BrokenPipeError) and result.checkpoint == str(ck)
    assert result.rounds < 3000 and load_checkpoint(ck)["round"] == result.rounds
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert int(rows[-1].split(",")[0]) == result.rounds and len({r.count(",") for r in rows}) == 1


def command(script: str, *argv, shell_redirect: str = "", env=None) -> subprocess.CompletedProcess:
    line = " ".join([sys.executable, str(ROOT / "scripts" / f"{script}.py"), *map(str, argv)])
    return subprocess.run(["bash", "-c", f"{line} {shell_redirect}"], capture_output=True, text=True,
                          timeout=120, env=env)


def test_train_into_a_closed_pipe_says_standard_output(tmp_path):
    """Item 14: `train.py | head -3` said the run folder failed and named a checkpoint that did
    not exist; now one line naming standard output, exit 1, its files whole, no --resume."""
    # Rounds without end: the run cannot finish into the pipe's buffer before the test, descheduled
    # on a loaded machine, closes its end; it stops only at the next table row after the close.
    p = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "train.py"), "--steps", "100000000", "--logdir",
                          str(tmp_path / "run"), "--no-graph"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3):
        p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=120) == 1
    line = one_line(err)
    assert "standard output failed (Broken pipe)" in line and "--resume" not in line, line
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert f"round {rows[-1].split(',')[0]}," in line


def test_train_into_a_full_disk_names_its_checkpoint(tmp_path):
    """Item 14: stdout on /dev/full: one line, exit 1, the checkpoint written and named."""
    ck = tmp_path / "ck.pt"
    r = command("train", "--steps", "600", "--logdir", tmp_path / "run", "--save-model", ck,
                shell_redirect=">/dev/full")
    line = one_line(r.stderr)
    assert r.returncode == 1 and "standard output failed (No space left on device)" in line, line
    assert f"--resume {ck} continues it" in line and load_checkpoint(ck)["round"] >= 1


def test_a_closed_standard_output_is_refused_at_the_start(tmp_path):
    """Item 14 (and 13: `train.py >&-` ended a finished run in a traceback): exit 2, nothing written."""
    r = command("train", "--steps", "5", "--logdir", tmp_path / "run", shell_redirect=">&-")
    assert r.returncode == 2 and "standard output is closed" in one_line(r.stderr)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("script", ["sweep", "plot"])  # plot: the launcher's catch for every command
def test_other_commands_on_a_full_output_say_standard_output(script, real_run, tmp_path):
    """Item 14, class: sweep.py, plot.py (and explain.py) on /dev/full ended in a traceback."""
    argv = ["--steps", "3", "--logdir", tmp_path / "s"] if script == "sweep" else [real_run[0], "-o", tmp_path / "c.svg"]
    r = command(script, *argv, shell_redirect=">/dev/full")
    assert r.returncode == 1 and "standard output failed (No space left on device)" in one_line(r.stderr)


@pytest.mark.parametrize("script", ["explain", "sweep"])
def test_the_c_locale_writes_the_notation(script, tmp_path):
    """Item 13: under LC_ALL=C PYTHONUTF8=0 explain.py ended in a UnicodeEncodeError traceback,
    and sweep.py wrote everything, then said "bad input" (exit 2)."""
    argv = ["--steps", "3", "--logdir", tmp_path / "s"] if script == "sweep" else ["--second-order"]  # its fastest page
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / f"{script}.py"), *map(str, argv)],
                       capture_output=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stderr == b"", r.stderr[-500:]
    assert "η".encode() in r.stdout


def test_a_signal_to_the_figures_child_is_one_line_in_its_log(real_run, tmp_path, monkeypatch):
    """Item 13: SIGINT to the run's figures child left a 136-line traceback in drawing.log; it
    now starts through torch_bp_launch like every command. Signalled once torch is loaded
    (its library mapped), a moment it has surely reached, so no race with its start."""
    from torch_bp.training import pictures
    monkeypatch.setenv("TORCH_BP_FIGURES", "1")
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("history.csv", "config.json"):
        (folder / name).write_bytes((real_run[0] / name).read_bytes())
    child = pictures.start(folder)
    maps = Path(f"/proc/{child.pid}/maps")
    while child.poll() is None and "libtorch" not in maps.read_text():
        time.sleep(0.01)
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=120) == 130
    assert one_line((folder / "figures" / pictures.LOG).read_text()) == "figures: interrupted (SIGINT)"


def test_history_is_read_into_an_array_not_python_floats(tmp_path):
    """Item 12: the figures child and plot.py held ~2.2 KB per history row (a Python float and
    string per value: 1.1 GB at 500k rows); now numpy parses straight into the array (24 columns:
    192 bytes a row), and plot.py reads 2 columns. The cut last line is still left out."""
    import tracemalloc
    from torch_bp.viz.figures import read_history
    rows, columns = 10_000, [f"c{i}" for i in range(24)]
    values = np.random.default_rng(0).standard_normal((rows, 24))
    values[5, 3], values[7, 4] = np.nan, -np.inf
    text = "\n".join(",".join(map(repr, row)) for row in values.tolist())
    (tmp_path / "history.csv").write_text(",".join(columns) + "\n" + text + "\n" + "1,0.5,0.2")  # a cut last row
    tracemalloc.start()
    names, data = read_history(tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert names == columns and data.shape == (rows, 24) and peak < 500 * rows + 2**20, f"{peak / rows:.0f} bytes a row"
    np.testing.assert_array_equal(data, values)  # every value exactly, nan and -inf included
    names, two = read_history(tmp_path, ["c3", "c0"])
    assert names == ["c3", "c0"] and two.shape == (rows, 2)
    np.testing.assert_array_equal(two, values[:, [3, 0]])


@pytest.mark.parametrize("flag", ["--check", "--weights"])
def test_explain_input_files_are_capped_and_named_once(flag, tmp_path, capsys, monkeypatch):
    """Item 12: --check /dev/zero was refused, but its line named "--check /dev/zero:" twice."""
    from torch_bp.core import files
    monkeypatch.setattr(files.read_bytes_capped, "__defaults__", (1000,))
    monkeypatch.setattr(files.read_text_capped, "__defaults__", (1000,))
    status, err = run(load_script("explain"), capsys, flag, "/dev/zero")
    line = one_line(err)
    assert status == 2 and "larger than 1,000 bytes" in line and line.count("/dev/zero") == 1, line


@pytest.mark.parametrize("device", ["xpu", "hpu", "mtia", "privateuseone"])
def test_a_sweep_on_a_device_this_torch_lacks_is_one_line(device, sweep_script, tmp_path, capsys):
    """Item 13: sweep.py --device xpu|hpu|mtia|privateuseone ended in a traceback."""
    with pytest.raises(SystemExit) as e:
        sweep_script.main(["--device", device, "--steps", "2", "--logdir", str(tmp_path / "s")])
    assert e.value.code == 2 and "--device" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "s").exists()


def test_a_csv_cell_over_the_field_limit_is_one_line(tmp_path, train_script, capsys):
    """Item 13: a CSV cell over 131,072 characters ended in a _csv.Error traceback."""
    (tmp_path / "d.csv").write_text("x1,x2,t1,t2\n" + "1" * 140_000 + ",0,0,1\n")
    status, err = run(train_script, capsys, "--dry-run", "--data", tmp_path / "d.csv")
    assert status == 2 and "field" in one_line(err), err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])  # class: SIGHUP, a closed terminal
def test_plot_on_a_signal_is_one_line(signum, real_run, tmp_path):
    """Item 13: plot.py on Ctrl-C: one line and exit 130 (129 for SIGHUP), no traceback, no
    chart. Signalled once torch is loaded, a moment it has surely reached."""
    p = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "plot.py"), str(real_run[0]), "-o",
                          str(tmp_path / "c.png")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    maps = Path(f"/proc/{p.pid}/maps")
    while p.poll() is None and "libtorch" not in maps.read_text():
        time.sleep(0.01)
    p.send_signal(signum)
    err = p.stderr.read()
    assert p.wait(timeout=120) == 128 + signum
    assert one_line(err) == f"plot.py: interrupted ({signal.Signals(signum).name})"
    assert not (tmp_path / "c.png").exists()

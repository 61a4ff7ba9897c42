"""A resumed run keeps every setting of the original the user did not change (its checkpoint
path and check_grads too), and nothing logged is ever dropped: history.csv's rows after the
checkpoint's round go to history.after-round-<round>.csv, and one line says where (issue 23)."""
import io
import shutil

import pytest
from logs import read_history

from torch_bp.training import TrainConfig, train
from torch_bp.training.resume import resumed

SAVED = {**TrainConfig(steps=50, save_model="/runs/a/ck.pt", save_interval=10, check_grads=True).to_dict(),
         "sizes": [2, 2, 2], "logdir": "/runs/a"}


def test_resume_keeps_the_checkpoint_path_its_interval_and_the_gradient_check():
    cfg = resumed(TrainConfig(resume="/runs/a/ck.pt", steps=100), SAVED)
    assert (cfg.save_model, cfg.save_interval, cfg.check_grads, cfg.steps) == ("/runs/a/ck.pt", 10, True, 100)


def test_resume_into_a_new_folder_never_writes_the_old_runs_checkpoint():
    cfg = resumed(TrainConfig(resume="/runs/a/ck.pt", logdir="/runs/b"), SAVED)
    assert (cfg.save_model, cfg.save_interval, cfg.check_grads, cfg.logdir) == (None, None, True, "/runs/b")


def quiet(cfg: TrainConfig):
    err = io.StringIO()
    train(cfg, out=io.StringIO(), err=err)
    return err.getvalue()


@pytest.fixture
def checked_run(tmp_path):
    """A 20-round run with the gradient check, checkpointed at its end; a copy of that checkpoint."""
    ck = tmp_path / "ck.pt"
    quiet(TrainConfig(steps=20, check_grads=True, save_model=str(ck), logdir=str(tmp_path / "run"), graph=False))
    shutil.copy(ck, tmp_path / "old.pt")
    return tmp_path


def test_resumed_twice_from_an_older_checkpoint_loses_no_row(checked_run):
    run = checked_run / "run"
    # resumed with --steps only: the gradient check and the checkpoint path are the original's
    assert quiet(TrainConfig(resume=str(checked_run / "ck.pt"), steps=35)) == ""
    assert read_history(run)["round"] == list(range(1, 36)) and "check/max_abs_diff" in read_history(run)
    # the checkpoint went on with it: round 35, not the original's 20
    err = quiet(TrainConfig(resume=str(checked_run / "ck.pt"), steps=40))
    assert err == "" and read_history(run)["round"] == list(range(1, 41))
    # the older checkpoint (round 20): rounds 21-40 are kept aside, and one line says where
    err = quiet(TrainConfig(resume=str(checked_run / "old.pt"), steps=25))
    aside = run / "history.after-round-20.csv"
    assert err == f"note: history.csv went on past the checkpoint's round 20: its rounds 21-40 are kept in {aside}\n"
    assert read_history(run)["round"] == list(range(1, 26))
    kept = aside.read_text().splitlines()
    assert kept[0] == (run / "history.csv").read_text().splitlines()[0] and [int(r.split(",")[0]) for r in kept[1:]] == list(range(21, 41))
    # and again from it: the first file stays, a second one holds this resume's rows
    quiet(TrainConfig(resume=str(checked_run / "old.pt"), steps=22))
    assert aside.exists() and [int(r.split(",")[0]) for r in
                               (run / "history.after-round-20-2.csv").read_text().splitlines()[1:]] == [21, 22, 23, 24, 25]

"""The dashboard command (`make dashboard`, `make sweep-dashboard`): which folder, which flags,
which address; TensorBoard itself is replaced by a stand-in that records its argv."""
import pytest

from torch_bp.cli import dashboard as command
from torch_bp.training import dashboard
from torch_bp.training.folder import MARKER


@pytest.fixture
def started(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(command.os, "execv", lambda path, argv: calls.append(argv))
    return calls


@pytest.mark.parametrize("flags, folder, address", [
    ([], "runs", dashboard.DASHBOARD_URL), (["--sweeps"], "sweeps", "http://localhost:6006/#hparams")])
def test_runs_and_sweeps_each_have_their_dashboard(started, tmp_path, capsys, flags, folder, address):
    (tmp_path / folder).mkdir()
    command.main(flags)
    (argv,) = started
    assert argv[1:] == ["--logdir", folder, "--host", "localhost", "--port", "6006",
                        "--samples_per_plugin", "scalars=100000,images=100"]
    assert capsys.readouterr().out == f"open {address}\n"


def test_a_sweep_left_in_runs_is_named(started, tmp_path, capsys):
    old = tmp_path / "runs" / "20250101-000000_sweep_1000lr"
    old.mkdir(parents=True)
    (old / MARKER).write_text("torch_bp sweep 0123abcd\n")
    command.main(["--port", "6007"])
    err = capsys.readouterr().err
    assert err == f"note: {'runs/' + old.name} is a sweep; move it to sweeps/ (`make sweep-dashboard`) to keep " \
                  "this dashboard on the training runs\n"
    assert started[0][started[0].index("--port") + 1] == "6007"


def test_no_folder_yet_is_one_line(started, capsys):
    assert command.main(["--sweeps"]) == 2 and started == []
    assert capsys.readouterr().err == "dashboard.py: error: sweeps: no such folder; `sweep.py` makes it with its first run\n"

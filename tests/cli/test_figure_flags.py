"""--figure-size W,H and --dpi wherever a command draws (issue 23: the pictures had no size
option): train.py hands them to the child that draws figures/, which draws every picture at
that size; the default is each picture's slide. --help descriptions are whole sentences."""
import pytest
from PIL import Image

from torch_bp.cli import figures as figures_command
from torch_bp.cli import plot, train
from torch_bp.training import pictures


def test_train_hands_the_size_and_dpi_to_the_drawing_child(tmp_path, monkeypatch):
    started = []
    monkeypatch.setenv("TORCH_BP_FIGURES", "1")
    monkeypatch.setattr(pictures.subprocess, "Popen", lambda argv, **kw: started.append(argv))
    assert train.main(["--steps", "3", "--logdir", str(tmp_path / "r"), "--figure-size", "8,4.5", "--dpi", "50"]) == 0
    assert started and started[0][-4:] == ["--figure-size", "8.0,4.5", "--dpi", "50"]
    started.clear()
    assert train.main(["--steps", "3", "--logdir", str(tmp_path / "s")]) == 0
    assert "--figure-size" not in started[0] and started[0][-2:] == ["--dpi", "96"]


def test_figures_draws_every_picture_at_the_size_given_else_its_slide(tmp_path, train_script):
    run = tmp_path / "r"
    assert train_script.main(["--steps", "5", "--logdir", str(run), "--no-graph"]) == 0
    assert figures_command.main([str(run)]) == 0
    sizes = {p.stem: Image.open(p).size for p in (run / "figures").glob("*.png")}
    assert sizes == {"loss": (960, 540), "parameters": (960, 540), "network-first": (1280, 720),
                     "network-last": (1280, 720)}
    assert figures_command.main([str(run), "--figure-size", "8,4.5", "--dpi", "50"]) == 0
    assert {Image.open(p).size for p in (run / "figures").glob("*.png")} == {(400, 225)}


@pytest.mark.parametrize("command", [train, plot, figures_command])
def test_a_bad_figure_size_is_one_line(command, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        command.main([str(tmp_path), "--figure-size", "8"] if command is not train else ["--figure-size", "8"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.splitlines()) == 1 and "--figure-size" in err


@pytest.mark.parametrize("command", [plot, figures_command])
def test_help_describes_the_command_in_whole_sentences(command, capsys):
    """plot.py's --help stopped mid-sentence ("... labelled by the settings in")."""
    with pytest.raises(SystemExit):
        command.main(["--help"])
    description = " ".join(capsys.readouterr().out.split("\n\n")[1].split())
    assert description.endswith(".") and len(description) > 80

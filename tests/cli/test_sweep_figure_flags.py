"""sweep.py's figure options: --figure-size W,H (inches) and --dpi (issue 23: pictures had no size option)."""
import re

import pytest
from PIL import Image

from torch_bp.cli import sweep as command


def test_figure_size_and_dpi_reach_the_files(tmp_path, capsys):
    logdir = tmp_path / "s"
    assert command.main(["--lr", "0.1,0.5,2", "--steps", "5", "--logdir", str(logdir),
                         "--figure-size", "8,4.5", "--dpi", "50"]) == 0
    assert Image.open(logdir / "figures" / "sweep.png").size == (400, 225)
    head = (logdir / "figures" / "sweep.svg").read_text()[:2000]
    assert re.search(r'width="576pt" height="324pt"', head)


@pytest.mark.parametrize("flags", [["--figure-size", "8"], ["--figure-size", "0,4"], ["--dpi", "0"]])
def test_a_bad_figure_option_is_one_line(tmp_path, capsys, flags):
    with pytest.raises(SystemExit) as e:
        command.main(["--logdir", str(tmp_path / "s"), *flags])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.splitlines()) == 1 and flags[0] in err
    assert not (tmp_path / "s").exists()

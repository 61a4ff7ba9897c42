"""The edge of stability (core/edge.py, scripts/edge_of_stability.py): the numbers that
docs/second-order.md states and its figure shows, measured; the command's formats and bad input.

The documented run measures λ_max every 20 rounds; this test measures every 100th round of the
same run (rounds 1, 101, 201, ...: a subset of the figure's points; measuring λ_max does not
change the run), so its bands hold on the figure's points too."""
import json

import pytest
import torch
from second_order_oracles import one_thread  # noqa: F401
from tolerances import EXACT_ISH

from torch_bp.cli import edge
from torch_bp.core.curve import CurveNet, curve_data
from torch_bp.core.edge import EDGE_LRS, EDGE_STEPS, EDGE_STRETCH, edge_of_stability, summarize
from torch_bp.core.hessian import hessian

BAND = (0.9, 1.1)  # at the edge: λ_max / (2/η) within this band over rounds EDGE_STRETCH..EDGE_STEPS


@pytest.fixture(scope="module")
def documented_run():
    assert EDGE_LRS == (0.1, 0.2, 0.4, 0.5) and EDGE_STEPS == 3000 and EDGE_STRETCH == 1001
    return edge_of_stability(EDGE_LRS, EDGE_STEPS, interval=100)


def test_sharpness_rises_to_two_over_lr_and_hovers(documented_run):
    below, rising, thrown, past = summarize(documented_run)
    # η = 0.2 starts below 2/η = 10, reaches 0.95 · 2/η by round 501 and stays in the band
    assert rising.sharpness_first < 0.9 * rising.two_over_lr and rising.first_at_edge == 501
    assert BAND[0] <= rising.ratio_min and rising.ratio_max <= BAND[1], rising
    # η = 0.4 starts above 2/η = 5: thrown down to the edge, it stays in the band
    assert thrown.sharpness_first > 1.5 * thrown.two_over_lr
    assert BAND[0] <= thrown.ratio_min and thrown.ratio_max <= BAND[1], thrown
    # both keep learning, E falling from 0.19 to about 1e-3
    assert rising.loss_last < 2e-3 and thrown.loss_last < 1e-2
    # η = 0.1: λ_max keeps rising but stays far below 2/η = 20
    assert below.diverged_at is None and below.ratio_max < 0.6
    # η = 0.5: 2/η = 4 is far below λ_max at the start: diverged in 13 rounds
    assert past.diverged_at == 13 and past.loss_last is None


def test_sharpness_is_the_largest_eigenvalue_of_the_hand_hessian(documented_run):
    """Round 1: every network is CurveNet(seed 0) on the curve's points."""
    model = CurveNet()
    H = hessian(model, *curve_data()).total
    torch.testing.assert_close(documented_run.sharpness[:, 0], torch.linalg.eigvalsh(H)[-1].expand(4), **EXACT_ISH)


def test_json_and_figure(tmp_path, capsys):
    figure = tmp_path / "edge.svg"
    argv = ["--lr", "0.2,0.9", "--steps", "60", "--stretch-from", "41", "--format", "json", "--figure", str(figure)]
    assert edge.main(argv) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert [n["lr"] for n in doc["networks"]] == [0.2, 0.9] and doc["setting"]["steps"] == 60
    assert doc["networks"][1]["diverged_at"] is not None and doc["networks"][1]["loss_last"] is None
    svg = figure.read_text()
    assert "2/η = 10 (η = 0.2)" in svg and "diverges" in svg  # labels are text in the SVG


@pytest.mark.parametrize("argv, says", [
    (["--lr", "0"], "--lr"), (["--lr", "0.1,-1"], "--lr"), (["--lr", "x"], "--lr"), (["--lr", "nan"], "--lr"),
    (["--lr", ""], "--lr"), (["--steps", "0"], "--steps"), (["--steps", "1.5"], "--steps"),
    (["--sharpness-interval", "0"], "--sharpness-interval"), (["--stretch-from", "0"], "--stretch-from"),
    (["--stretch-from", "4000"], "--stretch-from"), (["--sizes", "2,8,1"], "--sizes"), (["--sizes", "1"], "--sizes"),
    (["--sizes", "1,x,1"], "--sizes"), (["--points", "0"], "--points"), (["--seed", "-1"], "--seed"),
    (["--figure", ""], "--figure"), (["--figure", "{tmp}/edge.txt"], "--figure"),
    (["--figure", "{tmp}/no/such/folder/edge.svg"], "--figure"), (["--figure", "{tmp}"], "--figure"),
    (["--format", "xml"], "--format"), (["--bogus"], "--bogus"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_input_is_one_line_and_status_2(argv, says, tmp_path, capsys):
    argv = ["--steps", "3", "--stretch-from", "1"] + [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        status = edge.main(argv)
    except SystemExit as e:  # argparse's own refusal
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and err.startswith("edge_of_stability.py: error: "), err
    assert says in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_script_is_the_command(run_script, tmp_path):
    """scripts/edge_of_stability.py runs torch_bp.cli.edge through torch_bp_launch: a bad flag
    from a real process is one line and status 2, no traceback, no figure."""
    proc = run_script("edge_of_stability", "--steps", "3", "--figure", tmp_path / "x.txt", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--figure" in proc.stderr, proc.stderr
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []

"""What the terminal shows (torch_bp.training.console), without a run: the error table's
numbers at every size, the slide-40 column only from round 0, every row's outputs accounted for."""
import io
import re
from types import SimpleNamespace

import pytest
import torch

from torch_bp.core.deck import DECK_ERROR_TABLE
from torch_bp.training.config import Status
from torch_bp.training.console import SHOWN_ROWS, Console


def console(start=0, deck=True, rows=1):
    inputs = torch.arange(2.0 * rows, dtype=torch.float64).reshape(rows, 2)
    return Console(io.StringIO(), io.StringIO(), steps=10_000, start=start, deck=deck, inputs=inputs,
                   targets=inputs + 0.5)


@pytest.mark.parametrize("loss", [0.298371109, 3.51018783e-05, 4.21234567e-10, 1.52345678e-13, 12.3456789])
def test_a_row_shows_small_errors_to_nine_digits(loss):
    c = console()
    c.row(7, loss)
    shown = c.out.getvalue().split()[1]
    assert float(shown) == pytest.approx(loss, rel=1e-8), shown  # not 0.000000000
    assert len(re.sub(r"e.*|[-.]|^0\.0*", "", shown)) >= 8, shown


def test_the_slide_40_column_only_from_round_0():
    fresh, resumed, other = console(start=0), console(start=600), console(start=0, deck=False)
    for c in (fresh, resumed, other):
        c.header()
        c.row(900, 0.0017)
    assert "slide 40" in fresh.out.getvalue() and DECK_ERROR_TABLE[900] in fresh.out.getvalue()
    for c in (resumed, other):
        assert "slide 40" not in c.out.getvalue() and DECK_ERROR_TABLE[900] not in c.out.getvalue()


@pytest.mark.parametrize("rows", [1, 4, SHOWN_ROWS, 20])
def test_the_summary_shows_what_it_says_it_shows(rows):
    c = console(rows=rows)
    outputs = [[0.25 + k, 0.75] for k in range(rows)]
    result = SimpleNamespace(status=Status.FINISHED, rounds=10, final_loss=0.01, outputs=outputs,
                             logdir="runs/x", figures=None)
    c.summary(result, None)
    out = c.out.getvalue()
    listed = re.findall(r"^  inputs \[.*\] -> outputs \[(.*?)\]", out, re.M)
    if rows == 1:
        assert "outputs = [0.250000000, 0.750000000]" in out and not listed
        return
    said = re.search(r"outputs = (\d+) rows, (below|the first (\d+) below)", out)
    assert said and int(said.group(1)) == rows, out
    assert len(listed) == (rows if said.group(2) == "below" else int(said.group(3))) == min(rows, SHOWN_ROWS)
    assert listed[0] == "0.250000000, 0.750000000"
    if rows > SHOWN_ROWS:
        assert f"… {rows - SHOWN_ROWS} more rows" in out

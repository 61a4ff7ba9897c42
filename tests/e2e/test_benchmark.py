"""scripts/benchmark.py --quick: a smoke test that every table and target line is printed with
numbers, and the JSON holds them too. No timing is asserted (the machine is shared)."""
import json
import re

import pytest

from conftest import load_script

NUMBER = r"[0-9][0-9,]*\.?[0-9]*"


HEADINGS = {"train": ("== train:", "Per round, no setup", "Whole runs of", "train()'s logging"),
            "sharpness": ("== sharpness:", "The default run, 300 rounds", "A sweep's training"),
            "scale": ("== scale:", "How the cost grows with the batch")}
# --quick measures batch 256 but not 4096: three train targets, the sharpness one, two scale ones and one n/a
TARGETS = {"train": ["train"] * 3, "sharpness": ["sharpness"], "scale": ["scale"] * 3}


@pytest.mark.parametrize("section", list(HEADINGS))
def test_quick_benchmark_prints_every_table_and_target(section, tmp_path, capsys):
    """One section a test, so that pytest-xdist's workers share them."""
    out_json = tmp_path / "bench.json"
    assert load_script("benchmark").main(["--quick", "--section", section, "--json", str(out_json)]) == 0
    out = capsys.readouterr().out

    for heading in (*HEADINGS[section], "== targets =="):
        assert heading in out, f"heading {heading!r} missing from:\n{out}"
    verdicts = re.findall(r"^\s+(PASS|MISS|n/a)\s+(train|sharpness|scale): .*\(target ", out, re.M)
    assert [v[1] for v in verdicts] == TARGETS[section], out
    figures = json.loads(out_json.read_text())
    assert len(figures["targets"]) == len(TARGETS[section])
    if section == "train":
        for row in ("manual backend: ManualSGD", "autograd backend: AutogradSGD",
                    "plain loop without logging", "plain loop: nn.Module, backward, optim.SGD, add_scalar"):
            assert re.search(rf"{re.escape(row)}.*\s{NUMBER}\s+{NUMBER}\s+{NUMBER}×", out), f"no figures for {row!r}"
        assert re.search(rf"train\(\): manual backend, logging every round\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}×", out)
        assert re.search(rf"written per round: events {NUMBER} B \+ history.csv {NUMBER} B\s+{NUMBER} B", out)
        assert re.search(rf"python scripts/train.py --steps 300 .*\s{NUMBER}\s+{NUMBER}$", out, re.M), "no process figures"
        assert set(figures["train"]["us_per_round"]) == {"manual", "autograd", "plain", "plain+add_scalar"}
        assert all(v > 0 for v in figures["train"]["us_per_round"].values())
        assert figures["train"]["logging"]["event_bytes_per_round"] > 0
        assert figures["train"]["processes"]["train_over_plain"] > 0
    elif section == "sharpness":
        assert re.search(rf"ratio, with ÷ without\s+{NUMBER}$", out, re.M), "no sharpness ratio"
        assert figures["sharpness"]["run_ratio"] > 0 and figures["sharpness"]["interval"] == 1000
    else:
        assert re.search(rf"^\s+256\s+(\s*{NUMBER}){{8}}\s*$", out, re.M), "no scale row for batch 256"
        assert verdicts[-1][0] == "n/a"  # batch 4096 is not measured by --quick
        peaks = figures["scale"]["batches"]["256"]["peak_kib"]
        assert peaks["manual"] > 0 and peaks["autograd"] > 0  # the gradients alone are ~7 MiB


def test_section_all_is_every_section_and_the_default_leaves_out_the_sweep():
    command = load_script("benchmark")
    assert command.sections("all") == list(command.bench.SECTIONS) and "sweep" in command.sections("all")
    assert "sweep" not in command.sections(None) and command.sections(None)
    assert command.sections("sweep") == ["sweep"]

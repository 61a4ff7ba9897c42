"""scripts/benchmark.py --quick: a smoke test that every table and target line is printed with
numbers, and the JSON holds them too. No timing is asserted (the machine is shared)."""
import json
import re

from conftest import load_script

NUMBER = r"[0-9][0-9,]*\.?[0-9]*"


def test_quick_benchmark_prints_every_table_and_target(tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    assert load_script("benchmark").main(["--quick", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out

    for heading in ("== train:", "Per round, no setup", "Whole runs of", "train()'s logging",
                    "== sharpness:", "The default run, 300 rounds", "A sweep's training",
                    "== scale:", "How the cost grows with the batch", "== targets =="):
        assert heading in out, f"heading {heading!r} missing from:\n{out}"
    for row in ("manual backend: ManualSGD", "autograd backend: AutogradSGD",
                "plain loop without logging", "plain loop: nn.Module, backward, optim.SGD, add_scalar"):
        assert re.search(rf"{re.escape(row)}.*\s{NUMBER}\s+{NUMBER}\s+{NUMBER}×", out), f"no figures for {row!r}"
    assert re.search(rf"train\(\): manual backend, logging every round\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}×", out)
    assert re.search(rf"written per round: events {NUMBER} B \+ history.csv {NUMBER} B\s+{NUMBER} B", out)
    assert re.search(rf"^\s+256\s+(\s*{NUMBER}){{8}}\s*$", out, re.M), "no scale row for batch 256"
    assert re.search(rf"python scripts/train.py --steps 300 .*\s{NUMBER}\s+{NUMBER}$", out, re.M), "no process figures"
    assert re.search(rf"ratio, with ÷ without\s+{NUMBER}$", out, re.M), "no sharpness ratio"
    # --quick measures batch 256 but not 4096: three train targets, the sharpness one, two scale ones and one n/a
    verdicts = re.findall(r"^\s+(PASS|MISS|n/a)\s+(train|sharpness|scale): .*\(target ", out, re.M)
    assert [v[1] for v in verdicts] == ["train"] * 3 + ["sharpness"] + ["scale"] * 3, out
    assert verdicts[-1][0] == "n/a"

    figures = json.loads(out_json.read_text())
    assert set(figures["train"]["us_per_round"]) == {"manual", "autograd", "plain", "plain+add_scalar"}
    assert all(v > 0 for v in figures["train"]["us_per_round"].values())
    assert figures["train"]["logging"]["event_bytes_per_round"] > 0
    peaks = figures["scale"]["batches"]["256"]["peak_kib"]
    assert peaks["manual"] > 0 and peaks["autograd"] > 0  # the gradients alone are ~7 MiB
    assert len(figures["targets"]) == 7
    assert figures["sharpness"]["run_ratio"] > 0 and figures["sharpness"]["interval"] == 1000
    assert figures["train"]["processes"]["train_over_plain"] > 0


def test_section_all_is_every_section_and_the_default_leaves_out_the_sweep():
    command = load_script("benchmark")
    assert command.sections("all") == list(command.bench.SECTIONS) and "sweep" in command.sections("all")
    assert "sweep" not in command.sections(None) and command.sections(None)
    assert command.sections("sweep") == ["sweep"]

"""scripts/train.py: the deck's error table, both backends, the logs it writes, and how it
stops (finished, interrupted, or on a non-finite loss)."""
import json
import math
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import torch
from logs import read_events, read_history, read_scalars
from oracles import deck_training
from tolerances import FLOAT32, TRAJECTORY

from conftest import ROOT

# The deck's "Backpropagation-Error" table (slide 40), transcribed by hand. Every entry is
# right: round r's error is E_total before the r-th update, with b1 and b2 fixed.
DECK_TABLE = {1: "0.298371", 300: "0.005057", 600: "0.002135", 900: "0.001277", 1200: "0.000881",
              1500: "0.000656", 1800: "0.000514", 2100: "0.000416", 2400: "0.000346",
              2700: "0.000293", 3000: "0.000252", 3300: "0.000219"}


@pytest.fixture(scope="module")
def deck_run(tmp_path_factory, train_script):
    """The deck's setting for 3300 rounds with the manual backend, logging every round."""
    logdir = tmp_path_factory.mktemp("deck") / "run"
    assert train_script.main(["--steps", "3300", "--logdir", str(logdir)]) == 0
    return logdir


@pytest.fixture(scope="module")
def oracle_errors():
    return deck_training(3300)  # the deck's own scalar loop, plain Python floats


def test_history_matches_deck_table_and_oracle(deck_run, oracle_errors):
    h = read_history(deck_run)
    assert h["round"] == list(range(1, 3301))
    for r, printed in DECK_TABLE.items():
        assert f"{h['loss/total'][r - 1]:.6f}" == printed, f"round {r}"
    torch.testing.assert_close(torch.tensor(h["loss/total"], dtype=torch.float64), torch.tensor(oracle_errors, dtype=torch.float64), **TRAJECTORY)
    f64 = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    torch.testing.assert_close(f64(h["loss/o1"]) + f64(h["loss/o2"]), f64(h["loss/total"]), **TRAJECTORY)
    assert h["bias/b1"] == [0.35] * 3300 and h["bias/b2"] == [0.6] * 3300  # fixed by default
    assert h["weights/w1"][0] == 0.15 and f"{h['weights/w1'][1]:.9f}" == "0.149780716"  # slide 37
    torch.testing.assert_close(h["weights/w5"][1], 0.40 - 0.5 * h["grad/w5"][0], **TRAJECTORY)


def test_event_file_matches_deck_table_and_oracle(deck_run, oracle_errors):
    scalars = read_scalars(deck_run)
    loss = scalars["loss/total"]
    assert sorted(loss) == list(range(1, 3301))  # step = round, 1-based
    for r, printed in DECK_TABLE.items():
        assert f"{loss[r]:.6f}" == printed, f"round {r}"
    torch.testing.assert_close(torch.tensor([loss[r] for r in range(1, 3301)], dtype=torch.float64),
                               torch.tensor(oracle_errors, dtype=torch.float64), **FLOAT32)
    expected_tags = {"loss/total", "loss/o1", "loss/o2"} | {f"weights/w{k}" for k in range(1, 9)} \
        | {"bias/b1", "bias/b2"} | {f"grad/w{k}" for k in range(1, 9)} | {"grad/b1", "grad/b2"} \
        | {"loss/all_data_after_last_update", "loss/log10_all_data_after_last_update"} \
        | {"loss/log10_total"} \
        | {"curvature/sharpness", "curvature/two_over_lr"}
    # HParams' metrics, logged once at the end; log10 E_total, the first card; λ_max and 2/η, measured rounds only
    assert set(scalars) == expected_tags
    assert sorted(scalars["curvature/sharpness"]) == [1, 1000, 2000, 3000]  # the default sharpness interval
    assert all(f"{scalars['loss/log10_total'][r]:.6f}" == f"{math.log10(loss[r]):.6f}" for r in (1, 300, 3300))
    assert list(scalars["loss/all_data_after_last_update"]) == [3300]


def test_run_folder_has_config_dashboard_extras(deck_run):
    config = json.loads((deck_run / "config.json").read_text())
    assert config["steps"] == 3300 and config["lr"] == 0.5 and config["backend"] == "manual"
    assert config["sizes"] == [2, 2, 2] and config["train_bias"] is False
    assert config["meta"]["torch"] == torch.__version__ and config["meta"]["torch_bp"]
    plugins = {}
    for e in read_events(deck_run):
        if e.HasField("graph_def"):
            plugins["graph"] = True
        for v in e.summary.value:
            plugins.setdefault(v.metadata.plugin_data.plugin_name, set()).add(v.tag)
    assert "graph" not in plugins  # dropped by default: figures/ draws the network with its numbers
    assert plugins["custom_scalars"] and plugins["hparams"]
    assert {"run/config/text_summary", "run/round_1/text_summary"} <= plugins["text"]
    assert list(deck_run.iterdir()) and not [p for p in deck_run.iterdir() if p.is_dir()]  # hparams inside


def test_backends_agree_over_thousands_of_rounds(tmp_path, train_script, deck_run):
    logdir = tmp_path / "autograd"
    assert train_script.main(["--steps", "3300", "--backend", "autograd", "--logdir", str(logdir),
                              "--no-graph"]) == 0
    manual, autograd = read_history(deck_run), read_history(logdir)
    assert list(manual) == list(autograd)
    for column in manual:
        torch.testing.assert_close(torch.tensor(autograd[column], dtype=torch.float64),
                                   torch.tensor(manual[column], dtype=torch.float64),
                                   **TRAJECTORY, equal_nan=True, msg=lambda m, c=column: f"{c}: {m}")


def test_check_grads_logs_a_tiny_difference(tmp_path, train_script, capsys):
    logdir = tmp_path / "check"
    assert train_script.main(["--steps", "50", "--check-grads", "--train-bias", "--logdir", str(logdir),
                              "--no-graph"]) == 0
    diff = read_history(logdir)["check/max_abs_diff"]
    assert len(diff) == 50 and max(diff) < 1e-15
    h = read_history(logdir)
    assert h["bias/b1"][-1] != 0.35  # --train-bias: the shared biases learn


def test_terminal_table_and_summary(deck_run, train_script, tmp_path, capsys):
    assert train_script.main(["--steps", "600", "--logdir", str(tmp_path / "t"), "--no-graph"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["round", "E_total", "slide", "40"]
    assert out[1].split() == ["1", "0.298371109", "0.298371"]
    assert out[2].split() == ["300", "0.005056937", "0.005057"] or out[2].split()[::2] == ["300", "0.005057"]
    assert out[3].split()[0] == "600"
    assert any("tensorboard --logdir" in line for line in out)


def test_log_interval(tmp_path, train_script):
    assert train_script.main(["--steps", "1000", "--log-interval", "300", "--logdir", str(tmp_path / "li"),
                              "--no-graph"]) == 0
    assert read_history(tmp_path / "li")["round"] == [1, 300, 600, 900, 1000]
    assert sorted(read_scalars(tmp_path / "li")["loss/total"]) == [1, 300, 600, 900, 1000]


def test_dry_run_smoke(run_script, tmp_path):
    proc = run_script("train", "--dry-run", "--logdir", tmp_path / "dry")
    assert proc.returncode == 0, proc.stderr
    assert read_history(tmp_path / "dry")["round"] == [1, 2, 3]
    assert "finished: 3 rounds" in proc.stdout


def test_never_writes_into_an_existing_run(tmp_path, train_script, capsys):
    logdir = tmp_path / "run"
    assert train_script.main(["--steps", "5", "--logdir", str(logdir), "--no-graph"]) == 0
    before = {p.name: p.read_bytes() for p in logdir.iterdir()}
    capsys.readouterr()
    assert train_script.main(["--steps", "5", "--logdir", str(logdir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already holds a run" in err[0]
    assert {p.name: p.read_bytes() for p in logdir.iterdir()} == before


def test_nonfinite_loss_stops_with_status_1_and_keeps_logs(tmp_path, run_script):
    # inf − inf in net_h1: 10·1e308 and −10·1e308 overflow with opposite signs.
    (tmp_path / "huge.csv").write_text("i1,i2,t1,t2\n1e308,1e308,0.01,0.99\n")
    (tmp_path / "init.json").write_text(json.dumps({
        "layers.0.weight": [[10, -10], [10, -10]], "layers.0.bias": 0.35,
        "layers.1.weight": [[0.4, 0.45], [0.5, 0.55]], "layers.1.bias": 0.6}))
    proc = run_script("train", "--data", tmp_path / "huge.csv", "--init", tmp_path / "init.json",
                      "--steps", "100", "--logdir", tmp_path / "nan")
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "E_total became nan at round 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    h = read_history(tmp_path / "nan")
    assert h["round"] == [1]
    assert sorted(read_scalars(tmp_path / "nan")["loss/total"]) == [1]


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_keeps_everything_logged(tmp_path, sig, status):
    logdir = tmp_path / "int"
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "train.py"), "--steps", "100000000",
                             "--logdir", str(logdir), "--no-graph"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:  # wait until training is under way
        if line.split()[:1] == ["900"]:
            break
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert "Traceback" not in err
    assert f"interrupted ({sig.name})" in out
    h = read_history(logdir)
    n = len(h["round"])
    assert n >= 900 and h["round"] == list(range(1, n + 1))  # complete up to the last round
    assert sorted(read_scalars(logdir)["loss/total"]) == h["round"]


def test_tensorboard_server_serves_the_loss(deck_run, tmp_path):
    """The tensorboard package's own server, on a port it picks itself (--port 0) and names in
    its own start-up line; stopped here. Its loader reads the logs in the background, so the
    data is asked for again until it is all there (tied to what the server serves, not to a
    start-up delay); the 300 s cap only stops a server that never finishes."""
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(deck_run.parent),
                               "--host", "127.0.0.1", "--port", "0", "--samples_per_plugin", "scalars=10000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = next((line.split(" at ", 1)[1].split()[0] for line in server.stderr if " at http" in line), None)
        assert base, "the server exited without serving"
        # keep reading its log, so a full pipe never blocks the server
        threading.Thread(target=server.stderr.read, daemon=True).start()
        url = f"{base}data/plugin/scalars/scalars?run={deck_run.name}&tag=loss/total"
        series, deadline = [], time.monotonic() + 300
        while len(series) < 3300 and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=60) as r:
                    series = json.load(r)
            except (OSError, ValueError):  # asked again, like any answer not yet complete
                pass
            if len(series) < 3300:
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert len(series) == 3300, f"served {len(series)} points"
    steps = [s for _, s, _ in series]
    assert steps == list(range(1, 3301))
    by_step = {s: v for _, s, v in series}
    for r, printed in DECK_TABLE.items():
        assert f"{by_step[r]:.6f}" == printed, f"round {r}"

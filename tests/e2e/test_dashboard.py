"""The dashboard through a real TensorBoard server, started as `make dashboard` starts it: the
deck's default run keeps round 1 and round 10,000 of loss/total, the network picture at the
milestones, HParams' settings and metric; and the hint a run prints works when pasted."""
import io
import json
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser import BROWSER, chromium
from conftest import ROOT
from torch_bp.cli import figures as figures_command
from torch_bp.training import TrainConfig, train
from torch_bp.training import dashboard
from torch_bp.training.setup import default_logdir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_dashboard_argv(logdir: Path, port: int) -> list[str]:
    """The Makefile's `dashboard` recipe, with its variables filled in, on logdir and port."""
    make = (ROOT / "Makefile").read_text()
    flags = re.search(r"^TENSORBOARD_FLAGS := (.*)$", make, re.M)[1]
    recipe = re.search(r"^dashboard:.*\n(?:\t@echo.*\n)?\t(.*)$", make, re.M)[1]
    argv = shlex.split(recipe.replace("$(TENSORBOARD_FLAGS)", flags))
    assert argv[0] == "$(VENV)/bin/tensorboard" and argv[argv.index("--logdir") + 1] == "runs"
    argv[0] = str(Path(sys.executable).parent / "tensorboard")  # the venv's, as make's $(VENV)
    argv[argv.index("--logdir") + 1] = str(logdir)
    argv[argv.index("--port") + 1] = str(port)
    return argv


class Server:
    def __init__(self, argv, port):
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://localhost:{port}"

    def get(self, path, data=None):
        req = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": "application/json"} if data else {})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def wait_for(self, path, ready, timeout=90, data=None):
        """GET (or POST data to) path until ready(answer): the server starts, then loads the
        logs in the background. Never a fixed sleep: the answer is polled until it is ready."""
        deadline, answer = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                answer = self.get(path, data)
                if ready(answer):
                    return answer
            except (OSError, ValueError):  # not listening yet; or an answer cut off mid-load
                pass
            time.sleep(0.5)
        return answer

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`make train`'s run: the deck, 10,000 rounds, every round logged, and the milestone images
    the run's child process would add (drawn here; tests/viz/test_pictures.py runs the child)."""
    logdir = tmp_path_factory.mktemp("dash") / "deck"
    result = train(TrainConfig(logdir=str(logdir)), out=io.StringIO())
    assert result.rounds == 10_000 and result.figures is None  # TORCH_BP_FIGURES=0 under pytest
    assert figures_command.write_images(logdir) == [1, *range(300, 3301, 300), 10_000]
    return logdir


@pytest.fixture(scope="module")
def server(default_run):
    port = free_port()
    s = Server(make_dashboard_argv(default_run.parent, port), port)
    # ready when it lists the run (any test may come first: pytest-xdist hands them out)
    assert default_run.name in (s.wait_for("/data/runs", lambda a: default_run.name in a) or []), "no dashboard"
    yield s
    s.stop()


def test_make_dashboard_keeps_round_1_and_round_10000(server, default_run):
    run = default_run.name
    series = server.wait_for(f"/data/plugin/scalars/scalars?run={run}&tag=loss/total", lambda a: len(a) >= 10_000)
    steps = [step for _, step, _ in series]
    assert steps[0] == 1 and steps[-1] == 10_000 and len(steps) == 10_000  # every round, none sampled away
    assert f"{series[0][2]:.6f}" == "0.298371"  # slide 40's round 1


def test_network_picture_at_the_milestones(server, default_run):
    images = server.wait_for(f"/data/plugin/images/images?run={default_run.name}&tag=network", lambda a: len(a) >= 13)
    # round 1, the deck's table rounds 300 … 3300, and the last round
    assert [im["step"] for im in images] == [1, *range(300, 3301, 300), 10_000]


def test_hparams_show_the_settings_and_the_error_after_the_last_update(server, default_run):
    body = json.dumps({"experimentName": ""}).encode()
    exp = server.wait_for("/data/plugin/hparams/experiment", lambda e: e.get("metricInfos"), data=body)
    names = [h["name"] for h in exp["hparamInfos"]]
    assert {"lr", "sizes", "batch_size", "seed", "shuffle", "train_bias", "steps", "backend", "data"} <= set(names)
    assert [m["name"]["tag"] for m in exp["metricInfos"]] == [dashboard.HPARAMS_METRIC]
    history = (default_run / "history.csv").read_text().splitlines()
    assert history[-1].startswith("10000,")
    metric = server.wait_for(f"/data/plugin/scalars/scalars?run={default_run.name}&tag={dashboard.HPARAMS_METRIC}", len)
    assert [step for _, step, _ in metric] == [10_000] and f"{metric[0][2]:.4e}" == "3.5102e-05"  # train.py's summary


def test_the_printed_hint_works_when_pasted(tmp_path, train_script, capsys):
    logdir = tmp_path / "hint" / "run"
    assert train_script.main(["--steps", "5", "--logdir", str(logdir)]) == 0
    hint = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("dashboard: "))
    make_flags = re.search(r"^TENSORBOARD_FLAGS := (.*)$", (ROOT / "Makefile").read_text(), re.M)[1]
    assert dashboard.TENSORBOARD_FLAGS == make_flags and make_flags in hint  # as `make dashboard`
    argv = shlex.split(hint.removeprefix("dashboard: ").split("   then open")[0])
    assert argv[argv.index("--logdir") + 1] == str(logdir.parent.resolve())  # the run's own parent
    port = free_port()
    argv[argv.index("--port") + 1] = str(port)
    s = Server(argv, port)
    try:
        runs = s.wait_for("/data/runs", lambda a: "run" in a)
    finally:
        s.stop()
    assert runs == ["run"]
    assert hint.endswith(f"then open {dashboard.DASHBOARD_URL}")
    make_url = re.search(r"^DASHBOARD_URL := (.*)$", (ROOT / "Makefile").read_text(), re.M)[1]
    assert make_url.replace("\\#", "#") == dashboard.DASHBOARD_URL


def test_time_series_opens_on_the_loss_in_a_real_browser(server, default_run, tmp_path):
    """The address the hint and `make dashboard` print, in headless Chromium: loss/total's card is
    pinned above every group (which TensorBoard sorts by name: bias, grad, loss, ...)."""
    if BROWSER is None:
        pytest.skip("no chromium")
    server.wait_for(f"/data/plugin/scalars/scalars?run={default_run.name}&tag=loss/total", lambda a: len(a) >= 10_000)
    url = dashboard.DASHBOARD_URL.replace("http://localhost:6006", server.base)
    done = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=30000", url)
    dom = done.stdout
    assert 'title="loss/total"' in dom, done.stderr[-1000:]
    pinned, card, first_group = dom.index(">Pinned<"), dom.index('title="loss/total"'), dom.index('title="bias"')
    assert pinned < card < first_group


@pytest.mark.parametrize("settings, parts", [
    ({}, ["manual", "lr0.5", "2-2-2", "deck"]),  # the deck: its seed decides nothing
    ({"dataset": "xor", "sizes": (2, 3, 1), "batch_size": 1, "shuffle": True, "seed": 7},
     ["manual", "lr0.5", "2-3-1", "xor", "bs1", "shuffle", "seed7"]),
    ({"per_unit_bias": True, "train_bias": True}, ["manual", "lr0.5", "2-2-2", "deck", "bias", "unitbias"]),
])
def test_run_folder_names_say_the_settings_then_the_time(settings, parts):
    name = default_logdir(TrainConfig(**settings)).name.split("_")
    assert name[:-1] == parts and re.fullmatch(r"\d{8}-\d{6}(-\d+)?", name[-1])

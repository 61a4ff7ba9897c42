"""The dashboard through a real TensorBoard server, started as `make dashboard` starts it: the
deck's default run keeps round 1 and round 10,000 of loss/total, the network picture at the
milestones, HParams' settings and metric; and the hint a run prints works when pasted."""
import contextlib
import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from browser import playwright_chromium
from conftest import ROOT
from torch_bp.cli import figures as figures_command
from torch_bp.cli import sweep as sweep_command
from torch_bp.training import TrainConfig, train
from torch_bp.training import dashboard
from torch_bp.training.setup import default_logdir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_dashboard(logdir: Path, port: int, target: str = "dashboard") -> list[str]:
    """`make dashboard` itself (the venv taken as built), on logdir and port."""
    return ["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed", target, f"PY={sys.executable}",
            f"ARGS=--logdir {shlex.quote(str(logdir))} --port {port}"]


class Server:
    def __init__(self, argv, port):
        # a session of its own: make, the command and the TensorBoard it becomes stop together
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
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
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working folder after `make train`'s run and a sweep of 50 η, both with default folders:
    the run in runs/, the sweep in sweeps/ (issue 23: a sweep in runs/ emptied the dashboard).
    The run gets the milestone images its child process would add (drawn here;
    tests/viz/test_pictures.py runs the child)."""
    cwd = tmp_path_factory.mktemp("dash")
    with contextlib.chdir(cwd):
        result = train(TrainConfig(), out=io.StringIO())
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert sweep_command.main(["--lr", "0.1:10:50", "--steps", "100"]) == 0
    assert result.rounds == 10_000 and result.figures is None  # TORCH_BP_FIGURES=0 under pytest
    assert figures_command.write_images(cwd / result.logdir) == [1, *range(300, 3301, 300), 10_000]
    return cwd


@pytest.fixture(scope="module")
def default_run(workdir):
    (run,) = (workdir / "runs").iterdir()
    return run


@pytest.fixture(scope="module")
def server(workdir, default_run):
    port = free_port()
    s = Server(make_dashboard(workdir / "runs", port), port)
    # ready when it lists the run (any test may come first: pytest-xdist hands them out)
    assert default_run.name in (s.wait_for("/data/runs", lambda a: default_run.name in a) or []), "no dashboard"
    yield s
    s.stop()


STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]  # HParams: every session


def test_a_sweep_with_default_flags_leaves_the_dashboard_to_the_runs(server, workdir, default_run):
    """The dashboard lists the training run alone, its HParams have train.py's columns only; the
    sweep is in sweeps/, whose own dashboard (`make sweep-dashboard`) shows sweep/final_loss."""
    assert [p.name for p in (workdir / "sweeps").iterdir()] and server.get("/data/runs") == [default_run.name]
    body = json.dumps({"experimentName": ""}).encode()
    sessions = server.wait_for("/data/plugin/hparams/session_groups", lambda a: a.get("sessionGroups"),
                               data=json.dumps({"experimentName": "", "allowedStatuses": STATUSES, "colParams": [],
                                                "startIndex": 0, "sliceSize": 100}).encode())
    assert [g["name"] for g in sessions["sessionGroups"]] == [default_run.name], "a sweep's sessions"
    exp = server.get("/data/plugin/hparams/experiment", body)
    assert "sweep/final_loss" not in json.dumps(exp)


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
    # log10 first: HParams prints four decimals, so at 1e-5 only the log10 says how low the error fell
    assert [m["name"]["tag"] for m in exp["metricInfos"]] == [dashboard.HPARAMS_LOG10, dashboard.HPARAMS_METRIC]
    history = (default_run / "history.csv").read_text().splitlines()
    assert history[-1].startswith("10000,")
    metric = server.wait_for(f"/data/plugin/scalars/scalars?run={default_run.name}&tag={dashboard.HPARAMS_METRIC}", len)
    assert [step for _, step, _ in metric] == [10_000] and f"{metric[0][2]:.4e}" == "3.5102e-05"  # train.py's summary
    sessions = server.get("/data/plugin/hparams/session_groups", json.dumps(
        {"experimentName": "", "allowedStatuses": STATUSES, "colParams": [], "startIndex": 0, "sliceSize": 10}).encode())
    values = {m["name"]["tag"]: m["value"] for m in sessions["sessionGroups"][0]["metricValues"]}
    assert f"{values[dashboard.HPARAMS_LOG10]:.4f}" == "-4.4547"  # log10(3.5102e-05), readable at 4 decimals


def test_the_error_falls_on_a_log10_card_too(server, default_run):
    """log10 E_total, every round: round 1's log10(0.298371) and round 10,000's log10(3.5109e-05)."""
    series = server.wait_for(f"/data/plugin/scalars/scalars?run={default_run.name}&tag={dashboard.LOG10_LOSS}",
                             lambda a: len(a) >= 10_000)
    assert [s for _, s, _ in series] == list(range(1, 10_001))
    assert f"{series[0][2]:.4f}" == "-0.5252" and f"{series[-1][2]:.4f}" == "-4.4546"


def test_the_printed_hint_works_when_pasted(tmp_path, train_script, capsys):
    logdir = tmp_path / "hint" / "run"
    assert train_script.main(["--steps", "5", "--logdir", str(logdir)]) == 0
    hint = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("dashboard: "))
    assert dashboard.TENSORBOARD_FLAGS in hint  # as `make dashboard`, whose command asks the package
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


def test_the_package_alone_owns_the_flags_and_the_address():
    """The Makefile holds no copy of TensorBoard's flags or the address: its targets run the command."""
    make = (ROOT / "Makefile").read_text()
    assert "samples_per_plugin" not in make and "pinnedCards" not in make and "tensorboard" not in make
    assert re.search(r"^dashboard:.*\n\t\$\(PY\) scripts/dashboard.py \$\(ARGS\)$", make, re.M)
    assert re.search(r"^sweep-dashboard:.*\n\t\$\(PY\) scripts/dashboard.py --sweeps \$\(ARGS\)$", make, re.M)


def test_time_series_opens_on_the_error_curve_in_a_real_browser(server, default_run):
    """The address `make dashboard` prints, in headless Chromium: the first pinned card, above
    every group (TensorBoard sorts them by name: bias, grad, loss, ...), is log10 E_total, the
    training run's curve is drawn in it (pixels of the run's colour on the chart's canvas), and its
    value column reads the last round's -4.4546, not the 0 a linear E_total shows."""
    server.wait_for(f"/data/plugin/scalars/scalars?run={default_run.name}&tag=loss/total", lambda a: len(a) >= 10_000)
    url = dashboard.DASHBOARD_URL.replace(f"http://localhost:{dashboard.PORT}", server.base)
    with playwright_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        card = page.locator("scalar-card").first
        card.wait_for(timeout=60_000)
        groups = page.locator(".group-title").all_inner_texts()
        assert groups[:2] == ["Pinned", "bias"] and card.locator(f'[title="{dashboard.LOG10_LOSS}"]').count()
        colour = card.locator(".row-circle span").get_attribute("style")  # background-color: rgb(r, g, b);
        rgb = tuple(map(int, re.search(r"rgb\((\d+), (\d+), (\d+)\)", colour).groups()))
        deadline, drawn = time.monotonic() + 30, 0
        while drawn < CURVE_PIXELS and time.monotonic() < deadline:  # polled until drawn, never a fixed wait
            drawn = pixels_of(card.locator("canvas").screenshot(), rgb)
        page.screenshot(path=str(default_run.parent.parent / "dashboard.png"))  # for a person who looks
        assert "-4.4546" in card.locator("tb-data-table-content-row").first.inner_text()
        assert page.locator("scalar-card").nth(1).locator('[title="loss/total"]').count()  # E_total itself second
    assert drawn >= CURVE_PIXELS, f"the run's curve is not drawn ({drawn} pixels of {rgb})"


CURVE_PIXELS = 150  # a curve across a card's chart (about 270 px wide) colours at least this many


def pixels_of(png: bytes, rgb: tuple, within: int = 40) -> int:
    """How many pixels of a PNG lie within `within` of colour rgb (each channel)."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int((np.abs(image - np.array(rgb)).max(axis=-1) <= within).sum())


@pytest.mark.parametrize("settings, parts", [
    ({}, ["manual", "lr0.5", "2-2-2", "deck"]),  # the deck: its seed decides nothing
    ({"dataset": "xor", "sizes": (2, 3, 1), "batch_size": 1, "shuffle": True, "seed": 7},
     ["manual", "lr0.5", "2-3-1", "xor", "bs1", "shuffle", "seed7"]),
    ({"per_unit_bias": True, "train_bias": True}, ["manual", "lr0.5", "2-2-2", "deck", "bias", "unitbias"]),
])
def test_run_folder_names_say_the_settings_then_the_time(settings, parts):
    name = default_logdir(TrainConfig(**settings)).name.split("_")
    assert name[:-1] == parts and re.fullmatch(r"\d{8}-\d{6}(-\d+)?", name[-1])

"""The TensorBoard summaries of a run besides its scalars: the custom-scalars layout, the
HParams entry, text panels (run/config, run/round_1) and the model graph; and how to open the
dashboard on the story (the command and the address a run prints)."""
from __future__ import annotations

import json
import math
import re
import shlex
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import torch
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.versions_pb2 import VersionDef
from torch.utils.tensorboard import summary as tbs
from torch.utils.tensorboard._pytorch_graph import _set_model_to_eval, parse

from .curvature import SHARPNESS, TWO_OVER_LR

HPARAMS_METRIC = "loss/all_data_after_last_update"  # E on all data once the run is over: one value
# ... and its log10, which HParams' four decimals show at 1e-5 (-4.4547, where E itself reads 0.0000)
HPARAMS_LOG10 = "loss/log10_all_data_after_last_update"
LOG10_LOSS = "loss/log10_total"  # the run folder writes it beside loss/total: 1e-5 reads -5, the first card
# Runs and sweeps live apart, each with its own dashboard: a sweep's thousand networks in runs/
# would bury the training runs (TensorBoard deselects them all, HParams mixes the columns).
RUNS, SWEEPS = Path("runs"), Path("sweeps")  # the default folders, under the working folder
PORT = 6006
# The one owner of the server's flags (`make dashboard` runs torch_bp.cli.dashboard, which asks
# here): TensorBoard keeps 1,000 scalars and 10 images per tag unless told (and with its fast
# loader 0 keeps none); this keeps every round of runs up to 100,000 logged rounds.
TENSORBOARD_FLAGS = "--samples_per_plugin scalars=100000,images=100"
# Time Series opens with log10 E_total, then E_total, pinned above every group (groups sort by
# name: bias, grad, loss, ...) and no smoothing; TensorBoard 2.21 reads both from the address.
PINNED = "?smoothing=0&pinnedCards=" + quote(json.dumps(
    [{"plugin": "scalars", "tag": LOG10_LOSS}, {"plugin": "scalars", "tag": "loss/total"}], separators=(",", ":")),
    safe="") + "#timeseries"


def dashboard_url(port: int = PORT, sweeps: bool = False) -> str:
    """The address that opens on the story: a run's error pinned first; a sweep's HParams table."""
    return f"http://localhost:{port}/" + ("#hparams" if sweeps else PINNED)


DASHBOARD_URL = dashboard_url()


def tensorboard_argv(logdir: Path, port: int = PORT) -> list[str]:
    """The venv's TensorBoard on logdir, every logged round kept (after the program's name)."""
    return ["--logdir", str(logdir), "--host", "localhost", "--port", str(port), *TENSORBOARD_FLAGS.split()]


def layout(columns: list[str]) -> dict:
    """Custom Scalars: one chart per quantity, so with several runs each chart has one line
    per run (E_total, each output's E, each parameter, each gradient; norms for large nets)."""
    def charts(prefix):
        return {c[len(prefix):]: ["Multiline", [f"^{re.escape(c)}$"]] for c in columns if c.startswith(prefix)}
    loss = {"log10 E_total": ["Multiline", [f"^{LOG10_LOSS}$"]], "E_total": ["Multiline", ["^loss/total$"]]}
    if "loss/full" in columns:
        loss["E on all data"] = ["Multiline", ["^loss/full$"]]
    loss["after the last update, all data"] = ["Multiline", [f"^{HPARAMS_METRIC}$", f"^{HPARAMS_LOG10}$"]]
    loss.update({f"E_{c[5:]}": ["Multiline", [f"^{c}$"]] for c in columns if re.fullmatch(r"loss/o\d+", c)})
    charts = {"Loss": loss, "Weights": charts("weights/"), "Biases": charts("bias/"),
              "Gradients ∂E/∂θ": charts("grad/")}
    if SHARPNESS in columns:
        charts["Curvature"] = {"λ_max and 2/η": ["Multiline", [f"^{SHARPNESS}$", f"^{TWO_OVER_LR}$"]]}
    if "check/max_abs_diff" in columns:
        charts["Checks"] = {"max |autograd − manual|": ["Multiline", ["^check/max_abs_diff$"]]}
    return {k: v for k, v in charts.items() if v}


def hparams(config: dict) -> dict:
    """The settings that decide a run's numbers, as HParams shows them: integers as text
    (TensorBoard prints numbers as 1.0000), sizes as 2-2-2, data by its name. TensorBoard 2.21
    shows the first five by name (backend, batch_size, data, lr, seed); per_unit_bias and init
    are in the run's name and in run/config."""
    batch = config["batch_size"]
    return {"lr": config["lr"], "sizes": "-".join(map(str, config["sizes"])),
            "batch_size": str(batch) if batch else f"all ({config['meta']['rows']})",
            "seed": str(config["seed"]), "shuffle": config["shuffle"], "train_bias": config["train_bias"],
            "steps": str(config["steps"]), "backend": config["backend"],
            "data": Path(config["data"]).name if config["data"] else config["dataset"]}


def write_hparams(events, config: dict) -> None:
    exp, ssi, _ = tbs.hparams(hparams(config), {HPARAMS_LOG10: 0.0, HPARAMS_METRIC: 0.0})
    events.write_summary(exp)
    events.write_summary(ssi)


def dashboard_hint(logdir: Path) -> str:
    """A command that shows this run when pasted: `make dashboard` for runs/ in the checkout
    (from its root), `make sweep-dashboard` for sweeps/, else the venv's tensorboard on the
    run's own parent folder."""
    repo = Path(__file__).resolve().parents[2]
    parent = Path(logdir).resolve().parent
    if Path.cwd().resolve() == repo and (repo / "Makefile").exists():
        for folder, target in ((RUNS, "dashboard"), (SWEEPS, "sweep-dashboard")):
            if parent == (repo / folder).resolve():
                return f"make {target}"
    tb = Path(sys.executable).parent / "tensorboard"  # the venv's, which a bare `tensorboard` may not be
    if not tb.exists():
        exe = f"{shlex.quote(sys.executable)} -m tensorboard.main"
    elif tb.is_relative_to(Path.cwd()):
        exe = shlex.quote(str(tb.relative_to(Path.cwd())))  # .venv/bin/tensorboard
    else:
        exe = shlex.quote(str(tb))
    return " ".join([exe, *map(shlex.quote, tensorboard_argv(parent))])


def write_start(events, config: dict, columns: list[str], model, first_trace, first_round: int, graph_input=None,
                err=None) -> None:
    """The summaries written once, when a run starts: layout, hparams, config and round-1 text,
    and (graph_input given) the model graph. first_trace: backprop() of the run's own first
    batch, so the round-1 panel shows what history.csv's first row logs."""
    events.write_summary(tbs.custom_scalars(layout(columns)))
    write_hparams(events, config)
    events.write_summary(tbs.text("run/config", "```json\n" + json.dumps(config, indent=2) + "\n```"))
    table = trace_markdown(first_trace, model.scalar_names(), first_round)
    events.write_summary(tbs.text("run/round_1", table), step=first_round)
    if graph_input is not None:
        write_graph(events, model, graph_input, err)
    events.flush()


def graph_def(model, example_input):
    """The model's GraphDef, as torch.utils.tensorboard's add_graph makes it, but traced with
    check_trace=False: the check re-runs the model and compares outputs with assert_close,
    whose first use imports torch.distributed.tensor (about a second, more than the whole
    10,000-round run of the deck's network)."""
    with _set_model_to_eval(model), warnings.catch_warnings():  # tracing warns that TorchScript is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        trace = torch.jit.trace(model, example_input, check_trace=False)
    torch._C._jit_pass_inline(trace.graph)
    return GraphDef(node=parse(trace.graph, trace, example_input), versions=VersionDef(producer=22))


def write_graph(events, model, example_input, err=None) -> None:
    """The model graph (a TorchScript trace); a failure is noted on `err`, never fatal."""
    try:
        events.write(Event(wall_time=time.time(), graph_def=graph_def(model, example_input).SerializeToString()))
    except Exception as e:  # noqa: BLE001  the graph is a nicety; never lose a run over it
        if err is not None:
            print(f"note: model graph not logged ({type(e).__name__}: {e})", file=err)


def write_end(events, config: dict, final_loss: float, last_round: int, finished: bool, resumed: bool) -> None:
    """The HParams metric, the error on all data after the last update, logged once at the
    last round; a resumed run's settings again (its steps may have grown); for a run that was
    not interrupted, HParams' end-of-session record."""
    if resumed:
        write_hparams(events, config)
    log10 = math.log10(final_loss) if final_loss > 0 else -math.inf
    events.write_summary(tbs.scalar(HPARAMS_METRIC, final_loss, new_style=True), step=last_round)
    events.write_summary(tbs.scalar(HPARAMS_LOG10, log10, new_style=True), step=last_round)
    if finished:
        events.write_summary(tbs.hparams({"steps": str(config["steps"])}, {HPARAMS_LOG10: log10,
                                                                          HPARAMS_METRIC: final_loss})[2],
                             step=last_round)


def trace_markdown(trace, scalar_names: list[str], round_: int, limit: int = 200) -> str:
    """One round of any BackpropNet as a markdown table, the deck's way: net, out per unit (first
    row of the batch), E_ok, E_total, then ∂E_total/∂θ for every scalar θ (`scalar_names`, in
    named_parameters() order), at most `limit` units a layer and `limit` gradients (a huge
    network's table would be megabytes). trace: a backprop() Trace with its layers (keep=True)."""
    lines = [f"Round {round_}, first row of the batch:", "", "| quantity | value |", "|---|---|"]
    for l, layer in enumerate(trace.layers, start=1):
        kind = "o" if l == len(trace.layers) else ("h" if len(trace.layers) == 2 else f"h{l}_")
        units = layer.net.shape[1]
        net, out = layer.net[0, :limit].tolist(), layer.out[0, :limit].tolist()
        for j in range(len(net)):
            lines.append(f"| net_{kind}{j + 1} | {net[j]:.9f} |")
            lines.append(f"| out_{kind}{j + 1} | {out[j]:.9f} |")
        if units > limit:
            lines.append(f"| … | {units - limit:,} more units of layer {l} |")
    for k, e in enumerate(trace.loss_terms.tolist(), start=1):
        lines.append(f"| E_o{k} | {e:.9f} |")
    lines.append(f"| E_total | {trace.loss.item():.9f} |")
    grads = torch.cat([g.reshape(-1) for g in trace.grads.values()])
    lines += [f"| ∂E_total/∂{name} | {g:.9f} |" for name, g in zip(scalar_names[:limit], grads[:limit].tolist())]
    if len(grads) > limit:
        lines.append(f"| … | {len(grads) - limit:,} more gradients |")
    return "\n".join(lines)

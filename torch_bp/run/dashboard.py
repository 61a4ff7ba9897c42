"""The TensorBoard summaries of a run besides its scalars: the custom-scalars layout, the
HParams entry, text panels (run/config, run/round_1) and the model graph."""
from __future__ import annotations

import json
import time
import warnings

from ..report import trace_markdown

HPARAMS = ("steps", "lr", "backend", "train_bias", "sizes", "per_unit_bias", "dataset", "data",
           "batch_size", "shuffle", "seed", "init")  # the settings HParams compares runs by


def layout(check_grads: bool) -> dict:
    """Custom scalars: one chart per group of tags."""
    charts = {
        "Loss": {"E_total and per output": ["Multiline", ["loss/.*"]]},
        "Parameters": {"weights": ["Multiline", ["weights/.*"]], "biases": ["Multiline", ["bias/.*"]]},
        "Gradients": {"dE/dθ": ["Multiline", ["grad/.*"]]},
    }
    if check_grads:
        charts["Checks"] = {"max |autograd − manual|": ["Multiline", ["check/.*"]]}
    return charts


def write_start(events, config: dict, model, first_trace, first_round: int, graph_input=None, err=None) -> None:
    """The summaries written once, when a run starts: layout, hparams, config and round-1 text,
    and (graph_input given) the model graph. first_trace: backprop() of the run's own first
    batch, so the round-1 panel shows what history.csv's first row logs."""
    from torch.utils.tensorboard import summary as tbs
    events.write_summary(tbs.custom_scalars(layout(config["check_grads"])))
    hp = {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in config.items() if k in HPARAMS}
    exp, ssi, _ = tbs.hparams(hp, {"loss/total": 0.0})
    events.write_summary(exp)
    events.write_summary(ssi)
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
    import torch
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.versions_pb2 import VersionDef
    from torch.utils.tensorboard._pytorch_graph import _set_model_to_eval, parse
    with _set_model_to_eval(model), warnings.catch_warnings():  # tracing warns that TorchScript is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        trace = torch.jit.trace(model, example_input, check_trace=False)
    torch._C._jit_pass_inline(trace.graph)
    return GraphDef(node=parse(trace.graph, trace, example_input), versions=VersionDef(producer=22))


def write_graph(events, model, example_input, err=None) -> None:
    """The model graph (a TorchScript trace); a failure is noted on `err`, never fatal."""
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        events.write(Event(wall_time=time.time(), graph_def=graph_def(model, example_input).SerializeToString()))
    except Exception as e:  # noqa: BLE001  the graph is a nicety; never lose a run over it
        if err is not None:
            print(f"note: model graph not logged ({type(e).__name__}: {e})", file=err)


def write_end(events, steps: int, final_loss: float, last_round: int) -> None:
    """The HParams metric: the run's final E_total."""
    from torch.utils.tensorboard import summary as tbs
    events.write_summary(tbs.hparams({"steps": steps}, {"loss/total": final_loss})[2], step=last_round)

"""A training run as a library: `train(TrainConfig(...))`.

    config.py      TrainConfig, its checks, the resume policy, Status
    trainer.py     Trainer and train(): set-up, then the loop
    folder.py      the run folder: history.csv, config.json, the event file
    metrics.py     what a logged round holds, buffered until written
    dashboard.py   TensorBoard extras: layout, HParams, text panels, graph
    console.py     what the terminal shows
    checkpoint.py  checkpoints, sealed (SHA-256) and written atomically, checked before trusted
    events.py      the fast TensorBoard event writer; a cut event file repaired
    signals.py     SIGINT/SIGTERM/SIGHUP, from a script's first line (standard library only)

Names are loaded on first use (PEP 562), so `torch_bp.run.signals` imports without torch.
"""
from .. import _lazy_exports

_EXPORTS = {"TrainConfig": "config", "Status": "config", "Trainer": "trainer", "RunResult": "trainer",
            "train": "trainer", "NonFiniteLoss": "metrics"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)

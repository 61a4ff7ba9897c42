"""Runs and sweeps as a library: `train(TrainConfig(...))`, `run_sweep(SweepConfig(...))`.

    config.py       the settings and their checks, Status
    resume.py       what a resumed run keeps from its checkpoint
    trainer.py      Trainer and train(): set-up, then the loop
    folder.py       the run folder: history.csv, config.json, the event file
    metrics.py      what a logged round holds, buffered until written
    dashboard.py    TensorBoard extras: layout, HParams, text panels, graph
    console.py      what the terminal shows
    checkpoint.py   checkpoints, sealed (SHA-256) and written atomically, checked before trusted
    events.py       the TensorBoard event writer; a cut event file repaired
    pictures.py     the run's pictures, drawn by a child process
    curvature.py    λ_max and 2/η over training (the hand-written Hessian)
    sweep.py        N networks of one shape trained side by side
    sweep_run.py    a sweep's set-up and files; sweep_events.py its TensorBoard files
"""
from .config import Status, TrainConfig
from .metrics import NonFiniteLoss
from .trainer import RunResult, Trainer, train

__all__ = ["TrainConfig", "Status", "Trainer", "RunResult", "train", "NonFiniteLoss"]

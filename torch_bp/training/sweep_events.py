"""A sweep's TensorBoard files: the HParams experiment and one session per network, written at once."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.plugins.hparams.api_pb2 import Status
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo, SessionStartInfo
from torch.utils.tensorboard import summary as tbs

from torch_bp.core.files import atomic_write

from .events import SCALARS_METADATA, ScalarRows, frame

MAX_SESSIONS = 10_000  # HParams sessions at most; larger sweeps get one for every n-th network
CURVES = 6  # representative networks whose loss curves go to TensorBoard
METRICS = ["sweep/final_loss", "sweep/min_loss", "sweep/rounds_to_target", "sweep/diverged"]


def write_events(logdir: Path, config_json: str, res, lr, seed, diverged, err) -> None:
    """The HParams experiment in the sweep folder; one session per network under networks/."""
    now = time.time()
    exp, _, _ = tbs.hparams({"lr": float(lr[0]), "seed": int(seed[0])}, {m: 0.0 for m in METRICS})
    config = tbs.text("sweep/config", "```json\n" + config_json + "\n```")
    _write_event_file(logdir, _frame([Event(wall_time=now, file_version="brain.Event:2"),
                                      Event(wall_time=now, summary=exp), Event(wall_time=now, summary=config)]))
    head = _frame([Event(wall_time=now, file_version="brain.Event:2")])[0]
    tail = _frame([Event(wall_time=now, summary=_session_end())])[0]
    curves = set(representatives(lr, res.final_loss, res.rounds_to_target, diverged))
    every = -(-len(lr) // MAX_SESSIONS)  # more networks than the HParams tab can show: every n-th
    chosen = sorted(set(range(0, len(lr), every)) | curves)
    starts = dict(zip(chosen, _frame([Event(wall_time=now, summary=_session_start(
        {"lr": float(lr[k]), "seed": int(seed[k])})) for k in chosen])))
    ends = dict(zip(chosen, _frame([Event(wall_time=now, step=res.rounds, summary=_metrics(res, diverged, k))
                                    for k in chosen])))
    width = len(str(len(lr) - 1))
    if every > 1:
        print(f"note: {len(lr):,} networks: HParams sessions for every {every}th only "
              "(results.csv and losses.npz hold them all)", file=err)
    for k in chosen:
        curve = b""
        if k in curves:
            keep = np.isfinite(res.losses[k])
            curve = ScalarRows(["loss/total"]).encode(res.logged_rounds[keep], np.full(keep.sum(), now),
                                                      res.losses[k][keep, None])
        name = f"{k:0{width}d}_lr{lr[k]:.6g}_seed{seed[k]}"
        _write_event_file(logdir / "networks" / name, [head, starts[k], ends[k], tail, curve])


def _metrics(res, diverged, k: int):
    """Network k's sweep/* metrics as one Summary (rounds_to_target left out when never reached)."""
    values = [res.final_loss[k], res.min_loss[k], res.rounds_to_target[k] or None, float(diverged[k])]
    return Summary(value=[Summary.Value(tag=m, metadata=SCALARS_METADATA,
                                        tensor=TensorProto(dtype="DT_FLOAT", float_val=[v]))
                          for m, v in zip(METRICS, values) if v is not None])


def representatives(lr, final_loss, rounds_to_target, diverged, count: int = CURVES) -> list[int]:
    """A handful of networks worth a loss curve: the smallest and largest η, the least final
    error, the fastest to the target, the median final error, the first diverged."""
    fin = np.where(diverged, np.inf, final_loss)
    picks = [int(np.argmin(lr)), int(np.argmax(lr)), int(np.argmin(fin))]
    if (rounds_to_target > 0).any():
        picks.append(int(np.argmin(np.where(rounds_to_target > 0, rounds_to_target, np.iinfo(np.int64).max))))
    ok = np.flatnonzero(~diverged)
    if len(ok):
        picks.append(int(ok[np.argsort(fin[ok], kind="stable")[len(ok) // 2]]))
    if diverged.any():
        picks.append(int(np.flatnonzero(diverged)[0]))
    return list(dict.fromkeys(picks))[:count]


def _session_start(hparams: dict):
    info = SessionStartInfo()
    for key, value in hparams.items():
        info.hparams[key].number_value = value
    return _hparams_summary("_hparams_/session_start_info", HParamsPluginData(session_start_info=info, version=0))


def _session_end():
    return _hparams_summary("_hparams_/session_end_info",
                            HParamsPluginData(session_end_info=SessionEndInfo(status=Status.STATUS_SUCCESS), version=0))


def _hparams_summary(tag: str, data):
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="hparams",
                                                                  content=data.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta)])


def _frame(events: list) -> list[bytes]:
    """Each event as a framed TFRecord."""
    return [frame(e.SerializeToString()) for e in events]


def _write_event_file(folder: Path, records: list[bytes]) -> None:
    """One event file in `folder` (created), written at once and atomically: whole or absent."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}.{os.getpid()}.torch_bp"
    atomic_write(folder / name, b"".join(records))

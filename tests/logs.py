"""Read a run's logs back the way a user's tools would: csv, and TensorBoard's own loader."""
import csv
from pathlib import Path

import numpy as np

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util


def read_history(logdir) -> dict[str, list[float]]:
    """history.csv as {column: values}, rounds as ints."""
    with open(Path(logdir) / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    cols = {name: [float(r[k]) for r in body] for k, name in enumerate(header)}
    cols["round"] = [int(v) for v in cols["round"]]
    return cols


def same_history(a: dict, b: dict) -> bool:
    """Two read_history() results with the same columns and values, bitwise; NaN (a round
    whose curvature/* was not measured) equal to NaN."""
    return list(a) == list(b) and all(np.array_equal(a[c], b[c], equal_nan=True) for c in a)


def read_events(logdir) -> list:
    events = []
    for path in sorted(Path(logdir).glob("events.out.tfevents.*")):
        events += list(EventFileLoader(str(path)).Load())
    return events


def read_scalars(logdir) -> dict[str, dict[int, float]]:
    """{tag: {step: value}} of every scalar-plugin value in the run's event files. As in
    TensorBoard, a tag's plugin is the one named by the first value that names one."""
    plugin: dict[str, str] = {}
    out: dict[str, dict[int, float]] = {}
    for event in read_events(logdir):
        for v in event.summary.value:
            if v.tag not in plugin and v.HasField("metadata"):
                plugin[v.tag] = v.metadata.plugin_data.plugin_name
            if plugin.get(v.tag) == "scalars":
                out.setdefault(v.tag, {})[event.step] = float(tensor_util.make_ndarray(v.tensor))
    return out

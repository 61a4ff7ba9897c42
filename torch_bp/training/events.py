"""TensorBoard event files: a run's writer, its per-round scalars, and the repair of a file cut short.

An event file is a TFRecord file of `Event` protos. Each record is framed as
    length (uint64, little-endian) | masked CRC-32C of length | data | masked CRC-32C of data,
where masked(c) = ((c >> 15) | (c << 17)) + 0xA282EAD8 (mod 2**32). The events are TensorBoard's
own protobuf messages; the CRC-32C comes from the `crc32c` package (C, with the CPU's CRC
instruction), because TensorBoard's own, without TensorFlow, is a pure-Python loop over the
bytes, slower than a round of the lesson's arithmetic. A round's scalars share ONE event,
reused round after round (its values set in place, then serialized and framed): ~8 µs a round
for the deck's 23 values, against ~70 µs for the round itself.

What no library does is repair: a run stopped mid-write (a crash, a full disk) leaves a partial
last record, and TensorBoard stops reading at the first bad record, so whatever a resumed run
appends after it would never be shown. repair_event_file drops such a tail; damage anywhere
before the end is refused, since cutting there would lose the records after it.
"""
from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path

import crc32c
import numpy as np
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto

SCALARS_METADATA = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
HEADER = 12  # length (8 bytes) and its masked CRC (4)
FOOTER = 4   # the data's masked CRC


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C: the CRC rotated right by 15 bits plus 0xA282EAD8, mod 2**32."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord: length, masked CRC of the length, the data, masked CRC of the data."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


class ScalarRows:
    """Rounds of the same tags as framed records: one Event per round, one DT_FLOAT tensor per
    tag, as add_scalar(new_style=True) writes them (TensorBoard's fast loader ignores DT_DOUBLE
    scalars; history.csv keeps float64). The first event also says, per tag, that it is a
    scalar; TensorBoard keeps the first metadata it sees for a tag, so later events leave it out."""

    def __init__(self, tags: list[str]):
        self.tags = list(tags)
        self._event = Event(summary=Summary(value=[
            Summary.Value(tag=tag, metadata=SCALARS_METADATA, tensor=TensorProto(dtype="DT_FLOAT", float_val=[0.0]))
            for tag in self.tags]))
        self._values = [v.tensor.float_val for v in self._event.summary.value]  # set in place each round
        self._described = False

    def encode(self, steps, wall_times, values) -> bytes:
        """Framed records for rounds `steps` (N,), `wall_times` (N,) and `values` (N, len(tags)),
        each value rounded to float32 (beyond float32's range: ±inf)."""
        values = np.asarray(values)
        if values.ndim != 2 or values.shape[1] != len(self.tags) or not len(steps) == len(wall_times) == len(values):
            raise ValueError(f"expected N steps, N wall times and (N, {len(self.tags)}) values, got "
                             f"{np.shape(steps)}, {np.shape(wall_times)} and {values.shape}")
        event, out = self._event, []
        for step, wall_time, row in zip(np.asarray(steps).tolist(), np.asarray(wall_times).tolist(), values.tolist()):
            event.step, event.wall_time = step, wall_time
            for value, x in zip(self._values, row):
                value[0] = x  # protobuf rounds to float32
            out.append(frame(event.SerializeToString()))
            if not self._described:
                for value in event.summary.value:
                    value.ClearField("metadata")
                self._described = True
        return b"".join(out)


def _record_end(data: bytes, pos: int, path: Path) -> int | None:
    """Where the record at `pos` ends, or None if the file ends there: nothing left, a header
    cut short, a zero-filled tail (some file systems leave one after a crash), a record cut
    short. ValueError if the bytes there are none of those (its header's CRC does not hold)."""
    if len(data) - pos < HEADER:
        return None
    if masked_crc32c(data[pos:pos + 8]) != struct.unpack_from("<I", data, pos + 8)[0]:
        if any(data[pos:]):
            raise ValueError(f"{path}: damaged at byte {pos} of {len(data)} (not a record cut short); "
                             "TensorBoard stops reading there. Resume into a new --logdir")
        return None
    end = pos + HEADER + struct.unpack_from("<Q", data, pos)[0] + FOOTER
    return end if end <= len(data) else None


def _scan(data: bytes, path: Path) -> tuple[int, list[int]]:
    """Where the sound records at the start of `data` end, and their steps. A last record whose
    data CRC fails (garbled mid-write) is dropped with the tail; ValueError if more follow it."""
    view = memoryview(data)
    pos, steps, garbled = 0, [], None
    while (end := _record_end(view, pos, path)) is not None:
        if garbled is not None:
            raise ValueError(f"{path}: event record {len(steps) + 1} (at byte {garbled}) is damaged (its CRC "
                             "does not match); TensorBoard stops reading there. Resume into a new --logdir")
        body = view[pos + HEADER:end - FOOTER]
        if masked_crc32c(body) == struct.unpack_from("<I", data, end - FOOTER)[0]:
            steps.append(Event.FromString(body).step)
        else:
            garbled = pos
        pos = end
    return (pos if garbled is None else garbled), steps


def inspect_event_file(path: str | os.PathLike) -> tuple[int, int, set[int]]:
    """(the file's size, where its sound records end, the steps of those records); nothing is
    written. A partial or garbled last record, or a zero-filled tail, is not damage:
    repair_event_file drops it. ValueError for damage before the end: TensorBoard stops reading
    there, and cutting it would lose the records after it."""
    path = Path(path)
    data = path.read_bytes()
    end, steps = _scan(data, path)
    return len(data), end, set(steps)


def repair_event_file(path: str | os.PathLike) -> int:
    """Drop a cut or garbled tail (see inspect_event_file) so that records appended after it can
    be read; the bytes dropped. A whole file is not even opened for writing."""
    size, end, _ = inspect_event_file(path)
    if end < size:
        with open(path, "r+b") as f:
            f.truncate(end)
            os.fsync(f.fileno())
    return size - end


class EventWriter:
    """One TensorBoard event file: new in `logdir` (named as TensorBoard expects, then `suffix`),
    or the existing file `append_to`, its cut tail dropped first (see repair_event_file)."""

    def __init__(self, logdir: str | os.PathLike, append_to: str | os.PathLike | None = None, suffix: str = ""):
        if append_to is None:
            name = f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}.{os.getpid()}.torch_bp{suffix}"
            self.path = Path(logdir) / name
            self._file = open(self.path, "xb")
            self.write(Event(wall_time=time.time(), file_version="brain.Event:2"))
        else:
            self.path = Path(append_to)
            self.repaired_bytes = repair_event_file(self.path)
            self._file = open(self.path, "ab")

    def write(self, event: Event) -> None:
        self._file.write(frame(event.SerializeToString()))

    def write_summary(self, summary: Summary, step: int = 0) -> None:
        self.write(Event(wall_time=time.time(), step=step, summary=summary))

    def write_bytes(self, records: bytes) -> None:
        """Records already framed (ScalarRows.encode)."""
        self._file.write(records)

    def flush(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush and close; the file is closed even when the flush fails (a full disk), so no
        buffered bytes are left for the garbage collector to write later, into a resumed run."""
        if not self._file.closed:
            try:
                self.flush()
            finally:
                self._file.close()

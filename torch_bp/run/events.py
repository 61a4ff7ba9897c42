"""A TensorBoard event file writer that logs thousands of rounds of scalars cheaply.

TensorBoard reads TFRecord files of `Event` protos: per record, a little-endian uint64 length,
its masked CRC-32C, the serialized event, and the event's masked CRC-32C. torch's
SummaryWriter builds and checksums one proto per scalar in pure Python (~60 µs per
add_scalar). Here a round's scalars share ONE event, every round of a block has the same
layout, so protobuf encodes a template once, the per-round numbers (wall time, step, the
float64 values) are patched into it as raw bytes, and CRC-32C runs over the whole block at
once with numpy. Values are DT_FLOAT tensors, as add_scalar(new_style=True) writes them: the
fast loader behind `tensorboard --logdir` ignores DT_DOUBLE scalars. (history.csv keeps float64.)
"""
from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto


def _crc32c_table() -> np.ndarray:
    poly = 0x82F63B78  # CRC-32C (Castagnoli), reflected
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ poly, table >> 1).astype(np.uint32)
    return table


_TABLE = _crc32c_table()


def masked_crc32c_rows(data: np.ndarray) -> np.ndarray:
    """TFRecord's masked CRC-32C of every row of `data` (N, L) uint8 at once: (N,) uint32."""
    cols = np.ascontiguousarray(data.T)  # (L, N): one byte position of every row at a time
    crc = np.full(data.shape[0], 0xFFFFFFFF, dtype=np.uint32)
    for col in cols:
        crc = _TABLE[(crc ^ col) & 0xFF] ^ (crc >> 8)
    crc ^= np.uint32(0xFFFFFFFF)
    return ((crc >> 15) | (crc << 17)) + np.uint32(0xA282EAD8)  # uint32 wraps, as masking wants


def frame_records(data: np.ndarray) -> bytes:
    """TFRecord framing of N equal-length records (N, L) uint8: len, crc(len), data, crc(data)."""
    n, length = data.shape
    header = np.frombuffer(struct.pack("<Q", length), dtype=np.uint8)
    header_crc = masked_crc32c_rows(header[None]).view(np.uint8)
    framed = np.empty((n, 12 + length + 4), dtype=np.uint8)
    framed[:, :8] = header
    framed[:, 8:12] = header_crc
    framed[:, 12:-4] = data
    framed[:, -4:] = masked_crc32c_rows(data)[:, None].view(np.uint8)
    return framed.tobytes()


def _varint_len(n: int) -> int:
    return max(1, (int(n).bit_length() + 6) // 7)


SCALARS_METADATA = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))


class ScalarRows:
    """Encodes rounds of the same tags as events: one event per round, one value per tag.
    The first event also says, per tag, that it is a scalar (TensorBoard keeps the first
    metadata it sees for a tag, so later events leave it out: a third of the bytes)."""

    def __init__(self, tags: list[str]):
        self.tags = list(tags)
        self._templates: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]] = {}
        self._described = False

    def _template(self, step_len: int, metadata: bool):
        """Event bytes for a step whose varint has step_len bytes, and where the values go."""
        key = (step_len, metadata)
        if key not in self._templates:
            # float32 placeholders with non-ASCII bytes, so they stand out from tags and numbers
            sentinels = [bytes([0xA7, k & 0xFF, (k >> 8) & 0xFF, 0xC3 ^ (k >> 16)]) for k in range(len(self.tags))]
            values = [Summary.Value(tag=tag, metadata=SCALARS_METADATA if metadata else None,
                                    tensor=TensorProto(dtype="DT_FLOAT", float_val=struct.unpack("<f", s)))
                      for tag, s in zip(self.tags, sentinels)]
            step = 1 << (7 * (step_len - 1))  # smallest step with a varint this long
            blob = Event(wall_time=float.fromhex("0x1.5555555555555p+900"), step=step,
                         summary=Summary(value=values)).SerializeToString()
            if not all(blob.count(s) == 1 for s in sentinels):  # checked always, not by `assert`
                raise RuntimeError("event template: the placeholder bytes are not unique")
            if blob[0] != 0x09 or blob[9] != 0x10:  # wall_time (field 1, double), then step (field 2, varint)
                raise RuntimeError("event template: Event fields are not in the expected order")
            self._templates[key] = (np.frombuffer(blob, dtype=np.uint8), np.array([blob.index(s) for s in sentinels]))
        return self._templates[key]

    def encode(self, steps: np.ndarray, wall_times: np.ndarray, values: np.ndarray) -> bytes:
        """Framed records for rounds `steps` (N,) int, `wall_times` (N,), values (N, len(tags)) as float32."""
        steps = np.asarray(steps, dtype=np.int64)
        wall_times = np.asarray(wall_times, dtype="<f8")
        values = np.ascontiguousarray(values, dtype="<f4")
        if values.ndim != 2 or values.shape[1] != len(self.tags) or not len(steps) == len(wall_times) == len(values):
            raise ValueError(f"expected N steps, N wall times and (N, {len(self.tags)}) values, got "
                             f"{steps.shape}, {wall_times.shape} and {values.shape}")
        if len(steps) and steps.min() < 0:
            raise ValueError(f"steps must be >= 0, got {steps.min()}")
        out, first = [], 0
        if not self._described and len(steps):
            out.append(self._encode(steps[:1], wall_times[:1], values[:1], metadata=True))
            self._described, first = True, 1
        out.append(self._encode(steps[first:], wall_times[first:], values[first:], metadata=False))
        return b"".join(out)

    def _encode(self, steps, wall_times, values, metadata: bool) -> bytes:
        out = []
        lengths = np.array([_varint_len(s) for s in steps], dtype=np.int64)
        for step_len in np.unique(lengths).tolist():  # steps increase: a few runs of equal length
            rows = lengths == step_len
            template, offsets = self._template(step_len, metadata)
            s = steps[rows]
            data = np.repeat(template[None], len(s), axis=0)                       # (n, L)
            data[:, 1:9] = wall_times[rows, None].view(np.uint8)                   # field 1, double
            for j in range(step_len):  # field 2: little-endian base-128, high bit = more follow
                data[:, 10 + j] = ((s >> (7 * j)) & 0x7F) | (0x80 if j < step_len - 1 else 0)
            v = values[rows].view(np.uint8)                                        # (n, 4·tags)
            for k, at in enumerate(offsets):
                data[:, at:at + 4] = v[:, 4 * k:4 * k + 4]
            out.append(frame_records(data))
        return b"".join(out)


class EventWriter:
    """One TensorBoard event file: new in `logdir`, or an existing one to append to."""

    def __init__(self, logdir: str | os.PathLike, append_to: str | os.PathLike | None = None):
        if append_to is None:
            name = f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}.{os.getpid()}.torch_bp"
            self.path = Path(logdir) / name
            self._file = open(self.path, "xb")
            self.write(Event(wall_time=time.time(), file_version="brain.Event:2"))
        else:
            self.path = Path(append_to)
            self._file = open(self.path, "ab")

    def write(self, event: Event) -> None:
        blob = event.SerializeToString()
        self._file.write(frame_records(np.frombuffer(blob, dtype=np.uint8)[None]))

    def write_summary(self, summary: Summary, step: int = 0) -> None:
        self.write(Event(wall_time=time.time(), step=step, summary=summary))

    def write_bytes(self, records: bytes) -> None:
        self._file.write(records)

    def flush(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

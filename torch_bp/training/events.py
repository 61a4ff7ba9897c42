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


def _crc_registers(data: np.ndarray, init: int) -> np.ndarray:
    """The CRC-32C register after every row of `data` (N, L) uint8, from `init`: (N,) uint32."""
    cols = np.ascontiguousarray(data.T)  # (L, N): one byte position of every row at a time
    crc = np.full(data.shape[0], init, dtype=np.uint32)
    for col in cols:
        crc = _TABLE[(crc ^ col) & 0xFF] ^ (crc >> 8)
    return crc


CHUNK = 4096  # a row longer than 4 chunks is checksummed in chunks (one loop over L is slow)


def _zeros_shift(n: int) -> np.ndarray:
    """The register map of n zero bytes, as 4 tables (byte k of the register -> its image)."""
    basis = np.left_shift(np.uint32(1), np.arange(32, dtype=np.uint32))
    for _ in range(n):
        basis = _TABLE[basis & 0xFF] ^ (basis >> 8)
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1                       # (256, 8)
    return np.stack([np.bitwise_xor.reduce(np.where(bits, basis[8 * k:8 * k + 8], 0).astype(np.uint32), axis=1)
                     for k in range(4)])                                        # (4, 256)


_SHIFT_CHUNK = None


def _crc32c_long(row: np.ndarray) -> int:
    """CRC-32C of one long row in chunks. The register is linear in the bytes: from 0, the
    register of a || b is shift_|b|(register of a) ^ register of b, zero bytes in front change
    nothing, and the initial 0xFFFFFFFF is the same as flipping the first 4 bytes."""
    global _SHIFT_CHUNK
    if _SHIFT_CHUNK is None:
        _SHIFT_CHUNK = _zeros_shift(CHUNK)
    t = _SHIFT_CHUNK.tolist()
    msg = row.copy()
    msg[:4] ^= 0xFF
    msg = np.concatenate([np.zeros(-len(msg) % CHUNK, np.uint8), msg]).reshape(-1, CHUNK)
    acc = 0
    for reg in _crc_registers(msg, 0).tolist():
        acc = t[0][acc & 0xFF] ^ t[1][(acc >> 8) & 0xFF] ^ t[2][(acc >> 16) & 0xFF] ^ t[3][acc >> 24] ^ reg
    return acc ^ 0xFFFFFFFF


def masked_crc32c_rows(data: np.ndarray) -> np.ndarray:
    """TFRecord's masked CRC-32C of every row of `data` (N, L) uint8 at once: (N,) uint32."""
    if data.shape[1] > 4 * CHUNK and data.shape[0] * CHUNK < data.shape[1]:  # a few long rows
        crc = np.array([_crc32c_long(row) for row in data], dtype=np.uint32)
    else:
        crc = _crc_registers(data, 0xFFFFFFFF) ^ np.uint32(0xFFFFFFFF)
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
        with np.errstate(over="ignore"):  # beyond float32: inf in TensorBoard (history.csv keeps float64)
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


def _records(data: bytes) -> tuple[list[tuple[int, int]], int]:
    """The whole records at the start of a TFRecord file, (offset of the data, length) each,
    and where they end. A record is whole if its header's CRC holds and it fits the file."""
    records, pos, size = [], 0, len(data)
    while pos + 12 <= size:  # walk by the lengths first, check the headers' CRCs at once after
        (length,) = struct.unpack_from("<Q", data, pos)
        if pos + 12 + length + 4 > size:
            break
        records.append((pos + 12, length))
        pos += 12 + length + 4
    if records:
        buf = np.frombuffer(data, np.uint8)
        starts = np.array([at - 12 for at, _ in records])
        headers = buf[starts[:, None] + np.arange(8)]
        stored = buf[starts[:, None] + 8 + np.arange(4)].copy().view("<u4")[:, 0]
        bad = np.nonzero(masked_crc32c_rows(headers) != stored)[0]
        if len(bad):
            records, pos = records[:bad[0]], int(starts[bad[0]])
    return records, pos


def _first_bad_record(data: bytes, records: list[tuple[int, int]]) -> int | None:
    """The index of the first record whose data CRC fails; each run of records of one length
    is checked at once, as a strided (n, length) view of the file."""
    buf = np.frombuffer(data, np.uint8)
    k = 0
    while k < len(records):
        start, length = records[k]
        n = 1
        while k + n < len(records) and records[k + n][1] == length:
            n += 1
        stride = length + 16
        rows = np.lib.stride_tricks.as_strided(buf[start:], shape=(n, length), strides=(stride, 1))
        stored = np.lib.stride_tricks.as_strided(buf[start + length:], shape=(n, 4), strides=(stride, 1))
        bad = np.nonzero(masked_crc32c_rows(rows) != stored.copy().view("<u4")[:, 0])[0]
        if len(bad):
            return k + int(bad[0])
        k += n
    return None


def _step(data: bytes, at: int) -> int:
    """The step of the Event whose bytes start at `at` (0 if it has none)."""
    pos = at + (9 if data[at] == 0x09 else 0)  # field 1: wall_time, 8 bytes
    if data[pos] != 0x10:                       # field 2: step, a varint
        return 0
    step, shift, pos = 0, 0, pos + 1
    while True:
        byte = data[pos]
        step |= (byte & 0x7F) << shift
        if byte < 0x80:
            return step
        shift, pos = shift + 7, pos + 1


def inspect_event_file(path: str | os.PathLike) -> tuple[int, int, set[int]]:
    """(the file's size, where its whole records end, the steps of those records); nothing is
    written. ValueError if a record before the end is damaged: TensorBoard stops reading there,
    and cutting it would lose the records after it. A partial last record (a crash or a full
    disk mid-write) or a zero-filled tail is not damage: repair_event_file drops it."""
    path = Path(path)
    data = path.read_bytes()
    records, end = _records(data)
    bad = _first_bad_record(data, records)
    if bad is not None and bad < len(records) - 1:
        raise ValueError(f"{path}: event record {bad + 1} of {len(records)} is damaged (its CRC does not match); "
                         "TensorBoard stops reading there. Resume into a new --logdir")
    if bad is not None:  # the last record is garbled: it goes too
        records, end = records[:bad], records[bad][0] - 12
    tail = data[end:]
    header_ok = len(tail) >= 12 and masked_crc32c_rows(np.frombuffer(tail, np.uint8, 8)[None])[0] == \
        struct.unpack_from("<I", tail, 8)[0]
    if bad is None and len(tail) >= 12 and not header_ok and any(tail):  # neither cut short nor zero-filled
        raise ValueError(f"{path}: damaged at byte {end} of {len(data)} (not a record cut short); "
                         "TensorBoard stops reading there. Resume into a new --logdir")
    return len(data), end, {_step(data, at) for at, n in records if n}


def repair_event_file(path: str | os.PathLike) -> int:
    """Drop a partial last record so that records appended after it can be read (see
    inspect_event_file); returns the bytes dropped."""
    size, end, _ = inspect_event_file(path)
    if end < size:
        with open(path, "r+b") as f:
            f.truncate(end)
            f.flush()
            os.fsync(f.fileno())
    return size - end


class EventWriter:
    """One TensorBoard event file: new in `logdir`, or an existing one to append to (its
    partial last record, if any, dropped first: see repair_event_file)."""

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
        """One event, framed with TensorBoard's own CRC-32C: a byte loop, which for one record
        beats masked_crc32c_rows (that pays per byte position: ~0.8 s for a 70 kB picture)."""
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
        blob = event.SerializeToString()
        header = struct.pack("<Q", len(blob))
        self._file.write(header + struct.pack("<I", masked_crc32c(header)) + blob + struct.pack("<I", masked_crc32c(blob)))

    def write_summary(self, summary: Summary, step: int = 0) -> None:
        self.write(Event(wall_time=time.time(), step=step, summary=summary))

    def write_bytes(self, records: bytes) -> None:
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

"""The event writer against TensorBoard's own writer and reader.

The writer reuses one Event per round and frames it with the `crc32c` package's CRC-32C; here its
bytes must equal, record for record, `Event(...).SerializeToString()` framed by TensorBoard's
RecordWriter (whose CRC-32C is TensorBoard's pure-Python one), and TensorBoard's EventFileLoader
must read back the exact float32 values and steps. A tag's "scalars" metadata goes in its first
event only (TensorBoard keeps the first it sees).
"""
from __future__ import annotations

import io
import struct
import time
import warnings

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.types_pb2 import DT_FLOAT
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c, masked_crc32c as tb_masked_crc32c
from tensorboard.summary.writer.record_writer import RecordWriter

from torch_bp.training.events import EventWriter, ScalarRows, frame, masked_crc32c

SCALARS = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
# a step's varint is 1 byte below 2**7, 2 below 2**14, ...: both sides of every length, up to int64's 9 bytes
EDGES = [1, 2, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**28 - 1, 2**28, 2**35 - 1, 2**35, 2**49,
         2**56 - 1, 2**56, 2**63 - 1]


def reference(tags, steps, wall_times, values, described: bool) -> bytes:
    """TensorBoard's writer: one Event per round, the metadata in the very first one unless described."""
    out = io.BytesIO()
    writer = RecordWriter(out)
    for r, (step, wall_time, row) in enumerate(zip(steps, wall_times, values)):
        first = r == 0 and not described
        summary = Summary(value=[Summary.Value(tag=tag, metadata=SCALARS if first else None,
                                               tensor=TensorProto(dtype="DT_FLOAT", float_val=[v]))
                                 for tag, v in zip(tags, row.tolist())])
        writer.write(Event(wall_time=float(wall_time), step=int(step), summary=summary).SerializeToString())
    return out.getvalue()


def rounds(steps, n_tags, seed=0):
    """Wall times and float32 values (random, and some special ones) for these steps."""
    g = np.random.default_rng(seed)
    steps = np.asarray(steps, dtype=np.int64)
    wall_times = 1.7e9 + np.cumsum(g.uniform(0, 1e-3, len(steps)))
    values = g.standard_normal((len(steps), n_tags))
    values = (values * 10.0 ** g.integers(-8, 8, values.shape)).astype(np.float32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, 1e-45, 3.4e38], dtype=np.float32)
    values.flat[:min(values.size, len(specials))] = specials[:values.size]
    return steps, wall_times, values


def loaded(path) -> list[Event]:
    return list(EventFileLoader(str(path)).Load())


def test_rounds_in_blocks_equal_tensorboards_records():
    """Steps 1 … 300 and every varint length beyond, written in blocks as a run flushes them."""
    steps, wall_times, values = rounds(np.concatenate([np.arange(1, 301), EDGES[2:]]), 1)
    rows = ScalarRows(["loss/total"])
    blocks = [slice(0, 1), slice(1, 127), slice(127, 300), slice(300, None)]
    got = b"".join(rows.encode(steps[b], wall_times[b], values[b]) for b in blocks)
    assert got == reference(["loss/total"], steps, wall_times, values, described=False)


@pytest.mark.parametrize("n_tags", [1, 2, 23, 300])
def test_many_tags_every_varint_length(n_tags):
    """Up to hundreds of tags (a per-scalar log of a network with 130-350 parameters)."""
    tags = [f"param/L{k // 50 + 1}.w{k}" for k in range(n_tags)]
    steps, wall_times, values = rounds(EDGES, n_tags, seed=n_tags)
    rows = ScalarRows(tags)
    first = rows.encode(steps[:3], wall_times[:3], values[:3])
    assert first == reference(tags, steps[:3], wall_times[:3], values[:3], described=False)
    later = rows.encode(steps[3:], wall_times[3:], values[3:])  # metadata already given
    assert later == reference(tags, steps[3:], wall_times[3:], values[3:], described=True)


def test_tensorboard_reads_back_the_exact_float32_values_and_steps(tmp_path):
    """Read back by TensorBoard's loader: float64 values rounded to float32 as numpy rounds
    them, the steps as given, the scalars metadata once per tag."""
    tags = ["loss/total", "w/w1", "w/w2"]
    steps, wall_times, _ = rounds([1, 2, 200, 2**40], len(tags))
    values = np.random.default_rng(5).standard_normal((4, 3)) * [[1.0], [1e-30], [1e30], [1e-40]]  # float64
    writer = EventWriter(tmp_path)
    rows = ScalarRows(tags)
    writer.write_bytes(rows.encode(steps[:2], wall_times[:2], values[:2]))
    writer.write_bytes(rows.encode(steps[2:], wall_times[2:], values[2:]))
    writer.close()
    events = loaded(writer.path)
    assert events[0].file_version == "brain.Event:2"
    assert [e.step for e in events[1:]] == steps.tolist()
    assert [e.wall_time for e in events[1:]] == wall_times.tolist()
    with_metadata = [[v.HasField("metadata") for v in e.summary.value] for e in events[1:]]
    assert with_metadata == [[True] * 3, [False] * 3, [False] * 3, [False] * 3]
    assert events[1].summary.value[0].metadata.plugin_data.plugin_name == "scalars"
    assert all(v.tensor.dtype == DT_FLOAT for e in events[1:] for v in e.summary.value)
    got = np.array([[v.tensor.float_val[0] for v in e.summary.value] for e in events[1:]], dtype=np.float32)
    np.testing.assert_array_equal(got, values.astype(np.float32))


def test_values_beyond_float32_become_infinite_without_a_warning(tmp_path):
    """float64 values beyond float32's range are written as ±inf (history.csv keeps them),
    quietly: a run logging them must not warn every round."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = ScalarRows(["a", "b", "c"]).encode([1, 2], [1.0, 2.0], np.array([[1e39, -1e300, 1.5],
                                                                                [3.0, 1e308, -2e38]]))
    (tmp_path / "e").write_bytes(data)
    got = [[v.tensor.float_val[0] for v in e.summary.value] for e in loaded(tmp_path / "e")]
    assert got == [[np.inf, -np.inf, 1.5], [3.0, np.inf, float(np.float32(-2e38))]]


def test_any_numeric_input_is_written_as_double_wall_times_and_float32_values():
    """Whatever array types or lists the caller passes, the same records."""
    tags = ["a", "b"]
    steps, wall_times, values = rounds([1, 2, 300], len(tags))
    expected = reference(tags, steps, wall_times.astype(np.float32), values, described=False)
    got = ScalarRows(tags).encode(steps.astype(np.int32), wall_times.astype(np.float32), values.astype(np.float64))
    assert got == expected
    assert ScalarRows(tags).encode(steps.tolist(), wall_times.astype(np.float32).tolist(), values.tolist()) == expected


@pytest.mark.parametrize("steps, wall_times, values", [
    ([1, 2], [1.0, 2.0], [1.0, 2.0]),                    # values not (N, tags)
    ([1, 2], [1.0, 2.0], [[1.0, 2.0, 3.0]] * 2),         # a value too many
    ([1, 2, 3], [1.0, 2.0], [[1.0, 2.0]] * 2),           # a step too many
    ([1, 2], [1.0, 2.0, 3.0], [[1.0, 2.0]] * 2),         # a wall time too many
    ([1, 2], [1.0, 2.0], [[1.0, 2.0]] * 3),              # a row too many
])
def test_mismatched_rounds_are_refused(steps, wall_times, values):
    with pytest.raises(ValueError, match=r"expected N steps, N wall times and \(N, 2\) values"):
        ScalarRows(["a", "b"]).encode(steps, wall_times, values)


@pytest.mark.parametrize("size", [0, 1, 100, 70_000])  # up to a network picture's PNG
def test_write_frames_one_event_as_tensorboard_does(tmp_path, size):
    writer = EventWriter(tmp_path)
    event = Event(wall_time=1.5, step=7, summary=Summary(value=[Summary.Value(tag="a", simple_value=2.0)]),
                  file_version="x" * size)
    writer.write(event)
    writer.close()
    assert writer.path.read_bytes().endswith(reference_record(event.SerializeToString()))
    assert frame(event.SerializeToString()) == reference_record(event.SerializeToString())


def raw_events(data: bytes) -> list[Event]:
    """The Events of a file as written (TensorBoard's loader would convert simple values)."""
    events = []
    while data:
        (length,) = struct.unpack("<Q", data[:8])
        events.append(Event.FromString(data[12:12 + length]))
        data = data[12 + length + 4:]
    return events


def reference_record(blob: bytes) -> bytes:
    out = io.BytesIO()
    RecordWriter(out).write(blob)
    return out.getvalue()


@pytest.mark.parametrize("data, crc", [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),                       # the CRC-32C check value
    (bytes(32), 0x8A9136AA),                          # RFC 3720 B.4: 32 bytes of zeros
    (bytes([0xFF] * 32), 0x62A8AB43),                 # 32 bytes of ones
    (bytes(range(32)), 0x46DD794E),                   # 32 incrementing bytes
    (bytes(range(31, -1, -1)), 0x113FDB5C),           # 32 decrementing bytes
])
def test_crc32c_known_vectors(data, crc):
    """masked_crc32c against published CRC-32C values, masked as TFRecord masks them."""
    masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    assert masked_crc32c(data) == masked
    assert crc32c(data) == crc  # the vector itself, by TensorBoard's own CRC


@pytest.mark.parametrize("length", [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 4095, 4096, 4097, 65_537])
def test_masked_crc32c_equals_tensorboards(length):
    """Around the word and block sizes a hardware CRC works in, and unaligned (a view into a file)."""
    data = np.random.default_rng(length).integers(0, 256, length + 3, dtype=np.uint8).tobytes()
    assert masked_crc32c(data[3:]) == tb_masked_crc32c(data[3:])
    assert masked_crc32c(memoryview(data)[3:]) == tb_masked_crc32c(data[3:])


def test_appending_keeps_the_records_already_there(tmp_path):
    tags = ["loss/total"]
    steps, wall_times, values = rounds([1, 2, 3, 4], 1)
    first = EventWriter(tmp_path)
    first.write_bytes(ScalarRows(tags).encode(steps[:2], wall_times[:2], values[:2]))
    first.close()
    before = first.path.read_bytes()
    again = EventWriter(tmp_path, append_to=first.path)
    assert again.path == first.path
    rows = ScalarRows(tags)
    rows.encode(steps[:1], wall_times[:1], values[:1])  # the tag was described in the first part
    again.write_bytes(rows.encode(steps[2:], wall_times[2:], values[2:]))
    again.close()
    assert first.path.read_bytes() == before + reference(tags, steps[2:], wall_times[2:], values[2:], described=True)
    assert [e.step for e in loaded(first.path)] == [0, 1, 2, 3, 4]


def test_file_version_event_and_summaries_carry_the_time_and_step(tmp_path):
    start = time.time()
    writer = EventWriter(tmp_path)
    summary = Summary(value=[Summary.Value(tag="text", simple_value=1.0)])
    writer.write_summary(summary, step=42)
    writer.write_summary(summary)  # step 0 unless given
    writer.close()
    version, given, default = raw_events(writer.path.read_bytes())
    assert version.file_version == "brain.Event:2"
    assert (given.step, default.step) == (42, 0) and given.summary == default.summary == summary
    assert all(start <= e.wall_time <= time.time() for e in (version, given, default))


def test_flush_writes_through_and_close_closes(tmp_path):
    writer = EventWriter(tmp_path)
    writer.flush()
    header = writer.path.stat().st_size
    assert header == len(reference_record(Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()))
    records = ScalarRows(["a"]).encode([1], [1.0], [[1.0]])
    writer.write_bytes(records)
    writer.flush()
    assert writer.path.stat().st_size == header + len(records)  # readers see it before close
    writer.close()
    writer.close()  # twice is fine
    with pytest.raises(ValueError):
        writer.write_bytes(records)

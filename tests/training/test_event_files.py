"""Event files on disk, directly through torch_bp.training.events: reading the records back,
finding a damaged or cut one, and repairing a cut tail before a resumed run appends
(the fault tests go through train.py; these are the fast unit tests the mutation run uses).

The oracles are TensorBoard's own: RecordWriter frames the reference files (so every record's
offsets are known by construction), EventFileLoader reads files back, and its pure-Python
masked_crc32c tells garbage from a header.
"""
from __future__ import annotations

import functools
import io
import os
import random
import re
import socket
import time

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
from tensorboard.summary.writer.record_writer import RecordWriter

from torch_bp.training.events import EventWriter, ScalarRows, inspect_event_file, repair_event_file

# every varint length of a step from 1 to 9 bytes, on both sides of each boundary; 2**7k is a
# 0x80 byte (no bits, more follow) before the last one
STEPS = [1, 2, 16, 127, 128, 129, 255, 256, 2**14 - 1, 2**14, 2**21 - 1, 2**21, 2**28 - 1, 2**28,
         2**35 - 1, 2**35, 2**42, 2**49 - 1, 2**49, 2**56 - 1, 2**56, 2**63 - 1]


def framed(event: Event | bytes) -> bytes:
    """One record as TensorBoard's RecordWriter frames it."""
    out = io.BytesIO()
    RecordWriter(out).write(event if isinstance(event, bytes) else event.SerializeToString())
    return out.getvalue()


def scalar(step: int, value: float = 1.0, wall_time: float | None = 1.7e9, tag: str = "loss") -> Event:
    summary = Summary(value=[Summary.Value(tag=tag, tensor=TensorProto(dtype="DT_FLOAT", float_val=[value]))])
    if wall_time is None:
        return Event(step=step, summary=summary)
    return Event(wall_time=wall_time, step=step, summary=summary)


def write_records(path, events) -> list[tuple[int, int]]:
    """The events, framed by TensorBoard, as the file `path`; each record's (start, end)."""
    records = [framed(e) for e in events]
    path.write_bytes(b"".join(records))
    ends = np.cumsum([len(r) for r in records]).tolist()
    return list(zip([0] + ends[:-1], ends))


def loaded_steps(path) -> list[int]:
    return [e.step for e in EventFileLoader(str(path)).Load()]


@functools.cache
def _mixed_events() -> tuple[bytes, ...]:
    return tuple(e.SerializeToString() for e in _build_mixed_events())


def mixed_events(pictures: bool = True) -> list[Event]:
    """_build_mixed_events(), without its two pictures unless `pictures`."""
    events = [Event.FromString(blob) for blob in _mixed_events()]
    return events if pictures else [e for e in events if e.step not in (300, 301)]


def _build_mixed_events() -> list[Event]:
    """A file's events in runs of equal record length (a step with a longer varint makes a
    longer record): runs of 1, 4, 1 and 3 records, then 2 long records (pictures, 20 kB, that
    the file check reads past), then 2 more."""
    picture = [Event(wall_time=1.7e9 + k, step=300 + k, summary=Summary(value=[Summary.Value(
        tag="picture", tensor=TensorProto(dtype="DT_STRING", string_val=[random.Random(k).randbytes(20_000)]))]))
        for k in range(2)]
    return ([Event(wall_time=1.7e9, file_version="brain.Event:2")]
            + [scalar(s, value=s / 7) for s in (1, 2, 3, 4)]
            + [scalar(200)]
            + [scalar(s, value=s / 7) for s in (20_000, 20_001, 20_002)]
            + picture
            + [scalar(s, value=-s) for s in (2**21, 2**21 + 1)])


def test_a_whole_file_reads_back_every_step_and_repair_leaves_it_alone(tmp_path):
    """EventWriter + ScalarRows: inspect gives (size, size, the steps written) for steps of 1 to
    9 varint bytes, the file_version event being step 0, as TensorBoard's loader reads them;
    repairing drops nothing and does not even touch the file (a whole file may be read-only
    or being read)."""
    writer = EventWriter(tmp_path)
    rows = ScalarRows(["loss/total", "w/w1"])
    g = np.random.default_rng(0)
    for block in (STEPS[:1], STEPS[1:9], STEPS[9:]):
        writer.write_bytes(rows.encode(block, 1.7e9 + g.uniform(0, 1, len(block)), g.standard_normal((len(block), 2))))
    writer.close()
    size = writer.path.stat().st_size
    assert loaded_steps(writer.path) == [0] + STEPS
    assert inspect_event_file(writer.path) == (size, size, {0, *STEPS})
    os.utime(writer.path, ns=(10**18, 10**18))
    assert repair_event_file(writer.path) == 0
    assert writer.path.stat().st_size == size and writer.path.stat().st_mtime_ns == 10**18


def test_events_without_a_wall_time_or_a_step(tmp_path):
    """The step is read whether or not a wall time comes first; an event without a step is step
    0 (protobuf leaves a 0 out), an empty record has no step at all; all as TensorBoard reads them."""
    events = [Event(file_version="brain.Event:2"),                 # neither
              scalar(16, wall_time=None), scalar(129, wall_time=None), scalar(2**35, wall_time=None),
              Event(),                                              # an empty record
              scalar(0), Event(wall_time=5.0),                      # a wall time, no step
              scalar(2**63 - 1, wall_time=None), scalar(9), Event(wall_time=5.0, step=2**14)]
    write_records(tmp_path / "e", events)
    size = (tmp_path / "e").stat().st_size
    assert inspect_event_file(tmp_path / "e") == (size, size, set(loaded_steps(tmp_path / "e")))
    assert set(loaded_steps(tmp_path / "e")) == {0, 16, 129, 2**35, 2**63 - 1, 9, 2**14}


def test_an_empty_file_has_no_records(tmp_path):
    (tmp_path / "e").write_bytes(b"")
    assert inspect_event_file(tmp_path / "e") == (0, 0, set())
    assert repair_event_file(tmp_path / "e") == 0


@functools.cache
def zero_ending_record() -> Event:
    """A scalar event whose record ends in a 0 byte (its CRC's high byte): a file cut by just
    that byte has, right past its end, the byte a careless reader would find there (a NUL)."""
    step = next(s for s in range(1, 10_000) if framed(scalar(s))[-1] == 0)
    return scalar(step)


@pytest.mark.parametrize("last", ["scalar", "only record"])
def test_cut_at_every_offset_inside_the_last_record(tmp_path, last):
    """A file cut anywhere inside its last record (its 12-byte header included): inspect says
    its whole records end where that record starts, and repair drops exactly the cut bytes;
    a writer appending to a cut file repairs it likewise, and TensorBoard then reads every whole
    record and the new ones."""
    events = mixed_events()[:6] + [zero_ending_record()] if last == "scalar" else [zero_ending_record()]
    path = tmp_path / "e"
    bounds = write_records(path, events)
    whole = path.read_bytes()
    start, end = bounds[-1]
    kept = [e.step for e in events[:-1]]
    for cut in range(start + 1, end):
        path.write_bytes(whole[:cut])
        assert inspect_event_file(path) == (cut, start, set(kept)), cut
        if cut - start in (1, 8, 11, 12, 13) or end - cut in (1, 4, 5):
            writer = EventWriter(tmp_path, append_to=path)
            assert writer.repaired_bytes == cut - start and path.stat().st_size == start, cut
            writer.write(scalar(7, wall_time=3.0))
            writer.close()
            assert loaded_steps(path) == kept + [7], cut
        else:
            assert repair_event_file(path) == cut - start and path.read_bytes() == whole[:start], cut


@pytest.mark.parametrize("at", [0, 1, 11, 12, 13, 10_000, 20_011, 20_012, 20_015])
def test_a_long_record_cut_short_is_dropped(tmp_path, at):
    """The same for a long last record (a picture), cut in its header, data or CRC."""
    events = mixed_events()[:10]
    path = tmp_path / "e"
    bounds = write_records(path, events)
    start, end = bounds[-1]
    assert end - start > 20_015
    path.write_bytes(path.read_bytes()[:start + at])
    assert inspect_event_file(path) == (start + at, start, {e.step for e in events[:-1]})
    assert repair_event_file(path) == at
    assert path.stat().st_size == start and loaded_steps(path) == [e.step for e in events[:-1]]


def test_appending_to_a_whole_file_repairs_nothing_and_adds_no_file_version(tmp_path):
    first = EventWriter(tmp_path)
    first.write(scalar(1))
    first.close()
    before = first.path.read_bytes()
    again = EventWriter(tmp_path, append_to=first.path)
    assert again.repaired_bytes == 0
    again.write(scalar(2))
    again.close()
    assert first.path.read_bytes() == before + framed(scalar(2))
    events = list(EventFileLoader(str(first.path)).Load())
    assert [e.step for e in events] == [0, 1, 2]
    assert [e.file_version for e in events] == ["brain.Event:2", "", ""]


@pytest.mark.parametrize("zeros", [1, 11, 12, 15, 16, 17, 31, 32, 33, 48, 100])
def test_a_zero_filled_tail_is_dropped(tmp_path, zeros):
    """Zeros after the last record (a crash on some file systems leaves the file's new length
    zero-filled) are a cut, not damage: dropped, and the records before it kept."""
    events = mixed_events()[:7]
    path = tmp_path / "e"
    size = write_records(path, events)[-1][1]
    path.write_bytes(path.read_bytes() + bytes(zeros))
    assert inspect_event_file(path) == (size + zeros, size, {e.step for e in events})
    assert repair_event_file(path) == zeros
    assert path.stat().st_size == size


@pytest.mark.parametrize("n, zero_at", [(12, None), (12, 5), (13, None), (16, 11), (40, 0), (40, None)])
def test_garbage_after_the_last_record_is_refused(tmp_path, n, zero_at):
    """At least a header's worth of bytes that are neither a record cut short (its header's CRC
    holds) nor zeros: TensorBoard stops there, so it is an error naming the file and the byte,
    and the file is left as it is; a zero byte among the garbage makes it no less garbage."""
    events = mixed_events()[:5]
    path = tmp_path / "e"
    size = write_records(path, events)[-1][1]
    garbage = bytearray(random.Random(n).randbytes(n))
    garbage[0] |= 1
    if zero_at is not None:
        garbage[zero_at] = 0
    assert masked_crc32c(bytes(garbage[:8])) != int.from_bytes(garbage[8:12], "little")
    data = path.read_bytes() + bytes(garbage)
    path.write_bytes(data)
    message = re.escape(f"{path}: damaged at byte {size} of {size + n} ")
    with pytest.raises(ValueError, match=message):
        inspect_event_file(path)
    with pytest.raises(ValueError, match=message):
        repair_event_file(path)
    assert path.read_bytes() == data


@pytest.mark.parametrize("n", [1, 5, 11])
def test_a_tail_shorter_than_a_header_is_a_cut_header(tmp_path, n):
    events = mixed_events()[:3]
    path = tmp_path / "e"
    size = write_records(path, events)[-1][1]
    path.write_bytes(path.read_bytes() + random.Random(n).randbytes(n))
    assert inspect_event_file(path) == (size + n, size, {e.step for e in events})
    assert repair_event_file(path) == n


def damage_cases():
    """(pictures in the file, record, byte offset in the record): a byte of the length, of the
    length's CRC, of the data and of the data's CRC, in every record of the scalars; in and
    right after the long records of a file with pictures."""
    cases = []
    for pictures in (False, True):
        for k, event in enumerate(mixed_events(pictures)):
            n = len(framed(event))
            if not pictures:
                cases += [(pictures, k, at) for at in (0, 8, 11, 12, (12 + n - 4) // 2 + 6, n - 5, n - 1)]
            elif k in (9, 10, 11):
                cases += [(pictures, k, at) for at in (8, 12 + k, n - 2)]
    return cases


@functools.cache
def mixed_file(pictures: bool) -> tuple[bytes, list[tuple[int, int]]]:
    """The bytes of mixed_events(pictures) framed by TensorBoard, and each record's (start, end)."""
    records = [framed(e) for e in mixed_events(pictures)]
    ends = np.cumsum([len(r) for r in records]).tolist()
    return b"".join(records), list(zip([0] + ends[:-1], ends))


@pytest.mark.parametrize("pictures, k, at", damage_cases())
def test_a_flipped_byte_is_found_in_its_record(tmp_path, pictures, k, at):
    """One flipped byte, in any record of runs of equal and different lengths (the start, middle
    and end of a run): in a header, the file is damaged at that record's first byte; in the data
    or its CRC, at that record (record k+1 of n); in the last record's data, it is dropped."""
    events = mixed_events(pictures)
    path = tmp_path / "e"
    whole, bounds = mixed_file(pictures)
    data = bytearray(whole)
    start, end = bounds[k]
    data[start + at] ^= random.Random(k * 100 + at).randrange(1, 256)
    path.write_bytes(bytes(data))
    if at < 12:
        with pytest.raises(ValueError, match=re.escape(f"{path}: damaged at byte {start} of {len(data)} ")):
            inspect_event_file(path)
    elif k < len(events) - 1:
        with pytest.raises(ValueError, match=re.escape(f"{path}: event record {k + 1} (at byte {start}) is damaged")):
            inspect_event_file(path)
    else:
        assert inspect_event_file(path) == (len(data), start, {e.step for e in events[:-1]})
        assert repair_event_file(path) == end - start
        assert loaded_steps(path) == [e.step for e in events[:-1]]


@pytest.mark.parametrize("after", ["nothing", "a cut record", "zeros", "a whole record", "garbage"])
def test_a_garbled_last_record_goes_with_its_tail_and_one_before_a_record_is_refused(tmp_path, after):
    """A last record whose data is garbled (its header sound: the length can be trusted) is a
    write cut off mid-way: dropped, with a cut record or zeros after it. With a whole record or
    garbage after it, it is damage before the end: refused, the file left as it is."""
    events = mixed_events(pictures=False)[:5]
    path = tmp_path / "e"
    bounds = write_records(path, events)
    start, end = bounds[-1]
    data = bytearray(path.read_bytes())
    data[start + 14] ^= 0x5A
    data += {"nothing": b"", "a cut record": framed(scalar(99))[:-3], "zeros": bytes(40),
             "a whole record": framed(scalar(99)), "garbage": random.Random(7).randbytes(40)}[after]
    path.write_bytes(bytes(data))
    if after in ("a whole record", "garbage"):
        with pytest.raises(ValueError, match=re.escape(f"{path}: ")):
            repair_event_file(path)
        assert path.read_bytes() == data
    else:
        assert inspect_event_file(path) == (len(data), start, {e.step for e in events[:-1]})
        assert repair_event_file(path) == len(data) - start
        assert loaded_steps(path) == [e.step for e in events[:-1]]


def test_a_new_file_is_named_as_tensorboard_expects(tmp_path):
    """events.out.tfevents.<time>.<host>.<pid>.torch_bp, then the suffix if one is given (the
    pictures' file ends in its own, so that a resumed run finds the trainer's)."""
    before = time.time()
    plain, pictures = EventWriter(tmp_path), EventWriter(tmp_path, suffix=".images")
    for writer in (plain, pictures):
        writer.close()
    head = "events.out.tfevents."
    tail = f".{socket.gethostname()}.{os.getpid()}.torch_bp"
    assert plain.path.name.startswith(head) and plain.path.name.endswith(tail)
    assert before - 1e-6 <= float(plain.path.name[len(head):-len(tail)]) <= time.time()
    assert pictures.path.name.endswith(tail + ".images")
    assert loaded_steps(plain.path) == [0]

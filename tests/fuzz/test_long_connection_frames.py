"""The long connection's frame codec over generated frames and bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lark_async.callbacks.longconn import frame as codec
from lark_async.callbacks.longconn.frame import Frame, FrameError
from lark_async.testing.callbacks import wsframe

U64 = st.integers(0, 2**64 - 1)
I32 = st.integers(-(2**31), 2**31 - 1)
TEXT = st.text(max_size=20)
OPT_TEXT = st.none() | TEXT

frames = st.builds(
    Frame,
    seq_id=U64,
    log_id=U64,
    service=I32,
    method=I32,
    headers=st.lists(st.tuples(TEXT, TEXT), max_size=6).map(tuple),
    payload_encoding=OPT_TEXT,
    payload_type=OPT_TEXT,
    payload=st.none() | st.binary(max_size=300),
    log_id_new=OPT_TEXT,
)


@given(frames)
def test_every_frame_survives_a_round_trip_and_the_emulator_reads_it(frame: Frame) -> None:
    raw = codec.encode(frame)
    assert codec.decode(raw) == frame
    read = wsframe.decode(raw)
    assert read["SeqID"] == frame.seq_id and read["service"] == frame.service
    assert read["headers"] == list(frame.headers) and read.get("payload") == frame.payload
    assert wsframe.encode(read) == raw


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_frame_error(raw: bytes) -> None:
    try:
        frame = codec.decode(raw)
    except FrameError:
        return
    assert codec.decode(codec.encode(frame)) == frame

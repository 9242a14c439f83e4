"""The long connection's frame codec, against frames the official SDK encoded and decoded.

Vectors: tests/callbacks/data/ws_frames.json, made by make_ws_frames.py (beside it)
in a throwaway venv with lark-oapi; each holds the fields, the bytes the SDK's
``pbbp2_pb2.Frame`` wrote for them, and what the SDK read from our encoder's bytes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from lark_async.callbacks.longconn import frame as codec
from lark_async.callbacks.longconn.frame import Frame, FrameError
from lark_async.core.errors import InvalidParameter
from lark_async.testing.callbacks import wsframe

VECTORS = json.loads((Path(__file__).parent / "data" / "ws_frames.json").read_text("utf-8"))[
    "vectors"
]
IDS = [v["name"] for v in VECTORS]


def to_frame(fields: dict[str, Any]) -> Frame:
    return Frame(
        seq_id=fields["SeqID"],
        log_id=fields["LogID"],
        service=fields["service"],
        method=fields["method"],
        headers=tuple((k, v) for k, v in fields["headers"]),
        payload_encoding=fields.get("payload_encoding"),
        payload_type=fields.get("payload_type"),
        payload=base64.b64decode(fields["payload_b64"]) if "payload_b64" in fields else None,
        log_id_new=fields.get("LogIDNew"),
    )


def test_vectors_cover_every_kind() -> None:
    assert len(VECTORS) >= 10
    assert {"sdk_ping", "pong_with_config", "event_data", "card_data", "card_answer"} <= set(IDS)
    assert sum(name.startswith("multipart_") for name in IDS) == 3


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_decodes_the_sdks_bytes(vector: dict[str, Any]) -> None:
    assert codec.decode(bytes.fromhex(vector["sdk_hex"])) == to_frame(vector["frame"])


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_encodes_what_the_sdk_reads_back_identically(vector: dict[str, Any]) -> None:
    ours = codec.encode(to_frame(vector["frame"]))
    # Byte for byte what the SDK writes, and the SDK parsed our bytes into the same fields.
    assert ours.hex() == vector["sdk_hex"]
    assert vector["sdk_reads_ours"] == vector["frame"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_emulators_codec_agrees(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["sdk_hex"])
    fields = vector["frame"]
    decoded = wsframe.decode(raw)
    assert decoded["SeqID"] == fields["SeqID"] and decoded["service"] == fields["service"]
    assert decoded["headers"] == [tuple(h) for h in fields["headers"]]
    assert decoded.get("payload") == (
        base64.b64decode(fields["payload_b64"]) if "payload_b64" in fields else None
    )
    assert wsframe.encode(decoded) == raw


def test_card_answer_vector_is_the_sdks_response_shape() -> None:
    vector = next(v for v in VECTORS if v["name"] == "card_answer")
    frame = codec.decode(bytes.fromhex(vector["sdk_hex"]))
    assert frame.header(codec.BIZ_RT) == "12" and frame.method == codec.METHOD_DATA
    assert frame.payload is not None
    answer = json.loads(frame.payload)
    assert answer["code"] == 200
    assert json.loads(base64.b64decode(answer["data"]))["toast"]["type"] == "success"


def test_multipart_vectors_join_into_the_card_payload() -> None:
    parts = sorted(
        (codec.decode(bytes.fromhex(v["sdk_hex"])) for v in VECTORS if "multipart" in v["name"]),
        key=lambda f: f.int_header(codec.SEQ),
    )
    assert {f.int_header(codec.SUM) for f in parts} == {3}
    body = json.loads(b"".join(f.payload or b"" for f in parts))
    assert body["header"]["event_type"] == "card.action.trigger"


def test_unknown_fields_are_skipped() -> None:
    raw = codec.encode(Frame(seq_id=3, headers=(("type", "ping"),)))
    extra = bytes([0x50, 0x2A]) + bytes([0x5D, 1, 2, 3, 4]) + bytes([0x61]) + bytes(8)
    assert codec.decode(raw + extra) == Frame(seq_id=3, headers=(("type", "ping"),))


@pytest.mark.parametrize(
    "raw",
    [
        b"\x08",  # truncated varint
        b"\x08\x00\x10\x00\x18\x00",  # method missing
        bytes.fromhex("0800100018002000") + b"\x2a\x05\x0a\x01k",  # header cut short
        bytes.fromhex("0800100018002000") + b"\x2a\x03\x0a\x01k",  # header without value
        bytes.fromhex("0800100018002000") + b"\x42\xff",  # payload length past the end
        b"\x0b",  # group wire type
        b"\x08" + b"\xff" * 11,  # over-long varint
        bytes.fromhex("0800100018002000") + b"\x4a\x01\xff",  # LogIDNew not UTF-8
    ],
)
def test_malformed_bytes_raise_frame_error(raw: bytes) -> None:
    with pytest.raises(FrameError):
        codec.decode(raw)


def test_bad_input_is_a_typed_error() -> None:
    with pytest.raises(InvalidParameter):
        codec.decode("not bytes")  # type: ignore[arg-type]
    with pytest.raises(FrameError, match="seq_id"):
        codec.encode(Frame(seq_id=-1))
    with pytest.raises(FrameError, match="service"):
        codec.encode(Frame(service=1 << 31))


def test_int_header_tolerates_junk() -> None:
    frame = Frame(headers=(("sum", "x"), ("seq", "99999999999")))
    assert frame.int_header("sum", 1) == 1 and frame.int_header("seq") == 0

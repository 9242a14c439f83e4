"""The long connection's frame: protobuf message ``pbbp2.Frame``, encoded by hand.

Feishu's WebSocket event delivery sends every message as one binary WebSocket
message holding a protobuf ``Frame`` (proto2; the official SDKs ship it as
``pbbp2.proto``, e.g. github.com/larksuite/oapi-sdk-go ``ws/pbbp2.pb.go``)::

    message Header { required string key = 1; required string value = 2; }
    message Frame {
      required uint64 SeqID = 1;   required uint64 LogID = 2;
      required int32 service = 3;  required int32 method = 4;   // 0 control, 1 data
      repeated Header headers = 5;
      optional string payload_encoding = 6;  optional string payload_type = 7;
      optional bytes payload = 8;            optional string LogIDNew = 9;
    }

Only varints and length-delimited fields occur, so a few dozen lines do it; no
protobuf dependency. Unknown fields are skipped, as protobuf readers do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lark_async.core.errors import InvalidParameter

METHOD_CONTROL = 0
METHOD_DATA = 1

# Header keys (the same names in every official SDK).
TYPE = "type"  # control: "ping" / "pong"; data: "event" / "card"
MESSAGE_ID = "message_id"
SUM = "sum"  # how many parts the payload was split into
SEQ = "seq"  # this part's index, from 0
TRACE_ID = "trace_id"
BIZ_RT = "biz_rt"  # added to the answer: milliseconds the handling took

_MAX_U64 = (1 << 64) - 1


class FrameError(InvalidParameter):
    """Bytes that are not a well-formed ``pbbp2.Frame``."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame. ``headers`` keep their order and repeats, as on the wire.

    Optional fields are None when absent (proto2 tells absent from empty).
    """

    seq_id: int = 0
    log_id: int = 0
    service: int = 0
    method: int = METHOD_CONTROL
    headers: tuple[tuple[str, str], ...] = ()
    payload_encoding: str | None = None
    payload_type: str | None = None
    payload: bytes | None = field(default=None, repr=False)
    log_id_new: str | None = None

    def header(self, key: str) -> str | None:
        """The first value of header ``key``, or None."""
        for name, value in self.headers:
            if name == key:
                return value
        return None

    def int_header(self, key: str, default: int = 0) -> int:
        """Header ``key`` as a non-negative int (``default`` when absent or not a number)."""
        value = self.header(key)
        if value is None or not value.isdigit() or len(value) > 9:
            return default
        return int(value)


# -- encoding ---------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _bytes_field(number: int, data: bytes) -> bytes:
    return _key(number, 2) + _varint(len(data)) + data


def _int32(value: int) -> int:
    # A negative int32 is sent as its 64-bit two's complement (10 bytes).
    return value & _MAX_U64


def encode(frame: Frame) -> bytes:
    """The frame's protobuf bytes, fields in number order (as protobuf writers do)."""
    for name in ("seq_id", "log_id"):
        value = getattr(frame, name)
        if not isinstance(value, int) or not 0 <= value <= _MAX_U64:
            raise FrameError(f"{name} must be an unsigned 64-bit int, not {value!r}")
    for name in ("service", "method"):
        value = getattr(frame, name)
        if not isinstance(value, int) or not -(1 << 31) <= value < 1 << 31:
            raise FrameError(f"{name} must be a signed 32-bit int, not {value!r}")
    out = bytearray()
    out += _key(1, 0) + _varint(frame.seq_id)
    out += _key(2, 0) + _varint(frame.log_id)
    out += _key(3, 0) + _varint(_int32(frame.service))
    out += _key(4, 0) + _varint(_int32(frame.method))
    for key, value in frame.headers:
        header = _bytes_field(1, key.encode("utf-8")) + _bytes_field(2, value.encode("utf-8"))
        out += _bytes_field(5, header)
    if frame.payload_encoding is not None:
        out += _bytes_field(6, frame.payload_encoding.encode("utf-8"))
    if frame.payload_type is not None:
        out += _bytes_field(7, frame.payload_type.encode("utf-8"))
    if frame.payload is not None:
        out += _bytes_field(8, bytes(frame.payload))
    if frame.log_id_new is not None:
        out += _bytes_field(9, frame.log_id_new.encode("utf-8"))
    return bytes(out)


# -- decoding ---------------------------------------------------------------------


class _Reader:
    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def varint(self) -> int:
        result = shift = 0
        while True:
            if self.pos >= self.end:
                raise FrameError("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if result > _MAX_U64:
                    raise FrameError("varint longer than 64 bits")
                return result
            shift += 7
            if shift >= 70:
                raise FrameError("varint longer than 10 bytes")

    def chunk(self) -> bytes:
        length = self.varint()
        if length > self.end - self.pos:
            raise FrameError("truncated length-delimited field")
        start, self.pos = self.pos, self.pos + length
        return self.data[start : self.pos]

    def skip(self, wire_type: int) -> None:
        if wire_type == 0:
            self.varint()
        elif wire_type == 1:
            self._advance(8)
        elif wire_type == 2:
            self.chunk()
        elif wire_type == 5:
            self._advance(4)
        else:  # groups (3, 4) are long deprecated and never used by this message
            raise FrameError(f"unsupported wire type {wire_type}")

    def _advance(self, n: int) -> None:
        if n > self.end - self.pos:
            raise FrameError("truncated fixed-width field")
        self.pos += n

    def fields(self) -> list[tuple[int, int, int | bytes]]:
        """(number, wire type, value) for every varint and length-delimited field."""
        found: list[tuple[int, int, int | bytes]] = []
        while self.pos < self.end:
            key = self.varint()
            number, wire_type = key >> 3, key & 7
            if number == 0:
                raise FrameError("field number 0")
            if wire_type == 0:
                found.append((number, 0, self.varint()))
            elif wire_type == 2:
                found.append((number, 2, self.chunk()))
            else:
                self.skip(wire_type)
        return found


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError(f"{name} is not UTF-8") from None


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF  # protobuf truncates an int32 read from a wider varint
    return value - (1 << 32) if value >= 1 << 31 else value


def _header(raw: bytes) -> tuple[str, str]:
    key = value = None
    for number, wire_type, item in _Reader(raw).fields():
        if wire_type != 2 or number not in (1, 2):
            continue
        assert isinstance(item, bytes)
        if number == 1:
            key = _text(item, "header key")
        else:
            value = _text(item, "header value")
    if key is None or value is None:
        raise FrameError("a header lacks its key or value")
    return key, value


_VARINTS = {1: "seq_id", 2: "log_id", 3: "service", 4: "method"}
_STRINGS = {6: "payload_encoding", 7: "payload_type", 9: "log_id_new"}


def decode(data: bytes) -> Frame:
    """Parse a frame; :class:`FrameError` if the bytes are not one."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise FrameError(f"a frame is bytes, not {type(data).__name__}")
    values: dict[str, object] = {}
    headers: list[tuple[str, str]] = []
    for number, wire_type, item in _Reader(bytes(data)).fields():
        if number in _VARINTS and wire_type == 0:
            assert isinstance(item, int)
            name = _VARINTS[number]
            values[name] = _signed32(item) if number in (3, 4) else item
        elif number == 5 and wire_type == 2:
            assert isinstance(item, bytes)
            headers.append(_header(item))
        elif number in _STRINGS and wire_type == 2:
            assert isinstance(item, bytes)
            values[_STRINGS[number]] = _text(item, _STRINGS[number])
        elif number == 8 and wire_type == 2:
            values["payload"] = item
        # anything else: a field this version does not know, skipped
    missing = [name for name in _VARINTS.values() if name not in values]
    if missing:
        raise FrameError(f"required field(s) missing: {', '.join(missing)}")
    return Frame(headers=tuple(headers), **values)  # type: ignore[arg-type]

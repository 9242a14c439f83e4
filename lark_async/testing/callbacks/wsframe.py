"""The long connection's ``pbbp2.Frame``, emulator side (it imports nothing from the client).

Same message as the official SDKs' ``pbbp2.proto``: SeqID=1, LogID=2 (uint64),
service=3, method=4 (int32; 0 control, 1 data), repeated Header{key=1, value=2}=5,
payload_encoding=6, payload_type=7 (string), payload=8 (bytes), LogIDNew=9 (string).
A frame is a plain dict here: ``{"SeqID": .., "headers": [(k, v), ..], "payload": b".."}``.
"""

from __future__ import annotations

from typing import Any

_U64 = (1 << 64) - 1
_NUMBERS = {"SeqID": 1, "LogID": 2, "service": 3, "method": 4}
_OPTIONAL = {"payload_encoding": 6, "payload_type": 7, "payload": 8, "LogIDNew": 9}
_BY_NUMBER = {**{n: k for k, n in _NUMBERS.items()}, **{n: k for k, n in _OPTIONAL.items()}}


def _varint(n: int) -> bytes:
    n &= _U64
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _ld(number: int, raw: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(raw)) + raw


def encode(frame: dict[str, Any]) -> bytes:
    out = b"".join(_varint(n << 3) + _varint(int(frame.get(k, 0))) for k, n in _NUMBERS.items())
    for key, value in frame.get("headers", ()):
        out += _ld(5, _ld(1, key.encode()) + _ld(2, value.encode()))
    for name, number in _OPTIONAL.items():
        value = frame.get(name)
        if value is not None:
            out += _ld(number, value if isinstance(value, bytes) else value.encode())
    return out


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    pos = 0
    out: list[tuple[int, int | bytes]] = []

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            byte = data[pos]  # IndexError on truncation: the caller's ValueError
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    while pos < len(data):
        key = varint()
        if key & 7 == 0:
            out.append((key >> 3, varint()))
        elif key & 7 == 2:
            size = varint()
            if pos + size > len(data):
                raise ValueError("truncated frame")
            out.append((key >> 3, data[pos : pos + size]))
            pos += size
        else:
            raise ValueError(f"unexpected wire type {key & 7}")
    return out


def decode(data: bytes) -> dict[str, Any]:
    """The frame as a dict (``ValueError`` if malformed)."""
    try:
        fields = _fields(data)
    except IndexError:
        raise ValueError("truncated frame") from None
    frame: dict[str, Any] = {"headers": []}
    for number, value in fields:
        name = _BY_NUMBER.get(number)
        if number == 5 and isinstance(value, bytes):
            parts = dict(_fields(value))
            frame["headers"].append((bytes(parts[1]).decode(), bytes(parts[2]).decode()))
        elif name in ("service", "method") and isinstance(value, int):
            low = value & 0xFFFFFFFF
            frame[name] = low - (1 << 32) if low >= 1 << 31 else low
        elif name == "payload" or name in _NUMBERS:
            frame[name] = value
        elif name is not None and isinstance(value, bytes):
            frame[name] = value.decode()
    return frame


def header(frame: dict[str, Any], key: str) -> str | None:
    for name, value in frame.get("headers", ()):
        if name == key:
            return str(value)
    return None

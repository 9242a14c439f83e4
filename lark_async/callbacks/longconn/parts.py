"""Joining a payload Feishu split over several data frames (headers ``sum`` / ``seq``)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

DEFAULT_PART_TTL = 30.0  # the SDKs keep parts 5 s; a slow link may need longer
DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024


@dataclass
class _Partial:
    parts: list[bytes | None]
    started: float
    size: int = 0
    received: set[int] = field(default_factory=set)


class Reassembler:
    """Collects parts by message_id; gives the whole payload once every part arrived.

    Incomplete payloads are forgotten after ``ttl`` seconds, and the oldest ones
    first when more than ``max_bytes`` wait (so a stream of parts can't grow memory).
    """

    def __init__(
        self, *, ttl: float = DEFAULT_PART_TTL, max_bytes: int = DEFAULT_MAX_PENDING_BYTES
    ) -> None:
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._pending: OrderedDict[str, _Partial] = OrderedDict()
        self._size = 0
        self.dropped = 0  # incomplete payloads forgotten

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, message_id: str, total: int, seq: int, data: bytes, now: float) -> bytes | None:
        """Add one part; the joined payload when it was the last missing one, else None.

        Raises ValueError for a part that contradicts the message (seq out of range,
        a different ``sum`` than its first part).
        """
        self._expire(now)
        if not 0 <= seq < total:
            raise ValueError(f"part seq={seq} outside sum={total}")
        partial = self._pending.get(message_id)
        if partial is None:
            partial = self._pending[message_id] = _Partial([None] * total, now)
        elif len(partial.parts) != total:
            raise ValueError("parts of one message disagree on sum")
        if seq not in partial.received:  # a repeated part replaces nothing
            partial.parts[seq] = data
            partial.received.add(seq)
            partial.size += len(data)
            self._size += len(data)
        if len(partial.received) < total:
            self._shrink(keep=message_id)
            return None
        del self._pending[message_id]
        self._size -= partial.size
        return b"".join(part or b"" for part in partial.parts)

    def _expire(self, now: float) -> None:
        while self._pending:
            message_id, partial = next(iter(self._pending.items()))
            if now - partial.started < self._ttl:
                return
            self._forget(message_id)

    def _shrink(self, keep: str) -> None:
        for message_id in list(self._pending):
            if self._size <= self._max_bytes:
                return
            if message_id != keep:
                self._forget(message_id)
        if self._size > self._max_bytes:
            self._forget(keep)

    def _forget(self, message_id: str) -> None:
        partial = self._pending.pop(message_id)
        self._size -= partial.size
        self.dropped += 1

"""Durations of opus and mp4 files, read from their headers (no whole-file read).

Feishu wants ``duration`` (ms) with audio/video uploads so the client can show
it before playback. mp4: the ``mvhd`` box of ``moov`` (walking box headers with
seeks). Ogg Opus: the granule position of the last page, minus the pre-skip
from ``OpusHead``, at 48 kHz. Anything unexpected gives ``None``, never an error:
the duration is a nicety, not a reason to refuse an upload.
"""

from __future__ import annotations

import struct
from typing import IO

_OPUS_RATE = 48_000
_TAIL = 64 * 1024  # an Ogg page is at most ~64 KB, so the last one starts in here


def mp4_duration_ms(fh: IO[bytes], size: int) -> int | None:
    try:
        moov = _find_box(fh, 0, size, b"moov")
        if moov is None:
            return None
        mvhd = _find_box(fh, moov[0], moov[1], b"mvhd")
        if mvhd is None:
            return None
        fh.seek(mvhd[0])
        head = fh.read(32)
        version = head[0]
        if version == 1:
            timescale, duration = struct.unpack(">IQ", head[20:32])
        else:
            timescale, duration = struct.unpack(">II", head[12:20])
        if timescale <= 0:
            return None
        return round(int(duration) * 1000 / int(timescale))
    except (OSError, struct.error, IndexError):
        return None


def _find_box(fh: IO[bytes], start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """(payload start, box end) of the first ``kind`` box between start and end."""
    pos = start
    while pos + 8 <= end:
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            return None
        size, box = struct.unpack(">I4s", header[:8])
        payload = pos + 8
        if size == 1:  # 64-bit size follows
            size = struct.unpack(">Q", header[8:16])[0]
            payload = pos + 16
        elif size == 0:  # box runs to the end
            size = end - pos
        if size < 8:
            return None
        if box == kind:
            return payload, min(pos + size, end)
        pos += size
    return None


def opus_duration_ms(fh: IO[bytes], size: int) -> int | None:
    try:
        fh.seek(0)
        head = fh.read(min(size, 4096))
        at = head.find(b"OpusHead")
        if at < 0:
            return None
        pre_skip = int(struct.unpack("<H", head[at + 10 : at + 12])[0])
        fh.seek(max(0, size - _TAIL))
        tail = fh.read(_TAIL)
        last = tail.rfind(b"OggS")
        if last < 0 or last + 14 > len(tail):
            return None
        granule = int(struct.unpack("<q", tail[last + 6 : last + 14])[0])
        if granule <= pre_skip:
            return None
        return round((granule - pre_skip) * 1000 / _OPUS_RATE)
    except (OSError, struct.error, IndexError):
        return None

"""Tiny but real file headers, so type detection sees what a real file starts with."""

from __future__ import annotations

import struct

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 64
WEBP = b"RIFF" + struct.pack("<I", 80) + b"WEBPVP8 " + b"\x00" * 64
TIFF = b"II*\x00" + b"\x08\x00\x00\x00" + b"\x00" * 64
BMP = b"BM" + struct.pack("<I", 90) + b"\x00" * 84
ICO = b"\x00\x00\x01\x00\x01\x00" + b"\x10\x10" + b"\x00" * 64
HEIC = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n<<>>\nendobj\n" * 4
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(duration_ms: int = 5000, *, moov_last: bool = True) -> bytes:
    """ftyp + mdat + moov/mvhd (v0, timescale 1000); moov at the end like many encoders."""
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    mvhd = box(
        b"mvhd",
        b"\x00\x00\x00\x00"  # version 0, flags
        + struct.pack(">IIII", 0, 0, 1000, duration_ms)
        + b"\x00" * 80,
    )
    moov = box(b"moov", mvhd)
    mdat = box(b"mdat", b"\x00" * 256)
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def _ogg_page(granule: int, payload: bytes, header_type: int, seq: int) -> bytes:
    return (
        b"OggS\x00"
        + bytes([header_type])
        + struct.pack("<qIII", granule, 1234, seq, 0)
        + bytes([1, len(payload)])
        + payload
    )


def opus(duration_ms: int = 3000, pre_skip: int = 312) -> bytes:
    head = b"OpusHead\x01\x01" + struct.pack("<HIhB", pre_skip, 48000, 0, 0)
    tags = b"OpusTags" + b"\x00" * 16
    last_granule = pre_skip + duration_ms * 48
    return (
        _ogg_page(0, head, 2, 0)
        + _ogg_page(0, tags, 0, 1)
        + _ogg_page(last_granule // 2, b"\x00" * 100, 0, 2)
        + _ogg_page(last_granule, b"\x00" * 100, 4, 3)
    )

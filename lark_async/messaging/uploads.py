"""Checks for image and file uploads (Feishu IM docs), done before any request.

The type is read from the content (the ``filetype`` package, first 8 KB), not
taken from the name: ``chart.png`` holding a PDF is refused. Files are streamed
by the transport from disk or from the file object; only the first bytes are
read here (plus header seeks to find an opus/mp4 duration).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, get_args

import filetype

from lark_async.messaging._checks import MB, invalid
from lark_async.messaging.media_probe import mp4_duration_ms, opus_duration_ms

UploadSource = str | os.PathLike[str] | bytes | bytearray | IO[bytes]
FileType = Literal["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"]
FILE_TYPES: tuple[str, ...] = get_args(FileType)
ImageType = Literal["message", "avatar"]

MAX_IMAGE_BYTES = 10 * MB
MAX_FILE_BYTES = 30 * MB
_HEAD = 8192
_MAX_DURATION_MS = 2**31 - 1  # Feishu's duration is a 32-bit int

# filetype's extension -> how Feishu names the image format
IMAGE_FORMATS: dict[str, str] = {
    "jpg": "JPEG",
    "png": "PNG",
    "apng": "PNG",
    "webp": "WEBP",
    "gif": "GIF",
    "tif": "TIFF",
    "bmp": "BMP",
    "ico": "ICO",
    "heic": "HEIC",
}
_ALLOWED_IMAGES = "JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO, HEIC"
# detected kind -> Feishu file_type; anything else is uploaded as "stream"
_FILE_TYPE_OF: dict[str, FileType] = {
    "opus": "opus",
    "mp4": "mp4",
    "pdf": "pdf",
    "doc": "doc",
    "docx": "doc",
    "xls": "xls",
    "xlsx": "xls",
    "ppt": "ppt",
    "pptx": "ppt",
}
# Office containers filetype cannot always tell apart: accept them for any office type.
_OFFICE_CONTAINERS = frozenset({"ole", "zip"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class PreparedUpload:
    """What goes into the multipart form, checked."""

    filename: str
    content: Path | bytes | IO[bytes]
    size: int
    detected: str | None  # the kind found in the content (extension), if any
    mime: str
    file_type: FileType | None = None
    duration_ms: int | None = None


@dataclass
class _Opened:
    name: str | None
    content: Path | bytes | IO[bytes]
    size: int
    head: bytes
    reopen: Callable[[], AbstractContextManager[IO[bytes]]]


def detect(head: bytes) -> str | None:
    """The kind of content from its first bytes: an extension, ``opus``, ``ole``, or None."""
    kind = filetype.guess(head) if head else None
    ext = kind.extension if kind is not None else None
    if ext == "ogg" and b"OpusHead" in head[:512]:
        return "opus"
    if ext is None and head.startswith(_OLE_MAGIC):
        return "ole"
    return str(ext) if ext is not None else None


def prepare_image(
    image: UploadSource, *, filename: str | None = None, parameter: str = "image"
) -> PreparedUpload:
    """Check an image (<= 10 MB, not empty, a supported format by content).

    ``parameter`` is the argument errors name (``cover`` for a video's cover).
    """
    _check_name("filename", filename)
    src = _open(parameter, image)
    _check_size(parameter, src.size, MAX_IMAGE_BYTES, "images")
    kind = detect(src.head)
    if kind not in IMAGE_FORMATS:
        found = f"{kind.upper()} content" if kind else "content of an unknown type"
        named = f" (named {src.name!r})" if src.name else ""
        raise invalid(
            parameter,
            f"is {found}{named}, not a supported image",
            f"Feishu accepts {_ALLOWED_IMAGES} images up to 10 MB; convert it first",
        )
    mime = _mime(kind, "image/*")
    name = filename or src.name or f"image.{kind}"
    return PreparedUpload(_basename(name, "filename"), src.content, src.size, kind, mime)


def prepare_file(
    file: UploadSource,
    *,
    file_type: FileType | str | None = None,
    file_name: str | None = None,
    duration_ms: int | None = None,
    parameter: str = "file",
) -> PreparedUpload:
    """Check a file (<= 30 MB, not empty) and settle its Feishu ``file_type``.

    ``file_type`` is inferred from the content when not given (opus, mp4, pdf,
    doc, xls, ppt, otherwise stream). Given explicitly, it must match the
    content, since Feishu refuses e.g. an mp3 sent as audio (230055).
    ``parameter`` is the argument errors name (``audio``, ``video``).
    """
    if file_type is not None and (not isinstance(file_type, str) or file_type not in FILE_TYPES):
        raise invalid(
            "file_type",
            f"{file_type!r} is not a Feishu file type",
            f"use one of {', '.join(FILE_TYPES)} (stream for anything else), or leave it out "
            "to detect it from the content",
        )
    if duration_ms is not None and (
        not isinstance(duration_ms, int)
        or isinstance(duration_ms, bool)
        or not 0 <= duration_ms <= _MAX_DURATION_MS
    ):
        raise invalid("duration_ms", f"{duration_ms!r:.40} is not a duration", "whole ms, >= 0")
    _check_name("file_name", file_name)
    src = _open(parameter, file)
    _check_size(parameter, src.size, MAX_FILE_BYTES, "files")
    kind = detect(src.head)
    inferred: FileType = _FILE_TYPE_OF.get(kind or "", "stream")
    chosen: FileType = file_type or inferred  # type: ignore[assignment]
    if not _compatible(chosen, kind):
        raise invalid(
            "file_type",
            f"is {chosen!r} but the content is {kind or 'of an unknown type'}",
            _convert_hint(chosen),
        )
    if chosen in ("opus", "mp4") and duration_ms is None:
        probe = opus_duration_ms if chosen == "opus" else mp4_duration_ms
        with src.reopen() as fh:
            duration_ms = probe(fh, src.size)
    name = _basename(file_name or src.name or "file", "file_name")
    if not Path(name).suffix:
        name = f"{name}.{kind if kind and kind not in _OFFICE_CONTAINERS else 'bin'}"
    mime = "audio/opus" if chosen == "opus" else _mime(kind, "application/octet-stream")
    return PreparedUpload(name, src.content, src.size, kind, mime, chosen, duration_ms)


def _mime(kind: str | None, default: str) -> str:
    found = filetype.get_type(ext=kind) if kind else None
    return str(found.mime) if found is not None else default


def _compatible(file_type: FileType, kind: str | None) -> bool:
    if file_type == "stream":
        return True
    if file_type in ("doc", "xls", "ppt") and kind in _OFFICE_CONTAINERS:
        return True
    return _FILE_TYPE_OF.get(kind or "") == file_type


def _convert_hint(file_type: FileType) -> str:
    if file_type == "opus":
        return "audio messages need Ogg Opus: convert with `ffmpeg -i in.mp3 -c:a libopus out.opus`"
    if file_type == "mp4":
        return "video (media) messages need MP4: convert with `ffmpeg -i in.mov out.mp4`"
    return f"pass file_type='stream' to send it as a plain file, or upload a real {file_type}"


def _check_size(parameter: str, size: int, limit: int, what: str) -> None:
    if size == 0:
        raise invalid(parameter, "is empty (0 bytes)", f"Feishu refuses empty {what}")
    if size > limit:
        raise invalid(
            parameter,
            f"is {size / MB:.1f} MB",
            f"Feishu accepts {what} up to {limit // MB} MB; compress or split it"
            + ("" if what == "images" else ", or share a cloud-document link instead"),
        )


def _check_name(parameter: str, name: str | None) -> None:
    # A file name travels in a multipart header: printable text only.
    if name is not None and (not isinstance(name, str) or not name.isprintable()):
        shown = repr(name)[:60] if isinstance(name, str) else type(name).__name__
        raise invalid(parameter, f"{shown} is not a file name", "give a name like report.pdf")
    if name is not None and len(name) > _MAX_NAME:
        raise invalid(
            parameter, f"is {len(name)} characters long; at most {_MAX_NAME}", "shorten the name"
        )


_MAX_NAME = 1024  # what the multipart header of the upload takes


def _basename(name: str, parameter: str) -> str:
    base = Path(name).name
    if not base or base in (".", ".."):
        raise invalid(parameter, f"{name!r} is not a file name", "give a name like report.pdf")
    return base


def _open(parameter: str, source: UploadSource) -> _Opened:
    """Size and first bytes of a path, bytes or seekable binary file object."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        return _Opened(None, data, len(data), data[:_HEAD], lambda: nullcontext(io.BytesIO(data)))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if not path.is_file():
                raise FileNotFoundError(path)
            with path.open("rb") as disk:
                head = disk.read(_HEAD)
            size = path.stat().st_size
        except (OSError, ValueError) as exc:  # also a name too long, unencodable, or with NUL
            raise invalid(
                parameter,
                f"no such file: {str(path)[:200]!r}"
                + ("" if isinstance(exc, FileNotFoundError) else f" ({type(exc).__name__})"),
                "pass an existing file path, bytes, or an open binary file",
            ) from None
        return _Opened(path.name, path, size, head, lambda: path.open("rb"))
    if hasattr(source, "read") and hasattr(source, "seek"):
        fh = source
        if not fh.seekable():
            raise invalid(
                parameter,
                "is a stream that cannot seek",
                "its size and type must be checked before sending: pass a path, bytes, or a "
                "seekable file opened in binary mode",
            )
        # The transport sends file objects from position 0, so measure from there too.
        size = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        head = fh.read(_HEAD)
        fh.seek(0)
        if not isinstance(head, bytes):
            raise invalid(parameter, "is a text-mode file", "open it with mode 'rb'")
        raw_name = getattr(fh, "name", None)
        name = Path(raw_name).name if isinstance(raw_name, str) and raw_name else None
        return _Opened(name, fh, size, head, lambda: nullcontext(fh))
    raise invalid(
        parameter,
        f"{type(source).__name__} is not something to upload",
        "pass a path (str or Path), bytes, or a binary file object",
    )

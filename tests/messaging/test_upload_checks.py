"""Upload checks: type by content, size limits, streams, durations (no network)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lark_async.core.errors import InvalidParameter
from lark_async.messaging.uploads import (
    MAX_FILE_BYTES,
    MAX_IMAGE_BYTES,
    prepare_file,
    prepare_image,
)
from tests.messaging import media


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (media.JPEG, "jpg"),
        (media.PNG, "png"),
        (media.WEBP, "webp"),
        (media.GIF, "gif"),
        (media.TIFF, "tif"),
        (media.BMP, "bmp"),
        (media.ICO, "ico"),
        (media.HEIC, "heic"),
    ],
)
def test_every_supported_image_format_is_recognised(data: bytes, kind: str) -> None:
    up = prepare_image(data)
    assert up.detected == kind
    assert up.filename == f"image.{kind}"
    assert up.size == len(data)
    assert up.mime.startswith("image/")


def test_an_image_is_judged_by_content_not_by_name(tmp_path: Path) -> None:
    fake_png = tmp_path / "chart.png"
    fake_png.write_bytes(media.PDF)
    with pytest.raises(InvalidParameter) as exc:
        prepare_image(fake_png)
    assert "PDF content (named 'chart.png')" in str(exc.value)
    assert "JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO, HEIC" in (exc.value.hint or "")
    real = tmp_path / "photo.dat"
    real.write_bytes(media.JPEG)
    up = prepare_image(real)
    assert (up.detected, up.filename, up.content) == ("jpg", "photo.dat", real)


def test_empty_and_oversized_images(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="empty") as exc:
        prepare_image(b"")
    assert exc.value.details["parameter"] == "image"
    big = tmp_path / "big.png"
    with big.open("wb") as fh:  # sparse: no 10 MB written to disk
        fh.write(media.PNG)
        fh.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(InvalidParameter) as exc:
        prepare_image(big)
    assert "10 MB" in (exc.value.hint or "")
    with pytest.raises(InvalidParameter, match="unknown type"):
        prepare_image(b"just some text")
    with pytest.raises(InvalidParameter, match="no such file"):
        prepare_image(tmp_path / "missing.png")
    with pytest.raises(InvalidParameter, match="not something to upload"):
        prepare_image(12345)  # type: ignore[arg-type]


def test_file_objects_must_be_seekable_binary_and_are_measured_from_the_start() -> None:
    buf = io.BytesIO(media.PDF)
    buf.seek(5)
    up = prepare_file(buf)
    assert (up.size, up.file_type, up.content) == (len(media.PDF), "pdf", buf)
    assert buf.tell() == 0

    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

    with pytest.raises(InvalidParameter, match="cannot seek"):
        prepare_file(Pipe())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="text-mode"):
        prepare_file(io.StringIO("text"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "file_type"),
    [
        (media.PDF, "pdf"),
        (media.mp4(), "mp4"),
        (media.opus(), "opus"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "stream"),
        (b"a,b\n1,2\n", "stream"),
        (media.MP3, "stream"),
    ],
)
def test_file_type_is_inferred_from_content(data: bytes, file_type: str) -> None:
    assert prepare_file(data).file_type == file_type


def test_explicit_file_type_must_match_the_content() -> None:
    with pytest.raises(InvalidParameter) as exc:
        prepare_file(media.MP3, file_type="opus")
    assert "content is mp3" in str(exc.value)
    assert "libopus" in (exc.value.hint or "")
    with pytest.raises(InvalidParameter, match="ffmpeg"):
        prepare_file(media.PDF, file_type="mp4")
    with pytest.raises(InvalidParameter) as exc:
        prepare_file(media.PDF, file_type="docx")
    assert "opus, mp4, pdf, doc, xls, ppt, stream" in (exc.value.hint or "")
    # an OLE container can be any of doc/xls/ppt; "stream" takes anything
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert prepare_file(ole, file_type="xls", file_name="q3").filename == "q3.bin"
    assert prepare_file(media.MP3, file_type="stream").file_type == "stream"


def test_file_limits_and_names(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="empty"):
        prepare_file(b"")
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:
        fh.write(media.PDF)
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InvalidParameter) as exc:
        prepare_file(big)
    assert "30 MB" in (exc.value.hint or "")
    assert prepare_file(media.PDF).filename == "file.pdf"
    assert prepare_file(media.PDF, file_name="/tmp/x/report.pdf").filename == "report.pdf"
    with pytest.raises(InvalidParameter, match="not a file name"):
        prepare_file(media.PDF, file_name="..")
    with pytest.raises(InvalidParameter, match="duration"):
        prepare_file(media.mp4(), duration_ms=-1)


def test_durations_are_read_from_headers(tmp_path: Path) -> None:
    assert prepare_file(media.mp4(5000)).duration_ms == 5000
    assert prepare_file(media.mp4(1234, moov_last=False)).duration_ms == 1234
    assert prepare_file(media.opus(3000)).duration_ms == 3000
    path = tmp_path / "v.mp4"
    path.write_bytes(media.mp4(7000))
    assert prepare_file(path).duration_ms == 7000
    assert prepare_file(media.mp4(5000), duration_ms=99).duration_ms == 99  # caller wins
    truncated = media.mp4()[:40]  # ftyp only: no moov, no duration, still uploadable
    assert prepare_file(truncated).duration_ms is None
    assert prepare_file(media.opus()[:60], file_type="opus").duration_ms is None

"""Uploads, image/file/audio/video messages and streamed downloads, against the emulator."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import ErrorKind, InvalidParameter, PermissionDenied
from lark_async.messaging import MessageContent, Messaging
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator
from tests.messaging import media

IMAGES = "/open-apis/im/v1/images"
FILES = "/open-apis/im/v1/files"


async def test_upload_image_from_path_bytes_and_file_object(
    msg: Messaging, im: ImEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(media.PNG)
    for source in (path, str(path), media.JPEG, io.BytesIO(media.GIF)):
        resp = await msg.upload_image(source)
        assert resp.data is not None, resp.error
        assert resp.data.image_key.startswith("img_")
    uploads = list(im.uploads.values())
    assert [u["data"] for u in uploads] == [media.PNG, media.PNG, media.JPEG, media.GIF]
    assert uploads[0]["name"] == "chart.png"
    assert uploads[2]["content_type"] == "image/jpeg"
    avatar = await msg.upload_image(media.PNG, image_type="avatar")
    assert avatar.ok
    with pytest.raises(InvalidParameter, match="image_type"):
        await msg.upload_image(media.PNG, image_type="banner")  # type: ignore[arg-type]


async def test_bad_images_are_refused_before_sending(
    msg: Messaging, fake: FakeLark, tmp_path: Path, user: str
) -> None:
    pdf_named_png = tmp_path / "x.png"
    pdf_named_png.write_bytes(media.PDF)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    big = tmp_path / "big.png"
    with big.open("wb") as fh:
        fh.write(media.PNG)
        fh.truncate(10 * 1024 * 1024 + 1)
    for bad, fragment in [(pdf_named_png, "not a supported image"), (empty, "empty"), (big, "MB")]:
        with pytest.raises(InvalidParameter, match=fragment):
            await msg.upload_image(bad)
        with pytest.raises(InvalidParameter, match=fragment):
            await msg.send_image_message(user, bad)
    assert fake.journal.count("POST", IMAGES) == 0
    assert fake.journal.count("POST", "/open-apis/im/v1/messages") == 0


async def test_send_image_message_uploads_then_sends_or_takes_a_key(
    msg: Messaging, im: ImEmulator, tmp_path: Path, user: str
) -> None:
    path = tmp_path / "shot.webp"
    path.write_bytes(media.WEBP)
    resp = await msg.send_image_message(user, path)
    assert resp.data is not None and resp.data.msg_type == "image"
    key = resp.data.content_json()["image_key"]
    assert im.uploads[key]["data"] == media.WEBP
    again = await msg.send_image_message(user, key)  # an image_key: no new upload
    assert again.ok
    assert len(im.uploads) == 1
    with pytest.raises(InvalidParameter, match="no such file"):
        await msg.send_image_message(user, "img_missing.png")


async def test_upload_failure_stops_the_send(msg: Messaging, fake: FakeLark, user: str) -> None:
    fake.faults.fail(f"POST {IMAGES}", status=400, code=234007, msg="bot not enabled")
    resp = await msg.send_image_message(user, media.PNG)
    assert resp.error is not None and resp.error.code == 234007
    assert resp.error.kind is ErrorKind.CONFIG_ERROR
    assert fake.journal.count("POST", "/open-apis/im/v1/messages") == 0


async def test_upload_file_detects_type_and_duration(
    msg: Messaging, im: ImEmulator, tmp_path: Path
) -> None:
    report = tmp_path / "q3.pdf"
    report.write_bytes(media.PDF)
    pdf = await msg.upload_file(report)
    assert pdf.data is not None
    stored = im.uploads[pdf.data.file_key]
    assert (stored["file_type"], stored["name"], stored["data"]) == ("pdf", "q3.pdf", media.PDF)
    video = await msg.upload_file(media.mp4(4200), file_name="demo.mp4")
    assert video.data is not None
    assert im.uploads[video.data.file_key]["duration"] == 4200
    csv = await msg.upload_file(b"a,b\n", file_name="data.csv")
    assert csv.data is not None
    assert im.uploads[csv.data.file_key]["file_type"] == "stream"


async def test_bad_files_are_refused_before_sending(
    msg: Messaging, fake: FakeLark, user: str
) -> None:
    with pytest.raises(InvalidParameter, match="empty"):
        await msg.upload_file(b"")
    with pytest.raises(InvalidParameter, match="opus, mp4, pdf"):
        await msg.upload_file(media.PDF, file_type="exe")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="libopus"):
        await msg.send_audio_message(user, media.MP3)
    with pytest.raises(InvalidParameter, match="mp4"):
        await msg.send_media_message(user, media.PDF)
    with pytest.raises(InvalidParameter, match="not a supported image"):
        await msg.send_media_message(user, media.mp4(), cover=media.PDF)
    assert fake.journal.count("POST", FILES) == 0
    assert fake.journal.count("POST", IMAGES) == 0


async def test_file_audio_and_video_messages(msg: Messaging, im: ImEmulator, user: str) -> None:
    doc = await msg.send_file_message(user, media.PDF, file_name="contract.pdf")
    assert doc.data is not None and doc.data.msg_type == "file"
    audio = await msg.send_audio_message(user, media.opus(2500))
    assert audio.data is not None and audio.data.msg_type == "audio"
    key = audio.data.content_json()["file_key"]
    assert (im.uploads[key]["file_type"], im.uploads[key]["duration"]) == ("opus", 2500)
    video = await msg.send_media_message(user, media.mp4(), cover=media.PNG)
    assert video.data is not None and video.data.msg_type == "media"
    content = video.data.content_json()
    assert content["file_key"].startswith("file_") and content["image_key"].startswith("img_")
    by_key = await msg.send_file_message(user, doc.data.content_json()["file_key"])
    assert by_key.ok
    # Feishu refuses a file of the wrong kind for a media message (230055)
    wrong = await msg.send_message(user, MessageContent.media(doc.data.content_json()["file_key"]))
    assert wrong.error is not None and wrong.error.code == 230055


async def test_downloads_stream_to_a_path_or_file_object(
    msg: Messaging, tmp_path: Path, user: str
) -> None:
    sent = await msg.send_image_message(user, media.PNG)
    assert sent.data is not None
    image_key = sent.data.content_json()["image_key"]
    dest = tmp_path / "out.png"
    got = await msg.download_message_resource(
        sent.data.message_id, image_key, dest, resource_type="image"
    )
    assert got.data is not None, got.error
    assert dest.read_bytes() == media.PNG
    assert got.data.bytes_written == len(media.PNG)
    assert got.data.content_type == "image/png"
    buf = io.BytesIO()
    assert (await msg.download_image(image_key, buf)).ok
    assert buf.getvalue() == media.PNG
    upload = await msg.upload_file(media.PDF, file_name="annual report.pdf")
    assert upload.data is not None
    as_str = tmp_path / "r.pdf"
    f = await msg.download_file(upload.data.file_key, str(as_str))
    assert f.data is not None and f.data.filename == "annual report.pdf"
    assert as_str.read_bytes() == media.PDF


async def test_download_failures_leave_no_file(
    msg: Messaging, im: ImEmulator, tmp_path: Path, user: str
) -> None:
    sent = await msg.send_image_message(user, media.PNG)
    assert sent.data is not None
    key = sent.data.content_json()["image_key"]
    dest = tmp_path / "nope.bin"
    wrong_kind = await msg.download_message_resource(
        sent.data.message_id, key, dest, resource_type="file"
    )
    assert wrong_kind.error is not None and wrong_kind.error.code == 234003
    assert not dest.exists() and not (tmp_path / "nope.bin.part").exists()
    await msg.recall_message(sent.data.message_id)
    gone = await msg.download_message_resource(
        sent.data.message_id, key, dest, resource_type="image"
    )
    assert gone.error is not None and gone.error.code == 230110
    unknown = await msg.download_file("file_v2_unknown", dest)
    assert unknown.error is not None and unknown.error.code == 234001
    with pytest.raises(InvalidParameter, match="resource_type"):
        await msg.download_message_resource("om_1", key, dest, resource_type="video")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="not writable"):
        await msg.download_image(key, 42)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="img_"):
        await msg.download_image("file_x", dest)


async def test_another_apps_upload_cannot_be_downloaded(
    msg: Messaging, fake: FakeLark, clock: FakeClock, tmp_path: Path
) -> None:
    fake.add_app("cli_other00000002", "s2")
    upload = await msg.upload_image(media.PNG)
    assert upload.data is not None
    async with LarkClient(
        "cli_other00000002", "s2", domain=fake.url, clock=clock, client_rate_limit=False
    ) as other:
        resp = await other.messaging.download_image(upload.data.image_key, tmp_path / "x")
    assert isinstance(resp.error, PermissionDenied) and resp.error.code == 234008

"""Images and files in documents: single and multipart upload, bind, download (CONTRACT §6.7, §7)."""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import pytest

from lark_async.core.errors import InvalidParameter
from lark_async.docs import File, Image, Text
from tests.docs.conftest import Env

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PART = "POST /open-apis/drive/v1/medias/upload_part"


async def test_image_upload_creates_and_binds_its_block(env: Env) -> None:
    up = (await env.lark.docs.upload_doc_media(env.doc_id, PNG)).unwrap()
    blocks = env.docs.blocks(env.doc_id)
    image = blocks[-1]
    assert image["block_id"] == up.block_id and image["image"]["token"] == up.file_token
    assert env.docs.media_bytes(up.file_token) == PNG
    assert not up.multipart


async def test_file_upload_goes_into_the_view_blocks_file(env: Env, tmp_path: Path) -> None:
    src = tmp_path / "report.pdf"
    src.write_bytes(b"%PDF-1.4 hello")
    up = (await env.lark.docs.upload_doc_media(env.doc_id, src, "file")).unwrap()
    kinds = [(b["block_type"], b.get("file", {}).get("token")) for b in env.docs.blocks(env.doc_id)]
    assert kinds[1:] == [(33, None), (23, up.file_token)]
    out = tmp_path / "back.pdf"
    got = (await env.lark.docs.download_doc_media(up.file_token, out)).unwrap()
    assert out.read_bytes() == b"%PDF-1.4 hello" and got.filename == "report.pdf"


async def test_upload_into_a_given_block_and_builders(env: Env) -> None:
    made = await env.lark.docs.append_content(
        env.doc_id,
        [Text("before"), Image(PNG, file_name="a.png"), File(b"data", file_name="d.txt")],
    )
    result = made.unwrap()
    assert len(result.file_tokens) == 2
    blocks = env.docs.blocks(env.doc_id)
    assert blocks[2]["image"]["token"] == result.file_tokens[0]
    assert blocks[4]["file"]["token"] == result.file_tokens[1]
    # a second image into the existing block
    again = await env.lark.docs.upload_doc_media(env.doc_id, PNG, block_id=blocks[2]["block_id"])
    assert env.docs.blocks(env.doc_id)[2]["image"]["token"] == again.unwrap().file_token


async def test_a_25_mb_file_goes_multipart_and_downloads_identical(
    env: Env, tmp_path: Path
) -> None:
    size = 25 * 1024 * 1024 + 123
    src = tmp_path / "big.bin"
    with src.open("wb") as fh:
        for i in range(size // (1 << 20) + 1):
            fh.write(os.urandom(1 << 20)[: min(1 << 20, size - i * (1 << 20))])
    assert src.stat().st_size == size
    env.fake.faults.fail(PART, times=1, status=500, code=1061045, msg="retry")  # one part retried
    tracemalloc.start()
    try:
        up = (await env.lark.docs.upload_doc_media(env.doc_id, src, "file")).unwrap()
        out = tmp_path / "back.bin"
        (await env.lark.docs.download_doc_media(up.file_token, out)).unwrap()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert up.multipart and up.size == size
    assert out.read_bytes() == src.read_bytes()
    assert peak < 8 * 1024 * 1024, peak
    parts = [e for e in env.fake.journal if e.path.endswith("/upload_part")]
    assert sum(e.status == 200 for e in parts) == 7  # 7 parts of 4 MB
    assert any(e.status == 500 for e in parts)  # one failed, and was sent again
    assert env.docs.state.multipart_uploads == 1 and env.docs.state.single_uploads == 0


async def test_download_with_range_answers_206(env: Env) -> None:
    import aiohttp

    from tests.helpers import APP_ID

    up = (await env.lark.docs.upload_doc_media(env.doc_id, PNG)).unwrap()
    url = f"{env.fake.url}/open-apis/drive/v1/medias/{up.file_token}/download"
    token = env.fake.issue_token(APP_ID)
    headers = {"Authorization": f"Bearer {token}", "Range": "bytes=8-15"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        assert resp.status == 206
        assert await resp.read() == PNG[8:16]
    sink = io.BytesIO()  # and a whole download into a file object
    assert (await env.lark.download("GET", url[len(env.fake.url) :], sink)).ok
    assert sink.getvalue() == PNG


@pytest.mark.parametrize(
    ("source", "media_type", "arg"),
    [
        (b"", "image", "empty"),
        (b"", "file", "empty"),
        (b"not an image", "image", "image"),
        (12, "file", "path_or_bytes"),
        (b"x", "video", "media_type"),
    ],
)
async def test_bad_sources_are_refused_with_no_request(
    env: Env, source: object, media_type: str, arg: str
) -> None:
    with pytest.raises(InvalidParameter, match=arg):
        await env.lark.docs.upload_doc_media(env.doc_id, source, media_type)  # type: ignore[arg-type]
    assert len(env.fake.journal) == 0


async def test_a_0_byte_file_on_disk_is_refused(env: Env, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InvalidParameter, match="empty"):
        await env.lark.docs.upload_doc_media(env.doc_id, empty, "file")
    with pytest.raises(InvalidParameter, match="empty"):
        await env.lark.docs.append_content(env.doc_id, [File(empty)])
    assert len(env.fake.journal) == 0
    with pytest.raises(InvalidParameter, match="file_token"):
        await env.lark.docs.download_doc_media("../etc", tmp_path / "x")

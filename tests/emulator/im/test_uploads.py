"""IM image/file uploads and downloads (CONTRACT §3.8-3.10)."""

from __future__ import annotations

import json

import aiohttp
import pytest

from lark_async.testing import FakeLark, ImEmulator
from lark_async.testing.im.uploads import sniff_image
from tests.emulator.helpers import APP_ID, call, tenant_token
from tests.emulator.im.helpers import (
    CARD_V1,
    FILES,
    IMAGES,
    MESSAGES,
    PNG,
    Api,
    code_of,
    dumps,
    file_key,
    image_key,
    other_token,
    sent_id,
    text,
    upload,
)

MB = 1024 * 1024
SAMPLES = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/png": PNG,
    "image/gif": b"GIF89a\x01\x00\x01\x00",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "image/tiff": b"II*\x00\x08\x00\x00\x00",
    "image/bmp": b"BM" + b"\x00" * 30,
    "image/x-icon": b"\x00\x00\x01\x00\x01\x00\x10\x10",
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
}


async def download(
    api: Api, path: str, token: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token or api.token}"}
    async with api.session.get(api.fake.url + path, headers=headers) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


def error_code(body: bytes) -> int:
    code = json.loads(body)["code"]
    assert isinstance(code, int)
    return code


# --- image upload ---------------------------------------------------------------------------
@pytest.mark.parametrize(("mime", "data"), list(SAMPLES.items()))
async def test_image_formats_are_detected(api: Api, im: ImEmulator, mime: str, data: bytes) -> None:
    status, body = await upload(api.session, api.fake, api.token, data=data, filename="pic")
    assert (status, body["code"]) == (200, 0)
    key = body["data"]["image_key"]
    assert key.startswith("img_v2_")
    stored = im.uploads[key]
    assert stored["kind"] == "image" and stored["content_type"] == mime
    assert (stored["data"], stored["size"], stored["name"]) == (data, len(data), "pic")
    assert stored["app_id"] == APP_ID and stored["image_type"] == "message"


@pytest.mark.parametrize(
    "data", [b"plain text, not an image", b"GIF90a", b"RIFF\x00\x00\x00\x00WAVE", b"BM"]
)
async def test_unrecognised_image(api: Api, data: bytes) -> None:
    assert code_of(await upload(api.session, api.fake, api.token, data=data)) == (400, 234011)


def test_sniff_is_by_content_not_name() -> None:
    assert sniff_image(b"%PDF-1.7") is None
    assert sniff_image(b"\x00\x00\x00\x18ftypavif") is None  # AVIF is not supported


async def test_image_size_limits(api: Api, im: ImEmulator) -> None:
    assert code_of(await upload(api.session, api.fake, api.token, data=b"")) == (400, 234010)
    exact = PNG + b"\x00" * (10 * MB - len(PNG))
    assert code_of(await upload(api.session, api.fake, api.token, data=exact)) == (200, 0)
    over = await upload(api.session, api.fake, api.token, data=exact + b"\x00")
    assert code_of(over) == (400, 234006)
    assert len(im.uploads) == 1


async def test_image_upload_field_errors(api: Api, im: ImEmulator) -> None:
    for image_type in ("", "banner"):
        result = await upload(api.session, api.fake, api.token, image_type=image_type)
        assert code_of(result) == (400, 234001)
    form = aiohttp.FormData()
    form.add_field("image_type", "message")
    assert code_of(await api.call("POST", IMAGES, data=form)) == (400, 234001)  # no image part
    form = aiohttp.FormData()
    form.add_field("image_type", "message")
    form.add_field("image", "a text field, not a file")
    assert code_of(await api.call("POST", IMAGES, data=form)) == (400, 234001)
    assert code_of(await api.call("POST", IMAGES, json={"image_type": "message"})) == (400, 234001)
    assert im.uploads == {}


# --- file upload ----------------------------------------------------------------------------
async def test_file_upload(api: Api, im: ImEmulator) -> None:
    status, body = await upload(
        api.session,
        api.fake,
        api.token,
        "file",
        b"OggS...",
        "voice.opus",
        file_type="opus",
        duration="3000",
    )
    assert (status, body["code"]) == (200, 0)
    key = body["data"]["file_key"]
    assert key.startswith("file_v2_")
    stored = im.uploads[key]
    assert (stored["kind"], stored["file_type"], stored["duration"]) == ("file", "opus", 3000)
    assert (stored["name"], stored["content_type"], stored["size"]) == (
        "voice.opus",
        "audio/opus",
        7,
    )
    status, body = await upload(
        api.session, api.fake, api.token, "file", b"a,b\n", "table.csv", file_type="stream"
    )
    assert im.uploads[body["data"]["file_key"]]["content_type"] == "text/csv"
    status, body = await upload(
        api.session, api.fake, api.token, "file", b"\x00", "blob", file_type="stream"
    )
    stored = im.uploads[body["data"]["file_key"]]
    assert stored["content_type"] == "application/octet-stream" and stored["duration"] is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"file_type": "txt"}, 234001),
        ({"file_type": ""}, 234001),
        ({"file_name": ""}, 234001),
        ({"duration": "ten"}, 234001),
        ({"duration": "-5"}, 234001),
    ],
)
async def test_file_upload_field_errors(
    api: Api, im: ImEmulator, fields: dict[str, str], expected: int
) -> None:
    result = await upload(api.session, api.fake, api.token, "file", b"data", **fields)
    assert code_of(result) == (400, expected)
    assert im.uploads == {}


async def test_file_size_limits(api: Api, im: ImEmulator) -> None:
    assert code_of(await upload(api.session, api.fake, api.token, "file", b"")) == (400, 234010)
    exact = b"\x00" * (30 * MB)
    assert code_of(await upload(api.session, api.fake, api.token, "file", exact)) == (200, 0)
    over = await upload(api.session, api.fake, api.token, "file", exact + b"\x00")
    assert code_of(over) == (400, 234006)
    assert len(im.uploads) == 1


# --- downloads by key -------------------------------------------------------------------------
async def test_download_image_by_key(api: Api, fake: FakeLark) -> None:
    key = await image_key(api.session, fake, api.token)
    status, data, headers = await download(api, f"{IMAGES}/{key}")
    assert (status, data, headers["Content-Type"]) == (200, PNG, "image/png")
    assert "Content-Disposition" not in headers
    other = await other_token(api.session, fake)
    status, data, _ = await download(api, f"{IMAGES}/{key}", other)
    assert (status, error_code(data)) == (400, 234008)
    status, data, _ = await download(api, f"{IMAGES}/img_v2_unknown")
    assert (status, error_code(data)) == (400, 234001)
    result = await upload(api.session, fake, api.token, image_type="avatar")
    avatar = result[1]["data"]["image_key"]
    status, data, _ = await download(api, f"{IMAGES}/{avatar}")
    assert (status, error_code(data)) == (400, 234001)
    status, data, _ = await download(api, f"{FILES}/{key}")  # an image key is not a file key
    assert (status, error_code(data)) == (400, 234001)


async def test_download_file_by_key(api: Api, fake: FakeLark) -> None:
    result = await upload(api.session, fake, api.token, "file", b"%PDF-1.4", "季度 report.pdf")
    key = result[1]["data"]["file_key"]
    status, data, headers = await download(api, f"{FILES}/{key}")
    assert (status, data, headers["Content-Type"]) == (200, b"%PDF-1.4", "application/pdf")
    disposition = headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="?? report.pdf"')
    assert "filename*=UTF-8''%E5%AD%A3%E5%BA%A6%20report.pdf" in disposition
    other = await other_token(api.session, fake)
    status, data, _ = await download(api, f"{FILES}/{key}", other)
    assert (status, error_code(data)) == (400, 234008)
    status, data, _ = await download(api, f"{FILES}/file_v2_unknown")
    assert (status, error_code(data)) == (400, 234001)


# --- message resources ------------------------------------------------------------------------
async def test_download_message_resources(api: Api, im: ImEmulator, user: str) -> None:
    image = await image_key(api.session, api.fake, api.token)
    pdf = await file_key(api.session, api.fake, api.token)
    by_image = sent_id(await api.send(user, "image", dumps({"image_key": image})))
    by_file = sent_id(await api.send(user, "file", dumps({"file_key": pdf})))
    post = {"en_us": {"content": [[{"tag": "img", "image_key": image}]]}}
    by_post = sent_id(await api.send(user, "post", dumps(post)))
    for message_id, key, kind, expected in (
        (by_image, image, "image", PNG),
        (by_post, image, "image", PNG),
        (by_file, pdf, "file", b"%PDF-1.4 body"),
    ):
        path = f"{MESSAGES}/{message_id}/resources/{key}?type={kind}"
        status, data, headers = await download(api, path)
        assert (status, data) == (200, expected)
        assert ("Content-Disposition" in headers) == (kind == "file")


async def test_message_resource_errors(api: Api, im: ImEmulator, user: str, fake: FakeLark) -> None:
    image = await image_key(api.session, fake, api.token)
    by_image = sent_id(await api.send(user, "image", dumps({"image_key": image})))

    async def code(
        message_id: str, key: str, query: str = "?type=image", token: str | None = None
    ) -> tuple[int, int]:
        status, data, _ = await download(
            api, f"{MESSAGES}/{message_id}/resources/{key}{query}", token
        )
        return status, error_code(data)

    assert await code(by_image, image, "") == (400, 234001)
    assert await code(by_image, image, "?type=video") == (400, 234001)
    assert await code(by_image, image, "?type=file") == (400, 234003)
    assert await code(by_image, "img_v2_other", "?type=image") == (400, 234003)
    assert await code("om_unknown", image) == (400, 234001)
    plain = sent_id(await api.send(user, "text", text("no files")))
    assert await code(plain, image) == (400, 234043)
    card = sent_id(await api.send(user, "interactive", dumps(CARD_V1)))
    assert await code(card, image) == (400, 234043)
    other = await other_token(api.session, fake)
    assert await code(by_image, image, token=other) == (400, 234004)
    await api.recall(by_image)
    assert await code(by_image, image) == (400, 230110)


async def test_other_bot_in_the_group_can_download(
    api: Api, im: ImEmulator, fake: FakeLark
) -> None:
    chat = im.add_chat()
    image = await image_key(api.session, fake, api.token)
    in_group = sent_id(
        await api.send(chat, "image", dumps({"image_key": image}), id_type="chat_id")
    )
    other = await other_token(api.session, fake)
    status, data, _ = await download(
        api, f"{MESSAGES}/{in_group}/resources/{image}?type=image", other
    )
    assert (status, data) == (200, PNG)


async def test_uploads_are_im_family(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    fake.rate_limits.set("im", (1, 1.0))
    token = await tenant_token(session, fake)
    assert code_of(await upload(session, fake, token)) == (200, 0)
    status, _, headers = await call(session, fake, "GET", f"{IMAGES}/img_v2_x", token=token)
    assert status == 429 and headers["x-ogw-ratelimit-limit"] == "1"

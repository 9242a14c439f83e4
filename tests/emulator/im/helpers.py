"""Raw-request helpers for the IM emulator tests: send, upload, the bound Api, result readers."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from lark_async.testing import FakeLark
from tests.emulator.helpers import call, tenant_token

MESSAGES = "/open-apis/im/v1/messages"
IMAGES = "/open-apis/im/v1/images"
FILES = "/open-apis/im/v1/files"
BATCH = "/open-apis/message/v4/batch_send/"
CARD_UPDATE = "/open-apis/interactive/v1/card/update"
OTHER_APP, OTHER_SECRET = "cli_other0000000002", "other-secret-0002"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CARD_V1 = {"config": {"update_multi": True}, "elements": [{"tag": "div", "text": "hi"}]}
CARD_V2 = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "hi"}]}}

Result = tuple[int, dict[str, Any]]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def text(value: str) -> str:
    return dumps({"text": value})


def code_of(result: Result) -> tuple[int, int]:
    """(HTTP status, envelope code)."""
    return result[0], result[1]["code"]


def ext_of(result: Result) -> str:
    msg = result[1]["msg"]
    assert isinstance(msg, str)
    return msg


async def send(
    session: aiohttp.ClientSession,
    fake: FakeLark,
    token: str,
    receive_id: str,
    msg_type: str = "text",
    content: Any = None,
    *,
    id_type: str = "open_id",
    uuid: str | None = None,
) -> Result:
    body: dict[str, Any] = {
        "receive_id": receive_id,
        "msg_type": msg_type,
        "content": text("hello") if content is None else content,
    }
    if uuid is not None:
        body["uuid"] = uuid
    status, data, _ = await call(
        session, fake, "POST", MESSAGES, token=token, params={"receive_id_type": id_type}, json=body
    )
    return status, data


async def request(
    session: aiohttp.ClientSession,
    fake: FakeLark,
    token: str,
    method: str,
    path: str,
    **kwargs: Any,
) -> Result:
    status, data, _ = await call(session, fake, method, path, token=token, **kwargs)
    return status, data


async def upload(
    session: aiohttp.ClientSession,
    fake: FakeLark,
    token: str,
    kind: str = "image",
    data: bytes = PNG,
    filename: str = "x.bin",
    **fields: str,
) -> Result:
    """Multipart upload to im/v1/images (field ``image``) or im/v1/files (field ``file``)."""
    if kind == "image":
        fields.setdefault("image_type", "message")
    else:
        fields.setdefault("file_type", "pdf")
        fields.setdefault("file_name", filename)
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field(kind, data, filename=filename, content_type="application/octet-stream")
    path = IMAGES if kind == "image" else FILES
    return await request(session, fake, token, "POST", path, data=form)


async def image_key(session: aiohttp.ClientSession, fake: FakeLark, token: str) -> str:
    result = await upload(session, fake, token)
    assert code_of(result) == (200, 0), result
    key = result[1]["data"]["image_key"]
    assert isinstance(key, str)
    return key


async def file_key(
    session: aiohttp.ClientSession, fake: FakeLark, token: str, file_type: str = "pdf"
) -> str:
    result = await upload(session, fake, token, "file", b"%PDF-1.4 body", file_type=file_type)
    assert code_of(result) == (200, 0), result
    key = result[1]["data"]["file_key"]
    assert isinstance(key, str)
    return key


def sent_id(result: Result) -> str:
    assert code_of(result) == (200, 0), result
    message_id = result[1]["data"]["message_id"]
    assert isinstance(message_id, str)
    return message_id


async def other_token(session: aiohttp.ClientSession, fake: FakeLark) -> str:
    fake.add_app(OTHER_APP, OTHER_SECRET)
    return await tenant_token(session, fake, OTHER_APP, OTHER_SECRET)


class Api:
    """Bound helpers, so each test reads as the calls it makes."""

    def __init__(self, fake: FakeLark, session: aiohttp.ClientSession, token: str) -> None:
        self.fake, self.session, self.token = fake, session, token

    async def send(
        self,
        receive_id: str,
        msg_type: str = "text",
        content: Any = None,
        *,
        id_type: str = "open_id",
        uuid: str | None = None,
        token: str | None = None,
    ) -> Result:
        return await send(
            self.session,
            self.fake,
            token or self.token,
            receive_id,
            msg_type,
            content,
            id_type=id_type,
            uuid=uuid,
        )

    async def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Result:
        return await request(self.session, self.fake, token or self.token, method, path, **kw)

    async def reply(
        self, message_id: str, body: dict[str, Any], token: str | None = None
    ) -> Result:
        return await self.call("POST", f"{MESSAGES}/{message_id}/reply", token, json=body)

    async def get(self, message_id: str, token: str | None = None) -> Result:
        return await self.call("GET", f"{MESSAGES}/{message_id}", token)

    async def recall(self, message_id: str, token: str | None = None) -> Result:
        return await self.call("DELETE", f"{MESSAGES}/{message_id}", token)

    async def edit(self, message_id: str, body: dict[str, Any], token: str | None = None) -> Result:
        return await self.call("PUT", f"{MESSAGES}/{message_id}", token, json=body)

    async def patch(self, message_id: str, content: Any, token: str | None = None) -> Result:
        return await self.call(
            "PATCH", f"{MESSAGES}/{message_id}", token, json={"content": content}
        )

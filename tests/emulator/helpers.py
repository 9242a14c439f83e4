"""Helpers for the emulator's tests: raw requests with aiohttp, no client library."""

from __future__ import annotations

from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from lark_async.testing import FakeLark

APP_ID = "cli_a1b2c3d4e5f60001"
APP_SECRET = "s3cr3t-value-for-tests"
TENANT_TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
APP_TOKEN_PATH = "/open-apis/auth/v3/app_access_token/internal"
ECHO = "/open-apis/emulator/v1/echo"
ITEMS = "/open-apis/emulator/v1/items"


async def call(
    session: aiohttp.ClientSession,
    fake: FakeLark,
    method: str,
    path: str,
    *,
    token: str | None = None,
    **kwargs: Any,
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    """(status, parsed JSON body or text, headers) of one request."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with session.request(method, fake.url + path, headers=headers, **kwargs) as resp:
        if resp.content_type == "application/json":
            body: Any = await resp.json()
        else:
            body = await resp.text()
        return resp.status, body, resp.headers


async def tenant_token(
    session: aiohttp.ClientSession, fake: FakeLark, app_id: str = APP_ID, secret: str = APP_SECRET
) -> str:
    status, body, _ = await call(
        session, fake, "POST", TENANT_TOKEN_PATH, json={"app_id": app_id, "app_secret": secret}
    )
    assert status == 200 and body["code"] == 0, body
    token = body["tenant_access_token"]
    assert isinstance(token, str)
    return token

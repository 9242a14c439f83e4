"""Token checks, routing errors, the error envelope and the log-id / request-id headers."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from lark_async.testing import TENANT_ONLY, FakeLark, FakeRequest
from tests.emulator.helpers import APP_ID, ECHO, ITEMS, call, tenant_token


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, 99991661),
        ("Token abc", 99991661),
        ("Bearer", 99991661),
        ("Bearer x-123", 99991671),
        ("Bearer t-unknown", 99991663),
        ("Bearer u-unknown", 99991668),
        ("Bearer eyJhbGciOi.unknown", 99991668),
    ],
)
async def test_bad_tokens(
    fake: FakeLark, session: aiohttp.ClientSession, authorization: str | None, code: int
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    status, body, resp_headers = await call(session, fake, "GET", ECHO, headers=headers)
    assert (status, body["code"]) == (400, code)
    error = body["error"]
    assert error["log_id"] == resp_headers["X-Tt-Logid"]
    assert error["message"] == body["msg"]
    assert error["troubleshooter"].startswith(
        "排查建议查看（Troubleshooting suggestions）：https://"
    )
    assert f"log_id={error['log_id']}&code={code}" in error["troubleshooter"]


async def test_app_token_is_refused_where_not_accepted(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = fake.issue_token(APP_ID, "app")
    _, body, _ = await call(session, fake, "GET", ECHO, token=token)
    assert (body["code"], body["msg"]) == (99991664, "app access token not support")


async def test_user_tokens_and_tenant_only_routes(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    @fake.route("GET", "/open-apis/test/v1/tenant_only", auth=TENANT_ONLY)
    def tenant_only(req: FakeRequest) -> dict[str, object]:
        return {"kind": req.token_kind}

    user = fake.issue_token(APP_ID, "user", subject="ou_123")
    _, body, _ = await call(session, fake, "GET", ECHO, token=user)
    assert body["data"]["token_kind"] == "user"
    _, body, _ = await call(session, fake, "GET", "/open-apis/test/v1/tenant_only", token=user)
    assert (body["code"], body["msg"]) == (99991668, "user access token not support")
    tenant = await tenant_token(session, fake)
    _, body, _ = await call(session, fake, "GET", "/open-apis/test/v1/tenant_only", token=tenant)
    assert body == {"code": 0, "msg": "success", "data": {"kind": "tenant"}}


async def test_token_kind_must_match_its_prefix(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    user = fake.issue_token(APP_ID, "user", lifetime=60)
    _, body, _ = await call(session, fake, "GET", ECHO, token="t-" + user[2:])
    assert body["code"] == 99991663


async def test_unknown_path_and_wrong_method(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    status, body, _ = await call(session, fake, "GET", "/open-apis/nope/v1/x", token=token)
    assert (status, body["code"]) == (404, 99991201)
    status, body, _ = await call(session, fake, "PUT", ITEMS, token=token)
    assert (status, body["code"]) == (405, 99991301)


async def test_log_id_is_fresh_and_request_id_is_echoed(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    _, _, first = await call(
        session, fake, "GET", ECHO, token=token, headers={"X-Request-Id": "r-1"}
    )
    _, _, second = await call(session, fake, "GET", ECHO, token=token)
    assert first["X-Request-Id"] == "r-1"
    assert "X-Request-Id" not in second
    assert first["X-Tt-Logid"] != second["X-Tt-Logid"]
    assert len(first["X-Tt-Logid"]) == 34 and first["X-Tt-Logid"][:14].isdigit()


async def test_latency_is_added_to_every_request(session: aiohttp.ClientSession) -> None:
    async with FakeLark(latency=0.05) as fake:
        fake.add_app(APP_ID, "s")
        loop_time = asyncio.get_running_loop().time
        started = loop_time()
        await call(session, fake, "GET", "/open-apis/nope")
        assert loop_time() - started >= 0.05


async def test_url_needs_a_running_emulator() -> None:
    fake = FakeLark()
    with pytest.raises(RuntimeError):
        _ = fake.url
    await fake.start()
    try:
        assert fake.url.startswith("http://127.0.0.1:")
    finally:
        await fake.stop()
    with pytest.raises(RuntimeError):
        _ = fake.url

"""auth/v3 credential endpoints: token shapes, reuse, reissue, revocation, failures."""

from __future__ import annotations

import aiohttp

from lark_async.testing import FakeLark, ManualClock
from tests.emulator.helpers import (
    APP_ID,
    APP_SECRET,
    APP_TOKEN_PATH,
    ECHO,
    TENANT_TOKEN_PATH,
    call,
    tenant_token,
)


async def fetch(
    session: aiohttp.ClientSession, fake: FakeLark, **body: object
) -> dict[str, object]:
    status, data, _ = await call(session, fake, "POST", TENANT_TOKEN_PATH, json=body)
    assert status == 200  # credential endpoints answer 200 even on failure
    assert isinstance(data, dict)
    return data


async def echo_code(session: aiohttp.ClientSession, fake: FakeLark, token: str) -> int:
    _, body, _ = await call(session, fake, "GET", ECHO, token=token)
    return int(body["code"])


async def test_tenant_token_has_top_level_fields(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    body = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
    assert body["code"] == 0
    assert body["expire"] == 7200
    assert "data" not in body
    token = body["tenant_access_token"]
    assert isinstance(token, str) and token.startswith("t-") and len(token) > 20
    assert await echo_code(session, fake, token) == 0


async def test_app_token_endpoint_returns_app_and_tenant_tokens(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    status, body, _ = await call(
        session, fake, "POST", APP_TOKEN_PATH, json={"app_id": APP_ID, "app_secret": APP_SECRET}
    )
    assert status == 200 and body["code"] == 0 and body["expire"] == 7200
    assert body["app_access_token"].startswith("a-")
    assert body["tenant_access_token"] == await tenant_token(session, fake)


async def test_unknown_or_missing_app_id_is_10003(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    for body in (
        {"app_id": "cli_nope", "app_secret": APP_SECRET},
        {"app_secret": APP_SECRET},
        {"app_id": APP_ID},
        {"app_id": 12, "app_secret": APP_SECRET},
    ):
        assert await fetch(session, fake, **body) == {"code": 10003, "msg": "invalid param"}
    status, data, _ = await call(session, fake, "POST", TENANT_TOKEN_PATH, data=b"not json")
    assert (status, data["code"]) == (200, 10003)


async def test_wrong_secret_is_10014(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    body = await fetch(session, fake, app_id=APP_ID, app_secret="wrong")
    assert body == {"code": 10014, "msg": "app secret invalid"}


async def test_disabled_app_cannot_fetch_or_call(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    fake.disable_app(APP_ID)
    body = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
    assert body == {"code": 99991662, "msg": "app not in use"}
    assert await echo_code(session, fake, token) == 99991662
    fake.enable_app(APP_ID)
    assert await echo_code(session, fake, token) == 0


async def test_same_token_while_30_minutes_remain(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    first = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
    clock.advance(7200 - 1800)  # exactly 30 min left: still the same token
    again = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
    assert again["tenant_access_token"] == first["tenant_access_token"]
    assert again["expire"] == 1800
    assert fake.tokens_issued(APP_ID, "tenant") == 1


async def test_new_token_when_under_30_minutes_and_old_stays_valid(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    old = await tenant_token(session, fake)
    clock.advance(7200 - 1799)
    body = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
    new = body["tenant_access_token"]
    assert isinstance(new, str) and new != old and body["expire"] == 7200
    assert await echo_code(session, fake, old) == 0  # two valid tokens coexist
    clock.advance(1799)  # old one reaches its own expiry
    assert await echo_code(session, fake, old) == 99991663
    assert await echo_code(session, fake, new) == 0


async def test_expired_token_is_99991663(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    token = await tenant_token(session, fake)
    clock.advance(7200)
    status, body, _ = await call(session, fake, "GET", ECHO, token=token)
    assert (status, body["code"]) == (400, 99991663)
    assert await tenant_token(session, fake) != token


async def test_revoke_invalidates_every_token_of_the_app(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    old = await tenant_token(session, fake)
    clock.advance(6000)
    newer = await tenant_token(session, fake)
    assert fake.revoke_tokens(APP_ID) == 2
    assert await echo_code(session, fake, old) == 99991663
    assert await echo_code(session, fake, newer) == 99991663
    fresh = await tenant_token(session, fake)
    assert fresh not in (old, newer)
    assert await echo_code(session, fake, fresh) == 0


async def test_per_app_token_lifetime(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    fake.add_app("cli_short", "short-secret", token_lifetime=600)
    body = await fetch(session, fake, app_id="cli_short", app_secret="short-secret")
    assert body["expire"] == 600
    # under 30 minutes from the start, so every fetch mints a new token
    again = await fetch(session, fake, app_id="cli_short", app_secret="short-secret")
    assert again["tenant_access_token"] != body["tenant_access_token"]


async def test_emulator_wide_token_lifetime(session: aiohttp.ClientSession) -> None:
    async with FakeLark(token_lifetime=3600) as fake:
        fake.add_app(APP_ID, APP_SECRET)
        body = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
        assert body["expire"] == 3600


async def test_token_fetches_counts_attempts(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    fake.add_app("cli_other", "other-secret")
    await tenant_token(session, fake)
    await tenant_token(session, fake)
    await fetch(session, fake, app_id=APP_ID, app_secret="wrong")
    await tenant_token(session, fake, "cli_other", "other-secret")
    assert fake.token_fetches(APP_ID) == 3
    assert fake.token_fetches("cli_other") == 1
    assert fake.token_fetches() == 4
    assert fake.tokens_issued(APP_ID) == 1


async def test_removed_app_tokens_are_unknown(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    fake.remove_app(APP_ID)
    assert await echo_code(session, fake, token) == 99991663
    body = await fetch(session, fake, app_id=APP_ID, app_secret=APP_SECRET)
    assert body["code"] == 10003

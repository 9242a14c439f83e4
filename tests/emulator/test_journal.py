"""The journal: what it records, how it filters, and that it never holds a secret."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from lark_async.testing import FakeLark, ManualClock
from tests.emulator.helpers import (
    APP_ID,
    APP_SECRET,
    APP_TOKEN_PATH,
    ECHO,
    ITEMS,
    TENANT_TOKEN_PATH,
    call,
    tenant_token,
)


async def test_entry_fields(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    token = await tenant_token(session, fake)
    clock.advance(5)
    _, _, headers = await call(
        session,
        fake,
        "POST",
        ITEMS,
        token=token,
        params={"client_token": "ct-1"},
        json={"name": "n"},
        headers={"X-Request-Id": "req-42"},
    )
    entry = fake.journal.last
    assert entry is not None
    assert (entry.method, entry.path, entry.route) == ("POST", ITEMS, ITEMS)
    assert entry.query == {"client_token": "ct-1"}
    assert entry.json == {"name": "n"}
    assert (entry.status, entry.code) == (200, 0)
    assert entry.app_id == APP_ID and entry.token_kind == "tenant"
    assert entry.request_id == "req-42"
    assert entry.time == clock()
    assert entry.log_id == headers["X-Tt-Logid"]
    assert entry.authorization == "Bearer *** (tenant)"
    assert entry.outcome == "response" and entry.faults == ()


async def test_failed_calls_are_recorded_with_their_codes(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    await call(session, fake, "GET", ECHO)
    await call(session, fake, "GET", ECHO, headers={"Authorization": "Bearer t-forged"})
    await call(session, fake, "GET", "/open-apis/unknown")
    codes = [e.code for e in fake.journal]
    assert codes == [99991661, 99991663, 99991201]
    assert fake.journal.entries[0].authorization is None
    assert fake.journal.entries[1].authorization == "Bearer *** (tenant)"
    assert fake.journal.entries[1].app_id is None  # unknown token: no app


async def test_filter_count_clear(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    _, body, _ = await call(session, fake, "POST", ITEMS, token=token, json={"name": "x"})
    item_id = body["data"]["item"]["item_id"]
    await call(session, fake, "GET", f"{ITEMS}/{item_id}", token=token)
    await call(session, fake, "GET", f"{ITEMS}/itm_missing", token=token)
    assert fake.journal.count() == 4
    assert fake.journal.count("POST") == 2
    assert fake.journal.count(path=TENANT_TOKEN_PATH) == 1
    assert fake.journal.count("GET", f"{ITEMS}/{{item_id}}") == 2
    assert fake.journal.count(path=f"{ITEMS}/{item_id}") == 1
    assert fake.journal.count(code=1254043) == 1
    assert fake.journal.count(app_id=APP_ID, status=200) == 3
    assert fake.journal.filter("GET", code=0)[0].path == f"{ITEMS}/{item_id}"
    fake.journal.clear()
    assert len(fake.journal) == 0 and fake.journal.last is None


async def test_no_token_or_secret_is_ever_stored(
    fake: FakeLark, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lark_async.testing")
    token = await tenant_token(session, fake)
    _, app_body, _ = await call(
        session, fake, "POST", APP_TOKEN_PATH, json={"app_id": APP_ID, "app_secret": APP_SECRET}
    )
    app_token = app_body["app_access_token"]
    user = fake.issue_token(APP_ID, "user")
    await call(session, fake, "GET", ECHO, token=token, params={"access_token": user})
    await call(session, fake, "POST", ECHO, token=user, json={"refresh_token": "r-secret"})
    fetch = fake.journal.filter(path=TENANT_TOKEN_PATH)[0]
    assert fetch.json == {"app_id": APP_ID, "app_secret": "***"}
    assert fetch.app_id == APP_ID
    everything = repr(fake.journal.entries) + repr(fake) + caplog.text
    for secret in (APP_SECRET, token, app_token, user, "r-secret"):
        assert secret not in everything
    assert repr(fake.apps.apps) and APP_SECRET not in repr(fake.apps.apps)
    assert token not in repr(fake.apps.tokens())


async def test_echo_never_reflects_the_authorization_header(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    _, body, _ = await call(session, fake, "GET", ECHO, token=token, headers={"Cookie": "c=1"})
    headers = {k.lower() for k in body["data"]["headers"]}
    assert "authorization" not in headers and "cookie" not in headers
    assert token not in str(body)

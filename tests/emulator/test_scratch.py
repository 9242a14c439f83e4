"""Scratch endpoints: echo, idempotent items with paging, not-found, HTML gateway error."""

from __future__ import annotations

import aiohttp

from lark_async.testing import FakeLark, ManualClock
from tests.emulator.helpers import APP_ID, ECHO, ITEMS, call, tenant_token


async def create(
    session: aiohttp.ClientSession,
    fake: FakeLark,
    token: str,
    name: str,
    client_token: str | None = None,
) -> dict[str, str]:
    params = {"client_token": client_token} if client_token else None
    status, body, _ = await call(
        session, fake, "POST", ITEMS, token=token, json={"name": name}, params=params
    )
    assert (status, body["code"]) == (200, 0), body
    item = body["data"]["item"]
    assert isinstance(item, dict)
    return item


async def test_echo(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    status, body, _ = await call(
        session,
        fake,
        "POST",
        ECHO,
        token=token,
        params={"a": "1"},
        json={"k": [1, 2]},
        headers={"X-Custom": "yes"},
    )
    assert status == 200 and body["msg"] == "success"
    data = body["data"]
    assert data["method"] == "POST"
    assert data["query"] == {"a": "1"}
    assert data["json"] == {"k": [1, 2]}
    assert data["headers"]["X-Custom"] == "yes"
    assert data["app_id"] == APP_ID and data["token_kind"] == "tenant"


async def test_create_get_delete(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    item = await create(session, fake, token, "first")
    assert item["item_id"].startswith("itm_") and item["name"] == "first"
    assert fake.items(APP_ID) == [item]
    status, body, _ = await call(session, fake, "GET", f"{ITEMS}/{item['item_id']}", token=token)
    assert body["data"]["item"] == item
    status, body, _ = await call(session, fake, "DELETE", f"{ITEMS}/{item['item_id']}", token=token)
    assert body["data"] == {"item_id": item["item_id"], "deleted": True}
    status, body, _ = await call(session, fake, "GET", f"{ITEMS}/{item['item_id']}", token=token)
    assert (status, body["code"]) == (400, 1254043)
    status, body, _ = await call(session, fake, "DELETE", f"{ITEMS}/{item['item_id']}", token=token)
    assert (status, body["code"]) == (400, 1254043)


async def test_client_token_is_idempotent_for_an_hour_per_app(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    fake.add_app("cli_other", "other-secret")
    token = await tenant_token(session, fake)
    other = await tenant_token(session, fake, "cli_other", "other-secret")
    first = await create(session, fake, token, "once", "ct-1")
    assert await create(session, fake, token, "once", "ct-1") == first
    assert len(fake.items(APP_ID)) == 1
    # another app's client token space is its own
    assert (await create(session, fake, other, "once", "ct-1"))["item_id"] != first["item_id"]
    clock.advance(3600)
    later = await create(session, fake, token, "once", "ct-1")
    assert later["item_id"] != first["item_id"]
    assert len(fake.items(APP_ID)) == 2


async def test_items_are_private_to_their_app(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    fake.add_app("cli_other", "other-secret")
    token = await tenant_token(session, fake)
    other = await tenant_token(session, fake, "cli_other", "other-secret")
    item = await create(session, fake, token, "mine")
    _, body, _ = await call(session, fake, "GET", f"{ITEMS}/{item['item_id']}", token=other)
    assert body["code"] == 1254043
    assert fake.items("cli_other") == []


async def test_validation_errors(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    status, body, _ = await call(session, fake, "POST", ITEMS, token=token, json={"name": ""})
    assert (status, body["code"]) == (400, 99992402)
    assert body["error"]["field_violations"][0]["field"] == "name"
    status, body, _ = await call(
        session,
        fake,
        "POST",
        ITEMS,
        token=token,
        data=b"{broken",
        headers={"Content-Type": "application/json"},
    )
    assert (status, body["code"]) == (400, 9499)
    status, body, _ = await call(session, fake, "POST", ITEMS, token=token, json=["a"])
    assert (status, body["code"]) == (400, 9499)
    for params in ({"page_size": "0"}, {"page_size": "101"}, {"page_token": "garbage"}):
        status, body, _ = await call(session, fake, "GET", ITEMS, token=token, params=params)
        assert (status, body["code"]) == (400, 99992402), params


async def test_list_pages(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    for i in range(5):
        await create(session, fake, token, f"n{i}")
    names: list[str] = []
    page_token: str | None = None
    pages = 0
    while True:
        params = {"page_size": "2", **({"page_token": page_token} if page_token else {})}
        _, body, _ = await call(session, fake, "GET", ITEMS, token=token, params=params)
        data = body["data"]
        pages += 1
        assert data["total"] == 5
        names += [i["name"] for i in data["items"]]
        if not data["has_more"]:
            assert "page_token" not in data
            break
        page_token = data["page_token"]
    assert pages == 3 and names == [f"n{i}" for i in range(5)]
    _, body, _ = await call(session, fake, "GET", ITEMS, token=token)
    assert len(body["data"]["items"]) == 5 and body["data"]["has_more"] is False


async def test_html_error(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    status, body, headers = await call(
        session, fake, "GET", "/open-apis/emulator/v1/html_error", token=token
    )
    assert status == 502 and "502 Bad Gateway" in body
    assert headers["Content-Type"].startswith("text/html")
    assert headers["X-Tt-Logid"]
    entry = fake.journal.last
    assert entry is not None and entry.status == 502 and entry.code is None

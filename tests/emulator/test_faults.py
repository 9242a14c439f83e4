"""Injected faults: fail, rate_limit, delay, drop, their specs, counts and clearing."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from lark_async.testing import FakeLark
from tests.emulator.helpers import (
    APP_ID,
    ECHO,
    ITEMS,
    TENANT_TOKEN_PATH,
    call,
    tenant_token,
)


async def wait_for_journal(fake: FakeLark, count: int) -> None:
    """The server notices a vanished client a moment after the client gives up."""
    for _ in range(100):
        if len(fake.journal) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"journal has {len(fake.journal)} entries, wanted {count}")


async def test_fail_times_then_recovers(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    rule = fake.faults.fail(f"POST {ITEMS}", times=2, status=503, code=1503, msg="busy")
    for _ in range(2):
        status, body, _ = await call(session, fake, "POST", ITEMS, token=token, json={"name": "a"})
        assert (status, body["code"], body["msg"]) == (503, 1503, "busy")
        assert body["error"]["log_id"]
    status, body, _ = await call(session, fake, "POST", ITEMS, token=token, json={"name": "a"})
    assert (status, body["code"]) == (200, 0)
    assert rule.hits == 2 and not rule.active
    assert len(fake.items(APP_ID)) == 1  # failed attempts had no effect
    assert fake.faults.rules == []


async def test_fail_carries_error_fields_and_headers(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    violations = [{"type": "action_scope_required", "subject": "im:message"}]
    fake.faults.fail(
        f"GET {ECHO}",
        status=400,
        code=99991672,
        msg="Access denied. One of the following scopes is required: [im:message]",
        error={"permission_violations": violations},
        headers={"X-Extra": "1"},
    )
    status, body, headers = await call(session, fake, "GET", ECHO, token=token)
    assert (status, body["code"]) == (400, 99991672)
    assert body["error"]["permission_violations"] == violations
    assert body["error"]["log_id"] == headers["X-Tt-Logid"]
    assert headers["X-Extra"] == "1"


async def test_fail_with_a_raw_body(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    fake.faults.fail("*", status=502, body="<html>bad gateway</html>")
    status, body, headers = await call(session, fake, "GET", ECHO)
    assert (status, body) == (502, "<html>bad gateway</html>")
    assert headers["Content-Type"].startswith("text/html")


async def test_star_spec_includes_token_endpoints(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    fake.faults.fail("*", times=1)
    status, body, _ = await call(session, fake, "POST", TENANT_TOKEN_PATH, json={})
    assert (status, body["code"]) == (500, 1500)
    assert fake.token_fetches() == 0  # the fault answered before the endpoint
    await tenant_token(session, fake)


async def test_forever_until_cleared(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    rule = fake.faults.fail(f"* {ECHO}", times=None)
    for _ in range(3):
        status, _, _ = await call(session, fake, "GET", ECHO, token=token)
        assert status == 500
    assert rule.hits == 3 and rule.active
    fake.faults.clear()
    status, _, _ = await call(session, fake, "POST", ECHO, token=token)
    assert status == 200


async def test_template_and_concrete_specs(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    ids = []
    for name in ("a", "b"):
        _, body, _ = await call(session, fake, "POST", ITEMS, token=token, json={"name": name})
        ids.append(body["data"]["item"]["item_id"])
    fake.faults.fail(f"GET {ITEMS}/{ids[0]}", times=None)  # one concrete path
    fake.faults.fail(f"DELETE {ITEMS}/{{id}}", times=None)  # any item, any param name
    assert (await call(session, fake, "GET", f"{ITEMS}/{ids[0]}", token=token))[0] == 500
    assert (await call(session, fake, "GET", f"{ITEMS}/{ids[1]}", token=token))[0] == 200
    assert (await call(session, fake, "GET", ITEMS, token=token))[0] == 200
    assert (await call(session, fake, "DELETE", f"{ITEMS}/{ids[1]}", token=token))[0] == 500


async def test_rate_limit_fault(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    fake.faults.rate_limit(f"GET {ECHO}", times=1, reset=3)
    status, body, headers = await call(session, fake, "GET", ECHO, token=token)
    assert (status, body["code"], body["msg"]) == (429, 99991400, "request trigger frequency limit")
    assert headers["x-ogw-ratelimit-reset"] == "3"
    assert headers["x-ogw-ratelimit-limit"] == "50"
    assert fake.rate_limited_count() == 1
    assert (await call(session, fake, "GET", ECHO, token=token))[0] == 200


async def test_delay_makes_a_client_time_out(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    fake.faults.delay(f"GET {ECHO}", seconds=2.0, times=1)
    with pytest.raises(asyncio.TimeoutError):
        await call(
            session, fake, "GET", ECHO, token=token, timeout=aiohttp.ClientTimeout(total=0.1)
        )
    await wait_for_journal(fake, 2)
    entry = fake.journal.filter(path=ECHO)[0]
    assert entry.outcome == "cancelled" and entry.status is None
    assert entry.faults == ("delay",)
    assert (await call(session, fake, "GET", ECHO, token=token))[0] == 200  # delay used up


async def test_delay_without_timeout_just_slows(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    fake.faults.delay(f"GET {ECHO}", 0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _, _ = await call(session, fake, "GET", ECHO, token=token)
    assert status == 200 and loop.time() - started >= 0.1


async def test_drop_before_processing(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    token = await tenant_token(session, fake)
    fake.faults.drop(f"POST {ITEMS}", times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(session, fake, "POST", ITEMS, token=token, json={"name": "lost"})
    assert fake.items(APP_ID) == []
    entry = fake.journal.last
    assert entry is not None and entry.outcome == "dropped" and entry.status is None
    assert (await call(session, fake, "POST", ITEMS, token=token, json={"name": "ok"}))[0] == 200


async def test_drop_after_processing_keeps_the_write(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    fake.faults.drop(f"POST {ITEMS}", after_processing=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(session, fake, "POST", ITEMS, token=token, json={"name": "written"})
    assert [i["name"] for i in fake.items(APP_ID)] == ["written"]
    assert fake.journal.filter("POST", ITEMS)[0].faults == ("drop",)


async def test_delay_after_processing_with_timeout_keeps_the_write(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    fake.faults.delay(f"POST {ITEMS}", 2.0, after_processing=True)
    with pytest.raises(asyncio.TimeoutError):
        await call(
            session,
            fake,
            "POST",
            ITEMS,
            token=token,
            json={"name": "slow"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )
    assert [i["name"] for i in fake.items(APP_ID)] == ["slow"]


async def test_fault_arguments_are_checked(fake: FakeLark) -> None:
    with pytest.raises(ValueError):
        fake.faults.fail("GET /a /b")
    with pytest.raises(ValueError):
        fake.faults.fail("GET no-slash")
    with pytest.raises(ValueError):
        fake.faults.drop("*", times=0)
    with pytest.raises(ValueError):
        fake.faults.rate_limit("*", reset=0)
    with pytest.raises(ValueError):
        fake.faults.delay("*", -1)

"""Single flight of a token fetch's outcome: one fetch per expiry, its result for every waiter.

A failed fetch reaches every caller that was waiting for it at once (same
fake time), instead of each waiter redoing the fetch after the previous one
failed. The next call after the failure starts a new fetch.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores.memory import MemoryTokenStore
from lark_async.core.clock import FakeClock
from lark_async.core.errors import ConfigError, NetworkError, ServerError
from tests.helpers import APP_ID, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
CALLERS = 10


async def _timed(lark: LarkClient, clock: FakeClock) -> tuple[Any, float]:
    resp = await lark.request("GET", ECHO)
    return resp, clock.monotonic()


async def test_unreachable_token_endpoint_fails_every_waiter_at_once(
    log_lines: list[str],
) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock, max_retries=3) as lark:
        fake.faults.drop(f"POST {TOKEN_PATH}", times=None)
        results = await asyncio.gather(*(_timed(lark, clock) for _ in range(CALLERS)))
        # One fetch: its first attempt and its own 3 retries, whatever the number of callers.
        assert fake.journal.count("POST", TOKEN_PATH) == 4
        assert fake.journal.count(path=ECHO) == 0
    errors = [resp.error for resp, _ in results]
    assert all(isinstance(e, NetworkError) for e in errors), errors
    assert len({at for _, at in results}) == 1  # delivered to all at the same moment
    # Each caller has its own error object, carrying its own call's request id.
    assert len({id(e) for e in errors}) == CALLERS
    assert len({e.request_id for e in errors}) == CALLERS
    failed = [json.loads(x) for x in log_lines if '"lark.token.refresh"' in x]
    assert [e["outcome"] for e in failed] == ["failed"]


async def test_failing_token_endpoint_is_fetched_once_for_all_callers() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock, max_retries=2) as lark:
        fake.faults.fail(f"POST {TOKEN_PATH}", times=None, status=500, code=1500)
        results = await asyncio.gather(*(_timed(lark, clock) for _ in range(CALLERS)))
        assert fake.journal.count("POST", TOKEN_PATH) == 3  # one fetch, 2 retries
    assert all(isinstance(resp.error, ServerError) for resp, _ in results)
    assert len({at for _, at in results}) == 1


async def test_wrong_secret_with_20_callers_sends_one_token_request() -> None:
    async with emulator() as fake:
        lark = LarkClient(APP_ID, "wrong-secret-value", domain=fake.url, clock=FakeClock())
        async with lark:
            results = await asyncio.gather(*(lark.request("GET", ECHO) for _ in range(20)))
        assert fake.token_fetches(APP_ID) == 1
        assert fake.journal.count("POST", TOKEN_PATH) == 1
        assert fake.journal.count(path=ECHO) == 0
    assert all(isinstance(r.error, ConfigError) and r.error.code == 10014 for r in results)


async def test_a_call_after_the_failure_starts_a_new_fetch() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock, max_retries=0) as lark:
        fault = fake.faults.fail(f"POST {TOKEN_PATH}", times=None)
        first = await asyncio.gather(*(lark.request("GET", ECHO) for _ in range(5)))
        assert all(isinstance(r.error, ServerError) for r in first)
        assert fake.journal.count("POST", TOKEN_PATH) == 1
        fault.remaining = 0  # Feishu is back
        assert (await lark.request("GET", ECHO)).ok
        assert fake.token_fetches(APP_ID) == 1  # the one fetch that reached the handler


class _GatedStore(MemoryTokenStore):
    """A memory store whose first read waits until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = asyncio.Event()
        self.gate = asyncio.Event()

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None:
        self.reading.set()
        await self.gate.wait()
        return await super().get(app_id, kind)


async def test_a_cancelled_caller_leaves_the_fetch_to_the_others() -> None:
    store = _GatedStore()
    async with emulator() as fake, client_for(fake, token_store=store) as lark:
        calls = [asyncio.create_task(lark.request("GET", ECHO)) for _ in range(3)]
        await store.reading.wait()  # the fetch has started, all three wait for it
        calls[0].cancel()
        store.gate.set()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert all(r.ok for r in results[1:])  # type: ignore[union-attr]
        assert fake.token_fetches(APP_ID) == 1


async def test_closing_the_client_ends_a_fetch_nobody_waits_for() -> None:
    store = _GatedStore()
    async with emulator() as fake:
        lark = client_for(fake, token_store=store)
        call = asyncio.create_task(lark.request("GET", ECHO))
        await store.reading.wait()
        call.cancel()
        with_flight = lark.tokens._flights.running()
        assert len(with_flight) == 1  # the fetch outlives its only caller...
        await lark.aclose()
        assert with_flight[0].cancelled()  # ...until the client closes
        assert fake.token_fetches(APP_ID) == 0


def test_lock_lease_defaults_below_the_lock_timeout_and_must_be_positive() -> None:
    from lark_async.auth.tokens import TokenManager

    def manager(**kwargs: Any) -> TokenManager:
        return TokenManager(None, None, MemoryTokenStore(), **kwargs)  # type: ignore[arg-type]

    assert manager().lock_lease == 10.0
    assert manager(lock_timeout=4.0).lock_lease == 2.0  # a waiter gets the lock in time
    assert manager(lock_lease=math.inf).lock_lease == math.inf  # held for the whole fetch
    for bad in (0, -1.0, math.nan):
        with pytest.raises(ConfigError, match="lock_lease"):
            manager(lock_lease=bad)

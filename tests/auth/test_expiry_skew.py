"""A token within ``expiry_skew`` (5 s) of its expiry is never handed out.

Feishu's clock and ours differ a little and a request takes time to arrive: a
token with a few seconds left may be dead on arrival. Whether it sits in memory,
in the store (fetched by another process) or its refresh-ahead failed, a caller
gets a fresh one instead. The emulator and the client share one FakeClock.
"""

from __future__ import annotations

import asyncio

import pytest

from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores import MemoryTokenStore
from lark_async.core.clock import FakeClock
from tests.helpers import APP_ID, client_for, emulator

LIFETIME = 7200
TENANT = TokenKind.TENANT.value
TOKEN_PATH = "POST /open-apis/auth/v3/tenant_access_token/internal"


@pytest.mark.parametrize("left", [5.0, 4.0, 0.5])
async def test_token_in_memory_with_less_than_skew_left_is_replaced(left: float) -> None:
    clock = FakeClock()
    async with emulator(clock, token_lifetime=LIFETIME) as fake, client_for(fake, clock) as lark:
        first = await lark.tokens.token(APP_ID, TENANT)
        clock.advance(LIFETIME - left)
        second = await lark.tokens.token(APP_ID, TENANT)
        assert second != first
        assert fake.token_fetches(APP_ID) == 2
        held = lark.tokens._mem[(APP_ID, TokenKind.TENANT)]
        assert held.value == second and held.remaining(clock.time()) == LIFETIME


async def test_token_with_more_than_skew_left_is_still_used() -> None:
    # The boundary the other way: 6 s left is usable (refreshed ahead in the background).
    clock = FakeClock()
    async with emulator(clock, token_lifetime=LIFETIME) as fake, client_for(fake, clock) as lark:
        first = await lark.tokens.token(APP_ID, TENANT)
        clock.advance(LIFETIME - 6)
        assert await lark.tokens.token(APP_ID, TENANT) == first


async def test_stored_token_with_less_than_skew_left_is_not_used() -> None:
    # Another process fetched it long ago; this process finds it in the shared store.
    clock = FakeClock()
    now = clock.time()
    store = MemoryTokenStore()
    await store.put(
        StoredToken(APP_ID, TokenKind.TENANT, "t-nearly-dead", now + 4, LIFETIME, now - 7196)
    )
    async with (
        emulator(clock, token_lifetime=LIFETIME) as fake,
        client_for(fake, clock, token_store=store) as lark,
    ):
        got = await lark.tokens.token(APP_ID, TENANT)
        assert got != "t-nearly-dead" and fake.token_fetches(APP_ID) == 1
        stored = await store.get(APP_ID, TokenKind.TENANT)
        assert stored is not None and stored.value == got


async def test_failed_refresh_ahead_does_not_hand_out_the_dying_token() -> None:
    clock = FakeClock()
    async with emulator(clock, token_lifetime=LIFETIME) as fake, client_for(fake, clock) as lark:
        first = await lark.tokens.token(APP_ID, TENANT)
        held = lark.tokens._mem[(APP_ID, TokenKind.TENANT)]
        fault = fake.faults.fail(TOKEN_PATH, times=None, status=500, code=1500)
        clock.advance(LIFETIME - 700)  # under 10% left: refresh ahead, which fails
        assert await lark.tokens.token(APP_ID, TENANT) == first
        refreshes = lark.tokens._flights.running()
        assert refreshes  # the refresh ahead runs in the background
        await asyncio.wait_for(asyncio.gather(*refreshes, return_exceptions=True), 10)
        assert fault.hits >= 1 and lark.tokens._mem[(APP_ID, TokenKind.TENANT)] is held
        fake.faults.clear()
        clock.advance(held.remaining(clock.time()) - 4)  # its backoff moved the clock too
        second = await lark.tokens.token(APP_ID, TENANT)
        assert second != first

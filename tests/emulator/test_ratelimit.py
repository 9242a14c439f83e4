"""Per-app, per-family fixed windows on the emulator's clock (CONTRACT §1.6, §14)."""

from __future__ import annotations

import aiohttp
import pytest

from lark_async.testing import DEFAULT_FAMILIES, FakeLark, FakeRequest, ManualClock
from lark_async.testing.server.ratelimit import FamilyLimit, RateLimiter, to_limit
from tests.emulator.helpers import APP_ID, APP_SECRET, ECHO, ITEMS, call, tenant_token


async def statuses(
    session: aiohttp.ClientSession, fake: FakeLark, token: str, n: int, path: str = ECHO
) -> list[int]:
    return [(await call(session, fake, "GET", path, token=token))[0] for _ in range(n)]


@pytest.fixture
async def limited(clock: ManualClock) -> FakeLark:
    clock.set(1_700_000_000.0)  # a whole second: windows start here
    fake = FakeLark(time_func=clock, rate_limits={"scratch": (2, 1.0)})
    fake.add_app(APP_ID, APP_SECRET)
    fake.rate_limits.assign(f"GET {ECHO}", "scratch")
    return fake


async def test_over_the_limit_is_429_with_headers(
    limited: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    async with limited as fake:
        token = await tenant_token(session, fake)
        assert await statuses(session, fake, token, 2) == [200, 200]
        clock.advance(0.3)
        status, body, headers = await call(session, fake, "GET", ECHO, token=token)
        assert (status, body["code"]) == (429, 99991400)
        assert body["msg"] == "request trigger frequency limit"
        assert headers["x-ogw-ratelimit-limit"] == "2"
        assert headers["x-ogw-ratelimit-reset"] == "1"  # 0.7 s left, rounded up
        assert fake.rate_limited_count("scratch") == 1 and fake.rate_limited_count() == 1
        clock.advance(0.7)  # next window
        assert await statuses(session, fake, token, 1) == [200]


async def test_limits_are_per_app(limited: FakeLark, session: aiohttp.ClientSession) -> None:
    async with limited as fake:
        fake.add_app("cli_second", "second-secret")
        first = await tenant_token(session, fake)
        second = await tenant_token(session, fake, "cli_second", "second-secret")
        assert await statuses(session, fake, first, 3) == [200, 200, 429]
        assert await statuses(session, fake, second, 2) == [200, 200]


async def test_unassigned_scratch_routes_are_unlimited(
    limited: FakeLark, session: aiohttp.ClientSession
) -> None:
    async with limited as fake:
        token = await tenant_token(session, fake)
        assert set(await statuses(session, fake, token, 5, ITEMS)) == {200}


async def test_route_family_and_combined_windows(
    session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    clock.set(1_700_000_020.0)  # 20 s before a minute boundary (epoch multiple of 60)
    async with FakeLark(time_func=clock, rate_limits={"im": [(3, 1.0), (4, 60.0)]}) as fake:
        fake.add_app(APP_ID, APP_SECRET)

        @fake.route("GET", "/open-apis/im/v1/chats", family="im")
        def chats(req: FakeRequest) -> dict[str, object]:
            return {"items": []}

        token = await tenant_token(session, fake)
        path = "/open-apis/im/v1/chats"
        assert await statuses(session, fake, token, 4, path) == [200, 200, 200, 429]
        clock.advance(1)
        assert await statuses(session, fake, token, 1, path) == [200]
        status, _, headers = await call(session, fake, "GET", path, token=token)
        # the per-minute window is full now; it resets at the minute boundary
        assert status == 429
        assert headers["x-ogw-ratelimit-limit"] == "4"
        assert headers["x-ogw-ratelimit-reset"] == "19"


async def test_default_family_table(session: aiohttp.ClientSession, clock: ManualClock) -> None:
    assert DEFAULT_FAMILIES["im"].windows == ((50, 1.0), (1000, 60.0))
    assert DEFAULT_FAMILIES["bitable.read"].windows == ((20, 1.0),)
    assert DEFAULT_FAMILIES["docx.write"].status == 400
    clock.set(1_700_000_000.0)
    async with FakeLark(time_func=clock) as fake:
        fake.add_app(APP_ID, APP_SECRET)
        fake.rate_limits.assign(f"GET {ECHO}", "docx.write")  # 3/s, answered with HTTP 400
        token = await tenant_token(session, fake)
        assert await statuses(session, fake, token, 4) == [200, 200, 200, 400]
        assert fake.rate_limited_count("docx.write") == 1


async def test_enforcement_can_be_off(session: aiohttp.ClientSession, clock: ManualClock) -> None:
    async with FakeLark(
        time_func=clock, enforce_rate_limits=False, rate_limits={"scratch": (1, 1.0)}
    ) as fake:
        fake.add_app(APP_ID, APP_SECRET)
        fake.rate_limits.assign(f"GET {ECHO}", "scratch")
        token = await tenant_token(session, fake)
        assert await statuses(session, fake, token, 3) == [200, 200, 200]
        assert fake.rate_limited_count() == 0


def test_limit_specs_are_normalised() -> None:
    assert to_limit((5, 1)) == FamilyLimit(((5, 1.0),))
    assert to_limit([(5, 1), (100, 60)]) == FamilyLimit(((5, 1.0), (100, 60.0)))
    limit = FamilyLimit(((1, 1.0),), status=400)
    assert to_limit(limit) is limit
    for bad in [(5, 0), [], [(1, 1), (2,)], ("a", 1)]:
        with pytest.raises(ValueError):
            to_limit(bad)  # type: ignore[arg-type]


def test_limiter_unit(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    limiter.set("x", (1, 10.0))
    assert limiter.hit("app", "x") is None
    throttle = limiter.hit("app", "x")
    assert throttle is not None and throttle.limit == 1 and 1 <= throttle.reset <= 10
    limiter.reset()
    assert limiter.hit("app", "x") is None
    limiter.set("x", None)  # unlimited
    assert all(limiter.hit("app", "x") is None for _ in range(10))
    assert limiter.hit("app", "no-such-family") is None

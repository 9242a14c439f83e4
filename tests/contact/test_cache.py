"""UserCache on its own: TTL boundaries, single flight, errors and cancellation."""

from __future__ import annotations

import asyncio

import pytest

from lark_async.contact.cache import UserCache
from lark_async.contact.models import User
from lark_async.contact.store import MemoryCacheStore
from lark_async.core.clock import FakeClock
from lark_async.core.errors import LarkError, PermissionDenied

ANN = User(open_id="ou_ann", union_id="on_ann", user_id="u1", name="Ann", email="ann@x.io")


class Filler:
    """A fill that waits for ``release`` and counts its calls."""

    def __init__(self, error: LarkError | None = None) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.error = error

    async def __call__(self, keys: list[str]) -> tuple[dict[str, User | None], dict[str, User]]:
        self.calls.append(keys)
        self.started.set()
        await self.release.wait()
        if self.error is not None:
            raise self.error
        found: dict[str, User | None] = {k: ANN if k == "email:ann@x.io" else None for k in keys}
        return found, {k: u for k, u in found.items() if u is not None}


@pytest.fixture
def cache() -> UserCache:
    return UserCache(MemoryCacheStore(), "cli_a", FakeClock(), ttl=100.0)


async def test_fresh_until_the_ttl(cache: UserCache) -> None:
    fill = Filler()
    fill.release.set()
    assert await cache.lookup(["email:ann@x.io"], fill) == {"email:ann@x.io": ANN}
    cache.clock.advance(99.9)  # type: ignore[attr-defined]
    await cache.lookup(["email:ann@x.io"], fill)
    assert len(fill.calls) == 1
    cache.clock.advance(0.1)  # type: ignore[attr-defined]
    await cache.lookup(["email:ann@x.io"], fill)
    assert len(fill.calls) == 2
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.refreshed) == (1, 2, 1)


async def test_one_fill_for_concurrent_misses(cache: UserCache) -> None:
    fill = Filler()
    tasks = [
        asyncio.create_task(cache.lookup(["email:ann@x.io", "email:bob@x.io"], fill))
        for _ in range(10)
    ]
    await fill.started.wait()
    fill.release.set()
    results = await asyncio.gather(*tasks)
    assert fill.calls == [["email:ann@x.io", "email:bob@x.io"]]
    assert all(r == {"email:ann@x.io": ANN, "email:bob@x.io": None} for r in results)


async def test_a_failed_fill_reaches_every_waiter(cache: UserCache) -> None:
    err = PermissionDenied("no scope", code=99991672)
    fill = Filler(error=err)
    tasks = [asyncio.create_task(cache.lookup(["email:ann@x.io"], fill)) for _ in range(5)]
    await fill.started.wait()
    fill.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(r is err for r in results) and len(fill.calls) == 1
    # nothing stays in flight: the next lookup fills again
    fill.error = None
    assert await cache.lookup(["email:ann@x.io"], fill) == {"email:ann@x.io": ANN}


async def test_a_cancelled_fetcher_leaves_waiters_to_fetch_for_themselves(cache: UserCache) -> None:
    fill = Filler()
    owner = asyncio.create_task(cache.lookup(["email:ann@x.io"], fill))
    await fill.started.wait()
    waiter = asyncio.create_task(cache.lookup(["email:ann@x.io"], fill))
    await asyncio.sleep(0)  # the waiter joins the owner's flight
    owner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await owner
    fill.release.set()
    assert await waiter == {"email:ann@x.io": ANN}
    assert len(fill.calls) == 2

"""KeyedLocks: one writer per key at a time, and nothing left behind."""

from __future__ import annotations

import asyncio

import pytest

from lark_async.sheets.locks import KeyedLocks


async def test_same_key_serialises_other_keys_do_not() -> None:
    locks = KeyedLocks()
    active: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}
    overlap_ab = False

    async def work(key: str) -> None:
        nonlocal overlap_ab
        async with locks.hold(key):
            active[key] += 1
            peak[key] = max(peak[key], active[key])
            await asyncio.sleep(0)
            if active["a"] and active["b"]:
                overlap_ab = True
            await asyncio.sleep(0)
            active[key] -= 1

    await asyncio.gather(*(work(k) for k in "ababab"))
    assert peak == {"a": 1, "b": 1}
    assert overlap_ab  # different spreadsheets are written in parallel
    assert len(locks) == 0  # entries are dropped when idle


async def test_lock_is_released_when_the_holder_fails() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            assert locks.locked("k")
            raise RuntimeError("boom")
    assert not locks.locked("k")
    assert len(locks) == 0
    async with locks.hold("k"):
        pass


async def test_cancelled_waiter_does_not_leak_the_entry() -> None:
    locks = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            await release.wait()

    async def waiter() -> None:
        async with locks.hold("k"):
            pass

    h = asyncio.create_task(holder())
    await asyncio.sleep(0)
    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    w.cancel()
    with pytest.raises(asyncio.CancelledError):
        await w
    release.set()
    await h
    assert len(locks) == 0

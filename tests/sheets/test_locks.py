"""KeyedLocks: one writer per key at a time, and nothing left behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from lark_async.sheets.locks import KeyedLocks
from tests.helpers import ParkingClock
from tests.sheets.conftest import Env


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


# -- the spreadsheet's write slot in the service (issue #10, item 6) ----------------------
V2 = "/open-apis/sheets/v2/spreadsheets/{spreadsheet_token}"
GUARD = 30.0  # real seconds: only reached if a writer is stuck behind the parked one


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ParkingClock:
    parking = ParkingClock()
    original = KeyedLocks.hold

    @asynccontextmanager
    async def hold(self: KeyedLocks, key: str) -> AsyncIterator[None]:
        async with original(self, key):
            task = asyncio.current_task()
            assert task is not None
            parking.holders.add(task)
            try:
                yield
            finally:
                parking.holders.discard(task)

    monkeypatch.setattr(KeyedLocks, "hold", hold)
    return parking


async def test_a_rate_limited_write_does_not_hold_up_its_spreadsheet(
    env: Env, clock: ParkingClock
) -> None:
    sheets = env.lark.sheets
    env.sh.set_write_latency(0.002)  # a write holds the document a moment: overlaps would show
    env.fake.faults.rate_limit(f"PUT {V2}/values", times=1, reset=20)
    first = asyncio.create_task(sheets.update_sheet_data(env.token, env.rng("A1"), [["first"]]))
    await asyncio.wait_for(clock.parked.wait(), GUARD)  # answered 429, waiting out 20 s

    others = await asyncio.wait_for(
        asyncio.gather(
            *(sheets.update_sheet_data(env.token, env.rng(f"B{i}"), [[i]]) for i in range(1, 5)),
            sheets.append_sheet_data(env.token, env.rng("C1:C1"), [["x"], ["y"]]),
            sheets.batch_update_sheet_data(env.token, {env.rng("D1"): [[1]], env.rng("E1"): [[2]]}),
        ),
        GUARD,
    )
    assert all(r.ok for r in others) and not first.done()
    clock.release.set()
    assert (await first).ok
    assert env.sh.cell(env.token, env.rng("A1")) == "first"
    assert 20.0 in clock.sleeps and clock.slept_holding == []
    assert env.sh.concurrent_writes == 0


async def test_a_write_of_several_blocks_is_not_interleaved(env: Env, clock: ParkingClock) -> None:
    sheets = env.lark.sheets
    token = env.sh.create_spreadsheet("Big", [("Rows", 100, 2)])
    sid = env.sh.sheet_id(token, "Rows")
    env.sh.set_write_latency(0.02)
    big = [[f"big-{i}"] for i in range(6000)]  # two appends: 5,000 rows, then 1,000
    run = asyncio.create_task(sheets.append_sheet_data(token, f"{sid}!A:A", big))

    async def first_block_on_the_wire() -> None:
        while env.sh.write_calls == 0:
            await asyncio.sleep(0.001)

    await asyncio.wait_for(first_block_on_the_wire(), GUARD)
    small = await asyncio.gather(
        *(sheets.append_sheet_data(token, f"{sid}!A:A", [[f"small-{i}"]]) for i in range(3))
    )
    assert (await run).ok and all(r.ok for r in small)
    column = [row[0] for row in env.sh.values(token, sid) if row and row[0]]
    start = column.index("big-0")
    assert column[start : start + 6000] == [r[0] for r in big]  # together, in order
    assert sorted(c for c in column if c.startswith("small")) == [f"small-{i}" for i in range(3)]
    assert env.sh.concurrent_writes == 0

"""A table's write slot is held only while a request is on the wire (issue #10, item 6).

One write waiting out a 429 (20 s reset) or a backoff must not hold up the other
writers of its table; writes to one table must still never overlap on the wire.
The clock parks long sleeps until the test releases them, so "the others finished
while that one waited" is observed directly, with no real waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from lark_async.bitable.options import WriteSlots
from tests.bitable.conftest import PEOPLE, Env
from tests.helpers import ParkingClock, client_for, emulator

RECORDS = "/open-apis/bitable/v1/apps/{a}/tables/{t}/records"
GUARD = 30.0  # real seconds: only reached if a writer is stuck behind the parked one


@pytest.fixture
def clock() -> ParkingClock:
    return ParkingClock()


@pytest.fixture
def watched_slots(monkeypatch: pytest.MonkeyPatch, clock: ParkingClock) -> None:
    """Every WriteSlots records which task holds a slot, so the clock can tell."""
    original = WriteSlots.hold

    def hold(self: WriteSlots, key: str) -> AbstractAsyncContextManager[object]:
        @asynccontextmanager
        async def held() -> AsyncIterator[None]:
            async with original(self, key):
                task = asyncio.current_task()
                assert task is not None
                clock.holders.add(task)
                try:
                    yield
                finally:
                    clock.holders.discard(task)

        return held()

    monkeypatch.setattr(WriteSlots, "hold", hold)


@pytest.fixture
async def env(clock: ParkingClock, watched_slots: None) -> AsyncIterator[Env]:
    from lark_async.testing.bitable import BitableEmulator

    async with emulator(clock) as fake:
        bt = BitableEmulator.of(fake)
        app_token = bt.create_app(name="Test base")
        table_id = bt.create_table(app_token, name="People", fields=PEOPLE)
        bt.set_write_latency(0.002)  # writes hold the table a moment: overlaps would show
        async with client_for(fake, clock) as lark:
            yield Env(fake, bt, lark, clock, app_token, table_id)


async def test_a_rate_limited_write_does_not_hold_up_its_table(
    env: Env, clock: ParkingClock
) -> None:
    bt = env.lark.bitable
    env.fake.faults.rate_limit(f"POST {RECORDS}", times=1, reset=20)
    first = asyncio.create_task(bt.create_record(env.app_token, env.table_id, {"Name": "first"}))
    await asyncio.wait_for(clock.parked.wait(), GUARD)  # answered 429, waiting out 20 s

    others = asyncio.gather(
        *(bt.create_record(env.app_token, env.table_id, {"Name": f"w{i}"}) for i in range(6)),
        bt.bulk_create(env.app_token, env.table_id, [{"Name": f"b{i}"} for i in range(10)]),
    )
    *singles, report = await asyncio.wait_for(others, GUARD)
    assert all(r.ok for r in singles) and report.ok and report.written == 10
    assert not first.done()  # all of them went through while the first one waited

    clock.release.set()
    assert (await first).ok
    assert len(env.records()) == 17
    assert 20.0 in clock.sleeps
    assert clock.slept_holding == []  # no slot was held through a sleep
    assert env.bt.write_conflicts == 0  # and no two writes to the table overlapped


async def test_a_bulk_chunk_waiting_out_a_rate_limit_does_not_hold_up_its_table(
    env: Env, clock: ParkingClock
) -> None:
    bt = env.lark.bitable
    env.fake.faults.rate_limit(f"POST {RECORDS}/batch_create", times=1, reset=20)
    run = asyncio.create_task(
        bt.bulk_create(
            env.app_token, env.table_id, [{"Name": f"b{i}"} for i in range(10)], rate_limit_wait=20
        )
    )
    await asyncio.wait_for(clock.parked.wait(), GUARD)
    singles = await asyncio.wait_for(
        asyncio.gather(
            *(bt.create_record(env.app_token, env.table_id, {"Name": f"w{i}"}) for i in range(6))
        ),
        GUARD,
    )
    assert all(r.ok for r in singles) and not run.done()
    clock.release.set()
    report = await run
    assert report.ok and report.written == 10 and report.rate_limited == 1
    assert len(env.records()) == 16
    assert clock.slept_holding == [] and env.bt.write_conflicts == 0


async def test_backoff_after_server_errors_holds_no_slot(env: Env, clock: ParkingClock) -> None:
    bt = env.lark.bitable
    env.fake.faults.fail(f"POST {RECORDS}", times=2, status=500, code=1254607)
    many = await asyncio.gather(
        *(bt.create_record(env.app_token, env.table_id, {"Name": f"w{i}"}) for i in range(8)),
        bt.bulk_create(env.app_token, env.table_id, [{"Name": f"b{i}"} for i in range(30)]),
    )
    assert all(r.ok for r in many)
    assert len(env.records()) == 38
    assert clock.sleeps and clock.slept_holding == []
    assert env.bt.write_conflicts == 0


async def test_writes_to_one_table_never_overlap_on_the_wire(env: Env, clock: ParkingClock) -> None:
    bt = env.lark.bitable
    other = env.table("Other")
    env.fake.faults.rate_limit(f"POST {RECORDS}", times=3, reset=1)
    results = await asyncio.gather(
        *(bt.create_record(env.app_token, env.table_id, {"Name": f"w{i}"}) for i in range(20)),
        *(bt.create_record(env.app_token, other, {"Name": f"o{i}"}) for i in range(5)),
        bt.bulk_create(env.app_token, env.table_id, [{"Name": f"b{i}"} for i in range(40)]),
        bt.bulk_create(env.app_token, other, [{"Name": f"c{i}"} for i in range(40)], chunk_size=7),
    )
    assert all(r.ok for r in results)
    assert len(env.records()) == 60 and len(env.records(other)) == 45
    assert env.bt.write_conflicts == 0 and clock.slept_holding == []


async def test_client_rate_limiter_waits_hold_no_slot(env: Env, clock: ParkingClock) -> None:
    # The client's own limiter (on by default) spaces calls by sleeping before each
    # send: that wait, too, must happen before the slot is taken.
    async with client_for(env.fake, clock, client_rate_limit=True) as lark:
        bt = lark.bitable
        results = await asyncio.gather(
            *(bt.create_record(env.app_token, env.table_id, {"Name": f"w{i}"}) for i in range(30)),
            bt.bulk_create(
                env.app_token, env.table_id, [{"Name": f"b{i}"} for i in range(9)], chunk_size=1
            ),
        )
    assert all(r.ok for r in results)
    assert len(env.records()) == 39
    assert len(clock.sleeps) >= 10 and clock.slept_holding == []
    assert env.bt.write_conflicts == 0

"""Limits and write slots shared through PostgreSQL by several clients and processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from lark_async import LarkClient
from lark_async.auth.migrations import upgrade
from lark_async.bitable.options import WriteSlots
from lark_async.core.ratelimit import ClientRateLimiter
from lark_async.shared import PostgresSlots, SharedDatabase, SharedRateLimiter, Sharing
from lark_async.sheets.locks import KeyedLocks
from lark_async.testing import FakeLark
from lark_async.testing.bitable import BitableEmulator

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child.py")
DEAD = "postgresql://postgres@127.0.0.1:1/test"
APP_ID, SECRET = "cli_shared0000000001", "shared-secret-0001"


@pytest.fixture
async def store(
    pg_dsn: str, pg_schema: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("LARK_ASYNC_SECRET_KEY", secret_key)  # the token store encrypts
    await upgrade(pg_dsn, pg_schema)
    return f"{pg_dsn}?schema={pg_schema}"


def in_any_second(times: list[float]) -> int:
    """The most of ``times`` inside one second, however the second is placed."""
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + 1.0) for i, t in enumerate(times))


async def test_two_limiters_keep_one_schedule(store: str) -> None:
    """Two clients' limiters (two pools, as two processes) share 20/s: never 21 in a second."""
    sharings = [Sharing(store, ClientRateLimiter({"x": (20, 1.0)})) for _ in range(2)]
    sent: list[float] = []

    async def one(sharing: Sharing) -> None:
        await sharing.limiter.acquire(APP_ID, "x")
        sent.append(time.monotonic())

    try:
        start = time.monotonic()
        await asyncio.gather(*(one(s) for s in sharings for _ in range(25)))
        took = time.monotonic() - start
    finally:
        for s in sharings:
            await s.aclose()
    assert len(sent) == 50
    assert in_any_second(sent) <= 20
    assert took >= 49 / 20  # the 50 calls fit one 19/s schedule, not two
    leases = sum(s.limiter.leases for s in sharings)
    assert leases < 50 / 2  # slices: most calls took no round trip


async def test_database_down_falls_back_to_local_limits_loudly(log_lines: list[str]) -> None:
    sharing = Sharing(DEAD, ClientRateLimiter({"x": (1000, 1.0)}))
    try:
        for _ in range(5):
            await sharing.limiter.acquire(APP_ID, "x")
    finally:
        await sharing.aclose()
    errors = [json.loads(x) for x in log_lines if "lark.shared.unavailable" in x]
    assert len(errors) == 1  # one ERROR, not one per call
    assert errors[0]["level"] == "error"
    assert errors[0]["shared"] == "rate limits"


async def test_slots_of_two_pools_never_overlap(store: str) -> None:
    dbs = [SharedDatabase(store) for _ in range(2)]
    slots = [PostgresSlots(db) for db in dbs]
    active = 0
    most = 0
    done = 0

    async def write(s: PostgresSlots) -> None:
        nonlocal active, most, done
        async with s.hold("bitable:base/tbl"):
            active += 1
            most = max(most, active)
            await asyncio.sleep(0.005)
            active -= 1
            done += 1

    try:
        # One holder per pool at a time, as the services' local slots ensure.
        async def writer(s: PostgresSlots) -> None:
            for _ in range(10):
                await write(s)

        await asyncio.gather(*(writer(s) for s in slots for _ in range(1)))
    finally:
        for db in dbs:
            await db.aclose()
    assert done == 20
    assert most == 1


async def test_slots_fall_back_to_local_when_database_down(log_lines: list[str]) -> None:
    db = SharedDatabase(DEAD)
    try:
        async with PostgresSlots(db).hold("k"):
            pass
    finally:
        await db.aclose()
    assert any("lark.shared.unavailable" in x and "write slots" in x for x in log_lines)


# --- several processes ----------------------------------------------------------
@pytest.fixture
async def fake() -> AsyncIterator[FakeLark]:
    async with FakeLark() as server:
        server.add_app(APP_ID, SECRET)
        yield server


async def run_children(
    fake: FakeLark,
    store: str,
    tables: list[str],
    *,
    processes: int,
    rows: int,
    chunk: int,
    shared: bool,
    rate: float,
    app_token: str,
) -> list[dict[str, float]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(CHILD),
            fake.url,
            store,
            APP_ID,
            SECRET,
            app_token,
            ",".join(tables),
            str(rows),
            str(chunk),
            "1" if shared else "0",
            str(rate),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        for _ in range(processes)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            assert line.strip() == b"ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            await p.stdin.drain()
        out = []
        for p in procs:
            assert p.stdout is not None
            out.append(json.loads(await asyncio.wait_for(p.stdout.readline(), 90)))
        return out
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
            await p.wait()


@pytest.mark.slow
async def test_two_processes_writing_one_table_never_overlap(fake: FakeLark, store: str) -> None:
    bt = BitableEmulator.of(fake)
    base = bt.create_app(name="Shared")
    table = bt.create_table(base, fields=[{"field_name": "Key", "type": 1}])
    bt.set_write_latency(0.02)  # each write holds the table: an overlap is a 1254291
    runs = await run_children(
        fake, store, [table], processes=2, rows=200, chunk=10, shared=True, rate=50, app_token=base
    )
    assert sum(r["written"] for r in runs) == 400
    assert sum(r["conflicts"] for r in runs) == 0
    assert bt.write_conflicts == 0
    assert len(bt.records(base, table)) == 400

    # The same with slots per process: the processes collide.
    other = bt.create_table(base, name="Local", fields=[{"field_name": "Key", "type": 1}])
    runs = await run_children(
        fake, store, [other], processes=2, rows=200, chunk=10, shared=False, rate=50, app_token=base
    )
    assert sum(r["written"] for r in runs) == 400
    assert bt.write_conflicts > 0


@pytest.mark.slow
async def test_two_processes_share_one_quota(fake: FakeLark, store: str) -> None:
    fake.rate_limits.set("bitable.write", [(10, 1.0)])
    bt = BitableEmulator.of(fake)
    base = bt.create_app(name="Quota")
    tables = [
        bt.create_table(base, name=f"T{i}", fields=[{"field_name": "Key", "type": 1}])
        for i in range(2)
    ]
    runs = await run_children(
        fake, store, tables, processes=2, rows=30, chunk=2, shared=True, rate=10, app_token=base
    )
    assert sum(r["written"] for r in runs) == 120
    assert fake.rate_limited_count("bitable.write") == 0
    assert sum(r["rate_limited"] for r in runs) == 0


class Recorder:
    """A SharedSlots that records which keys were held, and how many at once."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.active = 0
        self.most = 0

    def hold(self, key: str) -> AbstractAsyncContextManager[object]:
        return self._hold(key)

    @asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[None]:
        self.keys.append(key)
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            await asyncio.sleep(0)
            yield
        finally:
            self.active -= 1


async def test_services_hold_the_shared_slot_inside_their_own() -> None:
    shared = Recorder()
    bitable = WriteSlots(shared=shared)
    sheets = KeyedLocks(shared)

    async def write_table() -> None:
        async with bitable.hold("bascn1/tbl1"):
            await asyncio.sleep(0)

    async def write_sheet() -> None:
        async with sheets.hold("shtcn1"):
            await asyncio.sleep(0)

    await asyncio.gather(*(write_table() for _ in range(3)), *(write_sheet() for _ in range(3)))
    assert sorted(set(shared.keys)) == ["bitable:bascn1/tbl1", "sheets:shtcn1"]
    assert len(shared.keys) == 6
    assert shared.most <= 2  # one per table and one per spreadsheet from this process


def test_a_postgres_store_shares_limits_and_slots_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, secret_key: str
) -> None:
    monkeypatch.setenv("LARK_ASYNC_SECRET_KEY", secret_key)
    url = "postgresql://lark@127.0.0.1:1/lark?schema=lark"  # nothing is sent to build a client
    shared = LarkClient(APP_ID, SECRET, token_store=url)
    assert isinstance(shared._transport.limiter, SharedRateLimiter)
    assert shared.default_app.shared_slots is not None
    local = LarkClient(APP_ID, SECRET, token_store=url, shared_limits=False)
    assert isinstance(local._transport.limiter, ClientRateLimiter)
    assert local.default_app.shared_slots is None
    memory = LarkClient(APP_ID, SECRET)
    assert memory.default_app.shared_slots is None


async def test_missing_tables_fall_back_and_say_to_migrate(
    pg_dsn: str, pg_schema: str, log_lines: list[str]
) -> None:
    sharing = Sharing(f"{pg_dsn}?schema={pg_schema}", ClientRateLimiter({"x": (1000, 1.0)}))
    try:
        await sharing.limiter.acquire(APP_ID, "x")  # the schema has no tables yet
    finally:
        await sharing.aclose()
    errors = [json.loads(x) for x in log_lines if "lark.shared.unavailable" in x]
    assert len(errors) == 1
    assert f"lark-async db upgrade --schema {pg_schema}" in errors[0]["reason"]

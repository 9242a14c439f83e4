"""PostgresTokenStore against the real server: one fresh schema per test."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

from lark_async.auth.crypto import SecretBox
from lark_async.auth.migrations import upgrade
from lark_async.auth.models import TokenKind
from lark_async.auth.stores import LockTimeout, PostgresTokenStore, StoreUnavailable
from lark_async.core.errors import ConfigError
from tests.auth.test_stores import (
    SECRET_VALUE,
    assert_no_overlap,
    check_counter_and_writers,
    check_lock_basics,
    check_round_trip,
    make_token,
    run_lock_workers,
)
from tests.tcp_proxy import Proxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


@pytest.fixture
async def migrated(pg_dsn: str, pg_schema: str) -> str:
    await upgrade(pg_dsn, pg_schema)
    return pg_schema


@pytest.fixture
async def admin(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_dsn)
    yield conn
    await conn.close()


@pytest.fixture
async def store(pg_dsn: str, migrated: str, box: SecretBox) -> AsyncIterator[PostgresTokenStore]:
    s = PostgresTokenStore(pg_dsn, box, schema=migrated, retry_interval=0)
    yield s
    await s.close()


@contextlib.asynccontextmanager
async def rival_store(
    pg_dsn: str, schema: str, box: SecretBox
) -> AsyncIterator[PostgresTokenStore]:
    """A second store: its own pool, so its own database sessions."""
    s = PostgresTokenStore(pg_dsn, box, schema=schema, retry_interval=0)
    try:
        yield s
    finally:
        await s.close()


async def advisory_holders(admin: asyncpg.Connection, app_id: str, kind: TokenKind) -> list[int]:
    """Backend pids granted the token lock for (app_id, kind)."""
    rows = await admin.fetch(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)",
        f"lark_async:token:{app_id}:{kind.value}",
    )
    return [r["pid"] for r in rows]


async def test_round_trip(store: PostgresTokenStore) -> None:
    assert store.name == "postgres"
    await check_round_trip(store)


async def test_values_encrypted_at_rest(
    store: PostgresTokenStore, admin: asyncpg.Connection, migrated: str
) -> None:
    await store.put(make_token())
    row = await admin.fetchrow(f'SELECT * FROM "{migrated}".lark_tokens')
    assert row is not None
    assert (row["app_id"], row["kind"]) == ("cli_a", "tenant_access_token")
    assert row["updated_at"] is not None
    assert SECRET_VALUE not in repr(dict(row))
    assert SECRET_VALUE not in repr(store)


async def test_corrupt_row_is_deleted(
    store: PostgresTokenStore, admin: asyncpg.Connection, migrated: str
) -> None:
    await store.put(make_token("cli_a"))
    await store.put(make_token("cli_b"))
    await admin.execute(
        f"UPDATE \"{migrated}\".lark_tokens SET value_enc = 'garbage' WHERE app_id = 'cli_a'"
    )
    assert await store.get("cli_a", TokenKind.TENANT) is None
    left = await admin.fetch(f'SELECT app_id FROM "{migrated}".lark_tokens')
    assert [r["app_id"] for r in left] == ["cli_b"]


async def test_wrong_key_is_treated_as_corrupt(
    store: PostgresTokenStore, pg_dsn: str, migrated: str, admin: asyncpg.Connection
) -> None:
    await store.put(make_token())
    async with rival_store(pg_dsn, migrated, SecretBox(SecretBox.generate_key())) as other:
        assert await other.get("cli_a", TokenKind.TENANT) is None
        assert await admin.fetchval(f'SELECT count(*) FROM "{migrated}".lark_tokens') == 0
        fresh = make_token(value="t-refetched")
        await other.put(fresh)
        assert await other.get("cli_a", TokenKind.TENANT) == fresh


async def test_missing_table_is_a_config_error(pg_dsn: str, pg_schema: str, box: SecretBox) -> None:
    store = PostgresTokenStore(pg_dsn, box, schema=pg_schema)
    with pytest.raises(ConfigError) as info:
        await store.get("cli_a", TokenKind.TENANT)
    assert "lark-async db upgrade" in str(info.value)
    assert "ensure_schema" in str(info.value)
    with pytest.raises(ConfigError):
        await store.put(make_token())
    await store.ensure_schema()  # the fix the message suggests
    await store.put(make_token())
    assert await store.get("cli_a", TokenKind.TENANT) is not None
    await store.close()


async def test_invalid_schema_name_is_refused(box: SecretBox) -> None:
    with pytest.raises(ConfigError):
        PostgresTokenStore("postgresql://u@h/db", box, schema='x"; DROP TABLE y; --')


async def test_dead_server_is_unavailable_quickly(box: SecretBox) -> None:
    store = PostgresTokenStore(
        "postgresql://postgres:hunter2@127.0.0.1:1/test", box, connect_timeout=2.0
    )
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        await store.get("cli_a", TokenKind.TENANT)
    assert time.monotonic() - started < 2.0
    message = str(info.value)
    assert "hunter2" not in message and "127.0.0.1:1" in message and "***" in message
    for call in (store.put(make_token()), store.delete("cli_a", TokenKind.TENANT)):
        with pytest.raises(StoreUnavailable):
            await call
    with pytest.raises(StoreUnavailable):
        async with store.lock("cli_a", TokenKind.TENANT, 1.0):
            pytest.fail("locked a dead database")
    await store.close()


# -- the server going away and coming back, through a loopback TCP proxy ------


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    p = Proxy()
    yield p
    await p.stop()


def via(proxy: Proxy, pg_dsn: str) -> str:
    return pg_dsn.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")


async def test_store_created_while_down_works_once_server_returns(
    proxy: Proxy, pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    store = PostgresTokenStore(via(proxy, pg_dsn), box, schema=migrated, retry_interval=0)
    with pytest.raises(StoreUnavailable):
        await store.put(make_token())
    await proxy.start()  # the server "comes back"
    await store.put(make_token())  # writes resume, no restart needed
    assert await store.get("cli_a", TokenKind.TENANT) is not None
    await store.close()


async def test_pool_recovers_after_the_server_drops_connections(
    proxy: Proxy, pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    await proxy.start()
    store = PostgresTokenStore(
        via(proxy, pg_dsn), box, schema=migrated, retry_interval=0, max_size=2
    )
    await store.put(make_token())
    await proxy.stop()  # every pooled connection dies
    with pytest.raises(StoreUnavailable):
        await store.get("cli_a", TokenKind.TENANT)
    await proxy.start()
    got = await store.get("cli_a", TokenKind.TENANT)
    assert got is not None and got.value == SECRET_VALUE
    await store.close()


async def test_retry_interval_avoids_reconnecting_on_every_call(
    proxy: Proxy, pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    store = PostgresTokenStore(via(proxy, pg_dsn), box, schema=migrated, retry_interval=60)
    with pytest.raises(StoreUnavailable):
        await store.get("cli_a", TokenKind.TENANT)
    await proxy.start()
    # Within the interval no connection is attempted: it fails fast, untouched.
    with pytest.raises(StoreUnavailable, match="next try in"):
        await store.get("cli_a", TokenKind.TENANT)
    store._down_until = 0.0  # the interval has passed
    assert await store.get("cli_a", TokenKind.TENANT) is None
    await store.close()


async def test_terminated_backend_is_replaced_transparently(
    pg_dsn: str, migrated: str, box: SecretBox, admin: asyncpg.Connection
) -> None:
    store = PostgresTokenStore(pg_dsn, box, schema=migrated, min_size=1, max_size=1)
    await store.put(make_token())
    async with (await store._pools.get()).acquire() as conn:  # the pool's only connection
        pid = await conn.fetchval("SELECT pg_backend_pid()")
    await admin.execute("SELECT pg_terminate_backend($1)", pid)  # as a server restart would
    got = await store.get("cli_a", TokenKind.TENANT)  # retried once on a fresh connection
    assert got is not None and got.value == SECRET_VALUE
    await store.close()


# -- the advisory lock ----------------------------------------------------------


async def test_lock_timeout_and_release(
    store: PostgresTokenStore, pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    async with rival_store(pg_dsn, migrated, box) as rival:
        await check_lock_basics(store, rival)


async def test_lock_is_visible_to_the_server_and_released(
    store: PostgresTokenStore, admin: asyncpg.Connection
) -> None:
    async with store.lock("cli_v", TokenKind.TENANT, 1.0):
        assert len(await advisory_holders(admin, "cli_v", TokenKind.TENANT)) == 1
    assert await advisory_holders(admin, "cli_v", TokenKind.TENANT) == []


async def test_store_calls_inside_the_lock_need_no_second_connection(
    pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    # One connection in the pool: get/put inside the lock must reuse it, or hang.
    store = PostgresTokenStore(pg_dsn, box, schema=migrated, min_size=1, max_size=1)

    async def refresh() -> None:
        async with store.lock("cli_a", TokenKind.TENANT, 2.0):
            assert await store.get("cli_a", TokenKind.TENANT) is None
            await store.put(make_token())
            await store.delete("cli_a", TokenKind.APP)
        assert await store.get("cli_a", TokenKind.TENANT) is not None

    await asyncio.wait_for(refresh(), 10)
    await store.close()


async def test_lock_is_released_when_its_connection_breaks(
    store: PostgresTokenStore, admin: asyncpg.Connection, pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    async with store.lock("cli_x", TokenKind.TENANT, 1.0):
        (pid,) = await advisory_holders(admin, "cli_x", TokenKind.TENANT)
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    # Exiting did not raise; the session (and so the lock) is gone.
    async with (
        rival_store(pg_dsn, migrated, box) as rival,
        rival.lock("cli_x", TokenKind.TENANT, 0.5),
    ):
        pass
    async with store.lock("cli_x", TokenKind.TENANT, 0.5):
        pass  # and the store itself carries on with a fresh connection


async def test_cancelled_waiter_leaves_no_lock_behind(
    store: PostgresTokenStore, admin: asyncpg.Connection, pg_dsn: str, migrated: str, box: SecretBox
) -> None:
    async with rival_store(pg_dsn, migrated, box) as rival:
        async with store.lock("cli_c", TokenKind.TENANT, 1.0):
            waiter = asyncio.create_task(_hold(rival, "cli_c", 10.0))
            await asyncio.sleep(0.2)  # let it queue on the server
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        # The holder released; nobody is left holding or queued for it.
        await asyncio.sleep(0.05)
        assert await advisory_holders(admin, "cli_c", TokenKind.TENANT) == []
        async with rival.lock("cli_c", TokenKind.TENANT, 0.5):
            pass


async def _hold(store: PostgresTokenStore, app_id: str, wait: float) -> None:
    async with store.lock(app_id, TokenKind.TENANT, wait):
        pass


async def test_lock_excludes_other_processes(
    pg_dsn: str, migrated: str, secret_key: str, box: SecretBox
) -> None:
    intervals = await run_lock_workers(f"{pg_dsn}?schema={migrated}", secret_key, n=3)
    assert_no_overlap(intervals)
    async with rival_store(pg_dsn, migrated, box) as check:
        await check_counter_and_writers(check, 3)


# Holds the token lock in its own process, idle, until stdin closes or it is killed.
HOLDER = r"""
import asyncio, sys, asyncpg

async def main(dsn, key):
    conn = await asyncpg.connect(dsn)
    await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
    print("held", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_lock_timeout_while_another_process_holds_it(
    store: PostgresTokenStore, pg_dsn: str
) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        pg_dsn,
        "lark_async:token:cli_p:tenant_access_token",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 30)).strip() == b"held"
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            async with store.lock("cli_p", TokenKind.TENANT, 0.3):
                pass
        assert 0.25 <= time.monotonic() - started < 2.0
    finally:
        holder.kill()  # its session ends, and the lock with it
        await holder.wait()
    async with store.lock("cli_p", TokenKind.TENANT, 5.0):
        pass

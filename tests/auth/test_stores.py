"""Token stores: memory, SQLite and the URL factory; cross-process lock helpers.

PostgreSQL has its own file (test_store_postgres.py), which reuses
``run_lock_workers`` from here.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lark_async.auth.crypto import SecretBox
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores import (
    LockTimeout,
    MemoryTokenStore,
    PostgresTokenStore,
    SQLiteTokenStore,
    StoreUnavailable,
    TokenStore,
    store_from_url,
)
from lark_async.core.errors import ConfigError

SECRET_VALUE = "t-g1044ghJRUIJJ5ELPJ3TB5XLYAXTVTLT6QSS7DDV"


def make_token(
    app_id: str = "cli_a", kind: TokenKind = TokenKind.TENANT, value: str = SECRET_VALUE
) -> StoredToken:
    now = time.time()
    return StoredToken(app_id, kind, value, expires_at=now + 7200, lifetime=7200, fetched_at=now)


# -- cross-process lock workers (shared with the PostgreSQL tests) -------------

# Each worker connects, says "ready", waits for "go", then, holding the lock,
# does a read-modify-write of a counter token: lost updates would show any
# overlap even if the timestamps happened not to. Then it hammers the store
# with unlocked writes of its own row, to exercise concurrent writers.
LOCK_WORKER = r"""
import asyncio, json, sys, time
from lark_async.auth.crypto import SecretBox
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores import store_from_url

async def main(url, key, hold, index):
    store = store_from_url(url, SecretBox(key))
    await store.get("cli_lock", TokenKind.TENANT)  # connect before the start signal
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    async with store.lock("cli_lock", TokenKind.TENANT, 20.0):
        enter = time.time()
        current = await store.get("cli_lock", TokenKind.TENANT)
        count = int(current.value) if current else 0
        await asyncio.sleep(hold)
        now = time.time()
        bumped = StoredToken("cli_lock", TokenKind.TENANT, str(count + 1), now + 60, 60, now)
        await store.put(bumped)
        leave = time.time()
    for i in range(20):
        now = time.time()
        await store.put(StoredToken(f"cli_w{index}", TokenKind.APP, str(i), now + 60, 60, now))
    await store.close()
    print(json.dumps({"enter": enter, "leave": leave}), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]))
"""


async def run_lock_workers(
    url: str, key: str, n: int = 3, hold: float = 0.15
) -> list[dict[str, float]]:
    """Start ``n`` processes that each take the lock once; return their intervals."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LOCK_WORKER,
            url,
            key,
            str(hold),
            str(i),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for i in range(n)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if line.strip() != b"ready":
                assert proc.stderr is not None
                pytest.fail(f"worker did not start: {(await proc.stderr.read()).decode()}")
        for proc in procs:  # release them together, so they contend
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        results = []
        for proc in procs:
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def assert_no_overlap(intervals: list[dict[str, float]]) -> None:
    ordered = sorted(intervals, key=lambda r: r["enter"])
    for before, after in itertools.pairwise(ordered):
        assert after["enter"] >= before["leave"], f"lock holders overlapped: {ordered}"


async def check_counter_and_writers(store: TokenStore, n: int) -> None:
    counter = await store.get("cli_lock", TokenKind.TENANT)
    assert counter is not None and counter.value == str(n)  # no lost update
    for i in range(n):
        row = await store.get(f"cli_w{i}", TokenKind.APP)
        assert row is not None and row.value == "19"


# -- contract checks every store passes ---------------------------------------


async def check_round_trip(store: TokenStore) -> None:
    assert await store.get("cli_a", TokenKind.TENANT) is None
    tenant = make_token("cli_a", TokenKind.TENANT, "t-tenant-a")
    app = make_token("cli_a", TokenKind.APP, "a-app-a")
    other = make_token("cli_b", TokenKind.TENANT, "t-tenant-b")
    for token in (tenant, app, other):
        await store.put(token)
    got = await store.get("cli_a", TokenKind.TENANT)
    assert got == tenant and got.value == "t-tenant-a"
    assert await store.get("cli_a", TokenKind.APP) == app
    assert await store.get("cli_b", TokenKind.TENANT) == other
    assert await store.get("cli_b", TokenKind.APP) is None

    newer = make_token("cli_a", TokenKind.TENANT, "t-tenant-a2")
    await store.put(newer)  # upsert replaces
    assert await store.get("cli_a", TokenKind.TENANT) == newer

    await store.delete("cli_a", TokenKind.TENANT)
    assert await store.get("cli_a", TokenKind.TENANT) is None
    assert await store.get("cli_a", TokenKind.APP) == app  # the other kind is untouched
    await store.delete("cli_a", TokenKind.TENANT)  # deleting nothing is fine


async def check_lock_basics(store: TokenStore, rival: TokenStore) -> None:
    """``rival`` is a second store (own session / file descriptor) on the same data."""
    async with store.lock("cli_a", TokenKind.TENANT, 5.0):
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            async with rival.lock("cli_a", TokenKind.TENANT, 0.3):
                pytest.fail("the lock was taken twice")
        assert 0.25 <= time.monotonic() - started < 2.0
        # Other keys are independent.
        async with rival.lock("cli_a", TokenKind.APP, 0.3):
            pass
        async with rival.lock("cli_b", TokenKind.TENANT, 0.3):
            pass
    async with rival.lock("cli_a", TokenKind.TENANT, 0.3):
        pass  # released on exit

    with pytest.raises(RuntimeError, match="boom"):
        async with store.lock("cli_a", TokenKind.TENANT, 1.0):
            raise RuntimeError("boom")
    async with rival.lock("cli_a", TokenKind.TENANT, 0.3):
        pass  # released after the exception too


# -- memory ---------------------------------------------------------------------


async def test_memory_round_trip() -> None:
    store = MemoryTokenStore()
    assert store.name == "memory"
    await check_round_trip(store)
    await store.close()


async def test_memory_returns_copies() -> None:
    store = MemoryTokenStore()
    token = make_token()
    await store.put(token)
    token.value = "changed by the caller"
    got = await store.get("cli_a", TokenKind.TENANT)
    assert got is not None and got.value == SECRET_VALUE
    got.value = "changed again"
    again = await store.get("cli_a", TokenKind.TENANT)
    assert again is not None and again.value == SECRET_VALUE
    assert SECRET_VALUE not in repr(store)


async def test_memory_lock_is_a_no_op() -> None:
    store = MemoryTokenStore()
    # Single process only: a second holder is not excluded, nor blocked.
    async with (
        store.lock("cli_a", TokenKind.TENANT, 0.0),
        store.lock("cli_a", TokenKind.TENANT, 0.0),
    ):
        pass


# -- SQLite ---------------------------------------------------------------------


@pytest.fixture
def box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


@pytest.fixture
async def sqlite_store(tmp_path: Path, box: SecretBox) -> AsyncIterator[SQLiteTokenStore]:
    store = SQLiteTokenStore(tmp_path / "tokens.db", box)
    yield store
    await store.close()


def raw_rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM lark_tokens ORDER BY app_id, kind").fetchall()


def raw_update(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


async def test_sqlite_round_trip(sqlite_store: SQLiteTokenStore) -> None:
    assert sqlite_store.name == "sqlite"
    await check_round_trip(sqlite_store)


async def test_sqlite_is_lazy_and_creates_its_table(tmp_path: Path, box: SecretBox) -> None:
    path = tmp_path / "sub" / "dir" / "tokens.db"
    store = SQLiteTokenStore(path, box)
    assert not path.exists()  # nothing happens until first use
    await store.put(make_token())
    assert path.exists()
    assert path.stat().st_mode & 0o077 == 0  # owner-only: it holds credentials
    await store.close()
    await store.close()  # twice is fine
    reopened = SQLiteTokenStore(path, box)
    got = await reopened.get("cli_a", TokenKind.TENANT)
    assert got is not None and got.value == SECRET_VALUE
    await reopened.close()


async def test_sqlite_persists_across_instances(tmp_path: Path, box: SecretBox) -> None:
    token = make_token()
    first = SQLiteTokenStore(tmp_path / "t.db", box)
    await first.put(token)
    await first.close()
    second = SQLiteTokenStore(tmp_path / "t.db", box)
    assert await second.get("cli_a", TokenKind.TENANT) == token
    await second.close()


async def test_sqlite_encrypts_values_at_rest(sqlite_store: SQLiteTokenStore) -> None:
    await sqlite_store.put(make_token())
    (row,) = raw_rows(sqlite_store.path)
    assert row[:2] == ("cli_a", "tenant_access_token")
    assert SECRET_VALUE not in repr(row)
    await sqlite_store.close()  # flush the WAL, then look at every file on disk
    for file in sqlite_store.path.parent.iterdir():
        if file.is_file():
            assert SECRET_VALUE.encode() not in file.read_bytes(), file


async def test_sqlite_corrupt_row_is_deleted(sqlite_store: SQLiteTokenStore) -> None:
    await sqlite_store.put(make_token("cli_a"))
    await sqlite_store.put(make_token("cli_b"))
    raw_update(
        sqlite_store.path,
        "UPDATE lark_tokens SET value_enc = 'not-a-fernet-token' WHERE app_id = 'cli_a'",
    )
    assert await sqlite_store.get("cli_a", TokenKind.TENANT) is None
    assert [r[0] for r in raw_rows(sqlite_store.path)] == ["cli_b"]  # only the bad row went
    assert await sqlite_store.get("cli_b", TokenKind.TENANT) is not None


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lark_tokens SET value_enc = X'00ff'",  # a blob, not text
        "UPDATE lark_tokens SET expires_at = 'soon'",  # unparseable number
    ],
)
async def test_sqlite_unparseable_row_is_deleted(sqlite_store: SQLiteTokenStore, sql: str) -> None:
    await sqlite_store.put(make_token())
    raw_update(sqlite_store.path, sql)
    assert await sqlite_store.get("cli_a", TokenKind.TENANT) is None
    assert raw_rows(sqlite_store.path) == []


async def test_sqlite_wrong_key_is_treated_as_corrupt(tmp_path: Path, box: SecretBox) -> None:
    path = tmp_path / "t.db"
    writer = SQLiteTokenStore(path, box)
    await writer.put(make_token())
    await writer.close()
    reader = SQLiteTokenStore(path, SecretBox(SecretBox.generate_key()))
    assert await reader.get("cli_a", TokenKind.TENANT) is None
    assert raw_rows(path) == []
    fresh = make_token(value="t-refetched")
    await reader.put(fresh)  # and the refetched token is stored again
    assert await reader.get("cli_a", TokenKind.TENANT) == fresh
    await reader.close()


async def test_sqlite_key_rotation_still_reads_old_rows(tmp_path: Path, secret_key: str) -> None:
    path = tmp_path / "t.db"
    token = make_token()
    old = SQLiteTokenStore(path, SecretBox(secret_key))
    await old.put(token)
    await old.close()
    # A new primary key in front; the old one still decrypts existing rows.
    rotated = SQLiteTokenStore(path, SecretBox([SecretBox.generate_key(), secret_key]))
    assert await rotated.get("cli_a", TokenKind.TENANT) == token
    await rotated.close()


async def test_sqlite_unavailable_then_recovers(tmp_path: Path, box: SecretBox) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's directory should be")
    store = SQLiteTokenStore(blocker / "tokens.db", box)
    with pytest.raises(StoreUnavailable) as info:
        await store.put(make_token())
    assert "tokens.db" in str(info.value) and SECRET_VALUE not in str(info.value)
    with pytest.raises(StoreUnavailable):
        await store.get("cli_a", TokenKind.TENANT)
    blocker.unlink()  # the disk "comes back"
    token = make_token()
    await store.put(token)
    assert await store.get("cli_a", TokenKind.TENANT) == token
    await store.close()


async def test_sqlite_broken_connection_is_reopened(sqlite_store: SQLiteTokenStore) -> None:
    await sqlite_store.put(make_token())
    raw_update(sqlite_store.path, "DROP TABLE lark_tokens")  # e.g. a restored backup
    with pytest.raises(StoreUnavailable):
        await sqlite_store.get("cli_a", TokenKind.TENANT)
    # The failed call dropped the connection; the next one recreates the table.
    assert await sqlite_store.get("cli_a", TokenKind.TENANT) is None
    await sqlite_store.put(make_token())
    assert await sqlite_store.get("cli_a", TokenKind.TENANT) is not None


async def test_sqlite_lock_file_location(sqlite_store: SQLiteTokenStore) -> None:
    path = sqlite_store.lock_path("cli_a", TokenKind.TENANT)
    assert path.parent == sqlite_store.path.parent / "tokens.db.locks"
    assert path.suffix == ".lock" and len(path.stem) == 16
    assert path != sqlite_store.lock_path("cli_a", TokenKind.APP)
    assert path != sqlite_store.lock_path("cli_b", TokenKind.TENANT)
    odd = sqlite_store.lock_path("../../etc/passwd", TokenKind.TENANT)
    assert odd.parent == path.parent  # hashed: any app_id is a safe file name


async def test_sqlite_lock_timeout_and_release(tmp_path: Path, box: SecretBox) -> None:
    store = SQLiteTokenStore(tmp_path / "t.db", box)
    rival = SQLiteTokenStore(tmp_path / "t.db", box)
    await check_lock_basics(store, rival)
    await store.close()
    await rival.close()


async def test_sqlite_lock_released_on_cancel(sqlite_store: SQLiteTokenStore) -> None:
    entered = asyncio.Event()

    async def holder() -> None:
        async with sqlite_store.lock("cli_a", TokenKind.TENANT, 1.0):
            entered.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(holder())
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with sqlite_store.lock("cli_a", TokenKind.TENANT, 0.3):
        pass


async def test_sqlite_lock_excludes_other_processes(tmp_path: Path, secret_key: str) -> None:
    path = tmp_path / "shared.db"
    intervals = await run_lock_workers(f"sqlite:///{path}", secret_key, n=3)
    assert_no_overlap(intervals)
    store = SQLiteTokenStore(path, SecretBox(secret_key))
    await check_counter_and_writers(store, 3)
    await store.close()


async def test_sqlite_lock_held_by_another_process_times_out(
    tmp_path: Path, box: SecretBox
) -> None:
    store = SQLiteTokenStore(tmp_path / "shared.db", box)
    lock_file = store.lock_path("cli_a", TokenKind.TENANT)
    lock_file.parent.mkdir(parents=True)
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n",
        str(lock_file),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 30)).strip() == b"held"
        with pytest.raises(LockTimeout):
            async with store.lock("cli_a", TokenKind.TENANT, 0.3):
                pass
        holder.stdin.write(b"\n")
        await holder.stdin.drain()
        await asyncio.wait_for(holder.wait(), 30)
        async with store.lock("cli_a", TokenKind.TENANT, 1.0):
            pass  # free once the other process has let go
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await store.close()


# -- store_from_url -------------------------------------------------------------


async def test_url_memory() -> None:
    assert isinstance(store_from_url("memory", None), MemoryTokenStore)
    assert isinstance(store_from_url(" MEMORY ", None), MemoryTokenStore)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///tokens.db", Path("tokens.db")),
        ("sqlite:///var/lark/tokens.db", Path("var/lark/tokens.db")),
        ("sqlite:////var/lark/tokens.db", Path("/var/lark/tokens.db")),
    ],
)
async def test_url_sqlite(url: str, expected: Path, box: SecretBox) -> None:
    store = store_from_url(url, box)
    assert isinstance(store, SQLiteTokenStore)
    assert store.path == expected


async def test_url_postgres(box: SecretBox) -> None:
    store = store_from_url("postgresql://u:hunter2@db.example:5432/lark?schema=tokens", box)
    assert isinstance(store, PostgresTokenStore)
    assert store.schema == "tokens"
    assert "?schema" not in repr(store) and "hunter2" not in repr(store)
    plain = store_from_url("postgres://u@db.example/lark?sslmode=require", box)
    assert isinstance(plain, PostgresTokenStore)
    assert plain.schema == "public" and "sslmode=require" in repr(plain)


@pytest.mark.parametrize("url", ["sqlite:///t.db", "postgresql://u@h/db"])
async def test_url_persistent_store_needs_a_key(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        store_from_url(url, None)
    assert "LARK_ASYNC_SECRET_KEY" in str(info.value)


@pytest.mark.parametrize(
    "url", ["redis://u:hunter2@h/0", "mysql:hunter2", "", "sqlite:", "sqlite:///"]
)
async def test_url_rejects_unknown_forms(url: str, box: SecretBox) -> None:
    with pytest.raises(ConfigError) as info:
        store_from_url(url, box)
    assert "hunter2" not in str(info.value)
    if not url.startswith("sqlite"):
        for form in ("memory", "sqlite:///", "postgresql://"):
            assert form in str(info.value)


async def test_url_rejects_unsafe_schema(box: SecretBox) -> None:
    with pytest.raises(ConfigError, match="schema"):
        store_from_url('postgresql://u@h/db?schema=x";drop', box)

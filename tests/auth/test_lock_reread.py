"""Once the cross-process lock is held, the store is read again before fetching.

Deterministic, no timing: "another process" (a second store on the same
database, driven by the test) holds the refresh lock; the client reads the
store (a miss) and waits for the lock; the other process writes a fresh token
and releases the lock; the client must use that token and fetch nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from lark_async.auth.crypto import SecretBox
from lark_async.auth.migrations import upgrade
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores import PostgresTokenStore, SQLiteTokenStore, TokenStore
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark
from tests.helpers import APP_ID, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
KEY = (APP_ID, TokenKind.TENANT)


class LockSpy:
    """Another store, unchanged, that says when someone starts waiting for its lock."""

    def __init__(self, inner: TokenStore) -> None:
        self.inner = inner
        self.name = inner.name
        self.waiting = asyncio.Event()
        self.reads = 0

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None:
        self.reads += 1
        return await self.inner.get(app_id, kind)

    async def put(self, token: StoredToken) -> None:
        await self.inner.put(token)

    async def delete(self, app_id: str, kind: TokenKind) -> None:
        await self.inner.delete(app_id, kind)

    def lock(
        self, app_id: str, kind: TokenKind, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        return self._lock(app_id, kind, timeout)

    @asynccontextmanager
    async def _lock(self, app_id: str, kind: TokenKind, timeout: float) -> AsyncIterator[None]:
        self.waiting.set()
        async with self.inner.lock(app_id, kind, timeout):
            yield

    async def close(self) -> None:
        await self.inner.close()


async def _token_written_while_waiting(
    fake: FakeLark, clock: FakeClock, ours: LockSpy, theirs: TokenStore
) -> None:
    """The scenario, for any pair of stores on one database."""
    fresh = fake.issue_token(APP_ID)  # what the other process fetched
    async with client_for(fake, clock, token_store=ours) as lark:
        async with theirs.lock(APP_ID, TokenKind.TENANT, timeout=30):
            call = asyncio.create_task(lark.request("GET", ECHO))
            await ours.waiting.wait()  # we read the store (a miss) and wait for the lock
            assert ours.reads == 1
            now = clock.time()
            await theirs.put(StoredToken(APP_ID, TokenKind.TENANT, fresh, now + 7200, 7200, now))
        resp = await call  # the lock is released: we take it and read again
        assert resp.ok
        assert ours.reads == 2
        assert lark.tokens._mem[KEY].value == fresh
    assert fake.token_fetches(APP_ID) == 0


async def test_sqlite_store_is_read_again_under_the_lock(tmp_path: Path, secret_key: str) -> None:
    path = tmp_path / "tokens.db"
    clock = FakeClock()
    ours = LockSpy(SQLiteTokenStore(path, SecretBox(secret_key)))
    theirs = SQLiteTokenStore(path, SecretBox(secret_key))
    try:
        async with emulator(clock) as fake:
            await _token_written_while_waiting(fake, clock, ours, theirs)
    finally:
        await theirs.close()


@pytest.mark.postgres
async def test_postgres_store_is_read_again_under_the_lock(
    pg_dsn: str, pg_schema: str, secret_key: str
) -> None:
    await upgrade(pg_dsn, pg_schema)
    clock = FakeClock()
    ours = LockSpy(PostgresTokenStore(pg_dsn, SecretBox(secret_key), schema=pg_schema))
    theirs = PostgresTokenStore(pg_dsn, SecretBox(secret_key), schema=pg_schema)
    try:
        async with emulator(clock) as fake:
            await _token_written_while_waiting(fake, clock, ours, theirs)
    finally:
        await theirs.close()

"""Write slots shared by every process and host: one transaction-scoped advisory lock per key.

``hold(key)`` takes ``pg_advisory_xact_lock`` in a transaction that lasts as
long as one request is on the wire (the services hold it inside their own
per-process slot, so at most one connection per key and process waits for
it). Committing releases it; a process that dies mid-request drops its
connection, and PostgreSQL releases the lock with it, so no lease or cleanup
is needed. PostgreSQL queues the waiters, so processes take turns.

When the database is down the slot is local only (one ERROR a minute says
so): two processes may then write to one table at once and see 1254291.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from lark_async.shared.db import UNAVAILABLE, SharedDatabase, SharedUnavailable


class PostgresSlots:
    """:class:`lark_async.core.options.SharedSlots` through PostgreSQL advisory locks."""

    def __init__(self, db: SharedDatabase) -> None:
        self.db = db

    def hold(self, key: str) -> AbstractAsyncContextManager[object]:
        return self._hold(key)

    @asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[None]:
        held = await self._lock(key)
        try:
            yield
        finally:
            if held is not None:
                await _unlock(*held)

    async def _lock(self, key: str) -> tuple[Any, Any, Any] | None:
        db = self.db
        try:
            pool = await db.pool()
        except SharedUnavailable as exc:
            db.report("write slots", exc)
            return None
        conn = None
        try:
            conn = await pool.acquire()
            tx = conn.transaction()
            await tx.start()
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"lark_async:slot:{key}"
            )
        except UNAVAILABLE as exc:
            if conn is not None:
                await _release(pool, conn)
            db.report("write slots", db.failed(exc))
            return None
        except BaseException:  # cancelled while waiting for the lock: give it back
            if conn is not None:
                await _release(pool, conn)
            raise
        return pool, conn, tx


async def _unlock(pool: Any, conn: Any, tx: Any) -> None:
    try:
        await tx.commit()
    except UNAVAILABLE:
        pass  # the connection is gone, and the lock with it
    finally:
        await _release(pool, conn)


async def _release(pool: Any, conn: Any) -> None:
    with contextlib.suppress(*UNAVAILABLE):
        await pool.release(conn)

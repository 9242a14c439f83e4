"""The user cache in a SQLite file (the token store's file, a table of its own)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from lark_async.contact.store import Row
from lark_async.core.perloop import PerLoop
from lark_async.core.sqlite_file import SqliteStateFile

_CREATE = """
CREATE TABLE IF NOT EXISTS lark_contact_users (
    app_id     TEXT NOT NULL,
    key        TEXT NOT NULL,
    data       TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (app_id, key)
)
"""
_UPSERT = """
INSERT INTO lark_contact_users (app_id, key, data, fetched_at) VALUES (?, ?, ?, ?)
ON CONFLICT (app_id, key) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at
"""
_CHUNK = 400  # SQLite's bound-parameter limit is 999 on old builds


class SQLiteCacheStore:
    """Rows in table ``lark_contact_users`` of ``path``, created on first use.

    One connection per event loop (closed when that loop shuts down), so the
    client works across ``asyncio.run`` calls; processes on one host share the file.
    """

    name = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self._file = SqliteStateFile(path, _CREATE, busy_timeout=busy_timeout)
        # A write is BEGIN, executemany, COMMIT on the loop's one connection:
        # tasks take turns, or a second BEGIN would land inside the first.
        self._write_locks: PerLoop[asyncio.Lock] = PerLoop(_new_lock)

    @property
    def path(self) -> Path:
        return self._file.path

    async def get_many(self, app_id: str, keys: Sequence[str]) -> dict[str, Row]:
        conn = await self._file.connection()
        out: dict[str, Row] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), _CHUNK):
            part = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            sql = (
                "SELECT key, data, fetched_at FROM lark_contact_users"  # noqa: S608
                f" WHERE app_id = ? AND key IN ({marks})"
            )
            async with conn.execute(sql, (app_id, *part)) as cur:
                for key, data, fetched_at in await cur.fetchall():
                    out[str(key)] = (str(data), float(fetched_at))
        return out

    async def put_many(self, app_id: str, rows: Mapping[str, Row]) -> None:
        if not rows:
            return
        conn = await self._file.connection()
        params = [(app_id, k, data, float(at)) for k, (data, at) in rows.items()]
        # One transaction: a department's users land in one write.
        async with await self._write_locks.get():
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.executemany(_UPSERT, params)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def delete(self, app_id: str, keys: Iterable[str] | None = None) -> int:
        conn = await self._file.connection()
        if keys is None:
            cur = await conn.execute("DELETE FROM lark_contact_users WHERE app_id = ?", (app_id,))
            return max(cur.rowcount, 0)
        removed = 0
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            cur = await conn.execute(
                f"DELETE FROM lark_contact_users WHERE app_id = ? AND key IN ({marks})",  # noqa: S608
                (app_id, *part),
            )
            removed += max(cur.rowcount, 0)
        return removed

    async def close(self) -> None:
        await self._file.aclose()

    def __repr__(self) -> str:
        return f"SQLiteCacheStore({str(self._file.path)!r})"


async def _new_lock() -> asyncio.Lock:
    return asyncio.Lock()

"""Workflow execution records in a SQLite file (the token store's file, a table of its own)."""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite

from lark_async.core.perloop import PerLoop

_CREATE = """
CREATE TABLE IF NOT EXISTS lark_apaas_executions (
    app_id       TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    data         TEXT NOT NULL,
    started_at   REAL NOT NULL,
    PRIMARY KEY (app_id, execution_id)
)
"""
_UPSERT = """
INSERT INTO lark_apaas_executions (app_id, execution_id, data, started_at) VALUES (?, ?, ?, ?)
ON CONFLICT (app_id, execution_id) DO UPDATE SET
    data = excluded.data, started_at = excluded.started_at
"""


class SQLiteWorkflowStore:
    """Rows in table ``lark_apaas_executions`` of ``path``, created on first use.

    One connection per event loop (closed when that loop shuts down); processes
    on one host share the file.
    """

    name = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self._path = Path(path).expanduser()
        self._busy_ms = int(busy_timeout * 1000)
        self._conns: PerLoop[aiosqlite.Connection] = PerLoop(
            self._open, close=self._close_conn, drop=self._close_conn
        )

    @property
    def path(self) -> Path:
        return self._path

    async def get(self, app_id: str, execution_id: str) -> str | None:
        conn = await self._conns.get()
        sql = "SELECT data FROM lark_apaas_executions WHERE app_id = ? AND execution_id = ?"
        async with conn.execute(sql, (app_id, execution_id)) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def put(self, app_id: str, execution_id: str, data: str, started_at: float) -> None:
        conn = await self._conns.get()
        # Autocommit: one statement is its own transaction.
        await conn.execute(_UPSERT, (app_id, execution_id, data, float(started_at)))

    async def close(self) -> None:
        await self._conns.aclose()

    async def _open(self) -> aiosqlite.Connection:
        if self._path.parent and not self._path.parent.exists():
            self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(_CREATE)
        except BaseException:
            await conn.close()
            raise
        return conn

    @staticmethod
    async def _close_conn(conn: aiosqlite.Connection) -> None:
        await conn.close()

    def __repr__(self) -> str:
        return f"SQLiteWorkflowStore({str(self._path)!r})"

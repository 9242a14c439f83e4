"""Workflow execution records in a SQLite file (the token store's file, a table of its own)."""

from __future__ import annotations

import os
from pathlib import Path

from lark_async.core.sqlite_file import SqliteStateFile

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
        self._file = SqliteStateFile(path, _CREATE, busy_timeout=busy_timeout)

    @property
    def path(self) -> Path:
        return self._file.path

    async def get(self, app_id: str, execution_id: str) -> str | None:
        conn = await self._file.connection()
        sql = "SELECT data FROM lark_apaas_executions WHERE app_id = ? AND execution_id = ?"
        async with conn.execute(sql, (app_id, execution_id)) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def put(self, app_id: str, execution_id: str, data: str, started_at: float) -> None:
        conn = await self._file.connection()
        # Autocommit: one statement is its own transaction.
        await conn.execute(_UPSERT, (app_id, execution_id, data, float(started_at)))

    async def close(self) -> None:
        await self._file.aclose()

    def __repr__(self) -> str:
        return f"SQLiteWorkflowStore({str(self._file.path)!r})"

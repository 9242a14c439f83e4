"""Workflow execution records in PostgreSQL: table ``lark_apaas_executions``, shared
by every process.

The table comes from the alembic migrations (revision 0005), like the token
table: ``lark-async db upgrade`` creates both.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from lark_async.core.errors import ConfigError
from lark_async.core.extras import require
from lark_async.core.perloop import PerLoop
from lark_async.core.state_url import split_postgres_url

asyncpg = require("asyncpg", extra="postgres", feature="the PostgreSQL aPaaS execution records")


class PostgresWorkflowStore:
    """Rows in ``<schema>.lark_apaas_executions``; one small pool per event loop."""

    name = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        max_size: int = 2,
        connect_timeout: float = 5.0,
        command_timeout: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._table = f'"{schema}".lark_apaas_executions'
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pools: PerLoop[Any] = PerLoop(self._create_pool, close=self._close_pool)

    @classmethod
    def from_url(cls, url: str) -> PostgresWorkflowStore:
        dsn, schema = split_postgres_url(url)
        return cls(dsn, schema=schema)

    async def get(self, app_id: str, execution_id: str) -> str | None:
        sql = (
            f"SELECT data FROM {self._table}"  # noqa: S608
            " WHERE app_id = $1 AND execution_id = $2"
        )
        pool = await self._pools.get()
        try:
            value = await pool.fetchval(sql, app_id, execution_id)
        except asyncpg.UndefinedTableError:
            raise self._missing_table() from None
        return None if value is None else str(value)

    async def put(self, app_id: str, execution_id: str, data: str, started_at: float) -> None:
        sql = (
            f"INSERT INTO {self._table} (app_id, execution_id, data, started_at)"  # noqa: S608
            " VALUES ($1, $2, $3, $4) ON CONFLICT (app_id, execution_id) DO UPDATE SET"
            " data = EXCLUDED.data, started_at = EXCLUDED.started_at, updated_at = now()"
        )
        pool = await self._pools.get()
        try:
            await pool.execute(sql, app_id, execution_id, data, float(started_at))
        except asyncpg.UndefinedTableError:
            raise self._missing_table() from None

    async def close(self) -> None:
        await self._pools.aclose()

    def _missing_table(self) -> ConfigError:
        return ConfigError(
            f"the aPaaS execution table {self._schema}.lark_apaas_executions does not exist",
            hint=f"run: lark-async db upgrade --schema {self._schema}",
        )

    async def _create_pool(self) -> Any:
        return await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=self._max_size,
            timeout=self._connect_timeout,
            command_timeout=self._command_timeout,
            server_settings={"application_name": "lark-async-apaas"},
        )

    async def _close_pool(self, pool: Any) -> None:
        try:
            await asyncio.wait_for(pool.close(), self._command_timeout)
        except (OSError, TimeoutError, asyncpg.InterfaceError):
            pool.terminate()

    def __repr__(self) -> str:
        host = urlsplit(self._dsn).hostname or "?"
        return f"PostgresWorkflowStore(host={host!r}, schema={self._schema!r})"

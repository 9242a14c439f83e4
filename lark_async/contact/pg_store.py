"""The user cache in PostgreSQL: table ``lark_contact_users``, shared by every process.

The table comes from the alembic migrations (revision 0002), like the token
table: ``lark-async db upgrade`` creates both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from lark_async.contact.store import Row
from lark_async.core.errors import ConfigError
from lark_async.core.extras import require
from lark_async.core.perloop import PerLoop
from lark_async.core.state_url import split_postgres_url

asyncpg = require("asyncpg", extra="postgres", feature="the PostgreSQL contact cache")


class PostgresCacheStore:
    """Rows in ``<schema>.lark_contact_users``; one small pool per event loop."""

    name = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        max_size: int = 4,
        connect_timeout: float = 5.0,
        command_timeout: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._table = f'"{schema}".lark_contact_users'
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pools: PerLoop[Any] = PerLoop(self._create_pool, close=self._close_pool)

    @classmethod
    def from_url(cls, url: str) -> PostgresCacheStore:
        dsn, schema = split_postgres_url(url)
        return cls(dsn, schema=schema)

    async def get_many(self, app_id: str, keys: Sequence[str]) -> dict[str, Row]:
        sql = (
            f"SELECT key, data, fetched_at FROM {self._table}"  # noqa: S608
            " WHERE app_id = $1 AND key = ANY($2::text[])"
        )
        rows = await self._fetch(sql, app_id, list(dict.fromkeys(keys)))
        return {str(r[0]): (str(r[1]), float(r[2])) for r in rows}

    async def put_many(self, app_id: str, rows: Mapping[str, Row]) -> None:
        if not rows:
            return
        keys = list(rows)
        # One statement, one round trip: a department's users land in one write.
        sql = (
            f"INSERT INTO {self._table} (app_id, key, data, fetched_at)"  # noqa: S608
            " SELECT $1, k, d, f FROM unnest($2::text[], $3::text[], $4::float8[]) AS u(k, d, f)"
            " ON CONFLICT (app_id, key) DO UPDATE SET"
            " data = EXCLUDED.data, fetched_at = EXCLUDED.fetched_at, updated_at = now()"
        )
        await self._execute(
            sql, app_id, keys, [rows[k][0] for k in keys], [float(rows[k][1]) for k in keys]
        )

    async def delete(self, app_id: str, keys: Iterable[str] | None = None) -> int:
        if keys is None:
            status = await self._execute(
                f"DELETE FROM {self._table} WHERE app_id = $1",  # noqa: S608
                app_id,
            )
        else:
            status = await self._execute(
                f"DELETE FROM {self._table} WHERE app_id = $1 AND key = ANY($2::text[])",  # noqa: S608
                app_id,
                list(dict.fromkeys(keys)),
            )
        tail = str(status).rpartition(" ")[2]
        return int(tail) if tail.isdigit() else 0

    async def close(self) -> None:
        await self._pools.aclose()

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        pool = await self._pools.get()
        try:
            return list(await pool.fetch(sql, *args))
        except asyncpg.UndefinedTableError:
            raise self._missing_table() from None

    async def _execute(self, sql: str, *args: Any) -> Any:
        pool = await self._pools.get()
        try:
            return await pool.execute(sql, *args)
        except asyncpg.UndefinedTableError:
            raise self._missing_table() from None

    def _missing_table(self) -> ConfigError:
        return ConfigError(
            f"the contact cache table {self._schema}.lark_contact_users does not exist",
            hint=f"run: lark-async db upgrade --schema {self._schema}",
        )

    async def _create_pool(self) -> Any:
        return await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=self._max_size,
            timeout=self._connect_timeout,
            command_timeout=self._command_timeout,
            server_settings={"application_name": "lark-async-contact"},
        )

    async def _close_pool(self, pool: Any) -> None:
        try:
            await asyncio.wait_for(pool.close(), self._command_timeout)
        except (OSError, TimeoutError, asyncpg.InterfaceError):
            pool.terminate()

    def __repr__(self) -> str:
        host = urlsplit(self._dsn).hostname or "?"
        return f"PostgresCacheStore(host={host!r}, schema={self._schema!r})"

"""The PostgreSQL database every process of an app shares its coordinating state through.

One small asyncpg pool per event loop. When the database cannot be reached,
:class:`SharedUnavailable` is raised at once for ``retry_after`` seconds (so a
down database costs each call nothing, not a connect timeout), and the caller
falls back to its local state after :meth:`SharedDatabase.report` logged one
ERROR per minute.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

from lark_async.core.extras import require
from lark_async.core.logging import RateLimitedLog, get_logger
from lark_async.core.perloop import PerLoop
from lark_async.core.state_url import split_postgres_url

asyncpg = require("asyncpg", extra="postgres", feature="state shared through PostgreSQL")

_log = get_logger()

# "Cannot be reached or used right now", as opposed to a bug: these fall back.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
    asyncpg.exceptions.InvalidCatalogNameError,
    # The tables are missing: the migrations were not run (lark-async db upgrade).
    asyncpg.exceptions.UndefinedTableError,
    asyncpg.exceptions.InvalidSchemaNameError,
)


class SharedUnavailable(Exception):
    """The shared database cannot be used now; use local state instead."""


class SharedDatabase:
    """``postgresql://...[?schema=name]``: statements on a per-loop pool, with a down state.

    ``max_size`` bounds the pool: a write slot holds a connection while its
    request is on the wire (a transaction-scoped advisory lock), so it should
    exceed the writes one process has in flight at once; leases take one for a
    single statement.
    """

    def __init__(
        self,
        url: str,
        *,
        max_size: int = 16,
        connect_timeout: float = 2.0,
        command_timeout: float = 5.0,
        retry_after: float = 5.0,
        name: str = "lark-async-shared",
    ) -> None:
        self.dsn, self.schema = split_postgres_url(url)
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self.retry_after = retry_after
        self._name = name
        self._down_until = 0.0
        self._errors = RateLimitedLog(60.0)
        self._pools: PerLoop[Any] = PerLoop(self._create_pool, close=self._close_pool)

    def table(self, name: str) -> str:
        return f'"{self.schema}".{name}'

    @property
    def down(self) -> bool:
        return time.monotonic() < self._down_until

    async def pool(self) -> Any:
        """This loop's pool; :class:`SharedUnavailable` while the database is down."""
        if self.down:
            raise SharedUnavailable("the shared database was unavailable moments ago")
        try:
            return await self._pools.get()
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        pool = await self.pool()
        try:
            return await pool.fetchrow(sql, *args)
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        pool = await self.pool()
        try:
            return list(await pool.fetch(sql, *args))
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None

    async def execute(self, sql: str, *args: Any) -> str:
        pool = await self.pool()
        try:
            return str(await pool.execute(sql, *args))
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None

    def failed(self, exc: BaseException) -> SharedUnavailable:
        """Mark the database down after ``exc`` (for callers using a connection directly)."""
        return self._failed(exc)

    def _failed(self, exc: BaseException) -> SharedUnavailable:
        self._down_until = time.monotonic() + self.retry_after
        if isinstance(exc, asyncpg.exceptions.UndefinedTableError | asyncpg.InvalidSchemaNameError):
            return SharedUnavailable(
                f"the shared-state tables are missing in schema {self.schema!r}: "
                f"run lark-async db upgrade --schema {self.schema}"
            )
        return SharedUnavailable(f"PostgreSQL is unavailable ({type(exc).__name__})")

    def report(self, what: str, exc: SharedUnavailable) -> None:
        """One ERROR per minute per ``what`` saying the local fallback is in use."""
        if self._errors.should_log(what, time.monotonic()):
            _log.error(
                "lark.shared.unavailable",
                shared=what,
                reason=str(exc),
                suppressed=self._errors.take_suppressed(what),
                hint="the limits and write slots now hold per process only; "
                "check PostgreSQL (several processes may now exceed the app's quota)",
            )

    async def aclose(self) -> None:
        await self._pools.aclose()

    async def _create_pool(self) -> Any:
        return await asyncpg.create_pool(
            self.dsn,
            min_size=0,
            max_size=self.max_size,
            timeout=self.connect_timeout,
            command_timeout=self.command_timeout,
            server_settings={"application_name": self._name},
        )

    async def _close_pool(self, pool: Any) -> None:
        try:
            await asyncio.wait_for(pool.close(), self.command_timeout)
        except (OSError, TimeoutError, asyncpg.InterfaceError):
            pool.terminate()

    def __repr__(self) -> str:
        host = urlsplit(self.dsn).hostname or "?"
        return f"SharedDatabase(host={host!r}, schema={self.schema!r})"

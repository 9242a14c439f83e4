"""Tokens in PostgreSQL, shared by every process and host, with advisory locks."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lark_async.auth.crypto import SecretBox
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores.base import (
    LockTimeout,
    StoreMisconfigured,
    StoreUnavailable,
    check_box,
    decode_row,
)
from lark_async.auth.stores.pg_connection import (
    CONNECTION_ERRORS,
    parse_postgres_url,
    redact_dsn,
    validate_schema,
)
from lark_async.core.checks import check_int, check_number, check_text
from lark_async.core.errors import ConfigError
from lark_async.core.extras import require
from lark_async.core.logging import get_logger
from lark_async.core.perloop import PerLoop

asyncpg = require("asyncpg", extra="postgres", feature="the PostgreSQL token store")

# The URL helpers live in pg_connection (shared with the migrations); kept
# importable from here, where they were first published.
__all__ = [
    "CONNECTION_ERRORS",
    "PostgresTokenStore",
    "parse_postgres_url",
    "redact_dsn",
    "validate_schema",
]

_T = TypeVar("_T")

# A pooled connection the server already dropped: worth one retry on a new one.
_STALE: tuple[type[BaseException], ...] = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.AdminShutdownError,
    ConnectionResetError,
    BrokenPipeError,
)
_LOCK_WAIT_ENDED = (asyncpg.exceptions.LockNotAvailableError, asyncpg.exceptions.QueryCanceledError)
# Everything the server or the driver may raise. Beyond "unreachable" this is a
# read-only database (a standby after a failover), a revoked privilege, a
# statement timeout...: each becomes StoreUnavailable, never asyncpg's own class.
_BACKEND_ERRORS: tuple[type[BaseException], ...] = (
    *CONNECTION_ERRORS,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)
_MISSING = (asyncpg.exceptions.UndefinedTableError, asyncpg.exceptions.InvalidSchemaNameError)

# The connection a task holds through ``lock()``: (store, task, connection).
# Store calls made inside the lock use it, so a lock holder never waits for a
# second pooled connection (a full pool of lock holders would deadlock). A
# nested lock() takes its own connection, like any other lock holder.
_HELD: contextvars.ContextVar[tuple[object, asyncio.Task[Any] | None, Any] | None] = (
    contextvars.ContextVar("lark_async_pg_held", default=None)
)


class _StaleConnection(StoreUnavailable):
    """A pooled connection turned out to be dead; the call may be retried once."""


class _Refused(StoreUnavailable):
    """The server answered with an error (read-only, timeout...): it is up, so keep trying."""


def _statements(table: str) -> dict[str, str]:
    """The store's SQL for one table; ``table`` is built from a validated schema name."""
    return {
        "select": (
            f"SELECT value_enc, expires_at, lifetime, fetched_at FROM {table}"  # noqa: S608
            " WHERE app_id = $1 AND kind = $2"
        ),
        "upsert": (
            f"INSERT INTO {table}"  # noqa: S608
            " (app_id, kind, value_enc, expires_at, lifetime, fetched_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, now())"
            " ON CONFLICT (app_id, kind) DO UPDATE SET"
            " value_enc = EXCLUDED.value_enc, expires_at = EXCLUDED.expires_at,"
            " lifetime = EXCLUDED.lifetime, fetched_at = EXCLUDED.fetched_at, updated_at = now()"
        ),
        "delete": f"DELETE FROM {table} WHERE app_id = $1 AND kind = $2",  # noqa: S608
        # Deletes a corrupt row only if nobody has replaced it since we read it.
        "delete_if_same": (
            f"DELETE FROM {table}"  # noqa: S608
            " WHERE app_id = $1 AND kind = $2 AND value_enc IS NOT DISTINCT FROM $3"
        ),
    }


class PostgresTokenStore:
    """Token rows in ``<schema>.lark_tokens``, values Fernet-encrypted with ``box``.

    The pool is created on first use; if the database is down that call raises
    :class:`StoreUnavailable` and a later one tries again (at most once per
    ``retry_interval`` seconds, so a dead host does not cost a connect timeout
    on every call). The table comes from the alembic migrations:
    ``lark-async db upgrade`` or :meth:`ensure_schema`.

    Any event loop may use the store, one after another (``asyncio.run``
    twice): each loop gets its own pool, closed when that loop shuts down or
    by :meth:`close`. After ``close`` the store still works: the next call
    creates a pool again.
    """

    name = "postgres"

    def __init__(
        self,
        dsn: str,
        box: SecretBox,
        *,
        schema: str = "public",
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 5.0,
        command_timeout: float = 5.0,
        retry_interval: float = 1.0,
    ) -> None:
        self._dsn = check_text(dsn, "dsn", error=ConfigError)
        check_box(box)
        self._box = box
        self._schema = validate_schema(schema)
        # Each pooled connection is a server backend: thousands are a typo, not a pool.
        check_int(min_size, "min_size", min=0, max=10_000, error=ConfigError)
        check_int(max_size, "max_size", min=max(1, min_size), max=10_000, error=ConfigError)
        for name, seconds in (
            ("connect_timeout", connect_timeout),
            ("command_timeout", command_timeout),
            ("retry_interval", retry_interval),
        ):
            check_number(seconds, name, min=0, error=ConfigError)
        self._sql = _statements(f'"{self._schema}".lark_tokens')
        self._min_size = min_size
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._retry_interval = retry_interval
        # One pool per event loop; a closed loop's pool is simply forgotten
        # (asyncpg cannot close it without its loop; its sockets go with it).
        self._pools: PerLoop[Any] = PerLoop(self._create_pool, close=self._close_pool)
        self._down_until = 0.0  # monotonic; no connection attempts before it

    @property
    def schema(self) -> str:
        return self._schema

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None:
        kind = TokenKind(kind)
        select, delete = self._sql["select"], self._sql["delete_if_same"]

        async def op(conn: Any) -> StoredToken | None:
            row = await conn.fetchrow(select, app_id, kind.value)
            if row is None:
                return None
            token = self._decode(app_id, kind, tuple(row))
            if token is None:
                await conn.execute(delete, app_id, kind.value, row[0])
                get_logger().warning(
                    "postgres token store: deleted a %s row for app %s that could not be "
                    "decrypted or parsed (wrong LARK_ASYNC_SECRET_KEY?); it will be refetched",
                    kind.value,
                    app_id,
                )
            return token

        return await self._run(op)

    async def put(self, token: StoredToken) -> None:
        upsert = self._sql["upsert"]
        args = (
            token.app_id,
            TokenKind(token.kind).value,
            self._box.encrypt(token.value),
            float(token.expires_at),
            float(token.lifetime),
            float(token.fetched_at),
        )

        async def op(conn: Any) -> None:
            await conn.execute(upsert, *args)

        await self._run(op)

    async def delete(self, app_id: str, kind: TokenKind) -> None:
        sql = self._sql["delete"]
        kind = TokenKind(kind)

        async def op(conn: Any) -> None:
            await conn.execute(sql, app_id, kind.value)

        await self._run(op)

    def lock(
        self, app_id: str, kind: TokenKind, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        """Session advisory lock on ``lark_async:token:<app_id>:<kind>``, across hosts."""
        return self._advisory_lock(f"lark_async:token:{app_id}:{TokenKind(kind).value}", timeout)

    async def ensure_schema(self) -> None:
        """Create or upgrade the table by running the alembic migrations."""
        from lark_async.auth.migrations import upgrade

        await upgrade(self._dsn, self._schema)

    async def close(self) -> None:
        """Close this loop's pool; a later call creates a new one."""
        await self._pools.aclose()

    async def _close_pool(self, pool: Any) -> None:
        try:
            await asyncio.wait_for(pool.close(), self._command_timeout)
        except CONNECTION_ERRORS:
            pool.terminate()

    def __repr__(self) -> str:
        return f"PostgresTokenStore({redact_dsn(self._dsn)!r}, schema={self._schema!r})"

    # -- internals ---------------------------------------------------------

    async def _run(self, op: Callable[[Any], Awaitable[_T]]) -> _T:
        held = self._held_connection()
        if held is not None:
            # Inside lock(): no retry, a broken session has lost the lock too.
            return await self._guard(op, held)
        pool = await self._get_pool()
        try:
            try:
                return await self._guard(op, None, pool)
            except _StaleConnection:
                # The pooled connection was dead (server restart, terminated
                # backend); the pool replaces it, so one more try usually works.
                return await self._guard(op, None, pool)
        except (_Refused, StoreMisconfigured):
            raise  # the server is up: the next call may try at once
        except StoreUnavailable:
            self._down_until = time.monotonic() + self._retry_interval
            raise

    async def _guard(self, op: Callable[[Any], Awaitable[_T]], conn: Any, pool: Any = None) -> _T:
        """Run ``op`` on ``conn`` (or a pooled one), mapping driver errors to ours."""
        try:
            if conn is not None:
                return await op(conn)
            async with pool.acquire(timeout=self._connect_timeout) as pooled:
                return await op(pooled)
        except _MISSING:
            raise self._missing_table() from None
        except asyncpg.exceptions.InsufficientPrivilegeError as exc:
            raise self._no_privilege(exc) from None
        except _STALE as exc:
            raise self._unavailable(exc, _StaleConnection) from None
        except CONNECTION_ERRORS as exc:
            raise self._unavailable(exc) from None
        except _BACKEND_ERRORS as exc:
            raise self._unavailable(exc, _Refused) from None

    async def _get_pool(self) -> Any:
        self._check_down()
        return await self._pools.get()

    def _check_down(self) -> None:
        wait = self._down_until - time.monotonic()
        if wait > 0:
            raise StoreUnavailable(
                f"PostgreSQL token store at {redact_dsn(self._dsn)} is unavailable "
                f"(last attempt failed; next try in {wait:.1f}s)"
            )

    async def _create_pool(self) -> Any:
        # Again here: tasks that queued behind a failed attempt fail fast too.
        self._check_down()
        try:
            return await asyncpg.create_pool(
                self._dsn,
                min_size=self._min_size,
                max_size=self._max_size,
                timeout=self._connect_timeout,
                command_timeout=self._command_timeout,
                server_settings={"application_name": "lark-async"},
            )
        except asyncpg.ClientConfigurationError as exc:
            raise StoreMisconfigured(
                f"invalid PostgreSQL DSN {redact_dsn(self._dsn)}: {self._scrub(str(exc))}",
                hint="use postgresql://user:password@host:5432/database",
            ) from None
        except _BACKEND_ERRORS as exc:
            self._down_until = time.monotonic() + self._retry_interval
            raise self._unavailable(exc) from None

    def _held_connection(self) -> Any:
        held = _HELD.get()
        if held is not None and held[0] is self and held[1] is asyncio.current_task():
            return held[2]
        return None

    @asynccontextmanager
    async def _advisory_lock(self, key: str, wait: float) -> AsyncIterator[None]:
        deadline = time.monotonic() + wait
        pool, conn = await self._checkout(wait)
        state = "free"  # -> "locked" once granted; "unknown" if the session is suspect
        try:
            try:
                await conn.execute(
                    "SELECT pg_advisory_lock(hashtextextended($1, 0))",
                    key,
                    timeout=max(0.0, deadline - time.monotonic()) + self._command_timeout,
                )
                # The body's own statements (an upsert's row lock) get the default back.
                await conn.execute("RESET lock_timeout")
            except _LOCK_WAIT_ENDED:
                raise LockTimeout(
                    f"token refresh lock was not obtained in {wait:g}s "
                    "(another process is refreshing this token)"
                ) from None
            except _BACKEND_ERRORS as exc:
                state = "unknown"
                raise self._unavailable(exc) from None
            except BaseException:
                state = "unknown"  # cancelled mid-wait: it may have been granted
                raise
            state = "locked"
            held = _HELD.set((self, asyncio.current_task(), conn))
            try:
                yield
            finally:
                _HELD.reset(held)
        finally:
            await self._checkin(pool, conn, key, state)

    async def _checkout(self, wait: float) -> tuple[Any, Any]:
        """A pooled connection with ``lock_timeout`` set to ``wait``."""
        pool = await self._get_pool()
        started = time.monotonic()
        for attempt in (1, 2):
            left = max(0.001, wait - (time.monotonic() - started))
            try:
                conn = await pool.acquire(timeout=left)
            except TimeoutError:
                if time.monotonic() - started >= wait - 0.05:
                    raise LockTimeout(f"no free database connection in {wait:g}s") from None
                # Timed out early: that was the connect timeout; the server is unreachable.
                self._down_until = time.monotonic() + self._retry_interval
                raise StoreUnavailable(
                    f"PostgreSQL token store at {redact_dsn(self._dsn)} is unavailable: "
                    "connect timed out"
                ) from None
            except _BACKEND_ERRORS as exc:
                self._down_until = time.monotonic() + self._retry_interval
                raise self._unavailable(exc) from None
            try:
                # SET takes no bind parameters; the value is an int we computed.
                await conn.execute(f"SET lock_timeout = {max(1, int(left * 1000))}")
            except _BACKEND_ERRORS as exc:
                await self._checkin(pool, conn, "", "unknown")
                if attempt == 1 and isinstance(exc, _STALE):
                    continue  # a pooled connection the server had dropped: take another
                self._down_until = time.monotonic() + self._retry_interval
                raise self._unavailable(exc) from None
            return pool, conn
        raise AssertionError("unreachable")  # pragma: no cover

    async def _checkin(self, pool: Any, conn: Any, key: str, state: str) -> None:
        """Unlock and hand the connection back, or end the session if it is suspect."""
        try:
            if state != "unknown":
                if state == "locked":
                    await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
                await conn.execute("RESET lock_timeout")
        except Exception:
            state = "unknown"  # swallowed: ending the session below frees the lock
        except BaseException:
            state = "unknown"  # cancelled while unlocking: end the session, go on cancelling
            raise
        finally:
            if state == "unknown":
                # Never hand back a session that may still hold the lock. (A
                # connection the server already closed is detached from its
                # pool proxy, so terminate() may itself complain.)
                with contextlib.suppress(*CONNECTION_ERRORS):
                    conn.terminate()
            # A failed reset makes the pool terminate the connection; it reconnects later.
            with contextlib.suppress(*CONNECTION_ERRORS):
                await pool.release(conn)

    def _decode(self, app_id: str, kind: TokenKind, row: tuple[Any, ...]) -> StoredToken | None:
        return decode_row(self._box, app_id, kind, row)

    def _missing_table(self) -> StoreMisconfigured:
        return StoreMisconfigured(
            f"the token table {self._schema}.lark_tokens does not exist",
            hint=(
                f"run: lark-async db upgrade --schema {self._schema} "
                "(or call: await store.ensure_schema())"
            ),
        )

    def _no_privilege(self, exc: BaseException) -> StoreMisconfigured:
        return StoreMisconfigured(
            f"the PostgreSQL role may not use {self._schema}.lark_tokens: "
            f"{self._scrub(str(exc)) or 'permission denied'}",
            hint=(
                "GRANT USAGE ON SCHEMA "
                f"{self._schema} and SELECT, INSERT, UPDATE, DELETE ON "
                f"{self._schema}.lark_tokens to the role in the DSN"
            ),
        )

    def _unavailable(
        self, exc: BaseException, cls: type[StoreUnavailable] = StoreUnavailable
    ) -> StoreUnavailable:
        detail = self._scrub(str(exc)) or "no detail"
        if isinstance(exc, asyncpg.exceptions.ReadOnlySQLTransactionError):
            detail += (
                " (a read-only server: a standby after a failover? point the DSN at the primary)"
            )
        return cls(
            f"PostgreSQL token store at {redact_dsn(self._dsn)} is unavailable: "
            f"{type(exc).__name__}: {detail}"
        )

    def _scrub(self, text: str) -> str:
        """Belt and braces: never echo the password even if a driver message did."""
        try:
            password = urlsplit(self._dsn).password
        except ValueError:
            password = None
        return text.replace(password, "***") if password else text

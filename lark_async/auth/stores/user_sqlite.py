"""Users' grants and sessions in the SQLite token store's file (tables made on first use)."""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import aiosqlite

from lark_async.auth.stores.sqlite import SQLiteTokenStore
from lark_async.auth.stores.user_base import (
    GRANT_COLUMNS,
    SQLITE_DDL,
    decode_grant,
    decode_session,
    grant_row,
    session_data,
)
from lark_async.auth.user_models import SessionStatus, UserAuthSession, UserGrant

_SELECT = (
    f"SELECT {GRANT_COLUMNS} FROM lark_user_tokens"  # noqa: S608
    " WHERE app_id = ? AND open_id = ?"
)
_UPSERT = f"""
INSERT INTO lark_user_tokens (app_id, open_id, {GRANT_COLUMNS}, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (app_id, open_id) DO UPDATE SET
    access_enc = excluded.access_enc, refresh_enc = excluded.refresh_enc,
    expires_at = excluded.expires_at, lifetime = excluded.lifetime,
    refresh_expires_at = excluded.refresh_expires_at, fetched_at = excluded.fetched_at,
    scope = excluded.scope, redirect_uri = excluded.redirect_uri,
    generation = excluded.generation, updated_at = excluded.updated_at
"""  # noqa: S608
_DELETE = "DELETE FROM lark_user_tokens WHERE app_id = ? AND open_id = ?"
_PUT_SESSION = """
INSERT INTO lark_user_auth_sessions (app_id, session_id, status, expires_at, data)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (app_id, session_id) DO UPDATE SET
    status = excluded.status, expires_at = excluded.expires_at, data = excluded.data
"""
_GET_SESSION = (
    "SELECT status, expires_at, data FROM lark_user_auth_sessions"
    " WHERE app_id = ? AND session_id = ?"
)
# One statement: only a pending, unexpired session changes, so one caller wins.
_FINISH = (
    "UPDATE lark_user_auth_sessions SET status = ?"
    " WHERE app_id = ? AND session_id = ? AND status = 'pending' AND expires_at > ?"
    " RETURNING expires_at, data"
)
_PURGE = "DELETE FROM lark_user_auth_sessions WHERE expires_at < ?"


_T = TypeVar("_T")


class SQLiteUserTokenStore:
    """Grants in ``lark_user_tokens`` (tokens Fernet-encrypted), sessions beside them."""

    name = "sqlite"

    def __init__(self, base: SQLiteTokenStore) -> None:
        self._base = base
        self._box = base._box
        # Connections whose user tables exist: made on the first use of user tokens
        # only, so a process that never authorises users never touches them.
        self._ready: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()

    async def get_grant(self, app_id: str, open_id: str) -> UserGrant | None:
        async def op(conn: aiosqlite.Connection) -> UserGrant | None:
            async with conn.execute(_SELECT, (app_id, open_id)) as cur:
                row = await cur.fetchone()
            return None if row is None else decode_grant(self._box, app_id, open_id, tuple(row))

        return await self._run(op)

    async def put_grant(self, grant: UserGrant) -> None:
        params = (*grant_row(self._box, grant), time.time())

        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute(_UPSERT, params)

        await self._run(op)

    async def delete_grant(self, app_id: str, open_id: str, generation: int | None = None) -> None:
        sql, params = _DELETE, (app_id, open_id)
        if generation is not None:
            sql, params = sql + " AND generation = ?", (app_id, open_id, generation)  # type: ignore[assignment]

        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute(sql, params)

        await self._run(op)

    def grant_lock(
        self, app_id: str, open_id: str, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        digest = hashlib.sha256(f"user:{app_id}:{open_id}".encode()).hexdigest()
        path = self._base.path.with_name(self._base.path.name + ".locks") / f"u{digest[:16]}.lock"
        return self._base._file_lock(path, timeout)

    async def put_session(self, session: UserAuthSession) -> None:
        params = (
            session.app_id,
            session.session_id,
            session.status,
            session.expires_at,
            session_data(session),
        )

        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute(_PUT_SESSION, params)

        await self._run(op)

    async def get_session(self, app_id: str, session_id: str) -> UserAuthSession | None:
        async def op(conn: aiosqlite.Connection) -> Any:
            async with conn.execute(_GET_SESSION, (app_id, session_id)) as cur:
                return await cur.fetchone()

        row = await self._run(op)
        if row is None:
            return None
        return decode_session(app_id, session_id, row[0], row[1], row[2])

    async def finish_session(
        self, app_id: str, session_id: str, status: SessionStatus, open_id: str | None, now: float
    ) -> UserAuthSession | None:
        async def op(conn: aiosqlite.Connection) -> Any:
            async with conn.execute(_FINISH, (status, app_id, session_id, now)) as cur:
                return await cur.fetchone()

        row = await self._run(op)
        if row is None:
            return None
        return decode_session(app_id, session_id, "pending", row[0], row[1])

    async def purge_sessions(self, before: float) -> int:
        async def op(conn: aiosqlite.Connection) -> int:
            cur = await conn.execute(_PURGE, (before,))
            return cur.rowcount

        return await self._run(op)

    async def close(self) -> None:
        return None  # the token store owns the connection

    async def _run(self, op: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        async def with_tables(conn: aiosqlite.Connection) -> _T:
            if conn not in self._ready:
                for ddl in SQLITE_DDL:
                    await conn.execute(ddl)
                self._ready.add(conn)
            return await op(conn)

        return await self._base._run(with_tables)

    def __repr__(self) -> str:
        return f"SQLiteUserTokenStore({str(self._base.path)!r})"

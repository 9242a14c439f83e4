"""Users' grants and sessions in PostgreSQL, on the token store's pool and advisory locks.

Tables ``lark_user_tokens`` and ``lark_user_auth_sessions`` come from alembic
revision 0003 (``lark-async db upgrade``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from lark_async.auth.stores.base import StoreMisconfigured
from lark_async.auth.stores.postgres import PostgresTokenStore
from lark_async.auth.stores.user_base import (
    GRANT_COLUMNS,
    decode_grant,
    decode_session,
    grant_row,
    session_data,
)
from lark_async.auth.user_models import SessionStatus, UserAuthSession, UserGrant

_T = TypeVar("_T")


class PostgresUserTokenStore:
    """Grants (tokens Fernet-encrypted) and sessions, shared by every process and host."""

    name = "postgres"

    def __init__(self, base: PostgresTokenStore) -> None:
        self._base = base
        self._box = base._box
        tokens = f'"{base.schema}".lark_user_tokens'
        sessions = f'"{base.schema}".lark_user_auth_sessions'
        self._sql = {
            "select": f"SELECT {GRANT_COLUMNS} FROM {tokens}"  # noqa: S608
            " WHERE app_id = $1 AND open_id = $2",
            "upsert": f"INSERT INTO {tokens} (app_id, open_id, {GRANT_COLUMNS}, updated_at)"  # noqa: S608
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())"
            " ON CONFLICT (app_id, open_id) DO UPDATE SET"
            " access_enc = EXCLUDED.access_enc, refresh_enc = EXCLUDED.refresh_enc,"
            " expires_at = EXCLUDED.expires_at, lifetime = EXCLUDED.lifetime,"
            " refresh_expires_at = EXCLUDED.refresh_expires_at,"
            " fetched_at = EXCLUDED.fetched_at, scope = EXCLUDED.scope,"
            " redirect_uri = EXCLUDED.redirect_uri, generation = EXCLUDED.generation,"
            " updated_at = now()",
            "delete": f"DELETE FROM {tokens} WHERE app_id = $1 AND open_id = $2",  # noqa: S608
            "delete_gen": f"DELETE FROM {tokens}"  # noqa: S608
            " WHERE app_id = $1 AND open_id = $2 AND generation = $3",
            "put_session": f"INSERT INTO {sessions}"  # noqa: S608
            " (app_id, session_id, status, expires_at, data) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (app_id, session_id) DO UPDATE SET status = EXCLUDED.status,"
            " expires_at = EXCLUDED.expires_at, data = EXCLUDED.data",
            "get_session": f"SELECT status, expires_at, data FROM {sessions}"  # noqa: S608
            " WHERE app_id = $1 AND session_id = $2",
            "finish": f"UPDATE {sessions} SET status = $1"  # noqa: S608
            " WHERE app_id = $2 AND session_id = $3 AND status = 'pending' AND expires_at > $4"
            " RETURNING expires_at, data",
            "purge": f"DELETE FROM {sessions} WHERE expires_at < $1",  # noqa: S608
        }

    async def get_grant(self, app_id: str, open_id: str) -> UserGrant | None:
        sql = self._sql["select"]

        async def op(conn: Any) -> UserGrant | None:
            row = await conn.fetchrow(sql, app_id, open_id)
            return None if row is None else decode_grant(self._box, app_id, open_id, tuple(row))

        return await self._run(op)

    async def put_grant(self, grant: UserGrant) -> None:
        sql, args = self._sql["upsert"], grant_row(self._box, grant)

        async def op(conn: Any) -> None:
            await conn.execute(sql, *args)

        await self._run(op)

    async def delete_grant(self, app_id: str, open_id: str, generation: int | None = None) -> None:
        args: tuple[object, ...]
        if generation is None:
            sql, args = self._sql["delete"], (app_id, open_id)
        else:
            sql, args = self._sql["delete_gen"], (app_id, open_id, generation)

        async def op(conn: Any) -> None:
            await conn.execute(sql, *args)

        await self._run(op)

    def grant_lock(
        self, app_id: str, open_id: str, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        """Session advisory lock on ``lark_async:user_token:<app_id>:<open_id>``."""
        return self._base._advisory_lock(f"lark_async:user_token:{app_id}:{open_id}", timeout)

    async def put_session(self, session: UserAuthSession) -> None:
        sql = self._sql["put_session"]
        args = (
            session.app_id,
            session.session_id,
            session.status,
            float(session.expires_at),
            session_data(session),
        )

        async def op(conn: Any) -> None:
            await conn.execute(sql, *args)

        await self._run(op)

    async def get_session(self, app_id: str, session_id: str) -> UserAuthSession | None:
        sql = self._sql["get_session"]

        async def op(conn: Any) -> Any:
            return await conn.fetchrow(sql, app_id, session_id)

        row = await self._run(op)
        if row is None:
            return None
        return decode_session(app_id, session_id, row[0], row[1], row[2])

    async def finish_session(
        self, app_id: str, session_id: str, status: SessionStatus, open_id: str | None, now: float
    ) -> UserAuthSession | None:
        sql = self._sql["finish"]

        async def op(conn: Any) -> Any:
            return await conn.fetchrow(sql, status, app_id, session_id, float(now))

        row = await self._run(op)
        if row is None:
            return None
        return decode_session(app_id, session_id, "pending", row[0], row[1])

    async def purge_sessions(self, before: float) -> int:
        sql = self._sql["purge"]

        async def op(conn: Any) -> str:
            return str(await conn.execute(sql, float(before)))

        status = await self._run(op)  # "DELETE <n>"
        return int(status.rpartition(" ")[2] or 0)

    async def close(self) -> None:
        return None  # the token store owns the pool

    async def _run(self, op: Callable[[Any], Awaitable[_T]]) -> _T:
        try:
            return await self._base._run(op)
        except StoreMisconfigured as exc:
            # The token store's message names its own table; name ours.
            schema = self._base.schema
            raise StoreMisconfigured(
                f"the user-token tables of schema {schema} are missing or not usable "
                f"(lark_user_tokens, lark_user_auth_sessions): {exc.message}",
                hint=f"run: lark-async db upgrade --schema {schema} (revision 0003 adds them), "
                "and GRANT SELECT, INSERT, UPDATE, DELETE on them to the role",
            ) from None

    def __repr__(self) -> str:
        return f"PostgresUserTokenStore({self._base!r})"

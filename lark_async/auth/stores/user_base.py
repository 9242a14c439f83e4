"""Where users' grants and authorisation sessions live: the contract, and the SQL tables.

A user-token store sits next to a token store and shares its backend (the
same SQLite file, the same PostgreSQL pool and schema). Unlike tenant
tokens, every failure reaches the caller (:class:`StoreUnavailable`): the
user-token manager fails closed instead of treating it as a miss.
"""

from __future__ import annotations

import json
import math
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from lark_async.auth.user_models import SessionStatus, UserAuthSession, UserGrant

if TYPE_CHECKING:
    from lark_async.auth.crypto import SecretBox


class UserTokenStore(Protocol):
    """Users' grants per (app_id, open_id), and authorisation sessions per (app_id, session_id).

    ``finish_session`` moves a pending, unexpired session to ``status`` in one
    atomic step and returns it as it was, or None (unknown, used or expired):
    that is what makes a replayed state fail even across processes.
    """

    name: str

    async def get_grant(self, app_id: str, open_id: str) -> UserGrant | None: ...

    async def put_grant(self, grant: UserGrant) -> None: ...

    async def delete_grant(
        self, app_id: str, open_id: str, generation: int | None = None
    ) -> None: ...

    def grant_lock(
        self, app_id: str, open_id: str, timeout: float
    ) -> AbstractAsyncContextManager[None]: ...

    async def put_session(self, session: UserAuthSession) -> None: ...

    async def get_session(self, app_id: str, session_id: str) -> UserAuthSession | None: ...

    async def finish_session(
        self, app_id: str, session_id: str, status: SessionStatus, open_id: str | None, now: float
    ) -> UserAuthSession | None: ...

    async def purge_sessions(self, before: float) -> int: ...


# --- rows -------------------------------------------------------------------------------
GRANT_COLUMNS = (
    "access_enc, refresh_enc, expires_at, lifetime, refresh_expires_at, fetched_at,"
    " scope, redirect_uri, generation"
)


def grant_row(box: SecretBox, grant: UserGrant) -> tuple[Any, ...]:
    """``(app_id, open_id, *GRANT_COLUMNS)`` with both tokens encrypted."""
    return (
        grant.app_id,
        grant.open_id,
        box.encrypt(grant.access_token),
        box.encrypt(grant.refresh_token) if grant.refresh_token else "",
        float(grant.expires_at),
        float(grant.lifetime),
        float(grant.refresh_expires_at),
        float(grant.fetched_at),
        grant.scope,
        grant.redirect_uri,
        int(grant.generation),
    )


def decode_grant(
    box: SecretBox, app_id: str, open_id: str, row: tuple[Any, ...]
) -> UserGrant | None:
    """A stored row in GRANT_COLUMNS order, or None when it cannot be decrypted or parsed."""
    from lark_async.auth.crypto import DecryptError

    try:
        access_enc, refresh_enc, exp, life, rexp, fetched, scope, redirect, gen = row
        grant = UserGrant(
            app_id=app_id,
            open_id=open_id,
            access_token=box.decrypt(access_enc),
            refresh_token=box.decrypt(refresh_enc) if refresh_enc else "",
            expires_at=float(exp),
            lifetime=float(life),
            refresh_expires_at=float(rexp),
            fetched_at=float(fetched),
            scope=str(scope or ""),
            redirect_uri=str(redirect or ""),
            generation=int(gen),
        )
    except (DecryptError, TypeError, ValueError):
        return None
    times = (grant.expires_at, grant.lifetime, grant.refresh_expires_at, grant.fetched_at)
    if not grant.access_token or not all(math.isfinite(t) for t in times):
        return None
    return grant


def session_data(session: UserAuthSession) -> str:
    """The session as JSON (no secret in it: the PKCE verifier is derived, never stored)."""
    return json.dumps(
        {
            "user_id": session.user_id,
            "method": session.method,
            "url": session.url,
            "redirect_uri": session.redirect_uri,
            "scopes": list(session.scopes),
            "created_at": session.created_at,
            "open_id": session.open_id,
            "message_id": session.message_id,
        }
    )


def decode_session(
    app_id: str, session_id: str, status: str, expires_at: float, data: str
) -> UserAuthSession | None:
    try:
        d = json.loads(data)
        return UserAuthSession(
            session_id=session_id,
            app_id=app_id,
            user_id=d.get("user_id"),
            method=d["method"],
            status=status,  # type: ignore[arg-type]
            url=d["url"],
            expires_at=float(expires_at),
            redirect_uri=d["redirect_uri"],
            scopes=tuple(d["scopes"]),
            created_at=float(d["created_at"]),
            open_id=d.get("open_id"),
            message_id=d.get("message_id"),
        )
    except (ValueError, TypeError, KeyError):
        return None


#: SQLite tables, made on first use (PostgreSQL's come from alembic revision 0003).
SQLITE_DDL = (
    """
CREATE TABLE IF NOT EXISTS lark_user_tokens (
    app_id TEXT NOT NULL, open_id TEXT NOT NULL,
    access_enc TEXT NOT NULL, refresh_enc TEXT NOT NULL,
    expires_at REAL NOT NULL, lifetime REAL NOT NULL, refresh_expires_at REAL NOT NULL,
    fetched_at REAL NOT NULL, scope TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    generation INTEGER NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (app_id, open_id)
)""",
    """
CREATE TABLE IF NOT EXISTS lark_user_auth_sessions (
    app_id TEXT NOT NULL, session_id TEXT NOT NULL, status TEXT NOT NULL,
    expires_at REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app_id, session_id)
)""",
)


def user_store_for(store: object) -> UserTokenStore | None:
    """The user-token store beside a token store (same backend), or None if it has none.

    A store of your own may implement :class:`UserTokenStore` itself.
    """
    from lark_async.auth.stores.memory import MemoryTokenStore

    if isinstance(store, MemoryTokenStore):
        from lark_async.auth.stores.user_memory import MemoryUserTokenStore

        return MemoryUserTokenStore()
    module = type(store).__module__
    if module == "lark_async.auth.stores.sqlite":
        from lark_async.auth.stores.user_sqlite import SQLiteUserTokenStore

        return SQLiteUserTokenStore(store)  # type: ignore[arg-type]
    if module == "lark_async.auth.stores.postgres":
        from lark_async.auth.stores.user_postgres import PostgresUserTokenStore

        return PostgresUserTokenStore(store)  # type: ignore[arg-type]
    if all(hasattr(store, m) for m in ("get_grant", "put_grant", "grant_lock", "finish_session")):
        return store  # type: ignore[return-value]
    return None

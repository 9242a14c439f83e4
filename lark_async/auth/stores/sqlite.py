"""Tokens in a local SQLite file: the embedded default, shared by processes on one host."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from lark_async.auth.crypto import SecretBox
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores.base import LockTimeout, StoreUnavailable, decode_row
from lark_async.core.errors import ConfigError
from lark_async.core.logging import get_logger
from lark_async.core.perloop import PerLoop

_T = TypeVar("_T")

_CREATE = """
CREATE TABLE IF NOT EXISTS lark_tokens (
    app_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value_enc  TEXT NOT NULL,
    expires_at REAL NOT NULL,
    lifetime   REAL NOT NULL,
    fetched_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (app_id, kind)
)
"""
_SELECT = (
    "SELECT value_enc, expires_at, lifetime, fetched_at FROM lark_tokens"
    " WHERE app_id = ? AND kind = ?"
)
_UPSERT = """
INSERT INTO lark_tokens (app_id, kind, value_enc, expires_at, lifetime, fetched_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (app_id, kind) DO UPDATE SET
    value_enc = excluded.value_enc, expires_at = excluded.expires_at,
    lifetime = excluded.lifetime, fetched_at = excluded.fetched_at,
    updated_at = excluded.updated_at
"""
_DELETE = "DELETE FROM lark_tokens WHERE app_id = ? AND kind = ?"
# Deletes a corrupt row only if nobody has replaced it since we read it.
_DELETE_IF_SAME = _DELETE + " AND value_enc IS ?"

# Polling interval for the file lock; jittered so waiters do not retry in step.
_POLL_MIN, _POLL_MAX = 0.010, 0.025


class SQLiteTokenStore:
    """Token rows in ``path``, values Fernet-encrypted with ``box``.

    The table is created on first use. ``lock`` is an exclusive ``flock`` on a
    per-(app_id, kind) file in ``<path>.locks/``, so it excludes other
    processes on the same host (POSIX only) but not other hosts: use the
    PostgreSQL store when several hosts share tokens.

    Any event loop may use the store, one after another (``asyncio.run``
    twice): each loop gets its own connection, closed when that loop shuts
    down or by :meth:`close`. After ``close`` the store still works: the next
    call opens the file again.
    """

    name = "sqlite"

    def __init__(
        self, path: str | os.PathLike[str], box: SecretBox, *, busy_timeout: float = 5.0
    ) -> None:
        self._path = Path(path).expanduser()
        self._box = box
        self._busy_ms = int(busy_timeout * 1000)
        # One connection per event loop (see lark_async.core.perloop).
        self._conns: PerLoop[aiosqlite.Connection] = PerLoop(
            self._open, close=self._close_conn, drop=self._close_conn
        )

    @property
    def path(self) -> Path:
        return self._path

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None:
        kind = TokenKind(kind)

        async def op(conn: aiosqlite.Connection) -> StoredToken | None:
            async with conn.execute(_SELECT, (app_id, kind.value)) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            token = self._decode(app_id, kind, tuple(row))
            if token is None:
                await conn.execute(_DELETE_IF_SAME, (app_id, kind.value, row[0]))
                get_logger().warning(
                    "sqlite token store: deleted a %s row for app %s that could not be "
                    "decrypted or parsed (wrong LARK_ASYNC_SECRET_KEY?); it will be refetched",
                    kind.value,
                    app_id,
                )
            return token

        return await self._run(op)

    async def put(self, token: StoredToken) -> None:
        params = (
            token.app_id,
            TokenKind(token.kind).value,
            self._box.encrypt(token.value),
            float(token.expires_at),
            float(token.lifetime),
            float(token.fetched_at),
            time.time(),
        )

        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute(_UPSERT, params)

        await self._run(op)

    async def delete(self, app_id: str, kind: TokenKind) -> None:
        params = (app_id, TokenKind(kind).value)

        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute(_DELETE, params)

        await self._run(op)

    def lock(
        self, app_id: str, kind: TokenKind, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        """Exclusive ``flock`` on :meth:`lock_path`: same host only (see the class)."""
        return self._file_lock(self.lock_path(app_id, kind), timeout)

    def lock_path(self, app_id: str, kind: TokenKind) -> Path:
        """The lock file for one (app_id, kind); hashed so any app_id is a safe name."""
        digest = hashlib.sha256(f"{app_id}:{TokenKind(kind).value}".encode()).hexdigest()
        return self._path.with_name(self._path.name + ".locks") / f"{digest[:16]}.lock"

    async def close(self) -> None:
        """Close the connection; a later call opens the file again."""
        await self._conns.aclose()

    def __repr__(self) -> str:
        return f"SQLiteTokenStore({str(self._path)!r})"

    # -- internals ---------------------------------------------------------

    async def _run(self, op: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        conn = await self._conns.get()
        try:
            return await op(conn)
        except (sqlite3.Error, OSError, ValueError) as exc:  # ValueError: aiosqlite's "closed"
            # Drop the connection: the next call reopens the file and recreates
            # the table, so writes resume once the disk is usable again.
            await self._conns.discard(conn)
            raise self._unavailable(exc) from None

    async def _close_conn(self, conn: aiosqlite.Connection) -> None:
        # Also used for a connection whose loop is gone: aiosqlite waits for its
        # worker thread through a future made on the calling loop, so this is
        # safe on any live loop. The bound only matters if that thread died.
        with contextlib.suppress(sqlite3.Error, ValueError, TimeoutError):
            await asyncio.wait_for(conn.close(), self._busy_ms / 1000 + 1.0)

    async def _open(self) -> aiosqlite.Connection:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            if not self._path.exists():
                # Create it owner-only: it holds (encrypted) credentials.
                os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600))
            # isolation_level=None: every statement commits on its own, so no
            # transaction is left open holding the write lock between awaits.
            conn = await aiosqlite.connect(self._path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable(exc) from None
        try:
            # Other processes may be writing: wait for their lock, don't fail.
            await conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            # WAL lets readers in other processes proceed while one writes.
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(_CREATE)
        except sqlite3.Error as exc:
            await conn.close()
            raise self._unavailable(exc) from None
        return conn

    def _decode(self, app_id: str, kind: TokenKind, row: tuple[Any, ...]) -> StoredToken | None:
        return decode_row(self._box, app_id, kind, row)

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(
            f"SQLite token store {str(self._path)!r} is unavailable: {type(exc).__name__}: {exc}"
        )

    @asynccontextmanager
    async def _file_lock(self, path: Path, wait: float) -> AsyncIterator[None]:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._unavailable(exc) from None
        try:
            deadline = time.monotonic() + wait
            while not _try_flock(fd):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LockTimeout(
                        f"token refresh lock {path.name} was not obtained in {wait:g}s"
                    )
                await asyncio.sleep(min(left, random.uniform(_POLL_MIN, _POLL_MAX)))
            yield
        finally:
            # Closing the descriptor releases the flock, even after an error.
            os.close(fd)


def _try_flock(fd: int) -> bool:
    """Take an exclusive flock without blocking; False if another holder has it."""
    try:
        import fcntl
    except ImportError:  # Windows
        raise ConfigError(
            "the SQLite token store's cross-process lock needs POSIX flock",
            hint="on Windows use the memory or PostgreSQL token store",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True

"""A durable local spool (SQLite) for callbacks the queue could not take.

When RabbitMQ is unreachable the ingress writes each accepted callback here before
answering Feishu, and replays it to RabbitMQ when it returns. A row is deleted
only after the broker confirmed it (or the in-process handler finished), so a
crash at any point leaves it here to be replayed: at least once, never lost.
Commits use ``synchronous=FULL``: the answer to Feishu follows a real fsync.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import aiosqlite

from lark_async.callbacks.queue import Envelope
from lark_async.core.checks import check_file_path
from lark_async.core.errors import ConfigError, ErrorKind, InvalidParameter, LarkError
from lark_async.core.logging import get_logger

DEFAULT_SPOOL_PATH = "lark-callbacks-spool.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    event_id    TEXT PRIMARY KEY,
    envelope    BLOB NOT NULL,
    dead_reason TEXT,
    spooled_at  REAL NOT NULL
)
"""


class SpoolUnavailable(LarkError):
    """The spool could not store or read a callback (disk full, file locked, ...)."""

    default_kind = ErrorKind.SERVER


@dataclass(frozen=True, slots=True)
class SpooledItem:
    envelope: Envelope
    dead_reason: str | None = None  # set: replay it to the dead-letter queue


#: What ``spool=`` must have (checked where one is given).
SPOOL_METHODS = ("open", "close", "put", "remove", "pending", "count")


class Spool(Protocol):
    """Durable storage for accepted callbacks awaiting the queue."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def put(self, envelope: Envelope, *, dead_reason: str | None = None) -> None:
        """Store (or replace) the envelope durably; raises :class:`SpoolUnavailable`."""

    async def remove(self, event_id: str) -> None: ...

    async def pending(self, limit: int = 100) -> list[SpooledItem]:
        """The oldest stored items."""

    async def count(self) -> int: ...


class SqliteSpool:
    """The :class:`Spool` in one SQLite file (WAL, fsync on every commit)."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_SPOOL_PATH) -> None:
        self.path = Path(check_file_path(path, "path", error=ConfigError))
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SqliteSpool({str(self.path)!r})"

    async def open(self) -> None:
        if self._db is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(self.path)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA busy_timeout=2000")
            await db.execute(_SCHEMA)
            await db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise SpoolUnavailable(
                f"cannot open the callback spool {self.path}: {type(exc).__name__}",
                hint="check the directory exists and is writable",
            ) from None
        self._db = db
        with_rows = await self.count()
        if with_rows:
            get_logger().warning(
                "lark.callback.spool_pending", path=str(self.path), pending=with_rows
            )

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    async def __aenter__(self) -> SqliteSpool:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _require(self) -> aiosqlite.Connection:
        if self._db is None:
            raise SpoolUnavailable("the callback spool is not open", hint="await spool.open()")
        return self._db

    async def put(self, envelope: Envelope, *, dead_reason: str | None = None) -> None:
        db = self._require()
        try:
            async with self._lock:
                await db.execute(
                    "INSERT INTO spool (event_id, envelope, dead_reason, spooled_at) "
                    "VALUES (?, ?, ?, strftime('%s','now')) "
                    "ON CONFLICT(event_id) DO UPDATE SET envelope=excluded.envelope, "
                    "dead_reason=excluded.dead_reason",
                    (envelope.event_id, envelope.to_bytes(), dead_reason),
                )
                await db.commit()
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise SpoolUnavailable(
                f"cannot write to the callback spool: {type(exc).__name__}",
                hint="check free disk space and that no other process holds the file",
            ) from None

    async def remove(self, event_id: str) -> None:
        db = self._require()
        try:
            async with self._lock:
                await db.execute("DELETE FROM spool WHERE event_id = ?", (event_id,))
                await db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise SpoolUnavailable(
                f"cannot remove a row of the callback spool: {type(exc).__name__}"
            ) from None

    async def pending(self, limit: int = 100) -> list[SpooledItem]:
        if not isinstance(limit, int) or limit < 1:
            raise InvalidParameter("limit must be a positive integer")
        db = self._require()
        try:
            async with self._lock:
                cursor = await db.execute(
                    "SELECT envelope, dead_reason FROM spool ORDER BY rowid LIMIT ?", (limit,)
                )
                rows = list(await cursor.fetchall())
        except (sqlite3.Error, OSError) as exc:
            raise SpoolUnavailable(
                f"cannot read the callback spool: {type(exc).__name__}"
            ) from None
        items: list[SpooledItem] = []
        for raw, dead_reason in rows:
            try:
                items.append(SpooledItem(Envelope.from_bytes(bytes(raw)), dead_reason))
            except InvalidParameter as exc:  # written by us, so this is corruption
                get_logger().error("lark.callback.spool_corrupt", error=exc.message)
        return items

    async def count(self) -> int:
        db = self._require()
        try:
            async with self._lock:
                cursor = await db.execute("SELECT COUNT(*) FROM spool")
                row = await cursor.fetchone()
        except (sqlite3.Error, OSError) as exc:
            raise SpoolUnavailable(
                f"cannot read the callback spool: {type(exc).__name__}"
            ) from None
        return int(row[0]) if row else 0

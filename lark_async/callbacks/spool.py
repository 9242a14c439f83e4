"""A durable local spool (SQLite) for callbacks the queue could not take.

When RabbitMQ is unreachable the ingress writes each accepted callback here before
answering Feishu, and replays it to RabbitMQ when it returns. A row is deleted
only after the broker confirmed it (or the in-process handler finished), so a
crash at any point leaves it here to be replayed: at least once, never lost.
Commits use ``synchronous=FULL``: the answer to Feishu follows a real fsync.

**One copy in flight.** A replay first *claims* rows (``claimed_until`` and
``claimed_by``, in one statement, so two replay loops or two processes sharing
the file never take the same row), publishes them, and deletes each row once its
publish is confirmed. A publish that timed out leaves its row claimed a while
longer and counts it in ``unconfirmed``: that copy may still land, so the queue
can hold the event twice. Every copy carries the event id as its ``message_id``
and the workers dedupe on it: at least once in the queue, handled once.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import aiosqlite

from lark_async.callbacks.queue import Envelope
from lark_async.core.checks import check_file_path
from lark_async.core.errors import ConfigError, ErrorKind, InvalidParameter, LarkError
from lark_async.core.logging import get_logger

DEFAULT_SPOOL_PATH = "lark-callbacks-spool.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    event_id      TEXT PRIMARY KEY,
    envelope      BLOB NOT NULL,
    dead_reason   TEXT,
    spooled_at    REAL NOT NULL,
    claimed_until REAL,
    claimed_by    TEXT,
    unconfirmed   INTEGER NOT NULL DEFAULT 0
)
"""
# Added after the first release: a spool file written by it gets them on open.
_NEW_COLUMNS = {
    "claimed_until": "REAL",
    "claimed_by": "TEXT",
    "unconfirmed": "INTEGER NOT NULL DEFAULT 0",
}


class SpoolUnavailable(LarkError):
    """The spool could not store or read a callback (disk full, file locked, ...)."""

    default_kind = ErrorKind.SERVER


@dataclass(frozen=True, slots=True)
class SpooledItem:
    envelope: Envelope
    dead_reason: str | None = None  # set: replay it to the dead-letter queue
    unconfirmed: int = 0  # earlier publishes of it that timed out (and may have landed)


#: What ``spool=`` must have (checked where one is given).
SPOOL_METHODS = ("open", "close", "put", "remove", "pending", "count", "claim", "release")


class Spool(Protocol):
    """Durable storage for accepted callbacks awaiting the queue."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def put(
        self,
        envelope: Envelope,
        *,
        dead_reason: str | None = None,
        claim: float = 0.0,
        unconfirmed: bool = False,
    ) -> None:
        """Store (or replace) the envelope durably; raises :class:`SpoolUnavailable`.

        ``claim`` > 0: stored already claimed by this spool for that many seconds
        (it is being handled here); 0: free for any replay. ``unconfirmed``: a
        publish of it timed out, so a copy may already be in the queue.
        """

    async def remove(self, event_id: str) -> None: ...

    async def pending(self, limit: int = 100) -> list[SpooledItem]:
        """The oldest stored items, claimed or not (for operators and tests)."""

    async def claim(self, limit: int, *, lease: float) -> list[SpooledItem]:
        """Claim up to ``limit`` of the oldest unclaimed (or lapsed) rows for ``lease`` s.

        Each row goes to one caller only, across processes sharing the spool.
        """

    async def release(self, event_id: str, *, hold: float = 0.0, unconfirmed: bool = False) -> None:
        """Give back a row this spool claimed, to be claimed again after ``hold`` s."""

    async def count(self) -> int: ...


class SqliteSpool:
    """The :class:`Spool` in one SQLite file (WAL, fsync on every commit)."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_SPOOL_PATH) -> None:
        self.path = Path(check_file_path(path, "path", error=ConfigError))
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.owner = uuid.uuid4().hex  # this object's name on the rows it claims

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
            cursor = await db.execute("PRAGMA table_info(spool)")
            have = {str(row[1]) for row in await cursor.fetchall()}
            for column, kind in _NEW_COLUMNS.items():
                if column not in have:
                    await db.execute(f"ALTER TABLE spool ADD COLUMN {column} {kind}")
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

    async def _write(self, what: str, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one statement and commit; rows it returned. Any failure: SpoolUnavailable."""
        db = self._require()
        try:
            async with self._lock:
                cursor = await db.execute(sql, params)
                rows = list(await cursor.fetchall())
                await db.commit()
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise SpoolUnavailable(
                f"cannot {what} the callback spool: {type(exc).__name__}",
                hint="check free disk space and that no other process holds the file",
            ) from None
        return rows

    async def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        db = self._require()
        try:
            async with self._lock:
                cursor = await db.execute(sql, params)
                return list(await cursor.fetchall())
        except (sqlite3.Error, OSError) as exc:
            raise SpoolUnavailable(
                f"cannot read the callback spool: {type(exc).__name__}"
            ) from None

    async def put(
        self,
        envelope: Envelope,
        *,
        dead_reason: str | None = None,
        claim: float = 0.0,
        unconfirmed: bool = False,
    ) -> None:
        now = time.time()
        until, owner = (now + claim, self.owner) if claim > 0 else (None, None)
        await self._write(
            "write to",
            "INSERT INTO spool (event_id, envelope, dead_reason, spooled_at,"
            " claimed_until, claimed_by, unconfirmed) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(event_id) DO UPDATE SET envelope = excluded.envelope,"
            " dead_reason = excluded.dead_reason, claimed_until = excluded.claimed_until,"
            " claimed_by = excluded.claimed_by,"
            " unconfirmed = spool.unconfirmed + excluded.unconfirmed",
            (envelope.event_id, envelope.to_bytes(), dead_reason, now, until, owner, unconfirmed),
        )

    async def remove(self, event_id: str) -> None:
        await self._write("remove a row of", "DELETE FROM spool WHERE event_id = ?", (event_id,))

    async def pending(self, limit: int = 100) -> list[SpooledItem]:
        _check_limit(limit)
        rows = await self._read(
            "SELECT envelope, dead_reason, unconfirmed FROM spool ORDER BY rowid LIMIT ?",
            (limit,),
        )
        return _items(rows)

    async def claim(self, limit: int, *, lease: float) -> list[SpooledItem]:
        _check_limit(limit)
        if not isinstance(lease, int | float) or not lease > 0:
            raise InvalidParameter("lease must be a positive number of seconds")
        now = time.time()
        # One statement: SQLite's write lock makes it atomic across processes too.
        rows = await self._write(
            "claim rows of",
            "UPDATE spool SET claimed_until = ?, claimed_by = ? WHERE rowid IN ("
            " SELECT rowid FROM spool WHERE claimed_until IS NULL OR claimed_until <= ?"
            " ORDER BY rowid LIMIT ?) RETURNING rowid, envelope, dead_reason, unconfirmed",
            (now + lease, self.owner, now, limit),
        )
        return _items(row[1:] for row in sorted(rows))

    async def release(self, event_id: str, *, hold: float = 0.0, unconfirmed: bool = False) -> None:
        until = time.time() + hold if hold > 0 else None
        await self._write(
            "release a row of",
            "UPDATE spool SET claimed_until = ?, unconfirmed = unconfirmed + ?"
            " WHERE event_id = ? AND claimed_by = ?",
            (until, int(unconfirmed), event_id, self.owner),
        )

    async def count(self) -> int:
        rows = await self._read("SELECT COUNT(*) FROM spool", ())
        return int(rows[0][0]) if rows else 0


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidParameter("limit must be a positive integer")


def _items(rows: Iterable[Any]) -> list[SpooledItem]:
    items: list[SpooledItem] = []
    for raw, dead_reason, unconfirmed in rows:
        try:
            envelope = Envelope.from_bytes(bytes(raw))
        except InvalidParameter as exc:  # written by us, so this is corruption
            get_logger().error("lark.callback.spool_corrupt", error=exc.message)
            continue
        items.append(SpooledItem(envelope, dead_reason, int(unconfirmed or 0)))
    return items

"""A state table in a SQLite file: one aiosqlite connection per event loop.

For the services that keep state beside the tokens (the contact cache, the aPaaS
execution records): each names its table's ``CREATE TABLE IF NOT EXISTS`` and
gets a connection that waits for other processes' locks and lets their readers in
(WAL). The token store opens its own file, which it creates owner-only.
"""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite

from lark_async.core.perloop import PerLoop


class SqliteStateFile:
    """``path``, with ``create`` run on each new connection; one connection per loop.

    Connections are closed when their loop shuts down or at :meth:`aclose`, so a
    client works across ``asyncio.run`` calls; processes on one host share the file.
    Every statement commits on its own (autocommit) unless the caller opens a
    transaction.
    """

    def __init__(
        self, path: str | os.PathLike[str], create: str, *, busy_timeout: float = 5.0
    ) -> None:
        self.path = Path(path).expanduser()
        self._create = create
        self._busy_ms = int(busy_timeout * 1000)
        self._conns: PerLoop[aiosqlite.Connection] = PerLoop(self._open, close=_close, drop=_close)

    async def connection(self) -> aiosqlite.Connection:
        """This loop's connection, opened (and the table created) on first use."""
        return await self._conns.get()

    async def aclose(self) -> None:
        await self._conns.aclose()

    def __len__(self) -> int:
        """Connections open now (one per event loop that used the file)."""
        return len(self._conns)

    async def _open(self) -> aiosqlite.Connection:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            # Other processes may be writing: wait for their lock, don't fail.
            await conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            # WAL lets readers in other processes proceed while one writes.
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(self._create)
        except BaseException:
            await conn.close()
            raise
        return conn


async def _close(conn: aiosqlite.Connection) -> None:
    await conn.close()

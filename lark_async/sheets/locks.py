"""One asyncio lock per key, dropped when nobody holds or waits for it, and how
a write takes its spreadsheet's (:class:`WriteSlot`).

Feishu wants writes to one spreadsheet made one at a time (Feishu Sheets docs,
"单个文档只能串行调用"). A write made of one request holds the spreadsheet's
lock only while that request is on the wire (the transport takes it per
attempt), so a write waiting out a 429 or a backoff holds up nobody. A write
made of several requests holds it from the first of them to the last, so its
blocks are never interleaved with other writes (appended rows stay together).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from types import TracebackType

from lark_async.core.options import SharedSlots, SlotFactory


class KeyedLocks:
    """``async with locks.hold(key):`` serialises everything holding the same key.

    ``shared``: slots shared with other processes (the client's, through
    PostgreSQL), held inside this process's lock: then every process takes turns.
    """

    def __init__(self, shared: SharedSlots | None = None) -> None:
        self.shared = shared
        # key -> (lock, holders + waiters); entries vanish at zero so a
        # long-lived client touching many spreadsheets does not grow forever.
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                if self.shared is None:
                    yield
                else:
                    async with self.shared.hold(f"sheets:{key}"):
                        yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """Keys currently held or waited for."""
        return len(self._locks)

    def locked(self, key: str) -> bool:
        entry = self._locks.get(key)
        return entry is not None and entry[0].locked()


class WriteSlot:
    """One write's use of its spreadsheet's lock: per request, or for all of them.

    ``per_request`` is the ``slot=`` to send each request with (None once the
    whole lock is held); :meth:`hold_all` switches to holding the lock until the
    write ends. ``async with WriteSlot(locks, token) as slot: ...``
    """

    def __init__(self, locks: KeyedLocks, key: str) -> None:
        self._locks = locks
        self._key = key
        self._stack = AsyncExitStack()
        self._held = False

    @property
    def per_request(self) -> SlotFactory | None:
        if self._held:
            return None
        locks, key = self._locks, self._key

        def slot() -> AbstractAsyncContextManager[object]:
            return locks.hold(key)

        return slot

    async def hold_all(self) -> None:
        """Hold the lock from now until the write ends (a no-op if already held)."""
        if not self._held:
            await self._stack.enter_async_context(self._locks.hold(self._key))
            self._held = True

    async def __aenter__(self) -> WriteSlot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

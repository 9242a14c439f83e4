"""One asyncio lock per key, dropped when nobody holds or waits for it.

Feishu wants writes to one spreadsheet made one at a time (CONTRACT §10,
"单个文档只能串行调用"); the service takes the spreadsheet's lock around every
write, so concurrent callers in this process queue instead of colliding.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    """``async with locks.hold(key):`` serialises everything holding the same key."""

    def __init__(self) -> None:
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

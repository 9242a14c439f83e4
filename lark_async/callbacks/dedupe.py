"""Once-only handling: which event ids a handler has run for (or is running).

Feishu delivers events at least once, and a queue redelivers a message whose ack
was lost. The ingress already answers a repeated event id without queueing it;
this store is the second line, in the consumer, so a redelivery that gets past the
first still reaches its handler once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from lark_async.core.checks import check_callable, check_int, check_number

DEFAULT_TTL = 8 * 3600.0  # Feishu's last retry comes ~7 h after the first delivery


class ProcessedStore(Protocol):
    """Claims event ids. A store shared between worker processes can replace the default."""

    async def claim(self, event_id: str) -> bool:
        """True if the caller may run the handler: not done and not running elsewhere."""

    async def done(self, event_id: str) -> None:
        """The handler succeeded: refuse claims for this id from now on (for the TTL)."""

    async def release(self, event_id: str) -> None:
        """The handler failed: let a later attempt claim the id again."""


class MemoryProcessedStore:
    """In-process :class:`ProcessedStore`; keeps at most ``max_entries`` finished ids."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 100_000,
        now: Callable[[], float] = time.time,
    ) -> None:
        check_number(ttl, "ttl", positive=True)
        check_int(max_entries, "max_entries", min=1)
        check_callable(now, "now")
        self._ttl = ttl
        self._max = max_entries
        self._now = now
        self._done: OrderedDict[str, float] = OrderedDict()  # id -> expiry, oldest first
        self._running: set[str] = set()

    async def claim(self, event_id: str) -> bool:
        self._prune()
        if event_id in self._running or event_id in self._done:
            return False
        self._running.add(event_id)
        return True

    async def done(self, event_id: str) -> None:
        self._running.discard(event_id)
        self._done.pop(event_id, None)
        self._done[event_id] = self._now() + self._ttl
        while len(self._done) > self._max:
            self._done.popitem(last=False)

    async def release(self, event_id: str) -> None:
        self._running.discard(event_id)

    def __len__(self) -> int:
        self._prune()
        return len(self._done)

    def _prune(self) -> None:
        # Entries share one TTL, so insertion order is expiry order.
        now = self._now()
        while self._done:
            event_id, expiry = next(iter(self._done.items()))
            if expiry > now:
                break
            del self._done[event_id]

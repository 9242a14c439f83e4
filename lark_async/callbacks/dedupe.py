"""Once-only handling: which event ids a handler has run for (or is running).

Feishu delivers events at least once, and a queue redelivers a message whose ack
was lost. The ingress already answers a repeated event id without queueing it;
this store is the second line, in the consumer, so a redelivery that gets past the
first still reaches its handler once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
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


class ClaimHeld(Exception):
    """Another worker holds a live claim on the event: look again in ``retry_after`` seconds.

    A shared store raises it instead of answering False, so a redelivery of an
    event whose worker is still running it (or died with it) is neither run
    twice nor acknowledged unhandled: it comes back once the claim is done or
    its lease has run out. It does not use up one of the event's attempts.
    """

    def __init__(self, event_id: str, retry_after: float) -> None:
        super().__init__(f"event {event_id} is claimed by another worker")
        self.retry_after = retry_after


def reclaimed(store: ProcessedStore, event_id: str) -> bool:
    """Whether the claim just made took over an expired one (the handler may have run).

    Optional for a store: one with claim leases (``lark_async.shared``) has a
    ``reclaimed(event_id)`` method; others never re-claim.
    """
    check = getattr(store, "reclaimed", None)
    return bool(check(event_id)) if callable(check) else False


class SharedReplay(Protocol):
    """The replay memory every ingress shares (``lark_async.shared``, PostgreSQL).

    The ingress asks it after its own in-process memory accepted a callback, so
    bytes accepted by one ingress are refused by every other. Entries expire by
    time only. A store that cannot be reached answers "nothing seen" (and says
    so in the log): the in-process memory still guards this ingress.
    """

    async def add(self, keys: Mapping[str, float]) -> set[str]:
        """Remember each key for its TTL (seconds); returns those already remembered."""

    async def discard(self, keys: Iterable[str]) -> None:
        """Forget keys (a callback answered 503, so Feishu's retry gets in)."""


class ProcessedMemoryFull(Exception):
    """The processed-event memory holds ``cap`` live ids: none is forgotten to add one.

    Forgetting a live id would let a redelivery run its handler again; the
    worker puts the event back for later instead and logs the cap to raise.
    """

    def __init__(self, cap: int) -> None:
        super().__init__(f"the processed-event memory is full ({cap} live ids)")
        self.cap = cap


class MemoryProcessedStore:
    """In-process :class:`ProcessedStore`: ids are forgotten by time (``ttl``).

    ``max_entries`` (default: none) caps the ids held, running or done; at the
    cap ``claim`` raises :class:`ProcessedMemoryFull` rather than forget one.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        check_number(ttl, "ttl", positive=True)
        if max_entries is not None:
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
        if self._max is not None and len(self._running) + len(self._done) >= self._max:
            raise ProcessedMemoryFull(self._max)
        self._running.add(event_id)
        return True

    async def done(self, event_id: str) -> None:
        self._running.discard(event_id)
        self._done.pop(event_id, None)
        self._done[event_id] = self._now() + self._ttl

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

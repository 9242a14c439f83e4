"""Per-recipient spacing for sends, so a well-behaved caller never sees 230020.

Feishu limits IM sends per recipient (5 QPS to one user, 5 QPS per group shared
by all bots; CONTRACT §3) and per app (50/s and 1000/min). The app's windows are
the client's rate limiter's ``im`` family (``lark_async.core.ratelimit``), which
every IM call passes through; this module adds only what the client cannot
know: who a send is for.

Feishu's windows are fixed (aligned seconds), which a token bucket does not
respect: a bucket of 5 with 5/s refill lets 10 through inside one aligned
second. So sends to one recipient are *spaced* at least ``1/qps`` apart, widened
by a small ``margin`` for network jitter. A send reserves its slot at once and
then sleeps on the injectable clock until it (no lock, no loop-bound state:
tests take no real time, and any event loop works).
"""

from __future__ import annotations

from collections import OrderedDict

from lark_async.core.clock import Clock

DEFAULT_RECIPIENT_QPS = 5.0
DEFAULT_MARGIN = 0.05


class RecipientSpacing:
    """Sends to one key at least ``1/qps`` (plus margin) apart.

    Keeps the next free slot of recent keys in a bounded LRU, so memory stays
    flat however many recipients a job touches. A key evicted while still
    "hot" would at worst allow one early send; with the default 10,000 keys
    that needs 10,000 other recipients within 0.2 s.
    """

    def __init__(
        self,
        qps: float = DEFAULT_RECIPIENT_QPS,
        *,
        margin: float = DEFAULT_MARGIN,
        max_keys: int = 10_000,
    ) -> None:
        if qps <= 0 or max_keys <= 0:
            raise ValueError("qps and max_keys must be positive")
        self.interval = (1.0 / qps) * (1.0 + margin)
        self._max_keys = max_keys
        self._next: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._next)

    def reserve(self, key: str, now: float) -> float:
        """Take the next slot for ``key``; returns the seconds to wait for it."""
        slot = max(now, self._next.get(key, now))
        self._next[key] = slot + self.interval
        self._next.move_to_end(key)
        while len(self._next) > self._max_keys:
            self._next.popitem(last=False)
        return slot - now


class SendPacer:
    """Spaces the sends to each recipient; ``recipients=None`` turns it off."""

    def __init__(self, clock: Clock, *, recipients: RecipientSpacing | None = None) -> None:
        self._clock = clock
        self.recipients = recipients

    async def acquire(self, key: str | None = None) -> None:
        """Wait until a send to ``key`` may go (None: nothing to wait for)."""
        if key is None or self.recipients is None:
            return
        wait = self.recipients.reserve(key, self._clock.monotonic())
        if wait > 0:
            await self._clock.sleep(wait)

"""Client-side pacing for sends, so a well-behaved caller never sees 230020 or 429.

Feishu limits IM sends per app (50/s and 1000/min) and per recipient (5 QPS to
one user, 5 QPS per group shared by all bots; CONTRACT §3). Its windows are
fixed (aligned seconds/minutes), which a token bucket does not respect: a
bucket of 5 with 5/s refill lets 10 through inside one aligned second. So:

- per recipient, sends are *spaced* at least ``1/qps`` apart (no burst);
- per app, a sliding log admits at most ``count`` sends in any ``period``.

A send is admitted only when both agree *at the same moment*, and is counted
at that moment, so time spent waiting for one limit can never bunch sends up
for the other. Both read the injectable clock (tests take no real time), and
both widen their windows by a small ``margin`` to absorb network jitter
between the client's clock and the server's.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence

from lark_async.core.clock import Clock

DEFAULT_APP_WINDOWS: tuple[tuple[int, float], ...] = ((50, 1.0), (1000, 60.0))
DEFAULT_RECIPIENT_QPS = 5.0
DEFAULT_MARGIN = 0.05


class RecipientSpacing:
    """Sends to one key at least ``1/qps`` (plus margin) apart.

    Keeps the last send time of recent keys in a bounded LRU, so memory stays
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
        self._last: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._last)

    def wait(self, key: str, now: float) -> float:
        last = self._last.get(key)
        return 0.0 if last is None else max(0.0, last + self.interval - now)

    def record(self, key: str, now: float) -> None:
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self._max_keys:
            self._last.popitem(last=False)


class SlidingWindows:
    """At most ``count`` sends in any ``period`` seconds, for every window given."""

    def __init__(
        self,
        windows: Sequence[tuple[int, float]] = DEFAULT_APP_WINDOWS,
        *,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        if not windows or any(c <= 0 or p <= 0 for c, p in windows):
            raise ValueError("windows must be (count > 0, period > 0) pairs")
        self.windows = [(count, period * (1.0 + margin)) for count, period in windows]
        self._logs: list[deque[float]] = [deque() for _ in windows]

    def wait(self, now: float) -> float:
        wait = 0.0
        for (count, period), log in zip(self.windows, self._logs, strict=True):
            while log and log[0] <= now - period:
                log.popleft()
            if len(log) >= count:
                wait = max(wait, log[0] + period - now)
        return wait

    def record(self, now: float) -> None:
        for log in self._logs:
            log.append(now)


class SendPacer:
    """Admits a send when the recipient and the app both have room; either may be off."""

    def __init__(
        self,
        clock: Clock,
        *,
        recipients: RecipientSpacing | None = None,
        app: SlidingWindows | None = None,
    ) -> None:
        self._clock = clock
        self.recipients = recipients
        self.app = app

    async def acquire(self, key: str | None = None) -> None:
        """Wait until a send to ``key`` (None: only the app limit) may go, and count it."""
        if self.recipients is None and self.app is None:
            return
        while True:
            now = self._clock.monotonic()
            wait = self.app.wait(now) if self.app is not None else 0.0
            if key is not None and self.recipients is not None:
                wait = max(wait, self.recipients.wait(key, now))
            if wait <= 0:
                break
            # Nothing is reserved while asleep: on waking, check again, since
            # another sender may have taken the room in the meantime.
            await self._clock.sleep(wait)
        if self.app is not None:
            self.app.record(now)
        if key is not None and self.recipients is not None:
            self.recipients.record(key, now)

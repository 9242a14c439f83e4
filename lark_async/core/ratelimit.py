"""Client-side rate limiting per app and endpoint family (CONTRACT §14).

Staying under Feishu's documented limits means a well-behaved client rarely
sees a 429. Limits are per app (Feishu counts per app per tenant) and per
family, since each API family has its own budget.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from aiolimiter import AsyncLimiter


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float
    period: float = 1.0


# Documented per-app limits, by family (CONTRACT §14). A family may have
# several windows (1000/min & 50/s): a call must fit all of them.
TIER4 = (Limit(50), Limit(1000, 60.0))  # "1000/min & 50/s", the most common tier

DEFAULT_LIMITS: dict[str, tuple[Limit, ...]] = {
    "auth": TIER4,
    "im": TIER4,
    "im.chat": TIER4,
    "card.update": TIER4,
    "bitable.write": (Limit(50),),
    "bitable.read": (Limit(20),),
    "bitable.schema": (Limit(10),),
    "sheets": (Limit(100),),
    "sheets.v3": (Limit(100, 60.0),),
    "sheets.v3.write": (Limit(20, 60.0),),
    "docx.read": (Limit(5),),
    "docx.write": (Limit(3),),
    "drive.media": (Limit(5),),
    "drive.permission": (Limit(100, 60.0),),
    "contact": TIER4,
    "apaas": (Limit(10),),
    "default": TIER4,
}

# Longest prefix wins. Writes and reads differ for Bitable and docx.
_PREFIXES: list[tuple[str, str]] = [
    ("/open-apis/auth/", "auth"),
    ("/open-apis/authen/", "auth"),
    ("/open-apis/im/v1/chats", "im.chat"),
    ("/open-apis/im/", "im"),
    ("/open-apis/message/v4/", "im"),
    ("/open-apis/interactive/v1/card/update", "card.update"),
    ("/open-apis/sheets/v3/", "sheets.v3"),
    ("/open-apis/sheets/", "sheets"),
    ("/open-apis/drive/v1/media", "drive.media"),
    ("/open-apis/drive/v1/permissions", "drive.permission"),
    ("/open-apis/drive/v2/permissions", "drive.permission"),
    ("/open-apis/contact/", "contact"),
    ("/open-apis/apaas/", "apaas"),
]


@lru_cache(maxsize=4096)
def family_of(method: str, path: str) -> str:
    """The rate-limit family of a request."""
    if path.startswith("/open-apis/bitable/"):
        if "/records" in path:
            if path.endswith(("/search", "/batch_get")) or method == "GET":
                return "bitable.read"
            return "bitable.write"
        return "bitable.read" if method == "GET" else "bitable.schema"
    if path.startswith("/open-apis/sheets/v3/") and method in ("POST", "PATCH"):
        return "sheets.v3.write"  # create/patch spreadsheet: 20/min
    if path.startswith("/open-apis/docx/"):
        return "docx.read" if method == "GET" else "docx.write"
    best = ""
    family = "default"
    for prefix, fam in _PREFIXES:
        if path.startswith(prefix) and len(prefix) > len(best):
            best, family = prefix, fam
    return family


LimitSpec = Limit | tuple[float, float] | Sequence[Limit | tuple[float, float]]


def _one(item: object) -> Limit:
    if isinstance(item, Limit):
        return item
    if (
        isinstance(item, tuple)
        and len(item) == 2
        and all(isinstance(x, (int, float)) and x > 0 for x in item)
    ):
        return Limit(float(item[0]), float(item[1]))
    raise ValueError(f"a rate limit is Limit(rate, period) or (rate, period), not {item!r}")


def _limits(spec: LimitSpec) -> tuple[Limit, ...]:
    """``Limit``, ``(rate, period)`` or a sequence of them."""
    if isinstance(spec, Limit) or (
        isinstance(spec, tuple) and len(spec) == 2 and not isinstance(spec[0], (Limit, tuple))
    ):
        return (_one(spec),)
    out = tuple(_one(item) for item in spec)
    if not out:
        raise ValueError("a rate limit family needs at least one window")
    return out


class _SlidingWindow:
    """At most ``limit`` calls in any ``period``-long stretch (a log of send times).

    Used for the longer windows (1000/min): strict for every window alignment
    the server might use, without spacing calls the way the pacer does.
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()  # first come, first served

    async def acquire(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                while self._times and now - self._times[0] >= self.period:
                    self._times.popleft()
                if len(self._times) < self.limit:
                    self._times.append(now)
                    return
                await asyncio.sleep(self.period - (now - self._times[0]))


class ClientRateLimiter:
    """Per (app_id, family): a pacer for the shortest window, sliding logs for the rest.

    The pacer holds a single slot refilled every ``period / (rate * headroom)``
    seconds, so calls are spaced evenly instead of bursting: a bucket as deep
    as the rate would let up to twice the rate land in one of the server's
    one-second windows, which is exactly the 429 this exists to avoid. Longer
    windows (1000/min) are enforced strictly by a log of recent calls.
    ``headroom`` (default 0.95) leaves room for network jitter.
    """

    def __init__(
        self,
        limits: Mapping[str, LimitSpec] | None = None,
        *,
        enabled: bool = True,
        headroom: float = 0.95,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], got {headroom}")
        self.enabled = enabled
        self.headroom = headroom
        self.limits: dict[str, tuple[Limit, ...]] = dict(DEFAULT_LIMITS)
        for fam, spec in (limits or {}).items():
            self.limits[fam] = _limits(spec)
        self._buckets: dict[tuple[str, str], AsyncLimiter] = {}
        self._windows: dict[tuple[str, str], list[_SlidingWindow]] = {}

    def _family_limits(self, family: str) -> tuple[Limit, ...]:
        lims = self.limits.get(family) or self.limits["default"]
        return tuple(sorted(lims, key=lambda lim: lim.period))

    def _bucket(self, app_id: str, family: str) -> AsyncLimiter:
        key = (app_id, family)
        bucket = self._buckets.get(key)
        if bucket is None:
            first, *rest = self._family_limits(family)
            bucket = AsyncLimiter(1, first.period / (first.rate * self.headroom))
            self._buckets[key] = bucket
            self._windows[key] = [
                _SlidingWindow(int(lim.rate * self.headroom), lim.period) for lim in rest
            ]
        return bucket

    async def acquire(self, app_id: str, family: str) -> None:
        if not self.enabled:
            return
        bucket = self._bucket(app_id, family)
        for window in self._windows[(app_id, family)]:
            await window.acquire()
        await bucket.acquire()

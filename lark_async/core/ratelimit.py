"""Client-side rate limiting per app and endpoint family (CONTRACT §14).

Staying under Feishu's documented limits means a well-behaved client rarely
sees a 429. Limits are per app (Feishu counts per app per tenant) and per
family, since each API family has its own budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from aiolimiter import AsyncLimiter


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float
    period: float = 1.0


# Documented per-app limits, by family (CONTRACT §14). Minute limits that
# coexist with a per-second one (1000/min & 50/s) are represented by the
# tighter per-second figure plus the minute budget being respected by it.
DEFAULT_LIMITS: dict[str, Limit] = {
    "auth": Limit(50),
    "im": Limit(50),
    "im.chat": Limit(50),
    "card.update": Limit(50),
    "bitable.write": Limit(50),
    "bitable.read": Limit(20),
    "bitable.schema": Limit(10),
    "sheets": Limit(100),
    "sheets.v3": Limit(100, 60.0),
    "docx.read": Limit(5),
    "docx.write": Limit(3),
    "drive.media": Limit(5),
    "drive.permission": Limit(100, 60.0),
    "contact": Limit(50),
    "apaas": Limit(10),
    "default": Limit(50),
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
    if path.startswith("/open-apis/docx/"):
        return "docx.read" if method == "GET" else "docx.write"
    best = ""
    family = "default"
    for prefix, fam in _PREFIXES:
        if path.startswith(prefix) and len(prefix) > len(best):
            best, family = prefix, fam
    return family


class ClientRateLimiter:
    """One pacing bucket per (app_id, family), created on first use.

    Buckets hold a single slot refilled every ``period / (rate * headroom)``
    seconds: calls are spaced evenly instead of bursting. A bucket as deep as
    the rate would let up to twice the rate land in one of the server's
    one-second windows, which is exactly the 429 this exists to avoid.
    ``headroom`` (default 0.95) leaves room for network jitter.
    """

    def __init__(
        self,
        limits: Mapping[str, Limit | tuple[float, float]] | None = None,
        *,
        enabled: bool = True,
        headroom: float = 0.95,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], got {headroom}")
        self.enabled = enabled
        self.headroom = headroom
        self.limits: dict[str, Limit] = dict(DEFAULT_LIMITS)
        for fam, lim in (limits or {}).items():
            self.limits[fam] = lim if isinstance(lim, Limit) else Limit(*lim)
        self._buckets: dict[tuple[str, str], AsyncLimiter] = {}

    def _bucket(self, app_id: str, family: str) -> AsyncLimiter:
        key = (app_id, family)
        bucket = self._buckets.get(key)
        if bucket is None:
            lim = self.limits.get(family) or self.limits["default"]
            bucket = AsyncLimiter(1, lim.period / (lim.rate * self.headroom))
            self._buckets[key] = bucket
        return bucket

    async def acquire(self, app_id: str, family: str) -> None:
        if self.enabled:
            await self._bucket(app_id, family).acquire()

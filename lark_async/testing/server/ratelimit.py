"""Per-app fixed-window rate limits by endpoint family (Feishu API-call and rate-limit docs).

A family has one or more windows, e.g. IM's "1000/min and 50/s"; filling any
window throttles. Windows are aligned to multiples of their period on the
emulator's clock, so a test moves past a window by advancing ``time_func``.
With ``sliding=True`` each window is any stretch of its period instead (the
last ``count`` requests of an app must span at least the period): stricter, as
a server may be, and what a client serving one app from several processes
must respect. Either way the count is per app, across all clients.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from lark_async.testing.server.routing import RouteSpec

Window = tuple[int, float]


@dataclass(frozen=True)
class FamilyLimit:
    """The windows (count, period seconds) of one family and the HTTP status it throttles with.

    Most families answer 429; docx block writes answer 400 (Feishu docx and rate-limit docs).
    """

    windows: tuple[Window, ...]
    status: int = 429


LimitSpec = FamilyLimit | Window | Sequence[Window]

_PER_APP_STANDARD = FamilyLimit(((50, 1.0), (1000, 60.0)))  # "1000/min & 50/s"

#: Documented limits per family; routes name their family when registered.
DEFAULT_FAMILIES: dict[str, FamilyLimit] = {
    "im": _PER_APP_STANDARD,
    "im.chat": _PER_APP_STANDARD,
    "authen": _PER_APP_STANDARD,
    "contact": _PER_APP_STANDARD,
    "contact.update_user_id": FamilyLimit(((20, 1.0),)),
    "bitable.write": FamilyLimit(((50, 1.0),)),
    "bitable.read": FamilyLimit(((20, 1.0),)),
    "bitable.schema_write": FamilyLimit(((10, 1.0),)),
    "sheets": FamilyLimit(((100, 1.0),)),
    "sheets.v3_write": FamilyLimit(((20, 60.0),)),
    "sheets.v3_read": FamilyLimit(((100, 60.0),)),
    "docx.create": FamilyLimit(((3, 1.0),)),
    "docx.read": FamilyLimit(((5, 1.0),)),
    "docx.write": FamilyLimit(((3, 1.0),), status=400),
    "drive.media": FamilyLimit(((5, 1.0),)),
    "drive.permission_write": FamilyLimit(((100, 60.0),)),
    "drive.permission_read": _PER_APP_STANDARD,
    "apaas": FamilyLimit(((10, 1.0),)),
    "apaas.records": _PER_APP_STANDARD,
    "apaas.flow": FamilyLimit(((100, 60.0),)),
    "aily": _PER_APP_STANDARD,
    "aily.run": FamilyLimit(((100, 60.0),)),  # create run, skill start
}


def to_limit(spec: LimitSpec) -> FamilyLimit:
    """Accept ``FamilyLimit``, ``(count, period)`` or a list of such windows."""
    if isinstance(spec, FamilyLimit):
        return spec
    single = _window(spec)
    windows = (single,) if single else tuple(_window(w) or _bad(spec) for w in spec)
    if not windows or any(count < 0 or period <= 0 for count, period in windows):
        _bad(spec)
    return FamilyLimit(windows)


def _window(value: object) -> Window | None:
    if isinstance(value, tuple | list) and len(value) == 2:
        count, period = value
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
            return int(count), float(period)
    return None


def _bad(spec: object) -> NoReturn:
    raise ValueError(f"bad rate limit {spec!r}: need (count >= 0, period > 0) windows")


@dataclass(frozen=True)
class Throttle:
    """Why a request was refused: the window it hit and the seconds until it resets."""

    family: str
    limit: int
    reset: int
    status: int = 429


class RateLimiter:
    """Counts requests per (app, family, window) and says when one is over the limit."""

    def __init__(
        self,
        time_func: Callable[[], float],
        overrides: Mapping[str, LimitSpec] | None = None,
        *,
        sliding: bool = False,
    ) -> None:
        self._now = time_func
        self.sliding = sliding
        # sliding: (app, family, period) -> times of the requests counted in the last period
        self._recent: dict[tuple[str, str, float], deque[float]] = {}
        self.families: dict[str, FamilyLimit] = dict(DEFAULT_FAMILIES)
        for family, spec in (overrides or {}).items():
            self.set(family, spec)
        self._assignments: list[tuple[RouteSpec, str | None]] = []
        # (app, family, period) -> (window index, requests counted in it)
        self._windows: dict[tuple[str, str, float], tuple[int, int]] = {}
        self.throttled: Counter[str] = Counter()

    def set(self, family: str, spec: LimitSpec | None) -> None:
        """Set or replace a family's limit; None makes the family unlimited."""
        if spec is None:
            self.families.pop(family, None)
        else:
            self.families[family] = to_limit(spec)

    def assign(self, spec: str, family: str | None) -> None:
        """Put the routes a spec selects in ``family`` (None: unlimited); latest wins."""
        self._assignments.insert(0, (RouteSpec(spec), family))

    def family_for(
        self, method: str, path: str, template: str | None, default: str | None
    ) -> str | None:
        for spec, family in self._assignments:
            if spec.matches(method, path, template):
                return family
        return default

    def hit(self, app_id: str, family: str) -> Throttle | None:
        """Count one request, or return the Throttle if a window is already full."""
        limit = self.families.get(family)
        if limit is None:
            return None
        now = self._now()
        if self.sliding:
            return self._hit_sliding(app_id, family, limit, now)
        current: list[tuple[tuple[str, str, float], int, int]] = []
        for count, period in limit.windows:
            key = (app_id, family, period)
            index = math.floor(now / period)
            seen_index, seen = self._windows.get(key, (index, 0))
            used = seen if seen_index == index else 0
            if used >= count:
                reset = max(1, math.ceil((index + 1) * period - now))
                self.throttled[family] += 1
                return Throttle(family, count, reset, limit.status)
            current.append((key, index, used))
        for key, index, used in current:
            self._windows[key] = (index, used + 1)
        return None

    def _hit_sliding(
        self, app_id: str, family: str, limit: FamilyLimit, now: float
    ) -> Throttle | None:
        lanes: list[deque[float]] = []
        for count, period in limit.windows:
            recent = self._recent.setdefault((app_id, family, period), deque())
            while recent and recent[0] <= now - period:
                recent.popleft()
            if len(recent) >= count:
                reset = max(1, math.ceil(recent[0] + period - now)) if recent else 1
                self.throttled[family] += 1
                return Throttle(family, count, reset, limit.status)
            lanes.append(recent)
        for recent in lanes:
            recent.append(now)
        return None

    def reset(self) -> None:
        """Forget every window's count (throttle counts stay)."""
        self._windows.clear()
        self._recent.clear()

    def throttled_count(self, family: str | None = None) -> int:
        return self.throttled.total() if family is None else self.throttled[family]

"""Client-side rate limiting per app and endpoint family (Feishu rate-limit docs).

Staying under Feishu's documented limits means a well-behaved client rarely
sees a 429. Limits are per app (Feishu counts per app per tenant) and per
family, since each API family has its own budget. The core knows no family but
``default``: the families, their limits and which paths belong to them come
from the services (``lark_async.services.catalog().limits``).

The limiter keeps no lock and no timer: a call reserves its slot at once (plain
arithmetic, nothing awaited in between), then sleeps on the injectable clock
until that slot. So it works on any event loop, from two ``asyncio.run`` calls
in a row, and in tests on a ``FakeClock`` without real waiting.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from lark_async.core import telemetry as _tm
from lark_async.core.checks import (
    bad_argument,
    check_bool,
    check_has,
    check_int,
    check_number,
    check_str,
)
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``rate`` calls per ``period`` seconds."""

    rate: float
    period: float = 1.0

    def __post_init__(self) -> None:
        # Bounded so the sliding window (one slot per call) stays a sane size.
        check_number(self.rate, "Limit rate", positive=True, max=MAX_RATE)
        check_number(self.period, "Limit period", positive=True)


MAX_RATE = 1_000_000  # calls per period; more is no limit at all
DEFAULT_FAMILY = "default"
# "1000/min & 50/s", Feishu's most common per-app tier: a call must fit both.
TIER4 = (Limit(50), Limit(1000, 60.0))

#: The core's own limits: only ``default``, for any path no service claims.
DEFAULT_LIMITS: Mapping[str, tuple[Limit, ...]] = MappingProxyType({DEFAULT_FAMILY: TIER4})

LimitSpec = Limit | tuple[float, float] | Sequence[Limit | tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Pace:
    """Calls of one app that share ``key`` go at least ``interval`` seconds apart.

    For limits the client cannot see in a path, such as Feishu's 5 sends per
    second to one chat: messaging passes ``Pace("im:chat_id:oc_...", 0.21)``
    with each send. The limiter checks it at the same moment as the family's
    windows, so waiting for one can never bunch calls up for the other.
    """

    key: str
    interval: float

    def __post_init__(self) -> None:
        check_str(self.key, "Pace key")
        check_number(self.interval, "Pace interval", positive=True)


def _one(item: object, name: str) -> Limit:
    if isinstance(item, Limit):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        rate, period = item
        try:
            Limit(rate, period)  # checks both
        except InvalidParameter as exc:
            raise bad_argument(name, exc.message.removeprefix("Limit ")) from None
        return Limit(float(rate), float(period))
    raise bad_argument(
        name, f"must be Limit(rate, period) or (rate, period), not {type(item).__name__}"
    )


def as_limits(spec: LimitSpec, name: str = "limit") -> tuple[Limit, ...]:
    """``Limit``, ``(rate, period)`` or a sequence of them, as a tuple of windows.

    Bad specs raise ``InvalidParameter`` (a ``ValueError``) naming ``name``.
    """
    if isinstance(spec, Limit) or (
        isinstance(spec, tuple) and len(spec) == 2 and not isinstance(spec[0], Limit | tuple)
    ):
        return (_one(spec, name),)
    if isinstance(spec, str | bytes) or not isinstance(spec, Sequence):
        raise bad_argument(
            name, f"must be Limit(rate, period) or (rate, period), not {type(spec).__name__}"
        )
    out = tuple(_one(item, f"{name}[{i}]") for i, item in enumerate(spec))
    if not out:
        raise bad_argument(name, "needs at least one window")
    return out


class _Window:
    """At most ``count`` reservations in any ``period``-long stretch.

    Only the last ``count`` reservations matter: the next one may go once the
    oldest of them is ``period`` old. Strict for every window alignment the
    server might use, without spacing calls the way the pacer does.
    """

    __slots__ = ("period", "times")

    def __init__(self, count: int, period: float) -> None:
        self.period = period
        self.times: deque[float] = deque(maxlen=max(1, count))

    def earliest(self) -> float:
        if len(self.times) == self.times.maxlen:
            return self.times[0] + self.period
        return -math.inf


class _Lane:
    """One (app, family): a pacer for the shortest window, strict windows for the rest."""

    __slots__ = ("interval", "next_free", "windows")

    def __init__(self, limits: Sequence[Limit], headroom: float) -> None:
        first, *rest = sorted(limits, key=lambda lim: lim.period)
        self.interval = first.period / (first.rate * headroom)
        self.next_free = -math.inf
        self.windows = [_Window(int(lim.rate * headroom), lim.period) for lim in rest]

    def reserve(self, now: float) -> float:
        """Take the earliest slot every window allows; returns its time."""
        slot = max(now, self.next_free)
        for window in self.windows:
            slot = max(slot, window.earliest())
        self.next_free = slot + self.interval
        for window in self.windows:
            window.times.append(slot)
        return slot


class _Spacing:
    """When the last call with one pace key goes, and the next one's turn to look."""

    __slots__ = ("last", "next_turn")

    def __init__(self) -> None:
        self.last = -math.inf
        self.next_turn = -math.inf


class Limiter(Protocol):
    """What the transport needs of a limiter: :class:`ClientRateLimiter`, or a
    shared one (``lark_async.shared.SharedRateLimiter``, limits shared through
    PostgreSQL by every process of an app)."""

    @property
    def enabled(self) -> bool: ...

    async def acquire(self, app_id: str, family: str, pace: Pace | None = None) -> None: ...


def strictest_interval(limits: Sequence[Limit], headroom: float) -> float:
    """Seconds between calls that keep every window's average rate (with headroom).

    A shared pacer spaces calls by this: it cannot see a burst the way a
    per-process sliding window does, so it keeps the slowest average instead.
    """
    return max(lim.period / (lim.rate * headroom) for lim in limits)


_EPSILON = 1e-9  # clock arithmetic: "now" may land a hair before the time slept to


class ClientRateLimiter:
    """Per (app_id, family): a pacer for the shortest window, strict sliding windows for the rest.

    The pacer spaces calls ``period / (rate * headroom)`` apart instead of
    letting them burst: a bucket as deep as the rate would let up to twice the
    rate land in one of the server's one-second windows, which is exactly the
    429 this exists to avoid. Longer windows (1000/min) are enforced strictly.
    ``headroom`` (default 0.95) leaves room for network jitter.

    ``defaults`` are the families' documented limits (the client passes
    ``catalog().limits``); ``limits`` overrides some of them. A family with no
    limit of its own uses ``default`` (50/s and 1000/min).

    A call may also carry a :class:`Pace` (per app and key, e.g. a chat): it is
    honoured even when the limiter is disabled, since it is the caller's own
    rule. The last ``max_pace_keys`` keys are remembered.
    """

    def __init__(
        self,
        limits: Mapping[str, LimitSpec] | None = None,
        *,
        defaults: Mapping[str, LimitSpec] | None = None,
        enabled: bool = True,
        headroom: float = 0.95,
        clock: Clock = SYSTEM_CLOCK,
        max_pace_keys: int = 10_000,
    ) -> None:
        headroom = check_number(headroom, "headroom", positive=True, max=1.0)
        self.enabled = check_bool(enabled, "enabled")
        check_has(clock, "clock", ("time", "monotonic", "sleep"), "a Clock")
        check_int(max_pace_keys, "max_pace_keys", min=1)
        self.headroom = headroom
        self.clock = clock
        self.limits: dict[str, tuple[Limit, ...]] = dict(DEFAULT_LIMITS)
        for label, source in (("defaults", defaults), ("limits", limits)):
            if source is None:
                continue
            if not isinstance(source, Mapping):
                raise bad_argument(label, f"must be a mapping, not {type(source).__name__}")
            for fam, spec in source.items():
                check_str(fam, f"{label} key", printable=True)
                self.limits[fam] = as_limits(spec, f"{label}[{fam[:40]!r}]")
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._spacings: OrderedDict[tuple[str, str], _Spacing] = OrderedDict()
        self._max_pace_keys = max(1, max_pace_keys)

    def _lane(self, app_id: str, family: str) -> _Lane:
        key = (app_id, family)
        lane = self._lanes.get(key)
        if lane is None:
            lims = self.limits.get(family) or self.limits[DEFAULT_FAMILY]
            lane = self._lanes[key] = _Lane(lims, self.headroom)
        return lane

    def reserve(self, app_id: str, family: str) -> float:
        """Reserve the next call's slot now; returns the seconds to wait before sending.

        The slot is taken even if the caller then gives up (a conservative
        miss, never a burst).
        """
        if not self.enabled:
            return 0.0
        now = self.clock.monotonic()
        return self._lane(app_id, family).reserve(now) - now

    async def acquire(self, app_id: str, family: str, pace: Pace | None = None) -> None:
        """Wait until a call of ``family`` for ``app_id`` (and ``pace``) may be sent."""
        if pace is not None:
            await self._acquire_paced(app_id, family, pace)
            return
        wait = self.reserve(app_id, family)
        if wait > 0:
            _tm.recorder.limiter_waited(app_id, family, wait)
            await self.clock.sleep(wait)

    def _spacing(self, app_id: str, key: str) -> _Spacing:
        spacings = self._spacings
        spacing = spacings.get((app_id, key))
        if spacing is None:
            spacing = spacings[(app_id, key)] = _Spacing()
            # A key evicted while still hot would allow one early call; with
            # 10,000 keys that needs 10,000 others within one interval.
            while len(spacings) > self._max_pace_keys:
                spacings.popitem(last=False)
        else:
            spacings.move_to_end((app_id, key))
        return spacing

    async def _acquire_paced(self, app_id: str, family: str, pace: Pace) -> None:
        clock = self.clock
        spacing = self._spacing(app_id, pace.key)
        now = started = clock.monotonic()
        # Turns spread the wake-ups of calls queued on one key; what decides is
        # the check below, against the slot the previous call actually took.
        ready = max(now, spacing.next_turn, spacing.last + pace.interval)
        spacing.next_turn = ready + pace.interval
        while ready - now > _EPSILON:
            await clock.sleep(ready - now)
            now = clock.monotonic()
            ready = spacing.last + pace.interval
        slot = self._lane(app_id, family).reserve(now) if self.enabled else now
        spacing.last = slot
        if slot > started:
            _tm.recorder.limiter_waited(app_id, family, slot - started)
        if slot > now:
            await clock.sleep(slot - now)

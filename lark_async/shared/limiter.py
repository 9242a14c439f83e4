"""Per-app limits shared by every process and host through PostgreSQL.

Each (app, family) is one shared schedule of call slots ``interval`` seconds
apart, kept as a single row (``lark_rate_lanes.next_free``, the database's
clock). A process leases a slice of consecutive slots with one statement (the
row lock orders the leases) and hands them to its callers locally, so most
calls need no round trip: a slice is as big as this process's recent demand
(at most ``lease_seconds`` of the family's rate). A slot nobody took in time is
dropped, never sent late in a burst; quota is lost that way, never exceeded.

The interval keeps every window's average (:func:`strictest_interval`): IM's
"50/s and 1000/min" is paced at 1000/min, since a shared schedule cannot see
bursts the way one process's sliding window does.

When PostgreSQL is down the process falls back to its own
:class:`ClientRateLimiter`, logging one ERROR a minute: then N processes may
send N times the quota, which is what the ERROR says.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque

from lark_async.core.clock import Clock
from lark_async.core.ratelimit import (
    DEFAULT_FAMILY,
    ClientRateLimiter,
    Pace,
    strictest_interval,
)
from lark_async.shared.db import SharedDatabase, SharedUnavailable

_EPSILON = 1e-9
# How late a leased slot may still be used: event-loop lag, not a burst.
_LATE = 0.005
_MAX_SLICE = 1000


class _Lane:
    """One (app, family) in this process: the slots it leased, and its demand."""

    __slots__ = (
        "dropped",
        "fetching",
        "interval",
        "last",
        "max_slice",
        "slots",
        "used",
        "waiting",
    )

    def __init__(self, interval: float, max_slice: int) -> None:
        self.interval = interval
        self.max_slice = max_slice
        self.slots: deque[float] = deque()  # leased slot times, local monotonic clock
        self.used: deque[float] = deque(maxlen=max_slice)  # when the last slots were taken
        self.fetching: asyncio.Future[None] | None = None
        self.waiting = 0
        self.last = -math.inf  # this process's latest slot
        self.dropped = 0  # leased slots nobody took in time

    def take(self, now: float) -> float | None:
        """The earliest leased slot still usable, or None.

        A slot more than ``late`` seconds past is dropped (quota lost, never a
        burst); one less late still goes, but never closer than ``interval``
        after this process's previous call.
        """
        slots = self.slots
        late = max(self.interval, _LATE)
        while slots and slots[0] < now - late:
            slots.popleft()
            self.dropped += 1
        if not slots:
            return None
        return self.spaced(slots.popleft(), now)

    def spaced(self, slot: float, now: float) -> float:
        slot = max(slot, self.last + self.interval)
        self.last = slot
        self.used.append(now)
        return slot

    def slice_size(self, now: float) -> int:
        """Enough slots for the callers waiting and the last second's pace."""
        recent = sum(1 for t in self.used if t > now - 1.0)
        return max(1, min(self.max_slice, max(self.waiting, recent)))


class SharedRateLimiter:
    """The transport's limiter (``Limiter``) for a client whose store is PostgreSQL.

    ``local`` gives the limits (families, windows, headroom, enabled) and is
    the fallback while the database is down. ``Pace`` keys (one chat's
    5/s) stay per process.
    """

    def __init__(
        self,
        db: SharedDatabase,
        local: ClientRateLimiter,
        *,
        lease_seconds: float = 0.25,
    ) -> None:
        self.db = db
        self.local = local
        self.clock: Clock = local.clock
        self.lease_seconds = lease_seconds
        self._pacer = ClientRateLimiter(enabled=False, clock=local.clock)
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._table = db.table("lark_rate_lanes")
        self.leases = 0  # statements sent (to measure the round trips saved)

    @property
    def dropped(self) -> int:
        """Leased slots this process let pass unused (quota given up, never exceeded)."""
        return sum(lane.dropped for lane in self._lanes.values())

    @property
    def enabled(self) -> bool:
        return self.local.enabled

    def _lane(self, app_id: str, family: str) -> _Lane:
        lane = self._lanes.get((app_id, family))
        if lane is None:
            limits = self.local.limits.get(family) or self.local.limits[DEFAULT_FAMILY]
            interval = strictest_interval(limits, self.local.headroom)
            biggest = max(1, min(_MAX_SLICE, math.floor(self.lease_seconds / interval)))
            lane = self._lanes[(app_id, family)] = _Lane(interval, biggest)
        return lane

    async def acquire(self, app_id: str, family: str, pace: Pace | None = None) -> None:
        if pace is not None:
            await self._pacer.acquire(app_id, family, pace)
        if not self.local.enabled:
            return
        try:
            slot = await self._slot(app_id, family)
        except SharedUnavailable as exc:
            self.db.report("rate limits", exc)
            await self.local.acquire(app_id, family)
            return
        wait = slot - self.clock.monotonic()
        if wait > _EPSILON:
            await self.clock.sleep(wait)

    async def _slot(self, app_id: str, family: str) -> float:
        lane = self._lane(app_id, family)
        lane.waiting += 1
        try:
            while True:
                slot = lane.take(self.clock.monotonic())
                if slot is not None:
                    return slot
                fetching = lane.fetching
                if fetching is not None and fetching.get_loop() is asyncio.get_running_loop():
                    await asyncio.shield(fetching)  # one lease at a time per lane
                    continue
                return await self._lease(app_id, family, lane)
        finally:
            lane.waiting -= 1

    async def _lease(self, app_id: str, family: str, lane: _Lane) -> float:
        """Lease a slice of slots: the first is the caller's, the rest wait in the lane."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        lane.fetching = done
        try:
            count = lane.slice_size(self.clock.monotonic())
            span = count * lane.interval
            sql = (
                f"INSERT INTO {self._table} AS l (app_id, family, next_free)"  # noqa: S608
                " VALUES ($1, $2, extract(epoch FROM clock_timestamp()) + $3)"
                " ON CONFLICT (app_id, family) DO UPDATE SET next_free ="
                " greatest(l.next_free, extract(epoch FROM clock_timestamp())) + $3,"
                " updated_at = now()"
                " RETURNING l.next_free - $3, extract(epoch FROM clock_timestamp())"
            )
            self.leases += 1
            row = await self.db.fetchrow(sql, app_id, family, span)
            # The database's times on this process's clock; the answer's own
            # travel time only makes the slots later (safe side).
            offset = self.clock.monotonic() - float(row[1])
            start = float(row[0]) + offset
            lane.slots.extend(start + i * lane.interval for i in range(1, count))
            return lane.spaced(start, self.clock.monotonic())
        finally:
            lane.fetching = None
            done.set_result(None)

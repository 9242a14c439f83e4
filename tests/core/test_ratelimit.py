"""The client-side rate limiter, on an injectable clock: no real waiting."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any

import pytest

from lark_async.core.clock import FakeClock, SystemClock
from lark_async.core.ratelimit import DEFAULT_LIMITS, ClientRateLimiter, Limit, Pace, as_limits


class StillClock(FakeClock):
    """Time moves only through ``advance``: every reservation made "at once"."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def _sequential(lim: ClientRateLimiter, clock: FakeClock, n: int, family: str) -> list[float]:
    """One caller after another: when each call was let through."""
    stamps = []
    for _ in range(n):
        await lim.acquire("app", family)
        stamps.append(clock.monotonic())
    return stamps


def _max_in_any_window(stamps: Sequence[float], period: float) -> int:
    """The most stamps in any half-open stretch (t - period, t]."""
    most, lo = 0, 0
    for hi, t in enumerate(stamps):
        while stamps[lo] <= t - period + 1e-9:
            lo += 1
        most = max(most, hi - lo + 1)
    return most


def _max_in_aligned_window(stamps: Sequence[float], period: float) -> int:
    counts: dict[int, int] = {}
    for t in stamps:
        bucket = int((t + 1e-9) // period)
        counts[bucket] = counts.get(bucket, 0) + 1
    return max(counts.values())


async def test_the_shortest_window_is_paced_evenly_not_burst() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter({"f": Limit(10)}, headroom=1.0, clock=clock)
    stamps = await _sequential(lim, clock, 12, "f")
    assert stamps == pytest.approx([i * 0.1 for i in range(12)])
    # a bucket as deep as the rate would have let 10 through at 0.0 and 10 more by 1.0
    assert _max_in_aligned_window(stamps, 1.0) == 10


async def test_headroom_widens_the_spacing() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter({"f": Limit(50)}, clock=clock)  # headroom 0.95
    stamps = await _sequential(lim, clock, 3, "f")
    assert stamps[1] - stamps[0] == pytest.approx(1 / (50 * 0.95))
    assert _max_in_aligned_window(await _sequential(lim, clock, 200, "f"), 1.0) <= 48


async def test_a_long_window_is_strict() -> None:
    """1000/min: the 1001st call waits for the first to be a minute old, however paced."""
    clock = FakeClock()
    lim = ClientRateLimiter({"im": [(50, 1.0), (1000, 60.0)]}, headroom=1.0, clock=clock)
    stamps = await _sequential(lim, clock, 2100, "im")
    assert stamps[999] == pytest.approx(999 / 50)  # the first 1000 only paced: 20 s
    assert stamps[1000] == pytest.approx(60.0)  # then the minute window is full
    assert _max_in_any_window(stamps, 60.0) == 1000
    assert _max_in_any_window(stamps, 1.0) <= 50


async def test_every_window_of_a_family_holds() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter({"f": [(5, 10.0), (3, 1.0)]}, headroom=1.0, clock=clock)
    stamps = await _sequential(lim, clock, 7, "f")
    # paced at 1/3 s by the shortest window; the 6th waits for the 10 s window
    assert stamps == pytest.approx([0, 1 / 3, 2 / 3, 1.0, 4 / 3, 10.0, 10 + 1 / 3])
    assert _max_in_any_window(stamps, 10.0) <= 5
    assert _max_in_any_window(stamps, 1.0) <= 3


async def test_the_im_family_holds_feishus_app_windows() -> None:
    """What messaging's own pacer used to do twice: 50/s and 1000/min per app."""
    from lark_async.services import catalog

    clock = FakeClock()
    lim = ClientRateLimiter(defaults=catalog().limits, clock=clock)
    stamps = await _sequential(lim, clock, 2000, "im")
    assert _max_in_aligned_window(stamps, 1.0) <= 50
    assert _max_in_any_window(stamps, 1.0) <= 50
    assert _max_in_any_window(stamps, 60.0) <= 1000
    assert _max_in_aligned_window(stamps, 60.0) <= 1000


async def test_concurrent_callers_get_evenly_spaced_slots_in_arrival_order() -> None:
    clock = StillClock()
    lim = ClientRateLimiter({"f": [(10, 1.0), (15, 60.0)]}, headroom=1.0, clock=clock)
    waits = [lim.reserve("app", "f") for _ in range(20)]
    assert waits[:15] == pytest.approx([i * 0.1 for i in range(15)])
    assert waits[15:] == pytest.approx([60.0 + i * 0.1 for i in range(5)])
    order: list[int] = []

    async def call(i: int) -> None:
        await lim.acquire("app", "f")
        order.append(i)

    await asyncio.gather(*(call(i) for i in range(5)))
    assert clock.sleeps == pytest.approx([60.5 + i * 0.1 for i in range(5)])
    assert order == list(range(5))


async def test_apps_and_families_are_independent() -> None:
    clock = StillClock()
    lim = ClientRateLimiter({"f": Limit(2, 60.0), "g": Limit(1)}, headroom=1.0, clock=clock)
    assert lim.reserve("a", "f") == 0.0
    assert lim.reserve("a", "f") == pytest.approx(30.0)  # a's f is busy
    assert lim.reserve("b", "f") == 0.0  # another app is not
    assert lim.reserve("a", "g") == 0.0  # nor another family
    assert lim.reserve("a", "unknown") == 0.0  # a family without limits uses "default"
    assert lim.reserve("a", "unknown") == pytest.approx(1 / 50)


async def test_idle_time_is_not_saved_up_for_a_burst() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter({"f": Limit(10)}, headroom=1.0, clock=clock)
    await lim.acquire("app", "f")
    clock.advance(30.0)
    stamps = await _sequential(lim, clock, 3, "f")
    assert [b - a for a, b in itertools.pairwise(stamps)] == pytest.approx([0.1, 0.1])


async def test_disabled_never_waits() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter({"f": Limit(1, 60.0)}, enabled=False, clock=clock)
    for _ in range(10):
        await lim.acquire("app", "f")
    assert clock.sleeps == [] and lim.reserve("app", "f") == 0.0


def test_works_from_consecutive_event_loops() -> None:
    """No lock, event or timer is bound to the loop that first used the limiter."""
    fake = FakeClock()
    lim = ClientRateLimiter({"f": Limit(10)}, headroom=1.0, clock=fake)
    asyncio.run(lim.acquire("app", "f"))
    asyncio.run(lim.acquire("app", "f"))  # paced against the call made on the first loop
    assert fake.sleeps == pytest.approx([0.1])
    real = ClientRateLimiter({"f": Limit(1000)}, clock=SystemClock())

    async def burst() -> None:
        await asyncio.gather(*(real.acquire("app", "f") for _ in range(3)))

    asyncio.run(burst())
    asyncio.run(burst())


def test_limit_specs_accept_limits_tuples_and_sequences() -> None:
    lim = ClientRateLimiter({"a": (10, 1), "b": Limit(5), "c": [(50, 1), (1000, 60)]})
    assert lim.limits["a"] == (Limit(10, 1),)
    assert lim.limits["b"] == (Limit(5),)
    assert lim.limits["c"] == (Limit(50, 1), Limit(1000, 60))
    assert lim.limits["default"] == (Limit(50), Limit(1000, 60.0))  # the core's own default
    assert as_limits((Limit(3), Limit(9, 60))) == (Limit(3), Limit(9, 60))
    for bad in ((0, 1), ("x", 1), [], (5, -1), "50/s", [(1, 1), (True, 1)]):
        with pytest.raises(ValueError):
            ClientRateLimiter({"x": bad})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        Limit(0)  # refused where it is made
    with pytest.raises(ValueError):
        ClientRateLimiter(headroom=0)


def test_defaults_come_from_outside_and_limits_override_them() -> None:
    assert dict(DEFAULT_LIMITS) == {"default": (Limit(50), Limit(1000, 60.0))}
    lim = ClientRateLimiter(
        {"svc.write": (2, 1.0)}, defaults={"svc.read": Limit(20), "svc.write": Limit(10)}
    )
    assert lim.limits["svc.read"] == (Limit(20),)
    assert lim.limits["svc.write"] == (Limit(2, 1.0),)
    assert "default" in lim.limits
    custom_default = ClientRateLimiter({"default": Limit(5)})
    assert custom_default.limits["default"] == (Limit(5),)


# -- a per-key pace (messaging's sends to one chat), checked with the windows -------------


class VirtualClock:
    """Sleepers wake in time order when every task is waiting: concurrency without real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + max(0.0, seconds), next(self._seq), fut))
        await fut

    async def run(self, *coros: Any) -> None:
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers:
                self._sleepers.sort(key=lambda s: (s[0], s[1]))
                when, _, fut = self._sleepers.pop(0)
                self.now = max(self.now, when)
                fut.set_result(None)
        await asyncio.gather(*tasks)


async def test_a_pace_is_checked_against_the_slot_the_previous_call_took() -> None:
    """60 sends to others queue first; sends to one chat must still go 0.2 s apart.

    Spacing the chat's sends before they queue for the app's windows would let
    them out 0.02 s apart once the queue drains (Feishu: 230020).
    """
    clock = VirtualClock()
    lim = ClientRateLimiter({"im": [(50, 1.0), (1000, 60.0)]}, headroom=1.0, clock=clock)
    sent: list[tuple[str, float]] = []

    async def send(key: str) -> None:
        await lim.acquire("app", "im", Pace(key, 0.2))
        sent.append((key, clock.now))

    await clock.run(*(send(f"ou_{i}") for i in range(60)), *(send("oc_group") for _ in range(8)))
    group = [t for key, t in sent if key == "oc_group"]
    assert len(group) == 8 and group[0] >= 60 * 0.02 - 1e-9  # queued behind the others
    assert all(b - a >= 0.2 - 1e-9 for a, b in itertools.pairwise(group))
    assert _max_in_aligned_window(group, 1.0) <= 5
    every = sorted(t for _, t in sent)
    assert _max_in_any_window(every, 1.0) <= 50  # and the app's window still holds
    assert every[-1] < group[0] + 8 * 0.2  # the others did not wait for the group


async def test_a_pace_holds_when_the_limiter_is_off_and_keys_are_independent() -> None:
    clock = VirtualClock()
    lim = ClientRateLimiter(enabled=False, clock=clock)
    sent: list[tuple[str, float]] = []

    async def send(key: str) -> None:
        await lim.acquire("app", "im", Pace(key, 0.25))
        sent.append((key, clock.now))

    await clock.run(*(send(k) for k in ["a", "b", "a", "a", "c", "a"]))
    assert [t for k, t in sent if k == "a"] == pytest.approx([0.0, 0.25, 0.5, 0.75])
    assert [t for k, t in sent if k != "a"] == [0.0, 0.0]
    other_app = ClientRateLimiter(enabled=False, clock=clock)
    await other_app.acquire("app", "im", Pace("a", 0.25))  # limiters share nothing
    with pytest.raises(ValueError):
        Pace("a", 0)


async def test_pace_keys_are_bounded_per_limiter() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter(enabled=False, clock=clock, max_pace_keys=100)
    for i in range(1000):
        await lim.acquire("app", "im", Pace(f"ou_{i}", 0.2))
    assert clock.sleeps == [] and len(lim._spacings) == 100


def test_a_pace_works_from_consecutive_event_loops() -> None:
    clock = FakeClock()
    lim = ClientRateLimiter(enabled=False, clock=clock)
    asyncio.run(lim.acquire("app", "im", Pace("oc_1", 0.2)))
    asyncio.run(lim.acquire("app", "im", Pace("oc_1", 0.2)))
    assert clock.sleeps == pytest.approx([0.2])

"""Per-recipient spacing on an injectable clock: no real waiting.

The app's IM windows (50/s, 1000/min) are the client's rate limiter's ``im``
family: see tests/core/test_ratelimit.py and test_fanout.py.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
from lark_async.messaging import Messaging
from lark_async.messaging.pacing import RecipientSpacing, SendPacer


def _pacer(clock: FakeClock, qps: float | None = 5.0) -> SendPacer:
    return SendPacer(clock, recipients=RecipientSpacing(qps, margin=0.0) if qps else None)


async def test_sends_to_one_recipient_are_spaced_not_burst() -> None:
    clock = FakeClock()
    pacer = _pacer(clock)
    times = []
    for _ in range(6):
        await pacer.acquire("ou_1")
        times.append(clock.monotonic())
    assert times == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    # at most 5 in any aligned second, unlike a bucket that bursts 5 then refills
    assert sum(1 for t in times if t < 1.0) == 5


async def test_recipients_are_independent_and_memory_is_bounded() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock, recipients=RecipientSpacing(5.0, max_keys=100))
    for i in range(1000):
        await pacer.acquire(f"ou_{i}")
    assert clock.sleeps == []  # different recipients never wait for each other
    assert pacer.recipients is not None and len(pacer.recipients) == 100


class StillClock(FakeClock):
    """Time moves only through ``advance``: sleeps are recorded, not taken."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def test_concurrent_senders_to_one_recipient_stay_spaced() -> None:
    clock = StillClock()
    pacer = _pacer(clock)
    await asyncio.gather(*(pacer.acquire("oc_1") for _ in range(4)))
    # all four asked at t=0: the first goes at once, the others wake 0.2 s apart
    assert clock.sleeps == pytest.approx([0.2, 0.4, 0.6])
    wakes = [0.0, *clock.sleeps]
    assert all(b - a >= 0.2 - 1e-9 for a, b in itertools.pairwise(wakes))


def test_slots_are_reserved_at_once_in_arrival_order() -> None:
    spacing = RecipientSpacing(5.0, margin=0.0)
    assert [spacing.reserve("a", 0.0) for _ in range(3)] == pytest.approx([0.0, 0.2, 0.4])
    assert spacing.reserve("b", 0.0) == 0.0
    assert spacing.reserve("a", 10.0) == 0.0  # idle time is not saved up for a burst
    assert spacing.reserve("a", 10.0) == pytest.approx(0.2)


async def test_margin_widens_the_spacing_and_none_turns_it_off() -> None:
    assert RecipientSpacing(5.0, margin=0.05).interval == pytest.approx(0.21)
    clock = FakeClock()
    for _ in range(3):
        await SendPacer(clock).acquire("x")  # off: nothing to wait for
        await _pacer(clock).acquire(None)  # no recipient (an upload, a read)
    assert clock.sleeps == []


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RecipientSpacing(0)
    with pytest.raises(ValueError):
        RecipientSpacing(5.0, max_keys=0)


def test_the_pacer_works_from_consecutive_event_loops() -> None:
    clock = FakeClock()
    pacer = _pacer(clock)
    asyncio.run(pacer.acquire("ou_1"))
    asyncio.run(pacer.acquire("ou_1"))
    assert clock.sleeps == pytest.approx([0.2])


async def test_configure_pacing_refuses_bad_values(msg: Messaging) -> None:
    with pytest.raises(InvalidParameter, match="recipient_qps"):
        msg.configure_pacing(recipient_qps=-1)
    with pytest.raises(InvalidParameter, match="app_windows"):
        msg.configure_pacing(app_windows=[(0, 1.0)])
    with pytest.raises(InvalidParameter, match="margin"):
        msg.configure_pacing(margin=2)
    msg.configure_pacing(recipient_qps=None, app_windows=None)  # both off is allowed


async def test_app_windows_are_the_clients_limiter_now(msg: Messaging) -> None:
    with pytest.warns(DeprecationWarning, match="rate_limits=\\{'im'"):
        msg.configure_pacing(app_windows=((50, 1.0), (1000, 60.0)))

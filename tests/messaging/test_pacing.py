"""Client-side pacing on an injectable clock: no real waiting."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from lark_async.core.clock import FakeClock
from lark_async.messaging.pacing import RecipientSpacing, SendPacer, SlidingWindows


def _pacer(
    clock: FakeClock, qps: float | None = 5.0, windows: list[tuple[int, float]] | None = None
) -> SendPacer:
    return SendPacer(
        clock,
        recipients=RecipientSpacing(qps, margin=0.0) if qps else None,
        app=SlidingWindows(windows, margin=0.0) if windows else None,
    )


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


async def test_concurrent_senders_to_one_recipient_stay_spaced() -> None:
    clock = FakeClock()
    pacer = _pacer(clock)
    granted: list[float] = []

    async def send() -> None:
        await pacer.acquire("oc_1")
        granted.append(clock.monotonic())

    await asyncio.gather(*(send() for _ in range(4)))
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert len(granted) == 4 and all(g >= 0.2 - 1e-9 for g in gaps)


async def test_app_windows_hold_every_window() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=None, windows=[(3, 1.0), (5, 10.0)])
    stamps = []
    for _ in range(7):
        await pacer.acquire()
        stamps.append(clock.monotonic())
    assert stamps[:3] == [0.0, 0.0, 0.0]
    assert stamps[3] == pytest.approx(1.0)  # the 1 s window was full
    assert stamps[5] == pytest.approx(10.0)  # the 10 s window was full after 5
    for i, t in enumerate(stamps):
        assert sum(1 for u in stamps[: i + 1] if u > t - 1.0) <= 3


async def test_both_limits_are_checked_at_the_moment_of_sending() -> None:
    """Waiting for the app window must not let two sends to one recipient bunch up."""
    clock = FakeClock()
    pacer = _pacer(clock, qps=5.0, windows=[(2, 1.0)])
    granted: list[tuple[str, float]] = []

    async def send(key: str) -> None:
        await pacer.acquire(key)
        granted.append((key, clock.monotonic()))

    await asyncio.gather(*(send(k) for k in ["a", "b", "a", "a", "c", "a"]))
    a_times = [t for k, t in granted if k == "a"]
    assert all(b - a >= 0.2 - 1e-9 for a, b in itertools.pairwise(a_times))
    all_times = sorted(t for _, t in granted)
    for t in all_times:
        assert sum(1 for u in all_times if t - 1.0 < u <= t) <= 2


async def test_margin_widens_the_spacing() -> None:
    assert RecipientSpacing(5.0, margin=0.05).interval == pytest.approx(0.21)
    [(count, period)] = SlidingWindows([(50, 1.0)], margin=0.05).windows
    assert count == 50 and period == pytest.approx(1.05)
    clock = FakeClock()
    await SendPacer(clock).acquire("x")  # both off: nothing to wait for
    assert clock.sleeps == []


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RecipientSpacing(0)
    with pytest.raises(ValueError):
        SlidingWindows([])
    with pytest.raises(ValueError):
        SlidingWindows([(0, 1.0)])


async def test_configure_pacing_refuses_bad_values(lark: object) -> None:
    from lark_async.core.errors import InvalidParameter
    from lark_async.messaging import Messaging

    msg = lark.messaging  # type: ignore[attr-defined]
    assert isinstance(msg, Messaging)
    with pytest.raises(InvalidParameter, match="recipient_qps"):
        msg.configure_pacing(recipient_qps=-1)
    with pytest.raises(InvalidParameter, match="app_windows"):
        msg.configure_pacing(app_windows=[(0, 1.0)])
    with pytest.raises(InvalidParameter, match="margin"):
        msg.configure_pacing(margin=2)
    msg.configure_pacing(recipient_qps=None, app_windows=None)  # both off is allowed

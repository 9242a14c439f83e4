"""The emulator's per-app limits as a sliding window, counted across all clients."""

from __future__ import annotations

from lark_async.testing.server.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def burst(limiter: RateLimiter, clock: Clock, at: float, n: int, app: str = "cli_a") -> int:
    clock.t = at
    return sum(limiter.hit(app, "bitable.write") is None for _ in range(n))


def test_sliding_window_refuses_a_burst_across_a_window_edge() -> None:
    clock = Clock()
    aligned = RateLimiter(clock, {"bitable.write": (5, 1.0)})
    assert burst(aligned, clock, 0.9, 5) + burst(aligned, clock, 1.1, 5) == 10  # two windows
    sliding = RateLimiter(clock, {"bitable.write": (5, 1.0)}, sliding=True)
    assert burst(sliding, clock, 0.9, 5) == 5
    assert burst(sliding, clock, 1.1, 5) == 0  # 5 already within the last second
    throttle = sliding.hit("cli_a", "bitable.write")
    assert throttle is not None and throttle.reset == 1
    assert burst(sliding, clock, 1.95, 5) == 5  # the first five are a second old
    assert burst(sliding, clock, 1.95, 1, app="cli_b") == 1  # per app
    assert sliding.throttled_count("bitable.write") == 6

"""A hand-driven clock to pass as ``time_func``, so tests move time without sleeping."""

from __future__ import annotations


class ManualClock:
    """Callable returning a time that only changes through ``advance``/``set``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += seconds

    def set(self, now: float) -> None:
        self._now = now

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"

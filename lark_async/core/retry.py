"""Retries, decided in one place.

:func:`backoff` is the one backoff formula of the library: the transport, the
Bitable bulk engine and the callback worker all wait what it says.
:class:`RetryPolicy` is the client's policy (public name).
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

_RNG = random.Random()


def backoff(
    retry_index: int,
    *,
    base: float = 1.0,
    cap: float = 30.0,
    jitter: float = 0.2,
    schedule: Sequence[float] | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``retry_index + 1`` (``retry_index`` >= 0).

    Exponential by default (``base * 2**retry_index``, at most ``cap``); with a
    ``schedule`` the n-th retry waits ``schedule[n]`` (the last entry repeats).
    ``jitter`` spreads each delay by ± that fraction so clients that failed
    together do not retry together.
    """
    index = max(0, retry_index)
    if schedule:
        delay = float(schedule[min(index, len(schedule) - 1)])
    else:
        delay = min(cap, base * (2.0 ** min(index, 62)))
    if jitter:
        delay *= 1 + (rng or _RNG).uniform(-jitter, jitter)
    return max(0.0, delay)


@dataclass(slots=True)
class RetryPolicy:
    """How the client retries a call (``LarkClient(retry=...)``)."""

    max_retries: int = 3
    backoff_base: float = 1.0  # 1 s, 2 s, 4 s ...
    backoff_max: float = 30.0
    jitter: float = 0.2  # ± fraction of each delay
    rate_limit_default_wait: float = 30.0
    rate_limit_max_wait: float = 60.0
    token_refetches: int = 2

    def backoff(self, retry_index: int, rng: random.Random | None = None) -> float:
        return backoff(
            retry_index, base=self.backoff_base, cap=self.backoff_max, jitter=self.jitter, rng=rng
        )

    def rate_limit_wait(self, reset_header: str | None) -> float:
        wait = self.rate_limit_default_wait
        if reset_header:
            with contextlib.suppress(ValueError):
                wait = float(reset_header)
        if not math.isfinite(wait):
            wait = self.rate_limit_default_wait
        return max(0.0, min(wait, self.rate_limit_max_wait))

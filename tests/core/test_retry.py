"""``core.retry.backoff``, the library's one backoff formula, as a table."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from lark_async.core.retry import backoff


@pytest.mark.parametrize(
    ("retry_index", "base", "cap", "schedule", "expected"),
    [
        # exponential: base * 2**index
        (0, 1.0, 30.0, None, 1.0),
        (1, 1.0, 30.0, None, 2.0),
        (3, 1.0, 30.0, None, 8.0),
        (2, 0.25, 30.0, None, 1.0),
        # ... never past the cap, however many retries
        (5, 1.0, 30.0, None, 30.0),
        (4, 1.0, 30.0, None, 16.0),
        (1_000, 1.0, 30.0, None, 30.0),
        (3, 0.2, 5.0, None, 1.6),
        (6, 0.2, 5.0, None, 5.0),
        # a zero base never waits
        (4, 0.0, 30.0, None, 0.0),
        # a negative index counts as the first retry
        (-1, 1.0, 30.0, None, 1.0),
        (-50, 2.0, 30.0, None, 2.0),
        # a schedule: the n-th retry waits schedule[n], the last entry repeats
        (0, 1.0, 30.0, (1, 5, 30, 120), 1.0),
        (2, 1.0, 30.0, (1, 5, 30, 120), 30.0),
        (3, 1.0, 30.0, (1, 5, 30, 120), 120.0),  # past the cap: a schedule is taken as given
        (9, 1.0, 30.0, (1, 5, 30, 120), 120.0),
        (-3, 1.0, 30.0, (1, 5), 1.0),
        (7, 1.0, 30.0, (0.5,), 0.5),
        # an empty schedule falls back to the exponential
        (2, 1.0, 30.0, (), 4.0),
    ],
)
def test_backoff_without_jitter(
    retry_index: int, base: float, cap: float, schedule: Sequence[float] | None, expected: float
) -> None:
    got = backoff(retry_index, base=base, cap=cap, jitter=0.0, schedule=schedule)
    assert got == pytest.approx(expected)
    assert isinstance(got, float)


@pytest.mark.parametrize(
    ("retry_index", "jitter", "schedule", "nominal"),
    [
        (0, 0.2, None, 1.0),
        (2, 0.2, None, 4.0),
        (10, 0.2, None, 30.0),
        (1, 0.5, None, 2.0),
        (1, 0.1, (1, 5, 30), 5.0),
        (8, 0.25, (1, 5, 30), 30.0),
    ],
)
def test_jitter_stays_within_its_fraction(
    retry_index: int, jitter: float, schedule: Sequence[float] | None, nominal: float
) -> None:
    rng = random.Random(1234)
    delays = [
        backoff(retry_index, base=1.0, cap=30.0, jitter=jitter, schedule=schedule, rng=rng)
        for _ in range(500)
    ]
    low, high = nominal * (1 - jitter), nominal * (1 + jitter)
    assert all(low <= d <= high for d in delays)
    # spread over the band, not stuck at one value
    assert min(delays) < nominal * (1 - jitter / 2) < nominal * (1 + jitter / 2) < max(delays)


def test_a_seeded_rng_gives_the_same_delays() -> None:
    def run(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [backoff(i, jitter=0.2, rng=rng) for i in range(8)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_jitter_draws_one_number_per_delay_and_none_without_jitter() -> None:
    # Callers that share an rng (the bulk engine) get the same sequence as before.
    rng, twin = random.Random(5), random.Random(5)
    backoff(3, jitter=0.2, rng=rng)
    twin.random()
    assert rng.random() == twin.random()
    backoff(3, jitter=0.0, rng=rng)
    assert rng.random() == twin.random()


def test_backoff_is_never_negative() -> None:
    assert backoff(0, base=-1.0, jitter=0.0) == 0.0
    assert backoff(0, schedule=(-2.0,), jitter=0.5, rng=random.Random(0)) == 0.0


def test_the_client_policy_and_the_handler_retry_use_it() -> None:
    from lark_async.callbacks import HandlerRetry
    from lark_async.core.retry import RetryPolicy

    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0, jitter=0.0)
    assert [policy.backoff(i) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    worker = HandlerRetry(5, (1, 5, 30))
    assert [worker.delay(n) for n in range(1, 6)] == [
        backoff(n - 1, schedule=(1, 5, 30), jitter=0.0) for n in range(1, 6)
    ]

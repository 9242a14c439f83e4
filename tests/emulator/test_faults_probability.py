"""Faults that fire for a share of requests (chaos and soak runs), repeatably."""

from __future__ import annotations

import pytest

from lark_async.testing import FakeLark
from lark_async.testing.server.faults import Faults


def _hits(seed: int, p: float, n: int = 2000) -> int:
    faults = Faults(seed)
    rule = faults.fail("GET /x", times=None, probability=p)
    for _ in range(n):
        faults.take(("fail",), "GET", "/x", None)
    return rule.hits


def test_probability_fires_about_that_share_and_repeats_with_the_seed() -> None:
    assert 10 <= _hits(1, 0.01) <= 35
    assert _hits(7, 0.05) == _hits(7, 0.05)


@pytest.mark.parametrize("p", [0, -0.1, 1.5])
def test_bad_probability_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        FakeLark().faults.drop("GET /x", probability=p)

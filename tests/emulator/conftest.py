"""Fixtures for the emulator's own tests: a hand-driven clock, the emulator, a raw aiohttp session.

Every test that uses ``fake`` also fails if one of its requests crashed a handler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from lark_async.testing import FakeLark, ManualClock
from tests.emulator.helpers import APP_ID, APP_SECRET


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeLark]:
    async with FakeLark(time_func=clock) as emulator:
        emulator.add_app(APP_ID, APP_SECRET, tenant_key="t_abc")
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture(autouse=True)
def handler_errors_are_bugs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose requests crashed an emulator handler (the fake answered HTTP 500).

    A test that crashes a handler on purpose clears ``fake.handler_errors`` once it has
    checked them.
    """
    if "fake" not in request.fixturenames:
        yield
        return
    fake: FakeLark = request.getfixturevalue("fake")
    yield
    assert fake.handler_errors == []

"""Fixtures for the emulator's own tests: a hand-driven clock and a raw aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator

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

"""Fixtures for the messaging tests: one clock shared by the client and the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.messaging import Messaging
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator
from tests.helpers import client_for, emulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[FakeLark]:
    async with emulator(clock) as f:
        yield f


@pytest.fixture
def im(fake: FakeLark) -> ImEmulator:
    return ImEmulator.of(fake)


@pytest.fixture
async def lark(fake: FakeLark, clock: FakeClock) -> AsyncIterator[LarkClient]:
    async with client_for(fake, clock) as client:
        yield client


@pytest.fixture
def msg(lark: LarkClient) -> Messaging:
    service = lark.messaging
    assert isinstance(service, Messaging)
    return service


@pytest.fixture
def user(im: ImEmulator) -> str:
    return im.add_user(name="Ann", email="ann@example.com")["open_id"]

"""Fixtures for the docs tests: a client, the emulator and an empty document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import DocsEmulator, FakeLark
from tests.helpers import client_for, emulator


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    docs: DocsEmulator
    doc_id: str
    clock: FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def env(clock: FakeClock) -> AsyncIterator[Env]:
    """An empty document and a client pointed at the emulator (simulated time)."""
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        docs = DocsEmulator.of(fake)
        yield Env(fake, lark, docs, docs.create_document("Test"), clock)
        assert fake.handler_errors == []

"""Fixtures for the Sheets tests: a client, the emulator and a seeded spreadsheet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark, SheetsEmulator
from tests.helpers import client_for, emulator


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    sh: SheetsEmulator
    token: str
    sid: str
    clock: FakeClock

    def rng(self, a1: str) -> str:
        return f"{self.sid}!{a1}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def env(clock: FakeClock) -> AsyncIterator[Env]:
    """One spreadsheet with a 200 x 20 "Sheet1", and a client pointed at the emulator."""
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        sh = SheetsEmulator.of(fake)
        token = sh.create_spreadsheet("Test", [("Sheet1", 200, 20)])
        yield Env(fake, lark, sh, token, sh.sheet_id(token, "Sheet1"), clock)
        assert fake.handler_errors == []

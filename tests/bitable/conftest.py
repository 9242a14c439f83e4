"""Fixtures: an emulator with one base and a People table, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from tests.helpers import client_for, emulator

PEOPLE = [
    {"field_name": "Name", "type": 1},
    {"field_name": "Age", "type": 2},
    {"field_name": "Active", "type": 7},
    {"field_name": "Team", "type": 3},
    {"field_name": "Note", "type": 1},
]


@dataclass
class Env:
    fake: Any
    bt: Any
    lark: LarkClient
    clock: FakeClock
    app_token: str
    table_id: str

    def records(self, table_id: str | None = None) -> list[dict[str, Any]]:
        return list(self.bt.records(self.app_token, table_id or self.table_id))

    def table(self, name: str, fields: list[dict[str, Any]] | None = None) -> str:
        return str(self.bt.create_table(self.app_token, name=name, fields=fields or PEOPLE))


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    from lark_async.testing.bitable import BitableEmulator

    clock = FakeClock()
    async with emulator(clock) as fake:
        bt = BitableEmulator.of(fake)
        app_token = bt.create_app(name="Test base")
        table_id = bt.create_table(app_token, name="People", fields=PEOPLE)
        async with client_for(fake, clock) as lark:
            yield Env(fake, bt, lark, clock, app_token, table_id)

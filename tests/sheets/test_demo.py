"""The Sheets demo runs end to end against the emulator and leaves what it says it made."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async.core.clock import FakeClock
from lark_async.demos.sheets import DATA_ROWS, HEADER, demo
from lark_async.testing import SheetsEmulator
from tests.helpers import client_for, emulator


async def test_demo_builds_the_report() -> None:
    clock = FakeClock()
    out = io.StringIO()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        summary = await demo(fake, lark, Console(file=out, width=120))
        sh = SheetsEmulator.of(fake)
        (token,) = sh.state.spreadsheets
        sid = sh.sheet_ids(token)[0]
        values = sh.values(token, sid)
        styles = sh.styles(token, sid)
        assert values[1][:6] == HEADER
        assert values[2][0] == "SO-000001" and values[1 + DATA_ROWS][0] == f"SO-{DATA_ROWS:06d}"
        assert styles[(2, 1)]["font"]["bold"] is True
        assert sh.merges(token, sid) == [f"{sid}!A1:F1"]
        assert sh.frozen(token, sid) == (2, 1)
        assert sh.dimensions(token, sid)["cols"] == {2: 180}
        assert sh.concurrent_writes == 0
        assert fake.handler_errors == []
    assert set(summary) == {"sheets: create", "sheets: write", "sheets: read", "sheets: format"}
    assert "matches: True" in summary["sheets: read"]
    assert "12,000 rows" in summary["sheets: write"]
    assert "90227" in out.getvalue()

"""Tests of SheetsEmulator itself: seeding and inspection."""

from __future__ import annotations

import pytest

from lark_async.testing import FakeLark, SheetsEmulator


def test_seeding_and_inspection(fake: FakeLark) -> None:
    sh = SheetsEmulator.of(fake)
    token = sh.create_spreadsheet(title="S", sheets=[("Sheet1", 3, 2), ("Two", 1, 1)])
    assert token.startswith("shtcn") and len(token) == 27
    sid = sh.sheet_id(token, "Sheet1")
    assert len(sid) == 6 and sid.isalnum()
    assert sh.sheet_ids(token) == [sid, sh.sheet_id(token, "Two")]
    assert sh.values(token, sid) == [[None, None]] * 3
    assert sh.styles(token, sid) == {} and sh.merges(token, sid) == []
    assert sh.dimensions(token, sid) == {"rows": {}, "cols": {}}
    assert sh.hidden(token, sid) == {"rows": set(), "cols": set()}
    assert sh.frozen(token, sid) == (0, 0) and sh.size(token, sid) == (3, 2)
    assert sh.revision(token) == 0 and sh.write_calls == 0 and sh.concurrent_writes == 0
    assert sh.cell(token, f"{sid}!A1") is None
    third = sh.add_sheet(token, "Three", 5, 5)
    assert sh.sheet_ids(token)[-1] == third and sh.size(token, third) == (5, 5)
    assert SheetsEmulator.of(fake).state is sh.state
    assert "spreadsheets=1" in repr(sh)
    assert sh.max_read_bytes == 10 * 1024 * 1024
    sh.max_read_bytes = 100
    assert sh.max_read_bytes == 100


def test_seeding_errors(fake: FakeLark) -> None:
    sh = SheetsEmulator.of(fake)
    with pytest.raises(ValueError, match="at least one"):
        sh.create_spreadsheet(sheets=[])
    with pytest.raises(ValueError, match="unique"):
        sh.create_spreadsheet(sheets=[("A", 1, 1), ("A", 1, 1)])
    with pytest.raises(ValueError, match="rows"):
        sh.create_spreadsheet(sheets=[("A", 0, 1)])
    with pytest.raises(ValueError, match="cells"):
        sh.create_spreadsheet(sheets=[("A", 5000, 1001)])
    token = sh.create_spreadsheet()
    sid = sh.sheet_id(token, "Sheet1")
    assert sh.size(token, sid) == (200, 20)  # Feishu's default grid
    with pytest.raises(KeyError):
        sh.sheet_id(token, "Nope")
    with pytest.raises(KeyError):
        sh.values("shtcnNope", sid)
    with pytest.raises(KeyError):
        sh.values(token, "nope00")
    with pytest.raises(ValueError, match="already titled"):
        sh.add_sheet(token, "Sheet1")
    with pytest.raises(ValueError, match="one cell"):
        sh.cell(token, f"{sid}!A1:B2")
    with pytest.raises(ValueError, match="negative"):
        sh.set_write_latency(-0.1)
    with pytest.raises(ValueError, match="positive"):
        sh.max_read_bytes = 0

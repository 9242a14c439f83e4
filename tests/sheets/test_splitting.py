"""Split-and-retry, serial writes and partial failures, driven by a scripted server.

The scripted server (tests/sheets/scripted.py) answers 90221/90227 above
limits a test chooses, so the halving and joining can be checked exactly.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import (
    ErrorKind,
    InvalidParameter,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
)
from tests.helpers import client_for
from tests.sheets.scripted import Scripted, box, scripted_emulator

TOKEN = "shtcnScripted0001"
VALUES = "/open-apis/sheets/v2/spreadsheets/{token}/values"


def grid(rows: int, cols: int, start: int = 0) -> list[list[Any]]:
    return [[f"r{start + r}c{c}" for c in range(cols)] for r in range(rows)]


def fill(script: Scripted, rows: int, cols: int) -> list[list[Any]]:
    values = grid(rows, cols)
    script.put(1, 1, values)
    return values


def cells_of(text: str) -> int:
    _, r1, c1, r2, c2 = box(text)
    return (r2 - r1 + 1) * (c2 - c1 + 1)


# -- reads -------------------------------------------------------------------
async def test_small_read_is_one_request(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=1000) as (fake, script):
        expected = fill(script, 3, 2)
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.get_sheet_data(TOKEN, "sh0001!A1:B3")).unwrap()
    assert data.values == expected
    assert data.requests == 1
    assert script.reads == ["sh0001!A1:B3"]


async def test_too_large_read_is_split_by_rows_and_joined(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=40) as (fake, script):
        expected = fill(script, 30, 4)
        async with client_for(fake, clock) as lark:
            resp = await lark.sheets.get_sheet_data(TOKEN, "sh0001!A1:D30")
    data = resp.unwrap()
    assert data.values == expected
    assert data.value_range.range == "sh0001!A1:D30"
    # whole (120) → 15 rows (60) → 8 rows (32): blocks of 8, 8, 8, 6 rows
    assert script.reads[:3] == ["sh0001!A1:D30", "sh0001!A1:D15", "sh0001!A1:D8"]
    assert all(cells_of(r) <= 40 for r in script.reads[2:])
    assert data.requests == len(script.reads) == 6


async def test_open_range_is_bounded_by_the_sheet_then_split(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=50, rows=60, cols=20) as (fake, script):
        expected = fill(script, 12, 3)  # rows 13..60 are empty
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.get_sheet_data(TOKEN, "sh0001!A:C")).unwrap()
    assert data.values == expected  # trailing empty rows dropped
    assert data.value_range.range == "sh0001!A1:C60"
    assert (
        fake.journal.count(path="/open-apis/sheets/v3/spreadsheets/{token}/sheets/{sheet_id}") == 1
    )


async def test_a_single_row_too_large_is_read_in_column_halves(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=3) as (fake, script):
        expected = fill(script, 2, 8)
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.get_sheet_data(TOKEN, "sh0001!A1:H2")).unwrap()
    assert data.values == expected
    assert "sh0001!A1:B1" in script.reads and "sh0001!G2:H2" in script.reads


async def test_split_read_pads_short_answers(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=4) as (fake, script):
        script.put(1, 1, [["a", None], [None, None], [None, "b"]])
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.get_sheet_data(TOKEN, "sh0001!A1:B3")).unwrap()
    assert data.values == [["a", None], [None, None], [None, "b"]]


async def test_split_read_failure_reports_progress(clock: FakeClock) -> None:
    # read 1: whole range → 90221; read 2: rows 1-4 ok; read 3: rows 5-8 refused
    async with (
        scripted_emulator(clock, max_read_cells=8, fail_reads={3: 90213}) as (fake, _),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.get_sheet_data(TOKEN, "sh0001!A1:B8")
    assert isinstance(resp.error, PermissionDenied)
    assert resp.error.details == {"read_rows": 4, "failed_range": "sh0001!A5:B8"}
    assert resp.data is None


async def test_stream_yields_padded_blocks_and_adapts(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=12, rows=10, cols=3) as (fake, script):
        expected = fill(script, 10, 3)
        async with client_for(fake, clock) as lark:
            blocks = [b async for b in lark.sheets.iter_sheet_data(TOKEN, "sh0001", block_rows=6)]
    joined = [row for b in blocks for row in b.values]
    assert joined == expected
    assert [b.start_row for b in blocks] == [1, 4, 7, 10]  # 6 rows too large → 3 from then on
    assert all(len(b.values) == b.range.row_count for b in blocks)


async def test_stream_raises_the_typed_error(clock: FakeClock) -> None:
    async with scripted_emulator(clock) as (fake, _), client_for(fake, clock) as lark:
        with pytest.raises(NotFound):
            async for _ in lark.sheets.iter_sheet_data(TOKEN, "nosuch!A:B"):
                pass
        with pytest.raises(InvalidParameter):
            lark.sheets.iter_sheet_data(TOKEN, "sh0001!A:B", block_rows=0)
    assert fake.journal.count(path=VALUES + "/{range}") == 0


async def test_batch_get_falls_back_to_single_reads(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_read_cells=10) as (fake, script):
        fill(script, 6, 3)
        async with client_for(fake, clock) as lark:
            resp = await lark.sheets.batch_get_sheet_data(TOKEN, ["sh0001!A1:C3", "sh0001!A4:B6"])
    data = resp.unwrap()
    assert [vr.range for vr in data.value_ranges] == ["sh0001!A1:C3", "sh0001!A4:B6"]
    assert data.value_ranges[1].values == [["r3c0", "r3c1"], ["r4c0", "r4c1"], ["r5c0", "r5c1"]]
    assert data.total_cells == 15
    assert script.reads[0] == "batch:sh0001!A1:C3,sh0001!A4:B6"
    assert data.requests == len(script.reads)


async def test_batch_get_fallback_failure_reports_progress(clock: FakeClock) -> None:
    # the batch → 90221; first range alone ok; the second range alone refused
    async with (
        scripted_emulator(clock, max_read_cells=10, fail_reads={3: 90213}) as (fake, _),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.batch_get_sheet_data(TOKEN, ["sh0001!A1:C3", "sh0001!A4:B6"])
    assert isinstance(resp.error, PermissionDenied)
    assert resp.error.details == {"read_ranges": 1, "failed_range": "sh0001!A4:B6"}


# -- writes ------------------------------------------------------------------
async def test_too_large_write_is_halved_until_it_fits(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_write_cells=10) as (fake, script):
        values = grid(6, 4)
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.update_sheet_data(TOKEN, "sh0001!B2", values)).unwrap()
        assert script.values(2, 2, 7, 5) == values
    assert data.updated_range == "sh0001!B2:E7"
    assert data.updated_cells == 24
    assert script.writes == ["sh0001!B2:E3", "sh0001!B4:E4", "sh0001!B5:E6", "sh0001!B7:E7"]
    # 1 refused whole + 2 refused halves + 4 accepted
    assert data.requests == fake.journal.count(method="PUT", path=VALUES) == 7


async def test_big_grids_are_cut_into_5000_by_100_blocks(clock: FakeClock) -> None:
    async with scripted_emulator(clock) as (fake, script):
        tall = [[i] for i in range(5_001)]
        wide = [list(range(101))]
        async with client_for(fake, clock) as lark:
            t = (await lark.sheets.update_sheet_data(TOKEN, "sh0001!A1", tall)).unwrap()
            w = (await lark.sheets.update_sheet_data(TOKEN, "sh0001!B1", wide)).unwrap()
    assert script.writes == [
        "sh0001!A1:A5000",
        "sh0001!A5001:A5001",
        "sh0001!B1:CW1",
        "sh0001!CX1:CX1",
    ]
    assert (t.requests, t.updated_rows, t.updated_cells) == (2, 5_001, 5_001)
    assert (w.requests, w.updated_columns) == (2, 101)


async def test_one_cell_still_too_large_fails_with_details(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, max_write_cells=0) as (fake, script),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.update_sheet_data(TOKEN, "sh0001!A1", [["x", "y"]])
    assert isinstance(resp.error, InvalidParameter) and resp.error.code == 90227
    assert resp.error.details == {"written_ranges": [], "failed_range": "sh0001!A1:A1"}
    assert script.writes == []


async def test_failure_midway_says_which_blocks_were_written(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, fail_writes={2: 90213}) as (fake, script),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.update_sheet_data(TOKEN, "sh0001!A1", [[1]] * 12_000)
    assert isinstance(resp.error, PermissionDenied)
    assert "share it with the app" in (resp.error.hint or "")
    assert resp.error.details == {
        "written_ranges": ["sh0001!A1:A5000"],
        "failed_range": "sh0001!A5001:A10000",
    }
    assert script.writes == ["sh0001!A1:A5000"]  # nothing after the failure


async def test_value_writes_are_retried_because_idempotent(clock: FakeClock) -> None:
    async with scripted_emulator(clock) as (fake, script):
        fake.faults.fail(f"PUT {VALUES}", times=2, status=500, code=1500)
        async with client_for(fake, clock) as lark:
            resp = await lark.sheets.update_sheet_data(TOKEN, "sh0001!A1", [[1, 2]])
    assert resp.ok and resp.attempts == 3
    assert len(clock.sleeps) == 2  # backoff, on the injected clock
    assert script.writes == ["sh0001!A1:B1"]


async def test_concurrent_writes_to_one_spreadsheet_are_serial(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, write_delay=0.002) as (fake, script),
        client_for(fake, clock) as lark,
    ):
        results = await asyncio.gather(
            *(
                lark.sheets.update_sheet_data(TOKEN, f"sh0001!A{i + 1}", [[i] * 3])
                for i in range(6)
            ),
            lark.sheets.append_sheet_data(TOKEN, "sh0001!A:C", [[9, 9, 9]]),
        )
    assert all(r.ok for r in results)
    assert script.peak == 1


async def test_different_spreadsheets_are_written_in_parallel(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, write_delay=0.005) as (fake, script),
        client_for(fake, clock) as lark,
    ):
        results = await asyncio.gather(
            *(
                lark.sheets.update_sheet_data(f"shtcnParallel{i}", "sh0001!A1", [[i]])
                for i in range(4)
            )
        )
    assert all(r.ok for r in results)
    assert script.peak > 1


async def test_a_multi_block_write_is_not_interleaved(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, max_write_cells=2, write_delay=0.001) as (fake, script),
        client_for(fake, clock) as lark,
    ):
        await asyncio.gather(
            lark.sheets.update_sheet_data(TOKEN, "sh0001!A1", [["a"]] * 4),
            lark.sheets.update_sheet_data(TOKEN, "sh0001!B1", [["b"]] * 4),
        )
    columns = [w.split("!")[1][0] for w in script.writes]
    assert columns in (["A", "A", "B", "B"], ["B", "B", "A", "A"])


async def test_batch_update_packs_then_splits_on_90227(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, max_write_cells=6) as (fake, script),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.batch_update_sheet_data(
            TOKEN,
            [
                ("sh0001!A1", [[1, 2]]),
                ("sh0001!A3:B4", [[3, 4], [5, 6]]),
                ("sh0001!D1", [[7], [8], [9], [10]]),
            ],
        )
        assert script.values(1, 1, 1, 2) == [[1, 2]]
        assert script.values(1, 4, 4, 4) == [[7], [8], [9], [10]]
    data = resp.unwrap()
    assert [r.updated_range for r in data.responses] == [
        "sh0001!A1:B1",
        "sh0001!A3:B4",
        "sh0001!D1:D4",
    ]
    assert [r.updated_cells for r in data.responses] == [2, 4, 4]
    # 10 cells refused → [A1, A3] (6) ok, [D1:D4] (4) ok
    assert data.requests == 3


async def test_batch_update_failure_names_written_and_failed(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, max_write_cells=2, fail_writes={2: 90218}) as (fake, _),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.batch_update_sheet_data(
            TOKEN, {"sh0001!A1": [[1, 2]], "sh0001!C1": [[3, 4]]}
        )
    assert isinstance(resp.error, PermissionDenied) and resp.error.code == 90218
    assert resp.error.details == {
        "written_ranges": ["sh0001!A1:B1"],
        "failed_ranges": ["sh0001!C1:D1"],
    }


# -- appends -----------------------------------------------------------------
async def test_append_halves_on_90227_and_keeps_order(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_write_cells=4) as (fake, script):
        values = grid(7, 2)
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.append_sheet_data(TOKEN, "sh0001!A:B", values)).unwrap()
        assert script.values(1, 1, 7, 2) == values
    assert data.updates.updated_rows == 7
    assert data.updates.updated_cells == 14
    assert data.updates.updated_range == "sh0001!A1:B7"


async def test_prepend_of_many_blocks_keeps_the_callers_order(clock: FakeClock) -> None:
    async with scripted_emulator(clock, max_write_cells=2) as (fake, script):
        script.put(1, 1, [["old"]])
        values = [[f"new{i}"] for i in range(5)]
        async with client_for(fake, clock) as lark:
            data = (await lark.sheets.prepend_sheet_data(TOKEN, "sh0001!A1:A1", values)).unwrap()
        assert script.values(1, 1, 6, 1) == [*values, ["old"]]
    assert data.updates.updated_rows == 5
    assert data.updates.updated_range == "sh0001!A1:A5"


async def test_append_is_never_resent_blindly(clock: FakeClock) -> None:
    async with scripted_emulator(clock) as (fake, script):
        fake.faults.drop(
            "POST /open-apis/sheets/v2/spreadsheets/{token}/values_append", after_processing=True
        )
        async with client_for(fake, clock) as lark:
            resp = await lark.sheets.append_sheet_data(TOKEN, "sh0001!A:B", [[1, 2]])
    assert isinstance(resp.error, OutcomeUnknown)
    assert resp.error.kind in (ErrorKind.NETWORK, ErrorKind.TIMEOUT)
    assert script.writes == ["append@1+1"]  # written once, not twice
    assert fake.journal.count(path="/open-apis/sheets/v2/spreadsheets/{token}/values_append") == 1


async def test_append_5xx_after_sending_is_outcome_unknown(clock: FakeClock) -> None:
    async with scripted_emulator(clock) as (fake, _):
        fake.faults.fail(
            "POST /open-apis/sheets/v2/spreadsheets/{token}/values_append", status=500, code=1500
        )
        async with client_for(fake, clock) as lark:
            resp = await lark.sheets.append_sheet_data(TOKEN, "sh0001!A:B", [[1, 2]])
    assert isinstance(resp.error, OutcomeUnknown)
    assert resp.attempts == 1


async def test_append_rate_limited_is_retried_safely(clock: FakeClock) -> None:
    async with scripted_emulator(clock) as (fake, script):
        fake.faults.rate_limit(
            "POST /open-apis/sheets/v2/spreadsheets/{token}/values_append", times=1, reset=3
        )
        async with client_for(fake, clock) as lark:
            resp = await lark.sheets.append_sheet_data(TOKEN, "sh0001!A:B", [[1, 2]])
    assert resp.ok and resp.attempts == 2
    assert clock.sleeps == [3.0]
    assert len(script.writes) == 1


async def test_append_failure_midway_reports_rows_written(clock: FakeClock) -> None:
    async with (
        scripted_emulator(clock, fail_writes={2: 90218}) as (fake, _),
        client_for(fake, clock) as lark,
    ):
        resp = await lark.sheets.append_sheet_data(TOKEN, "sh0001!A:A", [[1]] * 7_000)
    assert resp.error is not None
    assert resp.error.details == {"written_rows": 5_000, "failed_rows": 2_000}

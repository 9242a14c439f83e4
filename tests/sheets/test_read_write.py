"""Values against the emulator: reads, chunked writes, batches, appends, serial writes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from lark_async.core.errors import InvalidParameter, NotFound, OutcomeUnknown
from lark_async.sheets import InsertDataOption, SheetRange
from tests.helpers import APP_ID, APP_SECRET
from tests.sheets.conftest import Env

V2 = "/open-apis/sheets/v2/spreadsheets/{spreadsheet_token}"


def rows(n: int, cols: int = 3, start: int = 0) -> list[list[Any]]:
    return [[f"r{start + i}"] + [start + i + c for c in range(1, cols)] for i in range(n)]


async def test_round_trip_with_an_anchor_cell(env: Env) -> None:
    data = [["Name", "Qty", "Ok"], ["apple", 3, True], ["pear", 2.5, None]]
    written = (await env.lark.sheets.update_sheet_data(env.token, env.rng("B2"), data)).unwrap()
    assert written.updated_range == env.rng("B2:D4")
    assert (written.updated_rows, written.updated_columns, written.updated_cells) == (3, 3, 9)
    assert written.requests == 1 and written.revision == env.sh.revision(env.token)
    assert [r[1:4] for r in env.sh.values(env.token, env.sid)[1:4]] == data

    read = (await env.lark.sheets.get_sheet_data(env.token, env.rng("B2:D4"))).unwrap()
    assert read.values == data
    assert read.spreadsheet_token == env.token and read.requests == 1

    sent = env.fake.journal.filter(method="PUT", path=V2 + "/values")[0].json
    assert sent == {"valueRange": {"range": env.rng("B2:D4"), "values": data}}


async def test_typed_range_and_read_options(env: Env) -> None:
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), [[1.0, True]])
    rng = SheetRange.cells(env.sid, 1, "A", 1, "B")
    read = await env.lark.sheets.get_sheet_data(env.token, rng, value_render_option="ToString")
    assert read.unwrap().values == [["1", "TRUE"]]
    entry = env.fake.journal.filter(method="GET", path=V2 + "/values/{range}")[-1]
    assert entry.query.get("valueRenderOption") == "ToString"


async def test_open_range_reads_up_to_the_data(env: Env) -> None:
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), rows(5))
    read = (await env.lark.sheets.get_sheet_data(env.token, env.rng("A:C"))).unwrap()
    assert read.values == rows(5)


async def test_12000_rows_go_in_5000_row_blocks_one_at_a_time(env: Env) -> None:
    data = rows(12_000, 4)
    env.sh.set_write_latency(0.001)
    resp = await env.lark.sheets.update_sheet_data(env.token, env.rng("A2"), data)
    written = resp.unwrap()
    assert written.requests == 3
    assert written.updated_range == env.rng("A2:D12001")
    assert written.updated_cells == 48_000
    puts = env.fake.journal.filter(method="PUT", path=V2 + "/values")
    assert [p.json["valueRange"]["range"] for p in puts] == [
        env.rng("A2:D5001"),
        env.rng("A5002:D10001"),
        env.rng("A10002:D12001"),
    ]
    assert env.sh.concurrent_writes == 0
    assert [r[:4] for r in env.sh.values(env.token, env.sid)[1:12_001]] == data
    assert env.sh.size(env.token, env.sid)[0] == 12_001  # the grid grew


async def test_90227_from_the_server_halves_the_block(env: Env) -> None:
    env.fake.faults.fail(f"PUT {V2}/values", times=2, status=400, code=90227, msg="TooLarge")
    data = rows(8)
    written = (await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), data)).unwrap()
    assert written.requests == 5  # whole, first half, its two quarters, second half
    ranges = [p.json["valueRange"]["range"] for p in env.fake.journal.filter(method="PUT")]
    assert ranges == [env.rng(a) for a in ("A1:C8", "A1:C4", "A1:C2", "A3:C4", "A5:C8")]
    assert env.sh.values(env.token, env.sid)[:8] == [r + [None] * 17 for r in data]


async def test_too_large_read_is_split_and_joined(env: Env) -> None:
    data = rows(40, 5)
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), data)
    env.sh.max_read_bytes = 400  # a few rows per answer
    read = (await env.lark.sheets.get_sheet_data(env.token, env.rng("A1:E40"))).unwrap()
    assert read.values == data
    assert read.requests > 2
    gets = env.fake.journal.filter(method="GET", path=V2 + "/values/{range}")
    assert gets[0].code == 90221 and gets[-1].code == 0


async def test_open_range_too_large_is_bounded_then_split(env: Env) -> None:
    data = rows(30, 3)
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), data)
    env.sh.max_read_bytes = 300
    read = (await env.lark.sheets.get_sheet_data(env.token, env.sid)).unwrap()
    assert read.values == [r + [None] * 17 for r in data]  # whole sheet: 20 columns, no empty tail
    assert read.value_range.range == env.rng("A1:T200")


async def test_stream_a_large_sheet(env: Env) -> None:
    data = rows(2_500, 3)
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), data)
    seen: list[list[Any]] = []
    starts = []
    async for block in env.lark.sheets.iter_sheet_data(
        env.token, env.rng("A1:C2500"), block_rows=1_000
    ):
        starts.append(block.start_row)
        seen.extend(block.values)
    assert seen == data and starts == [1, 1_001, 2_001]


async def test_stream_failure_raises(env: Env) -> None:
    with pytest.raises(NotFound) as exc:
        async for _ in env.lark.sheets.iter_sheet_data(env.token, "zzzzzz!A1:B9"):
            pass
    assert exc.value.code == 90215


async def test_batch_get_and_update(env: Env) -> None:
    resp = await env.lark.sheets.batch_update_sheet_data(
        env.token, {env.rng("A1"): [["a", "b"]], env.rng("D4:E5"): [[1, 2], [3, 4]]}
    )
    data = resp.unwrap()
    assert [r.updated_range for r in data.responses] == [env.rng("A1:B1"), env.rng("D4:E5")]
    assert [r.updated_cells for r in data.responses] == [2, 4]
    assert data.requests == 1
    batch = await env.lark.sheets.batch_get_sheet_data(
        env.token, [env.rng("A1:B1"), SheetRange.parse(env.rng("D4:E5"))]
    )
    got = batch.unwrap()
    assert [vr.values for vr in got.value_ranges] == [[["a", "b"]], [[1, 2], [3, 4]]]
    assert got.total_cells == 6


async def test_batch_update_of_a_big_range_is_cut(env: Env) -> None:
    resp = await env.lark.sheets.batch_update_sheet_data(
        env.token, [(env.rng("A1"), rows(6_000, 2)), (env.rng("D1"), [["x"]])]
    )
    data = resp.unwrap()
    assert data.requests == 1  # three blocks, 12,001 cells: one request
    sent = env.fake.journal.filter(method="POST", path=V2 + "/values_batch_update")[0].json
    assert [vr["range"] for vr in sent["valueRanges"]] == [
        env.rng("A1:B5000"),
        env.rng("A5001:B6000"),
        env.rng("D1:D1"),
    ]
    first = data.responses[0]
    assert (first.updated_range, first.updated_rows, first.updated_cells) == (
        env.rng("A1:B6000"),
        6_000,
        12_000,
    )
    assert env.sh.cell(env.token, env.rng("A6000")) == "r5999"


async def test_append_and_prepend(env: Env) -> None:
    sheets = env.lark.sheets
    await sheets.update_sheet_data(env.token, env.rng("A1"), [["h1", "h2", "h3"]])
    appended = (await sheets.append_sheet_data(env.token, env.rng("A:C"), rows(2))).unwrap()
    assert appended.updates.updated_range == env.rng("A2:C3")
    assert appended.updates.updated_rows == 2
    entry = env.fake.journal.filter(method="POST", path=V2 + "/values_append")[0]
    assert entry.query.get("insertDataOption") == "OVERWRITE"
    await sheets.append_sheet_data(
        env.token, env.rng("A:C"), rows(1, start=9), insert_data_option=InsertDataOption.INSERT_ROWS
    )
    await sheets.prepend_sheet_data(env.token, env.rng("A2:C2"), [["top", 0, 0]])
    grid = [r[:3] for r in env.sh.values(env.token, env.sid)[:5]]
    assert grid == [["h1", "h2", "h3"], ["top", 0, 0], *rows(2), *rows(1, start=9)]


async def test_big_append_goes_in_order_and_big_prepend_too(env: Env) -> None:
    sheets = env.lark.sheets
    first = (await sheets.append_sheet_data(env.token, env.rng("A:B"), rows(7_000, 2))).unwrap()
    assert first.requests == 2
    assert first.updates.updated_rows == 7_000
    assert first.updates.updated_range == env.rng("A1:B7000")
    values = env.sh.values(env.token, env.sid)
    assert [r[:2] for r in values[:7_000]] == rows(7_000, 2)

    pre = rows(6_000, 2, start=100_000)
    done = (await sheets.prepend_sheet_data(env.token, env.rng("A1:B1"), pre)).unwrap()
    assert done.requests == 2
    values = env.sh.values(env.token, env.sid)
    assert [r[:2] for r in values[:6_000]] == pre  # the caller's order survives
    assert values[6_000][:2] == ["r0", 1]


async def test_append_with_a_lost_answer_is_not_duplicated(env: Env) -> None:
    env.fake.faults.drop(f"POST {V2}/values_append", after_processing=True)
    resp = await env.lark.sheets.append_sheet_data(env.token, env.rng("A:C"), rows(1))
    assert isinstance(resp.error, OutcomeUnknown)
    values = env.sh.values(env.token, env.sid)
    assert [r for r in values if r[0] is not None] == [rows(1)[0] + [None] * 17]


async def test_update_with_a_lost_answer_is_retried_safely(env: Env) -> None:
    env.fake.faults.drop(f"PUT {V2}/values", after_processing=True)
    resp = await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), rows(2))
    assert resp.ok  # idempotent: resent (by aiohttp or the transport), same result
    outcomes = [e.outcome for e in env.fake.journal.filter(method="PUT")]
    assert outcomes == ["dropped", "response"]
    assert [r[:3] for r in env.sh.values(env.token, env.sid)[:3]] == [*rows(2), [None] * 3]


async def test_server_side_errors_come_back_typed(env: Env) -> None:
    sheets = env.lark.sheets
    missing = await sheets.update_sheet_data(env.token, "zzzzzz!A1", [[1]])
    assert isinstance(missing.error, NotFound) and missing.error.code == 90215
    nobook = await sheets.get_sheet_data("shtcnMissing000000000", env.rng("A1:B2"))
    assert isinstance(nobook.error, NotFound) and nobook.error.code == 90214
    assert nobook.error.request_id == nobook.request_id


async def test_concurrent_callers_never_overlap_on_one_spreadsheet(env: Env) -> None:
    env.sh.set_write_latency(0.002)
    sheets = env.lark.sheets
    results = await asyncio.gather(
        *(sheets.update_sheet_data(env.token, env.rng(f"A{i + 1}"), [[i, i]]) for i in range(8)),
        sheets.append_sheet_data(env.token, env.rng("D:E"), [[1, 2]]),
        sheets.merge_cells(env.token, env.rng("G1:H1")),
        sheets.freeze(env.token, env.sid, rows=1),
    )
    assert all(r.ok for r in results)
    assert env.sh.concurrent_writes == 0


async def test_the_emulator_would_see_overlap_without_the_lock(env: Env) -> None:
    """Control for the test above: raw concurrent requests do overlap on the server."""
    env.sh.set_write_latency(0.002)
    body = {"valueRange": {"range": env.rng("A1:A1"), "values": [[1]]}}
    path = f"/open-apis/sheets/v2/spreadsheets/{env.token}/values"
    results = await asyncio.gather(
        *(env.lark.request("PUT", path, json=body, idempotent=True) for _ in range(4))
    )
    assert all(r.ok for r in results)
    assert env.sh.concurrent_writes > 0


async def test_range_that_does_not_hold_the_values_is_refused_locally(env: Env) -> None:
    with pytest.raises(InvalidParameter) as exc:
        await env.lark.sheets.update_sheet_data(env.token, env.rng("A1:B2"), rows(3, 2))
    assert "3 x 2" in str(exc.value)
    assert env.fake.journal.count(method="PUT") == 0


async def test_logs_carry_ids_and_no_secrets(env: Env, log_lines: list[str]) -> None:
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), [["cell-text-42", 1]])
    await env.lark.sheets.get_sheet_data(env.token, env.rng("A1:B1"))
    sheet_lines = [json.loads(x) for x in log_lines if "/sheets/" in x]
    assert len(sheet_lines) == 2
    assert all(line["request_id"] and line["log_id"] for line in sheet_lines)
    issued = [t.value for t in env.fake.apps.tokens(APP_ID)]
    assert issued
    for raw in log_lines:
        assert APP_SECRET not in raw
        assert not any(token in raw for token in issued)
        assert "cell-text-42" not in raw  # cell values are not logged

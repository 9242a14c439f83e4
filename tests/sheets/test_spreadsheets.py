"""v3 spreadsheets and sheets against the emulator: create, get, list, get one."""

from __future__ import annotations

import asyncio

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter, NotFound, OutcomeUnknown, ServerError
from lark_async.sheets import SheetInfo, Spreadsheet
from lark_async.testing import SheetsEmulator
from tests.helpers import APP_ID, client_for, emulator
from tests.sheets.conftest import Env

CREATE = "/open-apis/sheets/v3/spreadsheets"


async def test_create_then_list_and_get(clock: FakeClock) -> None:
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        resp = await lark.sheets.create_spreadsheet("Q3 report", folder_token="fldcnAbc123")
        created = resp.unwrap()
        assert isinstance(created, Spreadsheet)
        assert created.title == "Q3 report" and created.folder_token == "fldcnAbc123"
        assert created.spreadsheet_token.startswith("shtcn")
        assert created.url.startswith(fake.url)
        sent = fake.journal.filter(method="POST", path=CREATE)[0]
        assert sent.json == {"title": "Q3 report", "folder_token": "fldcnAbc123"}

        sheets = (await lark.sheets.list_sheets(created.spreadsheet_token)).unwrap()
        assert len(sheets) == 1 and isinstance(sheets[0], SheetInfo)
        first = sheets[0]
        assert first.title == "Sheet1" and first.index == 0 and len(first.sheet_id) == 6
        assert first.grid_properties is not None
        assert (first.grid_properties.row_count, first.grid_properties.column_count) == (200, 20)

        one = (await lark.sheets.get_sheet(created.spreadsheet_token, first.sheet_id)).unwrap()
        assert one.sheet_id == first.sheet_id

        info = (await lark.sheets.get_spreadsheet(created.spreadsheet_token)).unwrap()
        assert info.token == created.spreadsheet_token
        assert info.title == "Q3 report" and info.owner_id == APP_ID


async def test_list_sheets_reports_merges_and_frozen_panes(env: Env) -> None:
    second = env.sh.add_sheet(env.token, "Data", 50, 5)
    await env.lark.sheets.merge_cells(env.token, env.rng("A1:C2"))
    await env.lark.sheets.freeze(env.token, env.sid, rows=1, cols=2)
    sheets = (await env.lark.sheets.list_sheets(env.token)).unwrap()
    assert [s.sheet_id for s in sheets] == [env.sid, second]
    first = sheets[0]
    assert first.grid_properties is not None
    assert first.grid_properties.frozen_row_count == 1
    assert first.grid_properties.frozen_column_count == 2
    merge = first.merges[0]
    assert (merge.start_row_index, merge.end_row_index) == (0, 1)  # 0-based, as v3 reports
    assert (merge.start_column_index, merge.end_column_index) == (0, 2)


async def test_unknown_spreadsheet_and_sheet_are_not_found(env: Env) -> None:
    sheets = env.lark.sheets
    for resp in (
        await sheets.list_sheets("shtcnNoSuchSheet00001"),
        await sheets.get_spreadsheet("shtcnNoSuchSheet00001"),
        await sheets.get_sheet(env.token, "zzzzzz"),
    ):
        assert isinstance(resp.error, NotFound)
        assert resp.error.code == 1310214
        assert resp.data is None
        assert resp.error.hint


async def test_create_is_not_resent_after_a_lost_answer(clock: FakeClock) -> None:
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.drop(f"POST {CREATE}", after_processing=True)
        resp = await lark.sheets.create_spreadsheet("once")
        assert isinstance(resp.error, OutcomeUnknown)
        assert resp.error.hint and "idempotency" in resp.error.hint
        # it was created exactly once: no blind resend
        assert len(SheetsEmulator.of(fake).state.spreadsheets) == 1
        assert fake.journal.count(method="POST", path=CREATE) == 1


async def test_create_refused_before_applying_is_retried(clock: FakeClock) -> None:
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.rate_limit(f"POST {CREATE}", times=1, reset=2)
        resp = await lark.sheets.create_spreadsheet("after a 429")
        assert resp.ok and resp.attempts == 2
        assert clock.sleeps == [2.0]
        assert len(SheetsEmulator.of(fake).state.spreadsheets) == 1


async def test_reads_are_retried_on_server_errors(env: Env) -> None:
    env.fake.faults.fail(
        "GET /open-apis/sheets/v3/spreadsheets/{spreadsheet_token}/sheets/query",
        times=2,
        status=500,
        code=1315201,
    )
    resp = await env.lark.sheets.list_sheets(env.token)
    assert resp.ok and resp.attempts == 3
    env.fake.faults.fail(
        "GET /open-apis/sheets/v3/spreadsheets/{spreadsheet_token}/sheets/query",
        times=None,
        status=500,
        code=1315201,
    )
    failed = await env.lark.sheets.list_sheets(env.token)
    assert isinstance(failed.error, ServerError) and failed.error.retryable
    assert failed.attempts == 4  # 1 + max_retries


async def test_unexpected_answer_shape_is_a_server_error(env: Env) -> None:
    env.fake.faults.clear()

    @env.fake.route("GET", "/open-apis/sheets/v3/spreadsheets/{spreadsheet_token}/sheets/query")
    def odd(req: object) -> dict[str, object]:
        return {"sheets": [{"title": "no id"}]}

    resp = await env.lark.sheets.list_sheets(env.token)
    assert isinstance(resp.error, ServerError)
    assert "unexpected answer shape" in resp.error.message


async def test_title_checked_before_sending(clock: FakeClock) -> None:
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        with pytest.raises(InvalidParameter, match="255"):
            await lark.sheets.create_spreadsheet("t" * 256)
        assert fake.journal.count(method="POST", path=CREATE) == 0


async def test_create_waits_out_the_20_per_minute_limit(clock: FakeClock) -> None:
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        results = [await lark.sheets.create_spreadsheet(f"book {i}") for i in range(21)]
        assert all(r.ok for r in results)
        assert fake.rate_limited_count() == 1
        assert results[-1].attempts == 2
        assert len(clock.sleeps) == 1 and clock.sleeps[0] >= 1  # x-ogw-ratelimit-reset
        assert len(SheetsEmulator.of(fake).state.spreadsheets) == 21  # none doubled


async def test_the_default_app_and_app_handle_share_one_service(env: Env) -> None:
    assert env.lark.sheets is env.lark.app(APP_ID).sheets
    env.sh.set_write_latency(0.002)
    await asyncio.gather(
        env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), [[1]]),
        env.lark.app(APP_ID).sheets.update_sheet_data(env.token, env.rng("A2"), [[2]]),
    )
    assert env.sh.concurrent_writes == 0

"""Formatting against the emulator: styles, merges, sizes, visibility, frozen panes (FR-049)."""

from __future__ import annotations

import pytest

from lark_async.core.errors import InvalidParameter, NotFound
from lark_async.sheets import BorderType, CellStyle, HAlign, MergeType, NumberFormat
from tests.sheets.conftest import Env

V2 = "/open-apis/sheets/v2/spreadsheets/{spreadsheet_token}"

HEADER = CellStyle(
    bold=True,
    font_size=12,
    fore_color="#fff",
    back_color="#1f4e79",
    h_align="center",
    v_align="middle",
    border=BorderType.FULL_BORDER,
    border_color="#000000",
    number_format=NumberFormat.TEXT,
)


async def test_set_style_reaches_every_cell(env: Env) -> None:
    resp = await env.lark.sheets.set_style(env.token, env.rng("A1:C1"), HEADER)
    result = resp.unwrap()
    assert result.updates.updated_range == env.rng("A1:C1")
    assert result.updates.updated_cells == 3 and result.requests == 1
    styles = env.sh.styles(env.token, env.sid)
    assert set(styles) == {(1, 1), (1, 2), (1, 3)}
    assert styles[(1, 2)] == {
        "font": {"bold": True, "fontSize": "12pt/1.5"},
        "formatter": "@",
        "hAlign": 1,
        "vAlign": 1,
        "foreColor": "#ffffff",
        "backColor": "#1f4e79",
        "borderType": "FULL_BORDER",
        "borderColor": "#000000",
    }
    sent = env.fake.journal.filter(method="PUT", path=V2 + "/style")[0].json
    assert sent == {"appendStyle": {"range": env.rng("A1:C1"), "style": HEADER.to_api()}}


async def test_styles_merge_and_clean_clears(env: Env) -> None:
    sheets = env.lark.sheets
    await sheets.set_style(env.token, env.rng("B2:B2"), CellStyle(bold=True))
    await sheets.set_style(env.token, env.rng("B2:B2"), CellStyle(h_align=HAlign.RIGHT))
    assert env.sh.styles(env.token, env.sid)[(2, 2)] == {"font": {"bold": True}, "hAlign": 2}
    await sheets.set_style(env.token, env.rng("B2:B2"), CellStyle(clean=True))
    assert (2, 2) not in env.sh.styles(env.token, env.sid)


async def test_a_big_style_is_split_into_blocks(env: Env) -> None:
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), [[0, 0]] * 12_000)
    money = CellStyle(number_format=NumberFormat.THOUSANDS_2)
    result = (await env.lark.sheets.set_style(env.token, env.rng("A1:B12000"), money)).unwrap()
    assert result.requests == 3
    assert result.updates.updated_cells == 24_000
    assert len(env.sh.styles(env.token, env.sid)) == 24_000

    boxed = CellStyle(border=BorderType.FULL_BORDER)
    wide = (await env.lark.sheets.set_style(env.token, env.rng("A1:CV600"), boxed)).unwrap()
    assert wide.requests == 2  # 600 x 100 = 60,000 cells → blocks of 300 rows
    puts = env.fake.journal.filter(method="PUT", path=V2 + "/style")[-2:]
    assert [p.json["appendStyle"]["range"] for p in puts] == [
        env.rng("A1:CV300"),
        env.rng("A301:CV600"),
    ]


async def test_an_open_range_is_closed_at_the_sheet_size(env: Env) -> None:
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), [[1]] * 6_000)
    result = (
        await env.lark.sheets.set_style(env.token, env.rng("A:A"), CellStyle(italic=True))
    ).unwrap()
    assert result.updates.updated_range == env.rng("A1:A6000")
    assert result.requests == 2
    assert len(env.sh.styles(env.token, env.sid)) == 6_000


async def test_outer_border_must_fit_one_request(env: Env) -> None:
    with pytest.raises(InvalidParameter) as exc:
        await env.lark.sheets.set_style(
            env.token, env.rng("A1:CV301"), CellStyle(border="outer_border")
        )
    assert "OUTER_BORDER" in str(exc.value)
    assert env.fake.journal.count(method="PUT") == 0
    ok = await env.lark.sheets.set_style(
        env.token, env.rng("A1:CV300"), CellStyle(border=BorderType.OUTER_BORDER)
    )
    assert ok.ok and ok.unwrap().requests == 1


async def test_server_90227_on_an_outer_border_is_not_split(env: Env) -> None:
    env.fake.faults.fail(f"PUT {V2}/style", times=1, status=400, code=90227, msg="TooLarge")
    resp = await env.lark.sheets.set_style(
        env.token, env.rng("A1:B4"), CellStyle(border=BorderType.OUTER_BORDER)
    )
    assert isinstance(resp.error, InvalidParameter) and resp.error.code == 90227
    assert resp.error.details == {"failed_range": env.rng("A1:B4")}
    # a splittable style is halved instead
    env.fake.faults.fail(f"PUT {V2}/style", times=1, status=400, code=90227, msg="TooLarge")
    halved = await env.lark.sheets.set_style(env.token, env.rng("A1:B4"), CellStyle(bold=True))
    assert halved.ok and halved.unwrap().requests == 3


async def test_batch_set_style_later_wins(env: Env) -> None:
    resp = await env.lark.sheets.batch_set_style(
        env.token,
        [
            ([env.rng("A1:B2"), env.rng("D1:D1")], CellStyle(back_color="#eeeeee")),
            (env.rng("B2:B2"), CellStyle(back_color="#ff0000")),
        ],
    )
    result = resp.unwrap()
    assert result.total_updated_cells == 6 and len(result.responses) == 3
    styles = env.sh.styles(env.token, env.sid)
    assert styles[(1, 1)]["backColor"] == "#eeeeee"
    assert styles[(2, 2)]["backColor"] == "#ff0000"
    assert styles[(1, 4)]["backColor"] == "#eeeeee"


async def test_merge_and_unmerge(env: Env) -> None:
    sheets = env.lark.sheets
    await sheets.update_sheet_data(env.token, env.rng("A1"), [["title", "x", "y"]])
    assert (await sheets.merge_cells(env.token, env.rng("A1:C1"))).ok
    assert env.sh.merges(env.token, env.sid) == [env.rng("A1:C1")]
    assert env.sh.values(env.token, env.sid)[0][:3] == ["title", None, None]
    await sheets.merge_cells(env.token, env.rng("A3:B4"), MergeType.MERGE_ROWS)
    await sheets.merge_cells(env.token, env.rng("D3:E4"), "merge_columns")
    assert env.sh.merges(env.token, env.sid)[1:] == [
        env.rng("A3:B3"),
        env.rng("A4:B4"),
        env.rng("D3:D4"),
        env.rng("E3:E4"),
    ]
    sent = env.fake.journal.filter(method="POST", path=V2 + "/merge_cells")[1].json
    assert sent == {"range": env.rng("A3:B4"), "mergeType": "MERGE_ROWS"}
    assert (await sheets.unmerge_cells(env.token, env.rng("A1:E4"))).ok
    assert env.sh.merges(env.token, env.sid) == []


async def test_merge_that_cuts_a_merged_cell_is_refused_by_the_server(env: Env) -> None:
    await env.lark.sheets.merge_cells(env.token, env.rng("A1:C1"))
    resp = await env.lark.sheets.merge_cells(env.token, env.rng("B1:D1"))
    assert isinstance(resp.error, InvalidParameter) and resp.error.code == 90204


async def test_column_width_row_height_and_visibility(env: Env) -> None:
    sheets = env.lark.sheets
    assert (await sheets.set_column_width(env.token, env.sid, "B", "D", width=120)).ok
    assert (await sheets.set_row_height(env.token, env.sid, 1, height=40)).ok
    assert (await sheets.update_dimension(env.token, env.sid, "COLUMNS", 6, visible=False)).ok
    dims = env.sh.dimensions(env.token, env.sid)
    assert dims == {"rows": {1: 40}, "cols": {2: 120, 3: 120, 4: 120}}
    assert env.sh.hidden(env.token, env.sid)["cols"] == {6}
    sent = env.fake.journal.filter(method="PUT", path=V2 + "/dimension_range")[0].json
    assert sent == {
        "dimension": {
            "sheetId": env.sid,
            "majorDimension": "COLUMNS",
            "startIndex": 2,
            "endIndex": 4,
        },
        "dimensionProperties": {"fixedSize": 120},
    }


async def test_long_spans_go_in_5000_row_requests(env: Env) -> None:
    await env.lark.sheets.update_sheet_data(env.token, env.rng("A1"), [[1]] * 12_000)
    result = (
        await env.lark.sheets.set_row_height(env.token, env.sid, 1, 12_000, height=18)
    ).unwrap()
    assert result.requests == 3
    assert len(env.sh.dimensions(env.token, env.sid)["rows"]) == 12_000


async def test_dimension_past_the_grid_is_refused_by_the_server(env: Env) -> None:
    resp = await env.lark.sheets.set_row_height(env.token, env.sid, 150, 250, height=20)
    assert isinstance(resp.error, InvalidParameter) and resp.error.code == 90212
    assert resp.error.details == {"done_until": 149, "failed_from": 150}


async def test_freeze_and_unfreeze(env: Env) -> None:
    sheets = env.lark.sheets
    frozen = (await sheets.freeze(env.token, env.sid, rows=2, cols=1)).unwrap()
    assert (frozen.frozen_row_count, frozen.frozen_col_count) == (2, 1)
    assert frozen.sheet_id == env.sid and frozen.title == "Sheet1"
    assert env.sh.frozen(env.token, env.sid) == (2, 1)
    sent = env.fake.journal.filter(method="POST", path=V2 + "/sheets_batch_update")[0].json
    assert sent == {
        "requests": [
            {
                "updateSheet": {
                    "properties": {"sheetId": env.sid, "frozenRowCount": 2, "frozenColCount": 1}
                }
            }
        ]
    }
    assert (await sheets.unfreeze(env.token, env.sid)).unwrap().frozen_row_count == 0
    assert env.sh.frozen(env.token, env.sid) == (0, 0)


async def test_freeze_errors_come_back_typed(env: Env) -> None:
    too_many = await env.lark.sheets.freeze(env.token, env.sid, rows=500)
    assert isinstance(too_many.error, InvalidParameter) and too_many.error.code == 90212
    unknown = await env.lark.sheets.freeze(env.token, "zzzzzz", rows=1)
    assert isinstance(unknown.error, NotFound) and unknown.error.code == 90215
    assert unknown.data is None


async def test_formatting_writes_are_retried_because_idempotent(env: Env) -> None:
    env.fake.faults.fail(f"POST {V2}/merge_cells", times=1, status=503, code=1500)
    env.fake.faults.fail(f"PUT {V2}/style", times=1, status=500, code=1500)
    merged = await env.lark.sheets.merge_cells(env.token, env.rng("A1:B1"))
    styled = await env.lark.sheets.set_style(env.token, env.rng("A1:B1"), CellStyle(bold=True))
    assert merged.ok and merged.attempts == 2
    assert styled.ok and styled.attempts == 2


UNKNOWN_SHEET_CALLS = {
    "get_sheet_data": lambda s, t: s.get_sheet_data(t, "zzzzzz!A1:B2"),
    "batch_get_sheet_data": lambda s, t: s.batch_get_sheet_data(t, ["zzzzzz!A1:B2"]),
    "update_sheet_data": lambda s, t: s.update_sheet_data(t, "zzzzzz!A1", [[1]]),
    "batch_update_sheet_data": lambda s, t: s.batch_update_sheet_data(t, {"zzzzzz!A1": [[1]]}),
    "append_sheet_data": lambda s, t: s.append_sheet_data(t, "zzzzzz!A:B", [[1]]),
    "prepend_sheet_data": lambda s, t: s.prepend_sheet_data(t, "zzzzzz!A1:B1", [[1]]),
    "set_style": lambda s, t: s.set_style(t, "zzzzzz!A1:B2", CellStyle(bold=True)),
    "batch_set_style": lambda s, t: s.batch_set_style(t, [("zzzzzz!A1", CellStyle(bold=True))]),
    "merge_cells": lambda s, t: s.merge_cells(t, "zzzzzz!A1:B2"),
    "unmerge_cells": lambda s, t: s.unmerge_cells(t, "zzzzzz!A1:B2"),
    "set_column_width": lambda s, t: s.set_column_width(t, "zzzzzz", "A", width=10),
    "set_row_height": lambda s, t: s.set_row_height(t, "zzzzzz", 1, height=10),
    "freeze": lambda s, t: s.freeze(t, "zzzzzz", rows=1),
}


@pytest.mark.parametrize("name", list(UNKNOWN_SHEET_CALLS))
async def test_unknown_sheet_or_spreadsheet_is_not_found(env: Env, name: str) -> None:
    call = UNKNOWN_SHEET_CALLS[name]
    resp = await call(env.lark.sheets, env.token)
    assert isinstance(resp.error, NotFound), resp.error
    assert resp.error.code == 90215 and resp.data is None
    assert resp.error.hint and "list_sheets" in resp.error.hint
    missing = await call(env.lark.sheets, "shtcnMissing000000000")
    assert isinstance(missing.error, NotFound) and missing.error.code == 90214
    assert env.sh.revision(env.token) == 0  # nothing was written

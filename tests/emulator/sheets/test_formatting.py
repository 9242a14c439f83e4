"""Sheets formatting over raw HTTP: styles, merges, sizes, sheet properties (CONTRACT §10.3-10.7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.sheets.helpers import V3, Api, Result, code_of

HEADER = {"font": {"bold": True, "fontSize": "12pt/1.5"}, "hAlign": 1, "backColor": "#1f4e79"}


async def style(api: Api, rng: str, value: Any) -> Result:
    return await api.call(
        "PUT", api.v2("style"), json={"appendStyle": {"range": rng, "style": value}}
    )


# --- styles --------------------------------------------------------------------------------------
async def test_style_a_range_and_merge_into_existing_styles(api: Api) -> None:
    status, body = await style(api, f"{api.sid}!A1:B2", HEADER)
    assert (status, body["code"]) == (200, 0)
    assert body["data"]["updates"] == {
        "revision": 1,
        "spreadsheetToken": api.book,
        "updatedRange": f"{api.sid}!A1:B2",
        "updatedRows": 2,
        "updatedColumns": 2,
        "updatedCells": 4,
    }
    await style(api, f"{api.sid}!B2:B3", {"font": {"italic": True}, "hAlign": 2})
    styles = api.sh.styles(api.book, api.sid)
    assert styles[(1, 1)] == HEADER
    assert styles[(2, 2)] == {
        "font": {"bold": True, "fontSize": "12pt/1.5", "italic": True},
        "hAlign": 2,
        "backColor": "#1f4e79",
    }
    assert styles[(3, 2)] == {"font": {"italic": True}, "hAlign": 2}
    await style(api, f"{api.sid}!A1:A2", {"clean": True})
    assert (1, 1) not in api.sh.styles(api.book, api.sid)
    await style(api, f"{api.sid}!B2", {"font": {"clean": True, "italic": False}})
    assert api.sh.styles(api.book, api.sid)[(2, 2)]["font"] == {"italic": False}
    styles = api.sh.styles(api.book, api.sid)
    styles[(2, 2)]["font"]["bold"] = True  # a copy: the emulator is not changed
    assert api.sh.styles(api.book, api.sid)[(2, 2)]["font"] == {"italic": False}


async def test_whole_column_styles_cover_the_grid(api: Api) -> None:
    status, body = await style(api, f"{api.data_sid}!C:C", {"formatter": "#,##0.00"})
    assert status == 200 and body["data"]["updates"]["updatedRange"] == f"{api.data_sid}!C1:C10"
    assert len(api.sh.styles(api.book, api.data_sid)) == 10


async def test_batch_styles_apply_in_order(api: Api) -> None:
    body = {
        "data": [
            {"ranges": [f"{api.sid}!A1:C1", f"{api.data_sid}!A1"], "style": {"hAlign": 0}},
            {"ranges": [f"{api.sid}!B1:B1"], "style": {"hAlign": 2, "textDecoration": 3}},
        ]
    }
    status, result = await api.call("PUT", api.v2("styles_batch_update"), json=body)
    assert (status, result["code"]) == (200, 0)
    data = result["data"]
    assert data["totalUpdatedCells"] == 5 and len(data["responses"]) == 3
    assert data["revision"] == 1 and data["spreadsheetToken"] == api.book
    styles = api.sh.styles(api.book, api.sid)
    assert styles[(1, 2)] == {"hAlign": 2, "textDecoration": 3} and styles[(1, 3)] == {"hAlign": 0}
    for bad in (
        [],
        [{"ranges": [], "style": {"hAlign": 0}}],
        [{"ranges": ["nope00!A1"], "style": {"hAlign": 0}}],
    ):
        code = 90215 if bad and bad[0]["ranges"] else 90204
        refused = await api.call("PUT", api.v2("styles_batch_update"), json={"data": bad})
        assert code_of(refused) == (400, code)


@pytest.mark.parametrize(
    "value",
    [
        {},
        "bold",
        {"font": "bold"},
        {"font": {"bold": "yes"}},
        {"font": {"fontSize": "40pt/1.5"}},
        {"font": {"fontSize": "12px"}},
        {"font": {"underline": True}},
        {"textDecoration": 4},
        {"hAlign": True},
        {"vAlign": 3},
        {"foreColor": "red"},
        {"backColor": "#12345"},
        {"borderType": "THICK"},
        {"formatter": 2},
        {"clean": "yes"},
        {"shadow": True},
    ],
)
async def test_bad_styles(api: Api, value: Any) -> None:
    assert code_of(await style(api, f"{api.sid}!A1:B2", value)) == (400, 90204)
    assert api.sh.styles(api.book, api.sid) == {}


async def test_style_size_limits(api: Api) -> None:
    await api.write(f"{api.sid}!A6000", [[1]])  # grow the grid past 5,000 rows
    assert code_of(await style(api, f"{api.sid}!A1:A5001", {"hAlign": 1})) == (400, 90227)
    border = {"borderType": "FULL_BORDER", "borderColor": "#000"}
    assert code_of(await style(api, f"{api.sid}!A1:T1501", border)) == (400, 90227)  # 30,020 cells
    assert code_of(await style(api, f"{api.sid}!A1:T1500", border)) == (200, 0)
    assert code_of(await style(api, "nope00!A1", {"hAlign": 1})) == (400, 90215)
    assert code_of(await api.call("PUT", api.v2("style"), json={})) == (400, 90204)


# --- merges ---------------------------------------------------------------------------------------
async def merge(api: Api, rng: str, merge_type: str = "MERGE_ALL") -> Result:
    return await api.call(
        "POST", api.v2("merge_cells"), json={"range": rng, "mergeType": merge_type}
    )


async def test_merge_kinds_and_what_they_keep(api: Api) -> None:
    await api.write(f"{api.sid}!A1:C2", [["keep", "drop", "drop"], ["x", "y", "z"]])
    status, body = await merge(api, f"{api.sid}!A1:C1")
    assert (status, body["data"]) == (200, {"spreadsheetToken": api.book})
    assert api.grid()[0][:3] == ["keep", None, None] and api.grid()[1][:3] == ["x", "y", "z"]
    assert code_of(await merge(api, f"{api.sid}!E1:F3", "MERGE_ROWS")) == (200, 0)
    assert code_of(await merge(api, f"{api.sid}!H1:I3", "MERGE_COLUMNS")) == (200, 0)
    s = api.sid
    assert api.sh.merges(api.book, s) == [
        f"{s}!A1:C1", f"{s}!E1:F1", f"{s}!E2:F2", f"{s}!E3:F3", f"{s}!H1:H3", f"{s}!I1:I3",
    ]  # fmt: skip
    _, body = await api.call("GET", f"{V3}/{api.book}/sheets/{s}")
    assert body["data"]["sheet"]["merges"][0] == {
        "start_row_index": 0,
        "end_row_index": 0,
        "start_column_index": 0,
        "end_column_index": 2,
    }


async def test_merges_inside_are_replaced_and_cut_ones_refused(api: Api) -> None:
    await merge(api, f"{api.sid}!B2:C2")
    assert code_of(await merge(api, f"{api.sid}!A1:D3")) == (200, 0)
    assert api.sh.merges(api.book, api.sid) == [f"{api.sid}!A1:D3"]
    cut = await merge(api, f"{api.sid}!C3:E4")
    assert code_of(cut) == (400, 90204) and "cut" in cut[1]["msg"]
    for rng, kind in (
        (f"{api.sid}!F1", "MERGE_ALL"),
        (f"{api.sid}!F1:F5", "MERGE_ROWS"),
        (f"{api.sid}!F1:H1", "MERGE_COLUMNS"),
    ):
        assert code_of(await merge(api, rng, kind)) == (400, 90204), kind
    assert code_of(await merge(api, f"{api.sid}!F1:G1", "MERGE_SOME")) == (400, 90204)
    assert code_of(await merge(api, f"{api.sid}!A1:CW1")) == (400, 90227)


async def test_unmerge_splits_every_merge_it_touches(api: Api) -> None:
    for rng in ("A1:B1", "A3:B4", "D1:E1"):
        await merge(api, f"{api.sid}!{rng}")
    status, body = await api.call(
        "POST", api.v2("unmerge_cells"), json={"range": f"{api.sid}!B1:B3"}
    )
    assert (status, body["data"]) == (200, {"spreadsheetToken": api.book})
    assert api.sh.merges(api.book, api.sid) == [f"{api.sid}!D1:E1"]
    assert code_of(await api.call("POST", api.v2("unmerge_cells"), json={"range": "x"})) == (
        400,
        90215,
    )
    assert code_of(await api.call("POST", api.v2("unmerge_cells"), json={})) == (400, 90202)


# --- rows and columns -------------------------------------------------------------------------------
async def dimension(api: Api, major: str, start: Any, end: Any, **props: Any) -> Result:
    body = {
        "dimension": {
            "sheetId": api.sid,
            "majorDimension": major,
            "startIndex": start,
            "endIndex": end,
        },
        "dimensionProperties": props,
    }
    return await api.call("PUT", api.v2("dimension_range"), json=body)


async def test_sizes_and_visibility(api: Api) -> None:
    status, body = await dimension(api, "COLUMNS", 1, 3, fixedSize=160)
    assert (status, body["data"]) == (200, {})
    assert code_of(await dimension(api, "ROWS", 2, 2, fixedSize=32)) == (200, 0)
    assert code_of(await dimension(api, "ROWS", 5, 6, visible=False)) == (200, 0)
    assert code_of(await dimension(api, "ROWS", 6, 6, visible=True)) == (200, 0)
    assert code_of(await dimension(api, "COLUMNS", 20, 20, fixedSize=0)) == (200, 0)
    assert api.sh.dimensions(api.book, api.sid) == {
        "rows": {2: 32},
        "cols": {1: 160, 2: 160, 3: 160, 20: 0},
    }
    assert api.sh.hidden(api.book, api.sid) == {"rows": {5}, "cols": set()}


@pytest.mark.parametrize(
    ("major", "start", "end", "props", "code"),
    [
        ("ROWS", 0, 1, {"fixedSize": 10}, 90212),
        ("ROWS", 3, 2, {"fixedSize": 10}, 90212),
        ("COLUMNS", 1, 21, {"fixedSize": 10}, 90212),  # the sheet has 20 columns
        ("ROWS", "1", 2, {"fixedSize": 10}, 90212),
        ("ROWS", 1, 2, {}, 90204),
        ("ROWS", 1, 2, {"fixedSize": -1}, 90204),
        ("ROWS", 1, 2, {"visible": "no"}, 90204),
        ("CELLS", 1, 2, {"fixedSize": 10}, 90204),
    ],
)
async def test_bad_dimension_requests(
    api: Api, major: str, start: Any, end: Any, props: dict[str, Any], code: int
) -> None:
    assert code_of(await dimension(api, major, start, end, **props)) == (400, code)


async def test_dimension_limits_and_shapes(api: Api) -> None:
    await api.write(f"{api.sid}!A6000", [[1]])
    assert code_of(await dimension(api, "ROWS", 1, 5001, fixedSize=20)) == (400, 90227)
    assert code_of(await dimension(api, "ROWS", 1, 5000, fixedSize=20)) == (200, 0)
    assert code_of(await api.call("PUT", api.v2("dimension_range"), json={"dimension": {}})) == (
        400,
        90204,
    )
    unknown = {"dimension": {"sheetId": "nope00"}, "dimensionProperties": {"visible": True}}
    assert code_of(await api.call("PUT", api.v2("dimension_range"), json=unknown)) == (400, 90215)


# --- sheet properties --------------------------------------------------------------------------------
async def batch(api: Api, *requests: dict[str, Any]) -> Result:
    return await api.call("POST", api.v2("sheets_batch_update"), json={"requests": list(requests)})


async def test_freeze_rows_and_columns(api: Api) -> None:
    status, body = await batch(
        api,
        {
            "updateSheet": {
                "properties": {"sheetId": api.sid, "frozenRowCount": 2, "frozenColCount": 1}
            }
        },
    )
    assert (status, body["code"]) == (200, 0)
    props = body["data"]["replies"][0]["updateSheet"]["properties"]
    assert (
        props["frozenRowCount"] == 2 and props["frozenColCount"] == 1 and props["title"] == "Sheet1"
    )
    assert api.sh.frozen(api.book, api.sid) == (2, 1)
    _, sheet = await api.call("GET", f"{V3}/{api.book}/sheets/{api.sid}")
    grid = sheet["data"]["sheet"]["grid_properties"]
    assert (grid["frozen_row_count"], grid["frozen_column_count"]) == (2, 1)
    await batch(api, {"updateSheet": {"properties": {"sheetId": api.sid, "frozenRowCount": 0}}})
    assert api.sh.frozen(api.book, api.sid) == (0, 1)
    too_far = {"updateSheet": {"properties": {"sheetId": api.data_sid, "frozenRowCount": 11}}}
    assert code_of(await batch(api, too_far)) == (400, 90212)


async def test_rename_move_hide_and_protect(api: Api) -> None:
    update = {
        "sheetId": api.data_sid,
        "title": "Numbers",
        "index": 0,
        "hidden": True,
        "protect": {"lock": "LOCK", "lockInfo": "read only"},
    }
    status, body = await batch(api, {"updateSheet": {"properties": update}})
    assert status == 200
    props = body["data"]["replies"][0]["updateSheet"]["properties"]
    assert props["index"] == 0 and props["hidden"] and props["protect"]["lock"] == "LOCK"
    assert api.sh.sheet_ids(api.book) == [api.data_sid, api.sid]
    assert api.sh.sheet_id(api.book, "Numbers") == api.data_sid


async def test_add_copy_and_delete_sheets(api: Api) -> None:
    await api.write(f"{api.sid}!A1", [["kept"]])
    status, body = await batch(
        api,
        {"addSheet": {"properties": {"title": "New", "index": 1}}},
        {"copySheet": {"source": {"sheetId": api.sid}, "destination": {"title": "Copy"}}},
        {"deleteSheet": {"sheetId": api.data_sid}},
    )
    assert (status, body["code"]) == (200, 0)
    added, copied, deleted = body["data"]["replies"]
    new_id, copy_id = (
        added["addSheet"]["properties"]["sheetId"],
        copied["copySheet"]["properties"]["sheetId"],
    )
    assert added["addSheet"]["properties"] == {"sheetId": new_id, "title": "New", "index": 1}
    assert deleted == {"deleteSheet": {"result": True, "sheetId": api.data_sid}}
    assert api.sh.sheet_ids(api.book) == [api.sid, new_id, copy_id]
    assert api.sh.size(api.book, new_id) == (200, 20)
    assert api.sh.cell(api.book, f"{copy_id}!A1") == "kept"
    _, query = await api.call("GET", f"{V3}/{api.book}/sheets/query")
    assert [s["title"] for s in query["data"]["sheets"]] == ["Sheet1", "New", "Copy"]
    default_copy = await batch(api, {"copySheet": {"source": {"sheetId": api.sid}}})
    assert (
        default_copy[1]["data"]["replies"][0]["copySheet"]["properties"]["title"] == "Sheet1 copy"
    )


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"updateSheet": {"properties": {"title": "x"}}}, 90206),
        ({"updateSheet": {"properties": {"sheetId": "nope00"}}}, 90215),
        ({"updateSheet": {"properties": {"sheetId": "{sid}", "title": "Data"}}}, 90210),
        ({"updateSheet": {"properties": {"sheetId": "{sid}", "title": "a/b"}}}, 90204),
        ({"updateSheet": {"properties": {"sheetId": "{sid}", "title": "x" * 101}}}, 90204),
        ({"updateSheet": {"properties": {"sheetId": "{sid}", "index": -1}}}, 90204),
        ({"updateSheet": {"properties": {"sheetId": "{sid}", "hidden": "yes"}}}, 90204),
        (
            {"updateSheet": {"properties": {"sheetId": "{sid}", "protect": {"lock": "maybe"}}}},
            90204,
        ),
        ({"updateSheet": {"properties": {"sheetId": "{sid}", "frozenColCount": True}}}, 90212),
        ({"updateSheet": {}}, 90204),
        ({"addSheet": {"properties": {"title": ""}}}, 90207),
        ({"addSheet": {"properties": {"title": "Sheet1"}}}, 90210),
        ({"addSheet": {}}, 90204),
        ({"copySheet": {"source": {"sheetId": "nope00"}}}, 90215),
        ({"copySheet": {}}, 90204),
        ({"deleteSheet": {}}, 90206),
        ({"renameSheet": {}}, 90204),
        ({"addSheet": {"properties": {"title": "a"}}, "deleteSheet": {"sheetId": "{sid}"}}, 90204),
    ],
)
async def test_bad_sheet_requests(api: Api, request_: dict[str, Any], code: int) -> None:
    assert code_of(await batch(api, with_sheet_id(request_, api.sid))) == (400, code)


def with_sheet_id(value: Any, sid: str) -> Any:
    """``value`` with every "{sid}" replaced by this test's sheet id."""
    if isinstance(value, dict):
        return {k: with_sheet_id(v, sid) for k, v in value.items()}
    return sid if value == "{sid}" else value


async def test_batch_update_request_shapes(api: Api) -> None:
    assert code_of(await batch(api)) == (400, 90204)
    assert code_of(
        await api.call("POST", api.v2("sheets_batch_update"), json={"requests": "x"})
    ) == (400, 90204)
    params = {"user_id_type": "email"}
    body = {"requests": [{"deleteSheet": {"sheetId": api.data_sid}}]}
    bad = await api.call("POST", api.v2("sheets_batch_update"), json=body, params=params)
    assert code_of(bad) == (400, 90204)
    assert code_of(await batch(api, {"deleteSheet": {"sheetId": api.data_sid}})) == (200, 0)
    last = await batch(api, {"deleteSheet": {"sheetId": api.sid}})
    assert code_of(last) == (400, 90204) and "at least one" in last[1]["msg"]

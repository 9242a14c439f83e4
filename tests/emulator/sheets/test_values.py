"""Sheets values over raw HTTP: v3 create/query, v2 reads, writes, append/prepend (CONTRACT §10)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from lark_async.testing import ManualClock
from tests.emulator.helpers import APP_ID
from tests.emulator.sheets.helpers import V3, Api, code_of, values_of


# --- v3 -----------------------------------------------------------------------------------------
async def test_create_query_and_get(api: Api) -> None:
    status, body = await api.call("POST", V3, json={"title": "Report", "folder_token": "fldcnX"})
    assert (status, body["code"]) == (200, 0)
    made = body["data"]["spreadsheet"]
    token = made["spreadsheet_token"]
    assert token.startswith("shtcn") and made["title"] == "Report"
    assert made["folder_token"] == "fldcnX" and made["url"].startswith(api.fake.url)

    _, body = await api.call("GET", f"{V3}/{token}")
    info = body["data"]["spreadsheet"]
    assert info["token"] == token and info["title"] == "Report" and info["owner_id"] == APP_ID

    _, body = await api.call("GET", f"{V3}/{token}/sheets/query")
    [sheet] = body["data"]["sheets"]
    assert sheet["title"] == "Sheet1" and sheet["index"] == 0 and not sheet["hidden"]
    assert sheet["resource_type"] == "sheet" and sheet["merges"] == []
    assert sheet["grid_properties"] == {
        "frozen_row_count": 0,
        "frozen_column_count": 0,
        "row_count": 200,
        "column_count": 20,
    }
    _, body = await api.call("GET", f"{V3}/{token}/sheets/{sheet['sheet_id']}")
    assert body["data"]["sheet"] == sheet
    assert api.sh.sheet_id(token, "Sheet1") == sheet["sheet_id"]

    untitled = await api.call("POST", V3)
    assert code_of(untitled) == (200, 0) and untitled[1]["data"]["spreadsheet"]["title"] == ""


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "code"),
    [
        ("POST", V3, {"json": {"title": "x" * 256}}, 1310251),
        ("POST", V3, {"json": {"title": 5}}, 1310251),
        ("POST", V3, {"json": {"folder_token": 5}}, 1310251),
        ("POST", V3, {"json": ["a"]}, 1310204),
        ("GET", f"{V3}/shtcnNope", {}, 1310214),
        ("GET", f"{V3}/shtcnNope/sheets/query", {}, 1310214),
    ],
)
async def test_v3_errors(
    api: Api, method: str, path: str, kwargs: dict[str, Any], code: int
) -> None:
    assert code_of(await api.call(method, path, **kwargs)) == (400, code)


async def test_v3_unknown_sheet(api: Api) -> None:
    assert code_of(await api.call("GET", f"{V3}/{api.book}/sheets/nope00")) == (400, 1310214)


async def test_v3_rate_limits(api: Api, clock: ManualClock) -> None:
    api.fake.enforce_rate_limits = True
    for _ in range(20):
        assert code_of(await api.call("POST", V3, json={})) == (200, 0)
    status, body = await api.call("POST", V3, json={})
    assert (status, body["code"]) == (429, 99991400)
    for _ in range(100):
        assert code_of(await api.call("GET", f"{V3}/{api.book}/sheets/query")) == (200, 0)
    assert (await api.call("GET", f"{V3}/{api.book}"))[0] == 429
    clock.advance(60)
    assert code_of(await api.call("POST", V3, json={})) == (200, 0)


# --- writes and reads ---------------------------------------------------------------------------
async def test_write_then_read_a_box(api: Api) -> None:
    rows: list[list[Any]] = [["Name", "Qty"], ["apple", 3], ["pear", 5.5]]
    status, body = await api.write(f"{api.sid}!A1:B3", rows)
    assert (status, body["code"]) == (200, 0)
    assert body["data"] == {
        "spreadsheetToken": api.book,
        "updatedRange": f"{api.sid}!A1:B3",
        "updatedRows": 3,
        "updatedColumns": 2,
        "updatedCells": 6,
        "revision": 1,
    }
    assert api.grid()[:3] == [
        ["Name", "Qty", *[None] * 18],
        ["apple", 3, *[None] * 18],
        ["pear", 5.5, *[None] * 18],
    ]
    read = await api.read(f"{api.sid}!A1:C4")
    value_range = read[1]["data"]["valueRange"]
    assert value_range["range"] == f"{api.sid}!A1:C4" and value_range["majorDimension"] == "ROWS"
    assert value_range["values"] == [
        ["Name", "Qty", None],
        ["apple", 3, None],
        ["pear", 5.5, None],
        [None] * 3,
    ]
    assert read[1]["data"]["revision"] == value_range["revision"] == 1
    assert values_of(await api.read(f"{api.sid}!B2")) == [[3]]


async def test_a_write_smaller_than_its_range_and_null_cells(api: Api) -> None:
    await api.write(f"{api.sid}!A1:B2", [["a", "b"], ["c", "d"]])
    status, body = await api.write(f"{api.sid}!A1:C5", [[None, "B"]])
    assert (status, body["data"]["updatedRange"]) == (200, f"{api.sid}!A1:B1")
    assert values_of(await api.read(f"{api.sid}!A1:B2")) == [[None, "B"], ["c", "d"]]


async def test_open_ranges_stop_at_the_data(api: Api) -> None:
    await api.write(f"{api.sid}!B2:C4", [[1, 2], [3, None], [None, None]])
    await api.write(f"{api.sid}!E7", [["far"]])
    cols = await api.read(f"{api.sid}!B:C")
    assert cols[1]["data"]["valueRange"]["range"] == f"{api.sid}!B1:C3"
    assert values_of(cols) == [[None, None], [1, 2], [3, None]]
    assert values_of(await api.read(f"{api.sid}!B3:C")) == [[3, None]]
    whole = await api.read(api.sid)
    assert whole[1]["data"]["valueRange"]["range"] == f"{api.sid}!A1:E7"
    assert values_of(whole)[6] == [None, None, None, None, "far"]
    empty = await api.read(f"{api.sid}!H:J")
    assert values_of(empty) == [] and empty[1]["data"]["valueRange"]["range"] == f"{api.sid}!H1:J"
    assert values_of(await api.read(api.data_sid)) == []


async def test_open_reads_answer_at_most_100_columns(api: Api) -> None:
    await api.write(f"{api.sid}!A1:CV1", [list(range(100))])
    await api.write(f"{api.sid}!CW1:DA1", [list(range(5))])
    whole = await api.read(api.sid)
    assert len(values_of(whole)[0]) == 100
    assert whole[1]["data"]["valueRange"]["range"] == f"{api.sid}!A1:CV1"


async def test_writes_past_the_grid_grow_it(api: Api) -> None:
    status, _ = await api.write(f"{api.data_sid}!E10:F12", [[1, 2], [3, 4], [5, 6]])
    assert status == 200
    assert api.sh.size(api.book, api.data_sid) == (12, 6)
    _, body = await api.call("GET", f"{V3}/{api.book}/sheets/{api.data_sid}")
    assert body["data"]["sheet"]["grid_properties"]["row_count"] == 12
    tall = await api.write(f"{api.data_sid}!A60000:B60000", [[1, 2]])  # 60,000 x 6 cells
    assert code_of(tall) == (200, 0)
    too_many = await api.write(f"{api.data_sid}!A1000000", [[1]])  # 6,000,000 cells
    assert code_of(too_many) == (400, 90219)
    assert api.sh.size(api.book, api.data_sid) == (60000, 6)


@pytest.mark.parametrize(
    ("value_range", "code"),
    [
        ({"range": "nope00!A1:B2", "values": [[1]]}, 90215),
        ({"range": "{sid}!A1:B", "values": [[1]] * 3}, 0),
        ({"range": "{sid}!1:2", "values": [[1]]}, 90202),
        ({"range": "", "values": [[1]]}, 90202),
        ({"range": "{sid}!A1:A1", "values": [[1, 2]]}, 90202),  # the range must hold the values
        ({"range": "{sid}!A1:B1", "values": [[1], [2]]}, 90202),
        ({"range": "{sid}!A1:B2"}, 90204),
        ({"range": "{sid}!A1:B2", "values": []}, 90216),
        ({"range": "{sid}!A1:B2", "values": ["ab"]}, 90204),
        ({"range": "{sid}!A1:B2", "values": [[{"text": "no type"}]]}, 90204),
        ({"range": "{sid}!A1:B2", "values": [[float("nan")]]}, 90204),
        ({"range": "{sid}!A1:B2", "values": [["x" * 50_001]]}, 90222),
        ({"range": "{sid}!A1:B2", "values": [[{"type": "text", "text": "x" * 50_000}]]}, 90222),
        ({"range": "{sid}!A1", "values": [[0]] * 5001}, 90227),
        ({"range": "{sid}!A1", "values": [[0] * 101]}, 90227),
    ],
)
async def test_bad_writes(api: Api, value_range: dict[str, Any], code: int) -> None:
    value_range = {
        k: v.format(sid=api.sid) if isinstance(v, str) else v for k, v in value_range.items()
    }
    result = await api.call("PUT", api.v2("values"), json={"valueRange": value_range})
    assert code_of(result) == ((200, 0) if code == 0 else (400, code))
    if code:
        assert api.sh.revision(api.book) == 0


async def test_bad_bodies_and_unknown_spreadsheets(api: Api) -> None:
    bad_json = await api.call(
        "PUT", api.v2("values"), data="{", headers={"Content-Type": "application/json"}
    )
    assert code_of(bad_json) == (400, 90201)
    assert code_of(await api.call("PUT", api.v2("values"), json=["x"])) == (400, 90204)
    assert code_of(await api.call("PUT", api.v2("values"), json={})) == (400, 90204)
    missing = await api.call("PUT", api.v2("values", book="shtcnNope"), json={})
    assert code_of(missing) == (400, 90214)
    assert code_of(await api.read("nope00!A1:B2")) == (400, 90215)
    assert code_of(await api.read(f"{api.sid}!B1:A1")) == (400, 90202)


async def test_a_large_box_is_written_and_read(api: Api) -> None:
    rows = [[f"r{r}c{c}" for c in range(100)] for r in range(5000)]
    status, body = await api.write(f"{api.sid}!A1:CV5000", rows)
    assert status == 200 and body["data"]["updatedCells"] == 500_000
    assert api.sh.size(api.book, api.sid) == (5000, 100)
    assert values_of(await api.read(f"{api.sid}!CU4999:CV5000")) == [
        ["r4998c98", "r4998c99"],
        ["r4999c98", "r4999c99"],
    ]


async def test_a_read_over_the_size_limit_is_refused(api: Api) -> None:
    await api.write(f"{api.sid}!A1:B2", [["x" * 40, "y" * 40], ["z", "w"]])
    api.sh.max_read_bytes = 64
    assert code_of(await api.read(f"{api.sid}!A1:B2")) == (400, 90221)
    assert code_of(await api.read(f"{api.sid}!A2:B2")) == (200, 0)
    batch = await api.call(
        "GET", api.v2("values_batch_get"), params={"ranges": f"{api.sid}!A1:A2,{api.sid}!B1:B2"}
    )
    assert code_of(batch) == (400, 90221)
    api.sh.max_read_bytes = 10 * 1024 * 1024
    huge = await api.read(f"{api.sid}!A1:CV30000")  # 3,000,000 cells: refused before reading
    assert code_of(huge) == (400, 90221) and "3000000 cells" in huge[1]["msg"]


async def test_render_options(api: Api) -> None:
    formula = {"type": "formula", "text": "=B1*2"}
    await api.write(f"{api.sid}!A1:D1", [[formula, 21, 2.0, True]])
    rng = f"{api.sid}!A1:D1"
    assert values_of(await api.read(rng)) == [[None, 21, 2.0, True]]  # formulas are not evaluated
    assert values_of(await api.read(rng, valueRenderOption="Formula"))[0][0] == "=B1*2"
    assert values_of(await api.read(rng, valueRenderOption="ToString")) == [
        [None, "21", "2", "TRUE"]
    ]
    assert values_of(await api.read(rng, valueRenderOption="UnformattedValue"))[0][1:] == [
        21,
        2.0,
        True,
    ]
    for params in (
        {"valueRenderOption": "Raw"},
        {"dateTimeRenderOption": "Serial"},
        {"user_id_type": "email"},
    ):
        assert code_of(await api.read(rng, **params)) == (400, 90229)
    assert code_of(await api.read(rng, user_id_type="open_id")) == (200, 0)


async def test_dates_render_through_their_number_format(api: Api) -> None:
    await api.write(f"{api.sid}!A1:B1", [[45245.5, 45245.5]])
    style = {
        "appendStyle": {"range": f"{api.sid}!A1:A1", "style": {"formatter": "yyyy/MM/dd HH:mm"}}
    }
    assert code_of(await api.call("PUT", api.v2("style"), json=style)) == (200, 0)
    rng = f"{api.sid}!A1:B1"
    assert values_of(await api.read(rng)) == [[45245.5, 45245.5]]  # serial days by default
    assert values_of(await api.read(rng, dateTimeRenderOption="FormattedString")) == [
        ["2023/11/15 12:00", 45245.5]  # B1 has no date format
    ]


async def test_batch_read_and_write(api: Api) -> None:
    body = {
        "valueRanges": [
            {"range": f"{api.sid}!A1:B1", "values": [["a", "b"]]},
            {"range": f"{api.data_sid}!C3", "values": [["c"]]},
        ]
    }
    status, written = await api.call("POST", api.v2("values_batch_update"), json=body)
    assert (status, written["code"]) == (200, 0)
    data = written["data"]
    assert data["revision"] == 1 and data["spreadsheetToken"] == api.book
    assert [r["updatedRange"] for r in data["responses"]] == [
        f"{api.sid}!A1:B1",
        f"{api.data_sid}!C3:C3",
    ]
    ranges = f"{api.sid}!A1:B1,{api.data_sid}!C3,{api.data_sid}!A:A"
    status, read = await api.call("GET", api.v2("values_batch_get"), params={"ranges": ranges})
    assert status == 200
    got = read["data"]
    assert got["totalCells"] == 3 and got["spreadsheetToken"] == api.book
    assert [v["values"] for v in got["valueRanges"]] == [[["a", "b"]], [["c"]], []]
    for bad, code in (
        (["x"], 90204),
        ([], 90204),
        ([{"range": "nope00!A1", "values": [[1]]}], 90215),
    ):
        result = await api.call("POST", api.v2("values_batch_update"), json={"valueRanges": bad})
        assert code_of(result) == (400, code)
    big = [
        {"range": f"{api.sid}!A1:CV5000", "values": [[0] * 100] * 5000},
        {"range": f"{api.sid}!A5001", "values": [[0]]},
    ]  # 500,001 cells in one request
    too_big = await api.call("POST", api.v2("values_batch_update"), json={"valueRanges": big})
    assert code_of(too_big) == (400, 90227)
    assert code_of(await api.call("GET", api.v2("values_batch_get"))) == (400, 90202)


# --- append and prepend -------------------------------------------------------------------------------
async def append(api: Api, rng: str, values: list[list[Any]], **params: Any) -> dict[str, Any]:
    body = {"valueRange": {"range": rng, "values": values}}
    status, result = await api.call("POST", api.v2("values_append"), json=body, params=params)
    assert (status, result["code"]) == (200, 0), result
    data: dict[str, Any] = result["data"]
    return data


async def test_append_fills_the_first_empty_rows(api: Api) -> None:
    await api.write(f"{api.sid}!A1:B3", [["h1", "h2"], ["a", 1], ["b", 2]])
    await api.write(f"{api.sid}!A5", [["below"]])
    data = await append(api, f"{api.sid}!A1:B1", [["c", 3]])
    assert data["tableRange"] == data["updates"]["updatedRange"] == f"{api.sid}!A4:B4"
    assert data["updates"]["updatedCells"] == 2 and data["revision"] == data["updates"]["revision"]
    # OVERWRITE (the default) writes over what lies below the free row
    await append(api, f"{api.sid}!A:B", [["d", 4], ["e", 5]])
    assert [r[:2] for r in api.grid()[:7]] == [
        ["h1", "h2"], ["a", 1], ["b", 2], ["c", 3], ["below", None], ["d", 4], ["e", 5],
    ]  # fmt: skip


async def test_append_with_insert_rows_moves_the_rest_down(api: Api) -> None:
    await api.write(f"{api.sid}!A1:A2", [["a"], ["b"]])
    await api.write(f"{api.sid}!A4", [["kept"]])
    await api.call(
        "PUT",
        api.v2("style"),
        json={"appendStyle": {"range": f"{api.sid}!A4:A4", "style": {"hAlign": 1}}},
    )
    data = await append(api, f"{api.sid}!A1", [["c"], ["d"]], insertDataOption="INSERT_ROWS")
    assert data["updates"]["updatedRange"] == f"{api.sid}!A3:A4"
    assert [r[0] for r in api.grid()[:6]] == ["a", "b", "c", "d", None, "kept"]
    assert api.sh.styles(api.book, api.sid) == {(6, 1): {"hAlign": 1}}  # the style moved along
    assert api.sh.size(api.book, api.sid) == (202, 20)
    bad = await api.call(
        "POST",
        api.v2("values_append"),
        params={"insertDataOption": "APPEND"},
        json={"valueRange": {"range": f"{api.sid}!A1", "values": [[1]]}},
    )
    assert code_of(bad) == (400, 90229)
    too_wide = await api.call(
        "POST",
        api.v2("values_append"),
        json={"valueRange": {"range": f"{api.sid}!A:A", "values": [[1, 2]]}},
    )
    assert code_of(too_wide) == (400, 90202)


async def test_prepend_inserts_above_the_range(api: Api) -> None:
    await api.write(f"{api.sid}!A1:B2", [["h1", "h2"], ["old", 1]])
    merge = {"range": f"{api.sid}!A3:B3", "mergeType": "MERGE_ALL"}
    assert code_of(await api.call("POST", api.v2("merge_cells"), json=merge)) == (200, 0)
    body = {"valueRange": {"range": f"{api.sid}!A2:B2", "values": [["new", 2]]}}
    status, result = await api.call("POST", api.v2("values_prepend"), json=body)
    assert (status, result["code"]) == (200, 0)
    assert result["data"]["updates"]["updatedRange"] == f"{api.sid}!A2:B2"
    assert [r[:2] for r in api.grid()[:3]] == [["h1", "h2"], ["new", 2], ["old", 1]]
    assert api.sh.merges(api.book, api.sid) == [f"{api.sid}!A4:B4"]
    too_wide = {"valueRange": {"range": f"{api.sid}!A2:A2", "values": [["x", "y"]]}}
    assert code_of(await api.call("POST", api.v2("values_prepend"), json=too_wide)) == (400, 90202)


# --- one write at a time per spreadsheet, rate limit -----------------------------------------------
async def test_writes_to_one_spreadsheet_are_serialised(api: Api) -> None:
    api.sh.set_write_latency(0.03)
    results = await asyncio.gather(
        api.write(f"{api.sid}!A1", [["first"]]),
        api.write(f"{api.sid}!A1", [["second"]]),
        api.write(f"{api.sid}!B1", [["third"]]),
    )
    assert [code_of(r) for r in results] == [(200, 0)] * 3
    assert sorted(r[1]["data"]["revision"] for r in results) == [1, 2, 3]
    assert api.sh.concurrent_writes == 2 and api.sh.write_calls == 3
    assert api.grid()[0][:2] == ["second", "third"]  # applied in arrival order


async def test_a_write_finishes_even_when_its_client_gives_up(api: Api) -> None:
    api.sh.set_write_latency(0.1)
    body = {"valueRange": {"range": f"{api.sid}!A1", "values": [["late"]]}}
    with pytest.raises(asyncio.TimeoutError):
        await api.call(
            "PUT", api.v2("values"), json=body, timeout=aiohttp.ClientTimeout(total=0.02)
        )
    for _ in range(100):
        if api.sh.cell(api.book, f"{api.sid}!A1") == "late":
            break
        await asyncio.sleep(0.01)
    assert api.sh.cell(api.book, f"{api.sid}!A1") == "late"


async def test_v2_calls_are_limited_to_100_per_second(api: Api, clock: ManualClock) -> None:
    api.fake.enforce_rate_limits = True
    for i in range(50):
        assert code_of(await api.write(f"{api.sid}!A1", [[i]])) == (200, 0)
        assert code_of(await api.read(f"{api.sid}!A1")) == (200, 0)
    status, body = await api.read(f"{api.sid}!A1")
    assert (status, body["code"]) == (429, 99991400)
    clock.advance(1)
    assert code_of(await api.read(f"{api.sid}!A1")) == (200, 0)

"""Bad input raises InvalidParameter, naming the parameter, before any request is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
from lark_async.sheets import BorderType, CellStyle, Sheets
from tests.helpers import client_for, emulator

TOKEN = "shtcnValidation01"
Call = Callable[[Sheets], Awaitable[Any]]

CASES: list[tuple[str, Call, str]] = [
    # spreadsheets
    ("long title", lambda s: s.create_spreadsheet("x" * 256), "title"),
    ("title type", lambda s: s.create_spreadsheet(5), "title"),  # type: ignore[arg-type]
    ("folder token", lambda s: s.create_spreadsheet("t", folder_token="../x"), "folder_token"),
    ("empty token", lambda s: s.list_sheets(""), "spreadsheet_token"),
    ("token with slash", lambda s: s.get_spreadsheet("sht/x"), "spreadsheet_token"),
    ("sheet id", lambda s: s.get_sheet(TOKEN, "no such!"), "sheet_id"),
    # reads
    ("bad range", lambda s: s.get_sheet_data(TOKEN, "s1!A0:B2"), "range"),
    ("range type", lambda s: s.get_sheet_data(TOKEN, 12), "range"),  # type: ignore[arg-type]
    (
        "render option",
        lambda s: s.get_sheet_data(TOKEN, "s1!A1:B2", value_render_option="Pretty"),  # type: ignore[arg-type]
        "value_render_option",
    ),
    (
        "date option",
        lambda s: s.get_sheet_data(TOKEN, "s1!A1:B2", date_time_render_option="ISO"),  # type: ignore[arg-type]
        "date_time_render_option",
    ),
    (
        "user id type",
        lambda s: s.get_sheet_data(TOKEN, "s1!A1:B2", user_id_type="user_id"),  # type: ignore[arg-type]
        "user_id_type",
    ),
    ("no ranges", lambda s: s.batch_get_sheet_data(TOKEN, []), "ranges"),
    ("ranges as str", lambda s: s.batch_get_sheet_data(TOKEN, "s1!A1:B2"), "ranges"),
    ("one bad range", lambda s: s.batch_get_sheet_data(TOKEN, ["s1!A1:B2", "s1!B:A"]), "range"),
    # writes
    ("ragged", lambda s: s.update_sheet_data(TOKEN, "s1!A1", [[1, 2], [3]]), "values"),
    ("empty values", lambda s: s.update_sheet_data(TOKEN, "s1!A1", []), "values"),
    ("nan", lambda s: s.update_sheet_data(TOKEN, "s1!A1", [[float("nan")]]), "values"),
    ("does not fit", lambda s: s.update_sheet_data(TOKEN, "s1!A1:B2", [[1, 2, 3]]), "range"),
    ("too tall for columns", lambda s: s.update_sheet_data(TOKEN, "s1!A:B", [[1, 2, 3]]), "range"),
    (
        "off the sheet",
        lambda s: s.update_sheet_data(TOKEN, "s1!SEZ1", [[1, 2]]),
        "values",
    ),
    ("batch empty", lambda s: s.batch_update_sheet_data(TOKEN, {}), "data"),
    ("batch not pairs", lambda s: s.batch_update_sheet_data(TOKEN, [("s1!A1",)]), "data"),  # type: ignore[list-item]
    (
        "batch bad values",
        lambda s: s.batch_update_sheet_data(TOKEN, {"s1!A1": [[1], [1, 2]]}),
        "data[0] values",
    ),
    ("append too wide", lambda s: s.append_sheet_data(TOKEN, "s1!A:B", [[1, 2, 3]]), "values"),
    ("append 101 columns", lambda s: s.append_sheet_data(TOKEN, "s1", [[0] * 101]), "values"),
    (
        "insert option",
        lambda s: s.append_sheet_data(TOKEN, "s1!A:B", [[1]], insert_data_option="APPEND"),
        "insert_data_option",
    ),
    ("prepend ragged", lambda s: s.prepend_sheet_data(TOKEN, "s1!A:B", [[1], []]), "values"),
    # formatting
    ("style type", lambda s: s.set_style(TOKEN, "s1!A1:B2", {"bold": True}), "style"),  # type: ignore[arg-type]
    ("empty style", lambda s: s.set_style(TOKEN, "s1!A1:B2", CellStyle()), "style"),
    (
        "outer border too big",
        lambda s: s.set_style(TOKEN, "s1!A1:J3001", CellStyle(border=BorderType.OUTER_BORDER)),
        "range",
    ),
    ("batch style empty", lambda s: s.batch_set_style(TOKEN, []), "items"),
    (
        "batch style too big",
        lambda s: s.batch_set_style(TOKEN, [("s1!A1:A5001", CellStyle(bold=True))]),
        "items",
    ),
    (
        "batch style no ranges",
        lambda s: s.batch_set_style(TOKEN, [([], CellStyle(bold=True))]),
        "items",
    ),
    ("merge open", lambda s: s.merge_cells(TOKEN, "s1!A:B"), "range"),
    ("merge one cell", lambda s: s.merge_cells(TOKEN, "s1!A1"), "range"),
    ("merge rows of one column", lambda s: s.merge_cells(TOKEN, "s1!A1:A5", "MERGE_ROWS"), "range"),
    (
        "merge columns of one row",
        lambda s: s.merge_cells(TOKEN, "s1!A1:E1", "MERGE_COLUMNS"),
        "range",
    ),
    ("merge type", lambda s: s.merge_cells(TOKEN, "s1!A1:B2", "MERGE_SOME"), "merge_type"),
    ("merge too big", lambda s: s.merge_cells(TOKEN, "s1!A1:A5001"), "range"),
    ("unmerge open", lambda s: s.unmerge_cells(TOKEN, "s1"), "range"),
    ("width zero", lambda s: s.set_column_width(TOKEN, "s1", "A", width=0), "width"),
    ("width type", lambda s: s.set_column_width(TOKEN, "s1", "A", width=1.5), "width"),  # type: ignore[arg-type]
    ("height negative", lambda s: s.set_row_height(TOKEN, "s1", 1, height=-3), "height"),
    ("row zero", lambda s: s.set_row_height(TOKEN, "s1", 0, height=20), "start"),
    ("column letters", lambda s: s.set_column_width(TOKEN, "s1", "A1", width=20), "column"),
    ("end before start", lambda s: s.set_column_width(TOKEN, "s1", "C", "A", width=20), "end"),
    ("dimension", lambda s: s.update_dimension(TOKEN, "s1", "CELLS", 1, visible=True), "dimension"),
    ("nothing to change", lambda s: s.update_dimension(TOKEN, "s1", "ROWS", 1), "visible"),
    (
        "visible type",
        lambda s: s.update_dimension(TOKEN, "s1", "ROWS", 1, visible="no"),  # type: ignore[arg-type]
        "visible",
    ),
    ("freeze negative", lambda s: s.freeze(TOKEN, "s1", rows=-1), "rows"),
    ("freeze bool", lambda s: s.freeze(TOKEN, "s1", cols=True), "cols"),
    ("freeze sheet id", lambda s: s.freeze(TOKEN, "bad id", rows=1), "sheet_id"),
]


@pytest.mark.parametrize(("label", "call", "param"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_refused_before_sending(label: str, call: Call, param: str) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        with pytest.raises(InvalidParameter) as exc:
            await call(lark.sheets)
        sent = [e for e in fake.journal.entries if "/sheets/" in e.path]
    assert sent == []
    assert param in (exc.value.hint or ""), f"{label}: hint {exc.value.hint!r} lacks {param!r}"

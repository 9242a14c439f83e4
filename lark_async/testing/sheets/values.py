"""Sheets v2 values: read, batch read, write, batch write, append, prepend (Feishu Sheets docs).

Reads: a bounded box answers every cell of it (``None`` when empty); an open
form (``A:C``, ``A2:C``, the whole sheet) stops at its last non-empty row (and,
for the whole sheet, column, at most 100 columns). Over ``max_read_bytes``
(10 MB) of values → 90221.

Writes: ``values`` is rows of cells (string, number, bool, null to clear, or an
object such as ``{"type": "formula", "text": "=A1"}``); at most 5,000 rows ×
100 columns (90227), 50,000 characters a cell (90222); the range must hold
the values (90202). Writing past the grid grows it, up to 5,000,000 cells (90219).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import Any

from lark_async.testing.server.request import FakeRequest
from lark_async.testing.sheets.ranges import Box, column_letters
from lark_async.testing.sheets.state import (
    EMPTY_VALUE,
    MAX_CELL_CHARS,
    MAX_WRITE_COLS,
    MAX_WRITE_ROWS,
    OPEN_COLUMNS,
    RANGE_INVALID,
    TOO_LARGE_CELL,
    TOO_LARGE_REQUEST,
    TOO_LARGE_RESPONSE,
    V2,
    WRONG_REQUEST_BODY,
    WRONG_URL_PARAM,
    Data,
    Sheet,
    SheetsState,
    Spreadsheet,
    body_of,
    find_book,
    resolve,
    routes,
    serialized,
    sheets_error,
)

VALUE_RENDER = ("ToString", "Formula", "FormattedValue", "UnformattedValue")
DATE_RENDER = ("FormattedString",)
INSERT_OPTIONS = ("OVERWRITE", "INSERT_ROWS")
_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of a spreadsheet date serial
_DATE_TOKENS = (
    ("yyyy", "%Y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
)


# --- checking written values ------------------------------------------------------------
def check_values(raw: Any, where: str = "values") -> list[list[Any]]:
    """Rows of cells, or the documented error for what is wrong."""
    if raw is None:
        raise sheets_error(WRONG_REQUEST_BODY, f"{where} is required")
    if not isinstance(raw, list) or not raw:
        raise sheets_error(EMPTY_VALUE, f"{where} must be a non-empty list of rows")
    if not all(isinstance(row, list) for row in raw):
        raise sheets_error(WRONG_REQUEST_BODY, f"{where} must be a list of rows (lists)")
    width = max(len(row) for row in raw)
    if len(raw) > MAX_WRITE_ROWS or width > MAX_WRITE_COLS:
        raise sheets_error(
            TOO_LARGE_REQUEST,
            f"{where} is {len(raw)} rows x {width} columns; "
            f"at most {MAX_WRITE_ROWS} x {MAX_WRITE_COLS} per request",
        )
    for i, row in enumerate(raw):
        for j, cell in enumerate(row):
            _check_cell(cell, f"{where}[{i}][{j}]")
    return raw


def _check_cell(cell: Any, where: str) -> None:
    if cell is None or isinstance(cell, bool):
        return
    if isinstance(cell, int | float):
        if not math.isfinite(cell):
            raise sheets_error(WRONG_REQUEST_BODY, f"{where} is not a finite number")
        return
    if isinstance(cell, str):
        text = cell
    elif isinstance(cell, dict) and isinstance(cell.get("type"), str):
        text = json.dumps(cell, ensure_ascii=False)
    else:
        raise sheets_error(
            WRONG_REQUEST_BODY, f"{where}: a cell is a string, number, bool, null or typed object"
        )
    if len(text) > MAX_CELL_CHARS:
        raise sheets_error(TOO_LARGE_CELL, f"{where} holds {len(text)} characters")


def put(sheet: Sheet, row: int, col: int, values: Sequence[Sequence[Any]]) -> tuple[int, int, int]:
    """Write ``values`` with its top-left at (row, col); (rows, columns, cells) written."""
    width = max(len(r) for r in values)
    sheet.grow(row + len(values) - 1, col + width - 1)
    cells = sheet.cells
    written = 0
    for i, values_row in enumerate(values):
        for j, value in enumerate(values_row):
            if value is None:
                cells.pop((row + i, col + j), None)
            else:
                cells[(row + i, col + j)] = value
            written += 1
    return len(values), width, written


def _fit(box: Box, values: list[list[Any]], where: str) -> None:
    width = max(len(r) for r in values)
    if (box.end_row is not None and len(values) > box.end_row - box.start_row + 1) or (
        box.end_col is not None and width > box.end_col - box.start_col + 1
    ):
        raise sheets_error(
            RANGE_INVALID, f"{where}: {len(values)} x {width} values do not fit the range"
        )


def _span(sheet: Sheet, row: int, col: int, rows: int, cols: int) -> str:
    box = Box(sheet.sheet_id, row, col, row + rows - 1, col + cols - 1)
    return box.a1()


def _update(token: str, sheet: Sheet, row: int, col: int, shape: tuple[int, int, int]) -> Data:
    rows, cols, cells = shape
    return {
        "spreadsheetToken": token,
        "updatedRange": _span(sheet, row, col, rows, cols),
        "updatedRows": rows,
        "updatedColumns": cols,
        "updatedCells": cells,
    }


# --- writes -----------------------------------------------------------------------------
def _value_range(body: Data, key: str = "valueRange") -> Data:
    value_range = body.get(key)
    if not isinstance(value_range, dict):
        raise sheets_error(WRONG_REQUEST_BODY, f"{key} {{range, values}} is required")
    return value_range


@routes.put(V2 + "/values")
async def write_range(req: FakeRequest) -> Data:
    book = find_book(req)
    value_range = _value_range(body_of(req))
    sheet, box = resolve(book, value_range.get("range"), "valueRange.range")
    values = check_values(value_range.get("values"), "valueRange.values")
    _fit(box, values, "valueRange")

    def apply() -> Data:
        shape = put(sheet, box.start_row, box.start_col, values)
        return {
            **_update(book.token, sheet, box.start_row, box.start_col, shape),
            "revision": book.revision,
        }

    return await serialized(req, book, apply)


@routes.post(V2 + "/values_batch_update")
async def write_ranges(req: FakeRequest) -> Data:
    book = find_book(req)
    raw = body_of(req).get("valueRanges")
    if not isinstance(raw, list) or not raw:
        raise sheets_error(WRONG_REQUEST_BODY, "valueRanges must be a non-empty list")
    writes = []
    for i, value_range in enumerate(raw):
        where = f"valueRanges[{i}]"
        if not isinstance(value_range, dict):
            raise sheets_error(WRONG_REQUEST_BODY, f"{where} must be {{range, values}}")
        sheet, box = resolve(book, value_range.get("range"), f"{where}.range")
        values = check_values(value_range.get("values"), f"{where}.values")
        _fit(box, values, where)
        writes.append((sheet, box, values))
    total = sum(len(v) * max(len(r) for r in v) for _, _, v in writes)
    if total > MAX_WRITE_ROWS * MAX_WRITE_COLS:
        raise sheets_error(TOO_LARGE_REQUEST, f"{total} cells in one request")

    def apply() -> Data:
        responses = [
            _update(book.token, s, b.start_row, b.start_col, put(s, b.start_row, b.start_col, v))
            for s, b, v in writes
        ]
        return {"revision": book.revision, "spreadsheetToken": book.token, "responses": responses}

    return await serialized(req, book, apply)


def insert_rows(sheet: Sheet, at: int, n: int) -> None:
    """Insert ``n`` empty rows before row ``at``: everything from ``at`` down moves."""
    sheet.grow(sheet.rows + n, sheet.cols)

    def moved(cells: dict[tuple[int, int], Any]) -> dict[tuple[int, int], Any]:
        return {((r + n if r >= at else r), c): v for (r, c), v in cells.items()}

    sheet.cells = moved(sheet.cells)
    sheet.styles = moved(sheet.styles)
    sheet.merges = [
        (r1 + n, c1, r2 + n, c2) if r1 >= at else (r1, c1, r2 + n if r2 >= at else r2, c2)
        for r1, c1, r2, c2 in sheet.merges
    ]
    sheet.row_sizes = {(r + n if r >= at else r): s for r, s in sheet.row_sizes.items()}
    sheet.hidden_rows = {r + n if r >= at else r for r in sheet.hidden_rows}


def _first_free_row(sheet: Sheet, box: Box, width: int) -> int:
    """The first row at or below the range start whose range columns are all empty."""
    last_col = box.end_col if box.end_col is not None else box.start_col + width - 1
    used = {r for (r, c) in sheet.cells if r >= box.start_row and box.start_col <= c <= last_col}
    row = box.start_row
    while row in used:
        row += 1
    return row


def _append_answer(book: Spreadsheet, sheet: Sheet, row: int, col: int, shape: Any) -> Data:
    update = _update(book.token, sheet, row, col, shape)
    return {
        "spreadsheetToken": book.token,
        "tableRange": update["updatedRange"],
        "revision": book.revision,
        "updates": {**update, "revision": book.revision},
    }


@routes.post(V2 + "/values_append")
async def append(req: FakeRequest) -> Data:
    book = find_book(req)
    option = req.query.get("insertDataOption") or "OVERWRITE"
    if option not in INSERT_OPTIONS:
        raise sheets_error(WRONG_URL_PARAM, "insertDataOption is OVERWRITE or INSERT_ROWS")
    value_range = _value_range(body_of(req))
    sheet, box = resolve(book, value_range.get("range"), "valueRange.range")
    values = check_values(value_range.get("values"), "valueRange.values")
    if box.end_col is not None and max(len(r) for r in values) > box.cols:
        raise sheets_error(RANGE_INVALID, "valueRange: the values are wider than the range")

    def apply() -> Data:
        row = _first_free_row(sheet, box, max(len(r) for r in values))
        if option == "INSERT_ROWS":
            insert_rows(sheet, row, len(values))
        shape = put(sheet, row, box.start_col, values)
        return _append_answer(book, sheet, row, box.start_col, shape)

    return await serialized(req, book, apply)


@routes.post(V2 + "/values_prepend")
async def prepend(req: FakeRequest) -> Data:
    book = find_book(req)
    value_range = _value_range(body_of(req))
    sheet, box = resolve(book, value_range.get("range"), "valueRange.range")
    values = check_values(value_range.get("values"), "valueRange.values")
    if box.end_col is not None and max(len(r) for r in values) > box.cols:
        raise sheets_error(RANGE_INVALID, "valueRange: the values are wider than the range")

    def apply() -> Data:
        insert_rows(sheet, box.start_row, len(values))
        shape = put(sheet, box.start_row, box.start_col, values)
        return _append_answer(book, sheet, box.start_row, box.start_col, shape)

    return await serialized(req, book, apply)


# --- reads ------------------------------------------------------------------------------
def _render_options(req: FakeRequest) -> tuple[str | None, str | None]:
    value = req.query.get("valueRenderOption") or None
    date = req.query.get("dateTimeRenderOption") or None
    if value is not None and value not in VALUE_RENDER:
        raise sheets_error(
            WRONG_URL_PARAM, "valueRenderOption is one of " + ", ".join(VALUE_RENDER)
        )
    if date is not None and date not in DATE_RENDER:
        raise sheets_error(WRONG_URL_PARAM, "dateTimeRenderOption is FormattedString")
    uid = req.query.get("user_id_type")
    if uid not in (None, "", "open_id", "union_id"):
        raise sheets_error(WRONG_URL_PARAM, "user_id_type is open_id or union_id")
    return value, date


def closed_for_read(sheet: Sheet, box: Box) -> Box | None:
    """The box a read answers: bounded as given; open forms end at their data (None: none)."""
    if box.bounded:
        return box
    last_col = box.end_col
    if last_col is None:  # the whole sheet: up to the last used column, 100 at most
        cols = [c for (r, c) in sheet.cells if r >= box.start_row and c >= box.start_col]
        if not cols:
            return None
        last_col = min(max(cols), box.start_col + OPEN_COLUMNS - 1)
    last_col = min(last_col, box.start_col + OPEN_COLUMNS - 1)
    rows = [r for (r, c) in sheet.cells if r >= box.start_row and box.start_col <= c <= last_col]
    if not rows:
        return None
    return Box(box.sheet_id, box.start_row, box.start_col, max(rows), last_col)


def read_box(
    sheet: Sheet, box: Box | None, value_option: str | None, date_option: str | None
) -> list[list[Any]]:
    if box is None:
        return []
    assert box.end_row is not None and box.end_col is not None
    cells, styles = sheet.cells, sheet.styles
    out = []
    for r in range(box.start_row, box.end_row + 1):
        row = []
        for c in range(box.start_col, box.end_col + 1):
            value = cells.get((r, c))
            if value is not None and (value_option or date_option):
                value = render(value, styles.get((r, c)), value_option, date_option)
            elif isinstance(value, dict) and value.get("type") == "formula":
                value = None  # formulas are not evaluated here
            row.append(value)
        out.append(row)
    return out


def render(value: Any, style: dict[str, Any] | None, how: str | None, dates: str | None) -> Any:
    """One stored cell as a read option asks for it."""
    if isinstance(value, dict) and value.get("type") == "formula":
        return value.get("text") if how == "Formula" else None  # not evaluated here
    formatter = (style or {}).get("formatter")
    if (
        dates == "FormattedString"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and isinstance(formatter, str)
        and any(token in formatter for token, _ in _DATE_TOKENS)
    ):
        return format_serial(value, formatter)
    if how == "ToString":
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dict):
            return str(value.get("text", ""))
        return str(value)
    return value


def format_serial(serial: float, formatter: str) -> str:
    """A date serial (days since 1899-12-30) in a ``yyyy/MM/dd HH:mm:ss``-style format."""
    moment = _EPOCH + dt.timedelta(days=serial)
    pattern = formatter
    for token, code in _DATE_TOKENS:
        pattern = pattern.replace(token, code)
    return moment.strftime(pattern)


def _value_range_json(asked: Box, box: Box | None, values: list[list[Any]]) -> Data:
    """A ``valueRange``: the range actually answered (an open one with no data as asked)."""
    answered = box.a1() if box is not None else _open_a1(asked)
    return {"majorDimension": "ROWS", "range": answered, "values": values}


def _open_a1(box: Box) -> str:
    start = f"{column_letters(box.start_col)}{box.start_row}"
    end = column_letters(box.end_col) if box.end_col is not None else ""
    return f"{box.sheet_id}!{start}:{end}" if end else f"{box.sheet_id}!{start}"


def _check_read_cells(req: FakeRequest, sheet: Sheet, box: Box | None) -> None:
    """Refuse before building it a box whose empty cells alone (``null,``) pass the limit."""
    if box is not None and box.rows * box.cols * 5 > req.state(SheetsState).max_read_bytes:
        raise sheets_error(TOO_LARGE_RESPONSE, f"{box.a1()} holds {box.rows * box.cols} cells")


def _check_read_size(req: FakeRequest, values: Any) -> None:
    limit = req.state(SheetsState).max_read_bytes
    size = len(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limit:
        raise sheets_error(
            TOO_LARGE_RESPONSE, f"the values are {size} bytes; one read answers at most {limit}"
        )


@routes.get(V2 + "/values/{range}")
def read_range(req: FakeRequest) -> Data:
    book = find_book(req)
    value_option, date_option = _render_options(req)
    sheet, asked = resolve(book, req.params["range"])
    box = closed_for_read(sheet, asked)
    _check_read_cells(req, sheet, box)
    values = read_box(sheet, box, value_option, date_option)
    _check_read_size(req, values)
    value_range = {**_value_range_json(asked, box, values), "revision": book.revision}
    return {"revision": book.revision, "spreadsheetToken": book.token, "valueRange": value_range}


@routes.get(V2 + "/values_batch_get")
def read_ranges(req: FakeRequest) -> Data:
    book = find_book(req)
    value_option, date_option = _render_options(req)
    raw = req.query.get("ranges") or ""
    texts = [t for t in raw.split(",") if t]
    if not texts:
        raise sheets_error(RANGE_INVALID, "ranges is required (comma-separated)")
    out, cells = [], 0
    for text in texts:
        sheet, asked = resolve(book, text, "ranges")
        box = closed_for_read(sheet, asked)
        _check_read_cells(req, sheet, box)
        values = read_box(sheet, box, value_option, date_option)
        cells += sum(len(row) for row in values)
        out.append({**_value_range_json(asked, box, values), "revision": book.revision})
    _check_read_size(req, [v["values"] for v in out])
    return {
        "revision": book.revision,
        "spreadsheetToken": book.token,
        "totalCells": cells,
        "valueRanges": out,
    }

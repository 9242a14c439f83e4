"""Sheets v2 formatting: styles, merges, row/column sizes, sheet properties (Feishu Sheets docs).

- ``PUT …/style`` and ``PUT …/styles_batch_update`` merge a style into each cell's
  (later keys win, ``font`` merges key by key, ``clean: true`` clears first);
  ≤ 5,000 × 100 cells per range, ≤ 30,000 cells when a border is set (90227).
  A border type is stored on every cell of its range as sent.
- ``POST …/merge_cells`` (MERGE_ALL / MERGE_ROWS / MERGE_COLUMNS) keeps each
  block's top-left value and clears the rest; it replaces merges inside the box
  and refuses to cut one that sticks out (90204). ``POST …/unmerge_cells``
  splits every merge touching the box.
- ``PUT …/dimension_range`` sets heights/widths (``fixedSize``, 0 hides) and
  visibility of ≤ 5,000 rows or columns (1-based, inclusive).
- ``POST …/sheets_batch_update``: updateSheet (title, index, hidden, frozen
  rows/columns, protect), addSheet, copySheet, deleteSheet, applied in order;
  a failing request stops the ones after it.
"""

from __future__ import annotations

import re
from typing import Any

from lark_async.testing.server.request import FakeRequest
from lark_async.testing.sheets.ranges import Box
from lark_async.testing.sheets.state import (
    DEFAULT_COLS,
    DEFAULT_ROWS,
    EMPTY_SHEET_TITLE,
    EXCESS_LIMIT,
    EXIST_SHEET_TITLE,
    MAX_BORDER_CELLS,
    MAX_SHEETS,
    MAX_WRITE_ROWS,
    TOO_LARGE_REQUEST,
    V2,
    WRONG_REQUEST_BODY,
    WRONG_ROW_OR_COL,
    Data,
    Merge,
    Sheet,
    Spreadsheet,
    body_of,
    check_size,
    find_book,
    find_sheet,
    new_sheet_id,
    resolve,
    routes,
    serialized,
    sheets_error,
)

BORDER_TYPES = frozenset(
    {
        "FULL_BORDER",
        "OUTER_BORDER",
        "INNER_BORDER",
        "NO_BORDER",
        "LEFT_BORDER",
        "RIGHT_BORDER",
        "TOP_BORDER",
        "BOTTOM_BORDER",
    }
)
MERGE_TYPES = ("MERGE_ALL", "MERGE_ROWS", "MERGE_COLUMNS")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FONT_SIZE = re.compile(r"^(\d+)pt/\d+(?:\.\d+)?$")
_TITLE_FORBIDDEN = re.compile(r"[/\\?*\[\]:]")
MAX_TITLE = 100


def _bad(detail: str) -> Exception:
    return sheets_error(WRONG_REQUEST_BODY, detail)


# --- styles -----------------------------------------------------------------------------
def check_style(raw: Any, where: str) -> dict[str, Any]:
    """A ``style`` object with every documented field checked; 90204 naming the first bad one."""
    if not isinstance(raw, dict) or not raw:
        raise _bad(f"{where} must be a non-empty object")
    for key, value in raw.items():
        name = f"{where}.{key}"
        if key == "font":
            _check_font(value, name)
        elif key in ("textDecoration", "hAlign", "vAlign"):
            top = 3 if key == "textDecoration" else 2
            if isinstance(value, bool) or value not in range(top + 1):
                raise _bad(f"{name} must be an integer 0..{top}")
        elif key in ("foreColor", "backColor", "borderColor"):
            if not isinstance(value, str) or not _COLOR.match(value):
                raise _bad(f"{name} must be a hex colour such as #21d11f")
        elif key == "borderType":
            if value not in BORDER_TYPES:
                raise _bad(f"{name} must be one of " + ", ".join(sorted(BORDER_TYPES)))
        elif key == "formatter":
            if not isinstance(value, str):
                raise _bad(f"{name} must be a number-format string")
        elif key == "clean":
            if not isinstance(value, bool):
                raise _bad(f"{name} must be true or false")
        else:
            raise _bad(f"{name} is not a style field")
    return raw


def _check_font(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise _bad(f"{where} must be an object")
    for key, item in value.items():
        if key in ("bold", "italic", "clean"):
            if not isinstance(item, bool):
                raise _bad(f"{where}.{key} must be true or false")
        elif key == "fontSize":
            m = _FONT_SIZE.match(item) if isinstance(item, str) else None
            if m is None or not 9 <= int(m.group(1)) <= 36:
                raise _bad(f'{where}.fontSize must look like "10pt/1.5", 9pt to 36pt')
        else:
            raise _bad(f"{where}.{key} is not a font field")


def _style_box(book: Spreadsheet, text: Any, where: str) -> tuple[Sheet, Box]:
    sheet, box = resolve(book, text, where)
    box = box.closed(sheet.rows, sheet.cols)
    check_size(box, "style range")
    return sheet, box


def _check_border(box: Box, style: dict[str, Any]) -> None:
    if "borderType" in style and box.rows * box.cols > MAX_BORDER_CELLS:
        raise sheets_error(
            TOO_LARGE_REQUEST, f"a border covers at most {MAX_BORDER_CELLS} cells per request"
        )


def apply_style(sheet: Sheet, box: Box, style: dict[str, Any]) -> int:
    """Merge ``style`` into every cell of ``box``; the number of cells styled."""
    assert box.end_row is not None and box.end_col is not None
    sheet.grow(box.end_row, box.end_col)
    clean = style.get("clean") is True
    rest = {k: v for k, v in style.items() if k != "clean"}
    # Cells sharing a style share the merged result: a 500,000-cell range stays cheap.
    merged: dict[int, dict[str, Any]] = {}
    empty: dict[str, Any] = {}
    styles = sheet.styles
    for r in range(box.start_row, box.end_row + 1):
        for c in range(box.start_col, box.end_col + 1):
            current = empty if clean else styles.get((r, c), empty)
            new = merged.get(id(current))
            if new is None:
                new = merged[id(current)] = _merge_style(current, rest)
            if new:
                styles[(r, c)] = new
            else:
                styles.pop((r, c), None)
    return box.rows * box.cols


def _merge_style(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(current)
    for key, value in update.items():
        if key == "font":
            font = {} if value.get("clean") else dict(out.get("font", {}))
            font.update({k: v for k, v in value.items() if k != "clean"})
            out["font"] = font
        else:
            out[key] = value
    return out


def _updates(book: Spreadsheet, box: Box) -> Data:
    return {
        "revision": book.revision,
        "spreadsheetToken": book.token,
        "updatedRange": box.a1(),
        "updatedRows": box.rows,
        "updatedColumns": box.cols,
        "updatedCells": box.rows * box.cols,
    }


@routes.put(V2 + "/style")
async def set_style(req: FakeRequest) -> Data:
    book = find_book(req)
    raw = body_of(req).get("appendStyle")
    if not isinstance(raw, dict):
        raise _bad("appendStyle {range, style} is required")
    sheet, box = _style_box(book, raw.get("range"), "appendStyle.range")
    style = check_style(raw.get("style"), "appendStyle.style")
    _check_border(box, style)

    def apply() -> Data:
        apply_style(sheet, box, style)
        return {"updates": _updates(book, box)}

    return await serialized(req, book, apply)


@routes.put(V2 + "/styles_batch_update")
async def set_styles(req: FakeRequest) -> Data:
    book = find_book(req)
    data = body_of(req).get("data")
    if not isinstance(data, list) or not data:
        raise _bad("data must be a non-empty list of {ranges, style}")
    jobs: list[tuple[Sheet, Box, dict[str, Any]]] = []
    for i, item in enumerate(data):
        where = f"data[{i}]"
        ranges = item.get("ranges") if isinstance(item, dict) else None
        if not isinstance(ranges, list) or not ranges:
            raise _bad(f"{where}.ranges must be a non-empty list of ranges")
        style = check_style(item.get("style"), f"{where}.style")
        for j, text in enumerate(ranges):
            sheet, box = _style_box(book, text, f"{where}.ranges[{j}]")
            _check_border(box, style)
            jobs.append((sheet, box, style))

    def apply() -> Data:
        responses = []
        for sheet, box, style in jobs:  # in order: the later style wins where ranges overlap
            apply_style(sheet, box, style)
            responses.append(_updates(book, box))
        return {
            "spreadsheetToken": book.token,
            "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
            "totalUpdatedColumns": sum(r["updatedColumns"] for r in responses),
            "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "revision": book.revision,
            "responses": responses,
        }

    return await serialized(req, book, apply)


# --- merges -----------------------------------------------------------------------------
def _overlaps(a: Merge, b: Merge) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def _inside(inner: Merge, outer: Merge) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _merge_box(book: Spreadsheet, body: Data) -> tuple[Sheet, Box]:
    sheet, box = resolve(book, body.get("range"))
    box = box.closed(sheet.rows, sheet.cols)
    check_size(box, "merge")
    return sheet, box


def merge_blocks(box: Box, merge_type: str) -> list[Merge]:
    """The blocks a merge makes; single cells are not merges."""
    assert box.end_row is not None and box.end_col is not None
    r1, c1, r2, c2 = box.start_row, box.start_col, box.end_row, box.end_col
    if merge_type == "MERGE_ALL":
        blocks = [(r1, c1, r2, c2)]
    elif merge_type == "MERGE_ROWS":
        blocks = [(r, c1, r, c2) for r in range(r1, r2 + 1)]
    else:
        blocks = [(r1, c, r2, c) for c in range(c1, c2 + 1)]
    return [b for b in blocks if b[0] != b[2] or b[1] != b[3]]


@routes.post(V2 + "/merge_cells")
async def merge_cells(req: FakeRequest) -> Data:
    book = find_book(req)
    body = body_of(req)
    merge_type = body.get("mergeType")
    if merge_type not in MERGE_TYPES:
        raise _bad("mergeType is one of " + ", ".join(MERGE_TYPES))
    sheet, box = _merge_box(book, body)
    blocks = merge_blocks(box, merge_type)
    if not blocks:
        raise _bad(f"{merge_type} over {box.a1()} merges nothing")
    assert box.end_row is not None and box.end_col is not None
    area: Merge = (box.start_row, box.start_col, box.end_row, box.end_col)

    def apply() -> Data:
        for m in sheet.merges:
            if _overlaps(m, area) and not _inside(m, area):
                raise _bad(f"{box.a1()} would cut a merged cell")
        sheet.merges = [m for m in sheet.merges if not _inside(m, area)]
        for r1, c1, r2, c2 in blocks:
            for r in range(r1, r2 + 1):  # a merged cell keeps its top-left value
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        sheet.cells.pop((r, c), None)
        sheet.merges.extend(blocks)
        return {"spreadsheetToken": book.token}

    return await serialized(req, book, apply)


@routes.post(V2 + "/unmerge_cells")
async def unmerge_cells(req: FakeRequest) -> Data:
    book = find_book(req)
    sheet, box = _merge_box(book, body_of(req))
    assert box.end_row is not None and box.end_col is not None
    area: Merge = (box.start_row, box.start_col, box.end_row, box.end_col)

    def apply() -> Data:
        sheet.merges = [m for m in sheet.merges if not _overlaps(m, area)]
        return {"spreadsheetToken": book.token}

    return await serialized(req, book, apply)


# --- rows and columns -------------------------------------------------------------------
@routes.put(V2 + "/dimension_range")
async def update_dimension(req: FakeRequest) -> Data:
    book = find_book(req)
    body = body_of(req)
    dim, props = body.get("dimension"), body.get("dimensionProperties")
    if not isinstance(dim, dict) or not isinstance(props, dict):
        raise _bad(
            "dimension {sheetId, majorDimension, startIndex, endIndex} and "
            "dimensionProperties {visible, fixedSize} are required"
        )
    sheet = find_sheet(book, dim.get("sheetId"))
    major = dim.get("majorDimension")
    if major not in ("ROWS", "COLUMNS"):
        raise _bad("dimension.majorDimension is ROWS or COLUMNS")
    start, end = dim.get("startIndex"), dim.get("endIndex")
    size = sheet.rows if major == "ROWS" else sheet.cols
    if (
        not isinstance(start, int)
        or not isinstance(end, int)
        or isinstance(start, bool)
        or isinstance(end, bool)
        or not 1 <= start <= end <= size
    ):
        raise sheets_error(
            WRONG_ROW_OR_COL, f"startIndex..endIndex must be 1-based within 1..{size}"
        )
    if end - start + 1 > MAX_WRITE_ROWS:
        raise sheets_error(TOO_LARGE_REQUEST, f"at most {MAX_WRITE_ROWS} rows or columns a call")
    visible, fixed = props.get("visible"), props.get("fixedSize")
    if visible is None and fixed is None:
        raise _bad("dimensionProperties needs visible and/or fixedSize")
    if visible is not None and not isinstance(visible, bool):
        raise _bad("dimensionProperties.visible must be true or false")
    if fixed is not None and (isinstance(fixed, bool) or not isinstance(fixed, int) or fixed < 0):
        raise _bad("dimensionProperties.fixedSize must be pixels >= 0 (0 hides)")
    sizes = sheet.row_sizes if major == "ROWS" else sheet.col_sizes
    hidden = sheet.hidden_rows if major == "ROWS" else sheet.hidden_cols

    def apply() -> Data:
        for i in range(start, end + 1):
            if fixed is not None:
                sizes[i] = fixed
            if visible is not None:
                (hidden.discard if visible else hidden.add)(i)
        return {}

    return await serialized(req, book, apply)


# --- sheet properties -------------------------------------------------------------------
def sheet_properties(book: Spreadsheet, sheet: Sheet) -> Data:
    props: Data = {
        "sheetId": sheet.sheet_id,
        "title": sheet.title,
        "index": book.index_of(sheet.sheet_id),
        "hidden": sheet.hidden,
        "frozenRowCount": sheet.frozen_rows,
        "frozenColCount": sheet.frozen_cols,
    }
    if sheet.protect is not None:
        props["protect"] = dict(sheet.protect)
    return props


def check_title(book: Spreadsheet, title: Any, where: str, *, own: Sheet | None = None) -> str:
    if not isinstance(title, str) or not title.strip():
        raise sheets_error(EMPTY_SHEET_TITLE, f"{where} is required")
    if len(title) > MAX_TITLE or _TITLE_FORBIDDEN.search(title):
        raise _bad(f"{where}: at most {MAX_TITLE} characters, none of / \\ ? * [ ] :")
    if any(s.title == title and s is not own for s in book.sheets.values()):
        raise sheets_error(EXIST_SHEET_TITLE, f"a sheet is already titled {title!r}")
    return title


def move_sheet(book: Spreadsheet, sheet_id: str, index: Any) -> None:
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise _bad("index must be an integer >= 0")
    order = [s for s in book.sheets if s != sheet_id]
    order.insert(min(index, len(order)), sheet_id)
    book.sheets = {s: book.sheets[s] for s in order}


def _update_sheet(book: Spreadsheet, raw: Any) -> Data:
    props = raw.get("properties") if isinstance(raw, dict) else None
    if not isinstance(props, dict):
        raise _bad("updateSheet.properties is required")
    sheet = find_sheet(book, props.get("sheetId"))
    checks: list[tuple[str, int]] = [("frozenRowCount", sheet.rows), ("frozenColCount", sheet.cols)]
    for key, limit in checks:
        value = props.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit
        ):
            raise sheets_error(WRONG_ROW_OR_COL, f"{key} must be 0..{limit} (0 unfreezes)")
    if "hidden" in props and not isinstance(props["hidden"], bool):
        raise _bad("hidden must be true or false")
    if "protect" in props and (
        not isinstance(props["protect"], dict)
        or props["protect"].get("lock") not in ("LOCK", "UNLOCK")
    ):
        raise _bad('protect must be {"lock": "LOCK" | "UNLOCK", ...}')
    title = check_title(book, props["title"], "title", own=sheet) if "title" in props else None
    if "index" in props:
        move_sheet(book, sheet.sheet_id, props["index"])
    if title is not None:
        sheet.title = title
    if props.get("frozenRowCount") is not None:
        sheet.frozen_rows = props["frozenRowCount"]
    if props.get("frozenColCount") is not None:
        sheet.frozen_cols = props["frozenColCount"]
    if "hidden" in props:
        sheet.hidden = props["hidden"]
    if "protect" in props:
        sheet.protect = dict(props["protect"])
    return {"updateSheet": {"properties": sheet_properties(book, sheet)}}


def add_sheet(book: Spreadsheet, title: str, rows: int, cols: int, index: int | None) -> Sheet:
    if len(book.sheets) >= MAX_SHEETS:
        raise sheets_error(EXCESS_LIMIT, f"a spreadsheet holds at most {MAX_SHEETS} sheets")
    sheet = Sheet(new_sheet_id(book), title, rows, cols)
    book.sheets[sheet.sheet_id] = sheet
    if index is not None:
        move_sheet(book, sheet.sheet_id, index)
    return sheet


def _add_sheet(book: Spreadsheet, raw: Any) -> Data:
    props = raw.get("properties") if isinstance(raw, dict) else None
    if not isinstance(props, dict):
        raise _bad("addSheet.properties {title, index} is required")
    title = check_title(book, props.get("title"), "addSheet.properties.title")
    sheet = add_sheet(book, title, DEFAULT_ROWS, DEFAULT_COLS, props.get("index"))
    info = sheet_properties(book, sheet)
    return {"addSheet": {"properties": {k: info[k] for k in ("sheetId", "title", "index")}}}


def _copy_sheet(book: Spreadsheet, raw: Any) -> Data:
    source = raw.get("source") if isinstance(raw, dict) else None
    if not isinstance(source, dict):
        raise _bad("copySheet.source {sheetId} is required")
    original = find_sheet(book, source.get("sheetId"))
    destination = raw.get("destination") or {}
    title = destination.get("title") if isinstance(destination, dict) else None
    title = check_title(book, title or f"{original.title} copy", "copySheet.destination.title")
    sheet = add_sheet(book, title, original.rows, original.cols, None)
    sheet.cells = dict(original.cells)
    sheet.styles = dict(original.styles)
    sheet.merges = list(original.merges)
    sheet.row_sizes, sheet.col_sizes = dict(original.row_sizes), dict(original.col_sizes)
    sheet.hidden_rows, sheet.hidden_cols = set(original.hidden_rows), set(original.hidden_cols)
    sheet.frozen_rows, sheet.frozen_cols = original.frozen_rows, original.frozen_cols
    info = sheet_properties(book, sheet)
    return {"copySheet": {"properties": {k: info[k] for k in ("sheetId", "title", "index")}}}


def _delete_sheet(book: Spreadsheet, raw: Any) -> Data:
    sheet_id = raw.get("sheetId") if isinstance(raw, dict) else None
    sheet = find_sheet(book, sheet_id)
    if len(book.sheets) == 1:
        raise _bad("a spreadsheet keeps at least one sheet")
    del book.sheets[sheet.sheet_id]
    return {"deleteSheet": {"result": True, "sheetId": sheet.sheet_id}}


_OPERATIONS = {
    "updateSheet": _update_sheet,
    "addSheet": _add_sheet,
    "copySheet": _copy_sheet,
    "deleteSheet": _delete_sheet,
}


@routes.post(V2 + "/sheets_batch_update")
async def sheets_batch_update(req: FakeRequest) -> Data:
    book = find_book(req)
    uid = req.query.get("user_id_type")
    if uid not in (None, "", "open_id", "union_id", "user_id"):
        raise _bad("user_id_type is open_id, union_id or user_id")
    requests = body_of(req).get("requests")
    if not isinstance(requests, list) or not requests:
        raise _bad("requests must be a non-empty list")
    operations = []
    for i, item in enumerate(requests):
        if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in _OPERATIONS:
            raise _bad(f"requests[{i}] holds exactly one of " + ", ".join(_OPERATIONS))
        ((name, raw),) = item.items()
        operations.append((_OPERATIONS[name], raw))

    def apply() -> Data:
        return {"replies": [operation(book, raw) for operation, raw in operations]}

    return await serialized(req, book, apply)

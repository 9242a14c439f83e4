"""Sheets v3: create a spreadsheet, get it, query or get its sheets (Feishu Sheets docs).

Create is limited to 20/min per app (``sheets.v3_write``), the reads to
100/min (``sheets.v3_read``). A new spreadsheet has one sheet, "Sheet1",
of 200 rows × 20 columns, as Feishu makes it. Merges are reported 0-based and
inclusive. Errors answer HTTP 400: 1310204 (body not an object), 1310251 (a bad
parameter), 1310214 (no such spreadsheet, or no such sheet in it: the contract
names no code for the latter).
"""

from __future__ import annotations

from typing import Any

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.sheets.state import (
    DEFAULT_COLS,
    DEFAULT_ROWS,
    V3,
    V3_INVALID_PARAM,
    V3_NOT_FOUND,
    V3_READ,
    V3_WRITE,
    V3_WRONG_BODY,
    Data,
    Sheet,
    SheetsState,
    Spreadsheet,
    new_sheet_id,
    new_token,
    routes,
)

MAX_TITLE = 255


def _v3_error(code: int, detail: str) -> FakeError:
    names = {
        V3_WRONG_BODY: "wrong request body",
        V3_NOT_FOUND: "not found",
        V3_INVALID_PARAM: "invalid parameter",
    }
    return FakeError(code, f"{names[code]}: {detail}", status=400)


def create_spreadsheet(
    state: SheetsState,
    title: str,
    *,
    folder_token: str = "",
    owner_id: str = "",
    sheets: list[tuple[str, int, int]] | None = None,
) -> Spreadsheet:
    """A spreadsheet with ``sheets`` ((title, rows, cols); default one 200 × 20 "Sheet1")."""
    token = new_token("shtcn", 22)
    while token in state.spreadsheets:
        token = new_token("shtcn", 22)
    book = Spreadsheet(token=token, title=title, folder_token=folder_token, owner_id=owner_id)
    for sheet_title, rows, cols in sheets or [("Sheet1", DEFAULT_ROWS, DEFAULT_COLS)]:
        sheet = Sheet(new_sheet_id(book), sheet_title, rows, cols)
        book.sheets[sheet.sheet_id] = sheet
    state.spreadsheets[token] = book
    return book


def _url(req: FakeRequest, token: str) -> str:
    # the emulator's own address: an answer must never lead a client to a real Feishu host
    return f"{req.fake.url}/sheets/{token}"


def sheet_json(book: Spreadsheet, sheet: Sheet) -> Data:
    return {
        "sheet_id": sheet.sheet_id,
        "title": sheet.title,
        "index": book.index_of(sheet.sheet_id),
        "hidden": sheet.hidden,
        "grid_properties": {
            "frozen_row_count": sheet.frozen_rows,
            "frozen_column_count": sheet.frozen_cols,
            "row_count": sheet.rows,
            "column_count": sheet.cols,
        },
        "resource_type": "sheet",
        "merges": [
            {
                "start_row_index": r1 - 1,
                "end_row_index": r2 - 1,
                "start_column_index": c1 - 1,
                "end_column_index": c2 - 1,
            }
            for r1, c1, r2, c2 in sheet.merges
        ],
    }


def _book(req: FakeRequest) -> Spreadsheet:
    token = req.params["spreadsheet_token"]
    book = req.state(SheetsState).spreadsheets.get(token)
    if book is None:
        raise _v3_error(V3_NOT_FOUND, f"no spreadsheet {token}")
    return book


@routes.post(V3, family=V3_WRITE)
def create(req: FakeRequest) -> Data:
    if req.json_invalid or (req.json is not None and not isinstance(req.json, dict)):
        raise _v3_error(V3_WRONG_BODY, "the body must be a JSON object")
    body: dict[str, Any] = req.json or {}
    title, folder = body.get("title", ""), body.get("folder_token", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise _v3_error(V3_INVALID_PARAM, f"title must be a string of 0..{MAX_TITLE} characters")
    if not isinstance(folder, str):
        raise _v3_error(V3_INVALID_PARAM, "folder_token must be a string")
    owner = req.subject if req.token_kind == "user" and req.subject else req.app_id or ""
    book = create_spreadsheet(req.state(SheetsState), title, folder_token=folder, owner_id=owner)
    return {
        "spreadsheet": {
            "title": book.title,
            "folder_token": book.folder_token,
            "url": _url(req, book.token),
            "spreadsheet_token": book.token,
        }
    }


@routes.get(V3 + "/{spreadsheet_token}", family=V3_READ)
def get_spreadsheet(req: FakeRequest) -> Data:
    book = _book(req)
    return {
        "spreadsheet": {
            "title": book.title,
            "owner_id": book.owner_id,
            "token": book.token,
            "url": _url(req, book.token),
        }
    }


@routes.get(V3 + "/{spreadsheet_token}/sheets/query", family=V3_READ)
def query_sheets(req: FakeRequest) -> Data:
    book = _book(req)
    return {"sheets": [sheet_json(book, s) for s in book.sheets.values()]}


@routes.get(V3 + "/{spreadsheet_token}/sheets/{sheet_id}", family=V3_READ)
def get_sheet(req: FakeRequest) -> Data:
    book = _book(req)
    sheet = book.sheets.get(req.params["sheet_id"])
    if sheet is None:
        raise _v3_error(V3_NOT_FOUND, f"no sheet {req.params['sheet_id']} in this spreadsheet")
    return {"sheet": sheet_json(book, sheet)}

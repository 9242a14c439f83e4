"""What the Sheets emulator modules share: the route table, the state, the write queue, errors.

A spreadsheet holds sheets; a sheet keeps its cells, styles, merges, row
heights / column widths, hidden rows and columns and frozen panes sparsely
(keyed by 1-based ``(row, col)``), so a 5,000 × 100 write costs its cells only.

Codes follow the Feishu Sheets docs: the v2 endpoints answer the generic 90xxx codes with
HTTP 400, the v3 ones 1310xxx with HTTP 400. Writes to one spreadsheet are
serialised ("单个文档只能串行调用"): the contract documents no conflict code,
so a write arriving while another runs waits its turn and is counted in
``concurrent_writes``, which lets a test prove its client never overlaps them.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable
from lark_async.testing.sheets.ranges import Box, RangeError, parse_range

#: v2 data/style/merge/dimension/sheets_batch_update: 100/s per app (Feishu rate-limit docs).
routes = RouteTable("sheets", family="sheets")
V2 = "/open-apis/sheets/v2/spreadsheets/{spreadsheet_token}"
V3 = "/open-apis/sheets/v3/spreadsheets"
V3_WRITE = "sheets.v3_write"  # create: 20/min
V3_READ = "sheets.v3_read"  # get, sheets query/get: 100/min

MAX_WRITE_ROWS = 5_000  # per request (Feishu Sheets docs)
MAX_WRITE_COLS = 100
MAX_CELL_CHARS = 50_000
MAX_SHEET_CELLS = 5_000_000
MAX_SHEETS = 300
MAX_BORDER_CELLS = 30_000
READ_LIMIT = 10 * 1024 * 1024  # bytes of values one read may answer (10 MB)
OPEN_COLUMNS = 100  # an open-ended read answers at most this many columns
DEFAULT_ROWS = 200  # a new sheet's grid
DEFAULT_COLS = 20

# --- codes (Feishu Sheets docs) ---------------------------------------------------------------
WRONG_REQUEST_JSON = 90201
RANGE_INVALID = 90202
WRONG_REQUEST_BODY = 90204
EMPTY_SHEET_ID = 90206
EMPTY_SHEET_TITLE = 90207
EXIST_SHEET_TITLE = 90210
WRONG_ROW_OR_COL = 90212
SPREADSHEET_NOT_FOUND = 90214
SHEET_NOT_FOUND = 90215
EMPTY_VALUE = 90216
CELL_EXCESS = 90219
TOO_LARGE_RESPONSE = 90221
TOO_LARGE_CELL = 90222
EXCESS_LIMIT = 90226
TOO_LARGE_REQUEST = 90227
WRONG_URL_PARAM = 90229
V3_WRONG_BODY = 1310204
V3_NOT_FOUND = 1310214
V3_INVALID_PARAM = 1310251

_NAMES: dict[int, str] = {
    WRONG_REQUEST_JSON: "WrongRequestJson",
    RANGE_INVALID: "range invalid",
    WRONG_REQUEST_BODY: "WrongRequestBody",
    EMPTY_SHEET_ID: "EmptySheetId",
    EMPTY_SHEET_TITLE: "EmptySheetTitle",
    EXIST_SHEET_TITLE: "ExistSheetTitle",
    WRONG_ROW_OR_COL: "WrongRowOrCol",
    SPREADSHEET_NOT_FOUND: "SpreadSheetNotFound",
    SHEET_NOT_FOUND: "SheetIdNotFound",
    EMPTY_VALUE: "EmptyValue",
    CELL_EXCESS: "CellExcess",
    TOO_LARGE_RESPONSE: "TooLargeResponse",
    TOO_LARGE_CELL: "TooLargeCell",
    EXCESS_LIMIT: "ExcessLimit",
    TOO_LARGE_REQUEST: "TooLargeRequest",
    WRONG_URL_PARAM: "WrongURLParam",
    V3_WRONG_BODY: "wrong request body",
    V3_NOT_FOUND: "spreadsheet not found",
    V3_INVALID_PARAM: "invalid parameter",
}


def sheets_error(code: int, detail: str | None = None) -> FakeError:
    """A Sheets error (HTTP 400): the documented name, then what is wrong."""
    name = _NAMES.get(code, "request failed")
    return FakeError(code, f"{name}: {detail}" if detail else name, status=400)


# --- state ------------------------------------------------------------------------------
Cell = tuple[int, int]
Merge = tuple[int, int, int, int]  # start_row, start_col, end_row, end_col (1-based, inclusive)


@dataclass
class Sheet:
    sheet_id: str
    title: str
    rows: int
    cols: int
    hidden: bool = False
    cells: dict[Cell, Any] = field(default_factory=dict)
    styles: dict[Cell, dict[str, Any]] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    row_sizes: dict[int, int] = field(default_factory=dict)
    col_sizes: dict[int, int] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    frozen_rows: int = 0
    frozen_cols: int = 0
    protect: dict[str, Any] | None = None

    def grow(self, rows: int, cols: int) -> None:
        """Widen the grid so (rows, cols) fits; 90219 past the per-sheet limits."""
        rows, cols = max(self.rows, rows), max(self.cols, cols)
        if cols > 13_000 or rows * cols > MAX_SHEET_CELLS:
            raise sheets_error(CELL_EXCESS, f"a sheet holds at most {MAX_SHEET_CELLS} cells")
        self.rows, self.cols = rows, cols


@dataclass
class Spreadsheet:
    token: str
    title: str
    folder_token: str
    owner_id: str
    sheets: dict[str, Sheet] = field(default_factory=dict)  # in index order
    revision: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def index_of(self, sheet_id: str) -> int:
        return list(self.sheets).index(sheet_id)


@dataclass
class SheetsState:
    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    write_latency: float = 0.0
    write_calls: int = 0
    concurrent_writes: int = 0
    max_read_bytes: int = READ_LIMIT
    pending: set[asyncio.Task[Any]] = field(default_factory=set)


_ID_CHARS = string.ascii_letters + string.digits


def new_token(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def new_sheet_id(book: Spreadsheet) -> str:
    """A fresh 6-character sheet id, unique in the spreadsheet (like ``Q7PlXT``)."""
    while True:
        sheet_id = "".join(secrets.choice(_ID_CHARS) for _ in range(6))
        if sheet_id not in book.sheets:
            return sheet_id


# --- lookups ----------------------------------------------------------------------------
def find_book(req: FakeRequest) -> Spreadsheet:
    token = req.params["spreadsheet_token"]
    book = req.state(SheetsState).spreadsheets.get(token)
    if book is None:
        raise sheets_error(SPREADSHEET_NOT_FOUND, f"no spreadsheet {token}")
    return book


def find_sheet(book: Spreadsheet, sheet_id: Any) -> Sheet:
    if not isinstance(sheet_id, str) or not sheet_id:
        raise sheets_error(EMPTY_SHEET_ID, "sheetId is required")
    sheet = book.sheets.get(sheet_id)
    if sheet is None:
        raise sheets_error(SHEET_NOT_FOUND, f"no sheet {sheet_id} in this spreadsheet")
    return sheet


def resolve(book: Spreadsheet, text: Any, where: str = "range") -> tuple[Sheet, Box]:
    """A range string's sheet and box; 90202 if malformed, 90215 for an unknown sheet."""
    if not isinstance(text, str) or not text:
        raise sheets_error(RANGE_INVALID, f"{where} is required")
    try:
        box = parse_range(text)
    except RangeError as err:
        raise sheets_error(RANGE_INVALID, str(err)) from None
    return find_sheet(book, box.sheet_id), box


def body_of(req: FakeRequest) -> dict[str, Any]:
    if req.json_invalid:
        raise sheets_error(WRONG_REQUEST_JSON, "the body is not valid JSON")
    if not isinstance(req.json, dict):
        raise sheets_error(WRONG_REQUEST_BODY, "the body must be a JSON object")
    return req.json


def check_size(box: Box, what: str = "write") -> None:
    """≤ 5,000 rows × 100 columns per request, else 90227."""
    if box.rows > MAX_WRITE_ROWS or box.cols > MAX_WRITE_COLS:
        raise sheets_error(
            TOO_LARGE_REQUEST,
            f"a {what} covers {box.rows} rows x {box.cols} columns; "
            f"at most {MAX_WRITE_ROWS} x {MAX_WRITE_COLS} per request",
        )


# --- serialised writes ------------------------------------------------------------------
Data = dict[str, Any]


async def serialized(req: FakeRequest, book: Spreadsheet, apply: Callable[[], Data]) -> Data:
    """Run ``apply`` as the spreadsheet's only write, after the writes before it.

    It holds the spreadsheet for ``write_latency`` seconds, bumps ``revision``
    when it succeeds, and completes even if its client has gone away.
    """
    state = req.state(SheetsState)
    state.write_calls += 1
    if book.lock.locked():
        state.concurrent_writes += 1
    elif state.write_latency <= 0:  # nothing to wait for: apply at once (no await, atomic)
        return _applied(book, apply)
    task = asyncio.ensure_future(_queued(book, state.write_latency, apply))
    state.pending.add(task)
    task.add_done_callback(lambda t: _settled(state, t))
    return await asyncio.shield(task)


async def _queued(book: Spreadsheet, latency: float, apply: Callable[[], Data]) -> Data:
    async with book.lock:
        if latency > 0:
            await asyncio.sleep(latency)  # real time: the server's work on the document
        return _applied(book, apply)


def _applied(book: Spreadsheet, apply: Callable[[], Data]) -> Data:
    book.revision += 1
    try:
        return apply()
    except BaseException:
        book.revision -= 1
        raise


def _settled(state: SheetsState, task: asyncio.Task[Data]) -> None:
    state.pending.discard(task)
    if not task.cancelled():
        task.exception()  # an answer nobody waited for: mark its error as seen

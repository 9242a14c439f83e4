"""SheetsEmulator: seeding and inspecting one emulator's spreadsheets from a test.

Cells, styles and sizes are addressed 1-based, as A1 ranges are: ``styles()``
keys are ``(row, col)`` with ``(1, 1)`` = A1; ``values()`` is the grid as a list
of rows (so ``values()[0][0]`` is A1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.sheets import formatting, spreadsheets
from lark_async.testing.sheets.ranges import Box, parse_range
from lark_async.testing.sheets.state import (
    DEFAULT_COLS,
    DEFAULT_ROWS,
    MAX_SHEET_CELLS,
    Sheet,
    SheetsState,
    Spreadsheet,
)
from lark_async.testing.sheets.values import check_values, put

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark


class SheetsEmulator:
    """Seeding and inspection of one emulator's spreadsheets: ``SheetsEmulator.of(fake)``."""

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(SheetsState)

    @classmethod
    def of(cls, fake: FakeLark) -> SheetsEmulator:
        """The Sheets state of ``fake`` (created on first use; every view shares it)."""
        return cls(fake)

    # --- seeding ----------------------------------------------------------------------
    def create_spreadsheet(
        self,
        title: str = "Spreadsheet",
        sheets: Sequence[tuple[str, int, int]] = (("Sheet1", DEFAULT_ROWS, DEFAULT_COLS),),
        *,
        folder_token: str = "",
        owner_id: str = "",
    ) -> str:
        """A spreadsheet with ``sheets`` as (title, rows, cols); returns its ``shtcn`` token."""
        specs = list(sheets)
        if not specs:
            raise ValueError("a spreadsheet needs at least one sheet")
        titles = [t for t, _, _ in specs]
        if len(set(titles)) != len(titles):
            raise ValueError(f"sheet titles must be unique: {titles}")
        for t, rows, cols in specs:
            if not t or rows < 1 or cols < 1 or cols > 13_000 or rows * cols > MAX_SHEET_CELLS:
                raise ValueError(f"sheet {t!r}: a title, 1+ rows, 1..13000 columns, ≤ 5M cells")
        book = spreadsheets.create_spreadsheet(
            self.state, title, folder_token=folder_token, owner_id=owner_id, sheets=specs
        )
        return book.token

    def add_sheet(
        self, token: str, title: str, rows: int = DEFAULT_ROWS, cols: int = DEFAULT_COLS
    ) -> str:
        """Another sheet at the end; returns its id."""
        book = self._book(token)
        if any(s.title == title for s in book.sheets.values()):
            raise ValueError(f"a sheet is already titled {title!r}")
        return formatting.add_sheet(book, title, rows, cols, None).sheet_id

    def set_values(self, token: str, start: str, values: Sequence[Sequence[Any]]) -> str:
        """Write rows of cells with their top-left at ``start`` (``sid!A1``); the range filled.

        Cells are checked as a write checks them (a ValueError says what is wrong);
        ``None`` empties a cell; the grid grows to fit. The revision is not bumped.
        """
        box = _cell(start)
        sheet = self._sheet(token, box.sheet_id)
        rows = [list(row) for row in values]
        try:
            check_values(rows)
            put(sheet, box.start_row, box.start_col, rows)
        except FakeError as err:
            raise ValueError(err.msg) from None
        width = max(len(row) for row in rows)
        end = Box(
            box.sheet_id,
            box.start_row,
            box.start_col,
            box.start_row + len(rows) - 1,
            box.start_col + width - 1,
        )
        return end.a1()

    def set_write_latency(self, seconds: float) -> None:
        """Each write holds its spreadsheet this long (real seconds; default 0)."""
        if seconds < 0:
            raise ValueError("write latency cannot be negative")
        self.state.write_latency = float(seconds)

    @property
    def max_read_bytes(self) -> int:
        """Bytes of values one read may answer before 90221 (10 MB; lower it to test splitting)."""
        return self.state.max_read_bytes

    @max_read_bytes.setter
    def max_read_bytes(self, value: int) -> None:
        if value < 1:
            raise ValueError("max_read_bytes must be positive")
        self.state.max_read_bytes = value

    # --- inspection ---------------------------------------------------------------------
    def sheet_id(self, token: str, title: str) -> str:
        """The 6-character id of the sheet titled ``title``."""
        for sheet in self._book(token).sheets.values():
            if sheet.title == title:
                return sheet.sheet_id
        raise KeyError(f"no sheet titled {title!r}")

    def sheet_ids(self, token: str) -> list[str]:
        """Every sheet id, in index order."""
        return list(self._book(token).sheets)

    def values(self, token: str, sheet_id: str) -> list[list[Any]]:
        """The whole grid, rows × columns, ``None`` for empty cells (formula objects as stored)."""
        sheet = self._sheet(token, sheet_id)
        return [
            [sheet.cells.get((r, c)) for c in range(1, sheet.cols + 1)]
            for r in range(1, sheet.rows + 1)
        ]

    def cell(self, token: str, a1: str) -> Any:
        """One cell by ``sid!B2`` (None when empty)."""
        box = _cell(a1)
        return self._sheet(token, box.sheet_id).cells.get((box.start_row, box.start_col))

    def styles(self, token: str, sheet_id: str) -> dict[tuple[int, int], dict[str, Any]]:
        """(row, col) → style, 1-based, for every styled cell."""
        sheet = self._sheet(token, sheet_id)
        return {cell: _deep_copy(style) for cell, style in sheet.styles.items()}

    def merges(self, token: str, sheet_id: str) -> list[str]:
        """Merged blocks as ranges, e.g. ``["Q7PlXT!A1:C1"]``, in the order made."""
        sheet = self._sheet(token, sheet_id)
        return [Box(sheet_id, r1, c1, r2, c2).a1() for r1, c1, r2, c2 in sheet.merges]

    def dimensions(self, token: str, sheet_id: str) -> dict[str, dict[int, int]]:
        """``{"rows": {row: height}, "cols": {col: width}}`` (1-based) of sized rows and columns."""
        sheet = self._sheet(token, sheet_id)
        return {"rows": dict(sheet.row_sizes), "cols": dict(sheet.col_sizes)}

    def hidden(self, token: str, sheet_id: str) -> dict[str, set[int]]:
        """``{"rows": {...}, "cols": {...}}``: rows and columns hidden with ``visible: false``."""
        sheet = self._sheet(token, sheet_id)
        return {"rows": set(sheet.hidden_rows), "cols": set(sheet.hidden_cols)}

    def frozen(self, token: str, sheet_id: str) -> tuple[int, int]:
        """(frozen rows, frozen columns)."""
        sheet = self._sheet(token, sheet_id)
        return sheet.frozen_rows, sheet.frozen_cols

    def size(self, token: str, sheet_id: str) -> tuple[int, int]:
        """(rows, columns) of the grid; writes past it grow it."""
        sheet = self._sheet(token, sheet_id)
        return sheet.rows, sheet.cols

    def revision(self, token: str) -> int:
        """The spreadsheet's revision: +1 per successful write."""
        return self._book(token).revision

    @property
    def write_calls(self) -> int:
        """Write requests accepted (they may still have failed validation inside the queue)."""
        return self.state.write_calls

    @property
    def concurrent_writes(self) -> int:
        """Writes that arrived while another write held their spreadsheet (they waited)."""
        return self.state.concurrent_writes

    # --- helpers -----------------------------------------------------------------------------
    def _book(self, token: str) -> Spreadsheet:
        book = self.state.spreadsheets.get(token)
        if book is None:
            raise KeyError(f"no spreadsheet {token!r}")
        return book

    def _sheet(self, token: str, sheet_id: str) -> Sheet:
        sheet = self._book(token).sheets.get(sheet_id)
        if sheet is None:
            raise KeyError(f"no sheet {sheet_id!r} in spreadsheet {token!r}")
        return sheet

    def __repr__(self) -> str:
        return f"SheetsEmulator(spreadsheets={len(self.state.spreadsheets)})"


def _cell(a1: str) -> Box:
    box = parse_range(a1)
    if not box.bounded or box.rows != 1 or box.cols != 1:
        raise ValueError(f"{a1!r} is not one cell")
    return box


def _deep_copy(style: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in style.items()}

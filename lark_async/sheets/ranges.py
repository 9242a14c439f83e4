"""A1 ranges: ``<sheetId>!A1:C3`` as a typed, validated value.

Feishu accepts four range forms (Feishu Sheets docs): ``sheet!A1:B5`` (cells),
``sheet!A:B`` (whole columns), ``sheet!A2:B`` (from row 2 to the end) and
``sheet`` (the whole sheet). :class:`SheetRange` models all four; rows and
columns are 1-based, as in the A1 notation, and every instance is checked
when built, so a bad range fails before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from lark_async.core.errors import InvalidParameter

#: Columns a sheet may have (Feishu Sheets docs global limits).
MAX_COLUMNS = 13_000
#: Cells a sheet may hold; with one column that is also the highest row.
MAX_CELLS = 5_000_000
MAX_ROWS = MAX_CELLS

_SHEET_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
# At most 7 row digits (a sheet has 5,000,000 cells), so int() never sees a huge number.
_CELL = re.compile(r"^([A-Za-z]{1,3})([0-9]{0,7})\Z")


def column_letter(index: int) -> str:
    """1 → ``A``, 26 → ``Z``, 27 → ``AA`` (1-based, bijective base 26)."""
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= MAX_COLUMNS:
        raise InvalidParameter(
            f"column index must be an int in 1..{MAX_COLUMNS}, got {index!r:.40}",
            hint=f"columns are 1-based; a sheet has at most {MAX_COLUMNS} columns",
        )
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27 (case-insensitive)."""
    return _column_index(letters, "letters")


def _column_index(letters: str, name: str) -> int:
    if not isinstance(letters, str) or not letters.isascii() or not letters.isalpha():
        raise InvalidParameter(
            f"{name}: a column is letters such as 'A' or 'AB', got {letters!r:.40}",
            hint="use column letters (A, B, ..., AA) or a 1-based int",
        )
    if len(letters) > 3:  # XFD-style: three letters reach past the last column already
        raise InvalidParameter(
            f"{name}: column {letters[:40]!r} is past the last column a sheet can have",
            hint=f"a sheet has at most {MAX_COLUMNS} columns",
        )
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - ord("A") + 1)
    if index > MAX_COLUMNS:
        raise InvalidParameter(
            f"{name}: column {letters!r} is past the last column a sheet can have",
            hint=f"column: a sheet has at most {MAX_COLUMNS} columns "
            f"(the last is {column_letter(MAX_COLUMNS)})",
        )
    return index


def to_column_index(column: int | str, *, name: str = "column") -> int:
    """A column given as letters or a 1-based int, as a 1-based int."""
    if isinstance(column, str):
        return _column_index(column, name)
    if isinstance(column, bool) or not isinstance(column, int) or not 1 <= column <= MAX_COLUMNS:
        raise InvalidParameter(
            f"{name} must be column letters or an int in 1..{MAX_COLUMNS}, got {column!r:.40}",
            hint=f"{name}: columns are 1-based (1 = A)",
        )
    return column


def check_spreadsheet_token(token: str) -> str:
    """The token of a spreadsheet (``shtcn…``), checked for shape before it goes in a path."""
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", token):
        raise InvalidParameter(
            f"spreadsheet_token must be a non-empty token of letters and digits, got {token!r:.60}",
            hint="spreadsheet_token: the part of the sheet URL after /sheets/, e.g. shtcn...",
        )
    return token


def check_sheet_id(sheet_id: str, *, name: str = "sheet_id") -> str:
    if not isinstance(sheet_id, str) or not _SHEET_ID.match(sheet_id):
        raise InvalidParameter(
            f"{name} must be a sheet id such as '0bdf12', got {sheet_id!r:.60}",
            hint=f"{name}: the sheet id comes from list_sheets(); it is not the sheet's title",
        )
    return sheet_id


def _positive(value: int | None, name: str, limit: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise InvalidParameter(
            f"{name} must be an int in 1..{limit}, got {value!r:.40}",
            hint=f"{name}: rows and columns are 1-based; the limit is {limit}",
        )


def _size(value: int, name: str, limit: int) -> None:
    if value is None:
        raise InvalidParameter(f"{name} must be an int in 1..{limit}, got None")
    _positive(value, name, limit)


def _count(value: int, name: str, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InvalidParameter(
            f"{name} must be an int in 0..{limit}, got {value!r:.40}",
            hint=f"{name}: a count of rows or columns",
        )


@dataclass(frozen=True, slots=True)
class SheetRange:
    """A validated range of one sheet. Rows and columns are 1-based and inclusive.

    Build it with :meth:`parse` (``"0bdf12!A1:C3"``), :meth:`cells`,
    :meth:`columns` or :meth:`sheet`. ``str(rng)`` gives the A1 form Feishu expects.
    Unset ends mean "to the end of the sheet".
    """

    sheet_id: str
    start_row: int | None = None
    start_col: int | None = None
    end_row: int | None = None
    end_col: int | None = None

    def __post_init__(self) -> None:
        check_sheet_id(self.sheet_id)
        _positive(self.start_row, "start_row", MAX_ROWS)
        _positive(self.end_row, "end_row", MAX_ROWS)
        _positive(self.start_col, "start_col", MAX_COLUMNS)
        _positive(self.end_col, "end_col", MAX_COLUMNS)
        cols = (self.start_col is None, self.end_col is None)
        if cols == (True, True):
            if self.start_row is not None or self.end_row is not None:
                raise InvalidParameter(
                    "a range with rows needs its columns too "
                    "(start_row/end_row without start_col/end_col)",
                    hint="range: use 'sheet!A1:C3', 'sheet!A2:C', 'sheet!A:C' or 'sheet'",
                )
            return
        if True in cols:
            raise InvalidParameter(
                "start_col and end_col must be given together",
                hint="range: use 'sheet!A1:C3', 'sheet!A2:C', 'sheet!A:C' or 'sheet'",
            )
        if self.end_row is not None and self.start_row is None:
            raise InvalidParameter(
                "end_row needs start_row",
                hint="range: an end row needs a start row, e.g. 'sheet!A1:C3'",
            )
        assert self.start_col is not None and self.end_col is not None
        if self.end_col < self.start_col:
            raise InvalidParameter(
                f"range ends at column {column_letter(self.end_col)} before it starts "
                f"({column_letter(self.start_col)}): end_col < start_col",
                hint="range: write the top-left cell first, e.g. 'sheet!A1:C3'",
            )
        if (
            self.start_row is not None
            and self.end_row is not None
            and self.end_row < self.start_row
        ):
            raise InvalidParameter(
                f"range ends at row {self.end_row} before it starts ({self.start_row}): "
                "end_row < start_row",
                hint="range: write the top-left cell first, e.g. 'sheet!A1:C3'",
            )

    # -- building -------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> SheetRange:
        """Read ``"0bdf12!A1:C3"``, ``"0bdf12!A:C"``, ``"0bdf12!A2:C"``, ``"0bdf12!B2"``
        (one cell) or ``"0bdf12"`` (the whole sheet)."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidParameter(
                f"range must be a non-empty string, got {text!r:.60}",
                hint="range: '<sheetId>!A1:C3' (sheet ids come from list_sheets())",
            )
        sheet_id, bang, cells = text.strip().partition("!")
        check_sheet_id(sheet_id, name="range sheet id")
        if not bang:
            return cls(sheet_id)
        start, colon, end = cells.partition(":")
        if not colon:
            row, col = _parse_cell(start, text)
            if row is None:
                raise InvalidParameter(
                    f"range {text!r}: a single cell needs a row number",
                    hint="range: e.g. 'sheet!B2' or 'sheet!B:B' for a whole column",
                )
            return cls(sheet_id, row, col, row, col)
        row1, col1 = _parse_cell(start, text)
        row2, col2 = _parse_cell(end, text)
        if row1 is None and row2 is not None:
            raise InvalidParameter(
                f"range {text!r}: the end has a row but the start has none",
                hint="range: 'sheet!A2:C' runs from row 2 to the end; 'sheet!A:C2' is not valid",
            )
        return cls(sheet_id, row1, col1, row2, col2)

    @classmethod
    def coerce(cls, value: str | SheetRange, *, name: str = "range") -> SheetRange:
        """Accept either form callers pass to the service."""
        if isinstance(value, SheetRange):
            return value
        if isinstance(value, str):
            try:
                return cls.parse(value)
            except InvalidParameter as exc:
                if name == "range":
                    raise
                raise InvalidParameter(f"{name}: {exc.message}", hint=exc.hint) from None
        raise InvalidParameter(
            f"{name} must be a str such as 'sheet!A1:C3' or a SheetRange, "
            f"got {type(value).__name__}",
            hint=f"{name}: '<sheetId>!A1:C3' or SheetRange.cells(...)",
        )

    @classmethod
    def cells(
        cls, sheet_id: str, start_row: int, start_col: int | str, end_row: int, end_col: int | str
    ) -> SheetRange:
        """A box of cells; columns as letters or 1-based ints."""
        return cls(
            sheet_id,
            start_row,
            to_column_index(start_col, name="start_col"),
            end_row,
            to_column_index(end_col, name="end_col"),
        )

    @classmethod
    def columns(
        cls, sheet_id: str, start_col: int | str, end_col: int | str, *, from_row: int | None = None
    ) -> SheetRange:
        """Whole columns (``A:C``), or from ``from_row`` down (``A2:C``)."""
        _positive(from_row, "from_row", MAX_ROWS)
        return cls(
            sheet_id,
            from_row,
            to_column_index(start_col, name="start_col"),
            None,
            to_column_index(end_col, name="end_col"),
        )

    @classmethod
    def sheet(cls, sheet_id: str) -> SheetRange:
        """The whole sheet."""
        return cls(sheet_id)

    # -- reading --------------------------------------------------------
    @property
    def a1(self) -> str:
        """The part after ``!`` (``"A1:C3"``), or ``""`` for a whole sheet."""
        if self.start_col is None or self.end_col is None:
            return ""
        start = column_letter(self.start_col) + (
            "" if self.start_row is None else str(self.start_row)
        )
        end = column_letter(self.end_col) + ("" if self.end_row is None else str(self.end_row))
        return f"{start}:{end}"

    def __str__(self) -> str:
        a1 = self.a1
        return f"{self.sheet_id}!{a1}" if a1 else self.sheet_id

    @property
    def is_bounded(self) -> bool:
        """All four corners known (a box of cells)."""
        return None not in (self.start_row, self.start_col, self.end_row, self.end_col)

    @property
    def top_left(self) -> tuple[int, int]:
        """(row, col) of the first cell."""
        return (self.start_row or 1, self.start_col or 1)

    @property
    def row_count(self) -> int | None:
        if self.start_row is None or self.end_row is None:
            return None
        return self.end_row - self.start_row + 1

    @property
    def col_count(self) -> int | None:
        if self.start_col is None or self.end_col is None:
            return None
        return self.end_col - self.start_col + 1

    @property
    def cell_count(self) -> int | None:
        rows, cols = self.row_count, self.col_count
        return None if rows is None or cols is None else rows * cols

    # -- deriving -------------------------------------------------------
    def sized(self, rows: int, cols: int) -> SheetRange:
        """The box of ``rows`` × ``cols`` cells starting at this range's top-left cell."""
        _size(rows, "rows", MAX_ROWS)
        _size(cols, "cols", MAX_COLUMNS)
        row, col = self.top_left
        end_row, end_col = row + rows - 1, col + cols - 1
        if end_row > MAX_ROWS or end_col > MAX_COLUMNS:
            raise InvalidParameter(
                f"{rows} x {cols} values starting at {column_letter(col)}{row} run past the "
                "edge of a sheet",
                hint=f"values: a sheet has at most {MAX_COLUMNS} columns and {MAX_CELLS:,} cells",
            )
        return SheetRange(self.sheet_id, row, col, end_row, end_col)

    def bounded(self, row_count: int, col_count: int) -> SheetRange:
        """Open ends closed at the sheet's size (from ``list_sheets()`` grid properties)."""
        _count(row_count, "row_count", MAX_ROWS)
        _count(col_count, "col_count", MAX_COLUMNS)
        row, col = self.top_left
        end_row = self.end_row if self.end_row is not None else max(row, row_count)
        end_col = self.end_col if self.end_col is not None else max(col, col_count)
        return SheetRange(self.sheet_id, row, col, end_row, end_col)

    def sub(self, row_offset: int, col_offset: int, rows: int, cols: int) -> SheetRange:
        """A box inside this range, offsets 0-based from its top-left cell."""
        _count(row_offset, "row_offset", MAX_ROWS)
        _count(col_offset, "col_offset", MAX_COLUMNS)
        _size(rows, "rows", MAX_ROWS)
        _size(cols, "cols", MAX_COLUMNS)
        row, col = self.top_left
        return SheetRange(
            self.sheet_id,
            row + row_offset,
            col + col_offset,
            row + row_offset + rows - 1,
            col + col_offset + cols - 1,
        )

    def halves(self) -> tuple[SheetRange, SheetRange] | None:
        """Split a box in two: by rows while it has more than one, then by columns.

        None for a single cell (it cannot get any smaller).
        """
        rows, cols = self.row_count, self.col_count
        if rows is None or cols is None:
            raise InvalidParameter("only a bounded range can be split", hint="bound it first")
        if rows > 1:
            top = (rows + 1) // 2
            return self.sub(0, 0, top, cols), self.sub(top, 0, rows - top, cols)
        if cols > 1:
            left = (cols + 1) // 2
            return self.sub(0, 0, rows, left), self.sub(0, left, rows, cols - left)
        return None


RangeLike: TypeAlias = str | SheetRange


def _parse_cell(text: str, whole: str) -> tuple[int | None, int]:
    m = _CELL.match(text.strip())
    if not m:
        raise InvalidParameter(
            f"range {whole!r}: {text!r} is not a cell such as 'A1' or a column such as 'A'",
            hint="range: '<sheetId>!A1:C3', '<sheetId>!A:C', '<sheetId>!A2:C' or '<sheetId>'",
        )
    letters, digits = m.groups()
    col = column_index(letters)
    if not digits:
        return None, col
    row = int(digits)
    if not 1 <= row <= MAX_ROWS:
        raise InvalidParameter(
            f"range {whole!r}: row {row} is outside 1..{MAX_ROWS}",
            hint="range: rows are 1-based",
        )
    return row, col

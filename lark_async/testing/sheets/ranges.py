"""A1 ranges of the Sheets v2 API (Feishu Sheets docs): ``<sheetId>!A1:C3`` and its open forms.

Forms: ``sid!A1:C3`` (a box), ``sid!A:C`` (whole columns), ``sid!A2:C`` (columns
from row 2 down), ``sid`` (the whole sheet) and ``sid!B2`` (one cell). Rows and
columns are 1-based; an open end is ``None`` until the sheet closes it. Anything
else is ``RangeError`` (the routes answer 90202).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 13_000  # per sheet (Feishu Sheets docs)
_CELL = r"([A-Z]{1,3})(\d*)"
_RANGE = re.compile(rf"^([^!]+?)(?:!{_CELL}(?::{_CELL})?)?$")


class RangeError(ValueError):
    """A range string that is not one of the documented forms."""


def column_index(letters: str) -> int:
    """``"A"`` → 1, ``"AB"`` → 28."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(index: int) -> str:
    """1 → ``"A"``, 28 → ``"AB"``."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(frozen=True, slots=True)
class Box:
    """A parsed range: 1-based inclusive corners; ``end_row``/``end_col`` None when open."""

    sheet_id: str
    start_row: int
    start_col: int
    end_row: int | None
    end_col: int | None

    @property
    def bounded(self) -> bool:
        return self.end_row is not None and self.end_col is not None

    def closed(self, rows: int, cols: int) -> Box:
        """The box with open ends closed at ``rows`` × ``cols``."""
        return Box(
            self.sheet_id,
            self.start_row,
            self.start_col,
            self.end_row if self.end_row is not None else max(rows, self.start_row),
            self.end_col if self.end_col is not None else max(cols, self.start_col),
        )

    @property
    def rows(self) -> int:
        assert self.end_row is not None, "close the box first"
        return self.end_row - self.start_row + 1

    @property
    def cols(self) -> int:
        assert self.end_col is not None, "close the box first"
        return self.end_col - self.start_col + 1

    def a1(self) -> str:
        """``sid!A1:C3`` (a closed box), as answers carry it."""
        start = f"{column_letters(self.start_col)}{self.start_row}"
        end_row = "" if self.end_row is None else str(self.end_row)
        end_col = "" if self.end_col is None else column_letters(self.end_col)
        return f"{self.sheet_id}!{start}:{end_col}{end_row}"


def parse_range(text: str) -> Box:
    """Parse one range; ``RangeError`` says what is wrong."""
    m = _RANGE.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise RangeError(f"{text!r} is not <sheetId>!A1:C3, <sheetId>!A:C or <sheetId>")
    sheet_id, c1, r1, c2, r2 = m.groups()
    sheet_id = sheet_id.strip()
    if not sheet_id:
        raise RangeError(f"{text!r} has no sheet id")
    if c1 is None:  # the whole sheet
        return Box(sheet_id, 1, 1, None, None)
    if c2 is None:  # one cell
        if not r1:
            raise RangeError(f"{text!r}: a single cell needs a row, e.g. {c1}1")
        c2, r2 = c1, r1
    start_col, end_col = column_index(c1), column_index(c2)
    if r1 == "" and r2 != "":
        raise RangeError(f"{text!r}: a start without a row cannot end on a row")
    start_row = int(r1) if r1 else 1
    end_row = int(r2) if r2 else None
    if start_row < 1 or (end_row is not None and end_row < 1):
        raise RangeError(f"{text!r}: rows start at 1")
    if end_col > MAX_COLUMNS:
        raise RangeError(f"{text!r}: a sheet has at most {MAX_COLUMNS} columns")
    if end_col < start_col or (end_row is not None and end_row < start_row):
        raise RangeError(f"{text!r} ends before it starts")
    return Box(sheet_id, start_row, start_col, end_row, end_col)

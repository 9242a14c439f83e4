"""Checks on a grid of cell values before it is written.

Feishu rejects a bad grid with a terse code after the upload; these checks say
which cell is wrong, and why, before anything is sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, TypeAlias

from lark_async.core.checks import check_json, has_surrogates
from lark_async.core.errors import InvalidParameter
from lark_async.sheets.ranges import MAX_CELLS, MAX_COLUMNS, column_letter

#: Characters a cell may hold (Feishu Sheets docs: ≤ 50,000; 40,000 recommended).
MAX_CELL_CHARS = 50_000
# What the JSON encoder can carry as an int.
_MIN_INT = -(2**63)
_MAX_INT = 2**64 - 1

#: One cell: text, a number, a boolean, empty (None), or a Feishu value object
#: such as ``{"type": "formula", "text": "=SUM(A1:A3)"}``.
Cell: TypeAlias = str | int | float | bool | dict[str, Any] | None
Grid: TypeAlias = Sequence[Sequence[Cell]]


def check_grid(values: Grid, *, name: str = "values") -> tuple[int, int]:
    """(rows, columns) of a rectangular, JSON-safe grid; InvalidParameter otherwise."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InvalidParameter(
            f"{name} must be a list of rows (lists of cells), got {type(values).__name__}",
            hint=f"{name}: e.g. [['Name', 'Qty'], ['apple', 3]]",
        )
    if not values:
        raise InvalidParameter(
            f"{name} is empty", hint=f"{name}: give at least one row with at least one cell"
        )
    first = values[0]
    # Refuse an oversized grid before walking millions of cells.
    if (
        not isinstance(first, (str, bytes))
        and isinstance(first, Sequence)
        and len(values) * len(first) > MAX_CELLS
    ):
        raise InvalidParameter(
            f"{name} has {len(values) * len(first):,} cells; a sheet holds at most {MAX_CELLS:,}",
            hint=f"{name}: split the data over several sheets",
        )
    width = -1
    for r, row in enumerate(values):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise InvalidParameter(
                f"{name}[{r}] must be a list of cells, got {type(row).__name__}",
                hint=f"{name}: every row is a list, even a row of one cell: [['x']]",
            )
        if width < 0:
            width = len(row)
            if width == 0:
                raise InvalidParameter(
                    f"{name}[0] is an empty row", hint=f"{name}: rows need at least one cell"
                )
            if width > MAX_COLUMNS:
                raise InvalidParameter(
                    f"{name} rows have {width} cells; a sheet has at most {MAX_COLUMNS} columns",
                    hint=f"{name}: at most {MAX_COLUMNS} cells per row",
                )
        elif len(row) != width:
            raise InvalidParameter(
                f"{name} is ragged: row {r} has {len(row)} cells, row 0 has {width}",
                hint=f"{name}: every row must have the same number of cells; pad with None",
            )
        for c, cell in enumerate(row):
            _check_cell(cell, name, r, c)
    return len(values), width


def _check_cell(cell: object, name: str, r: int, c: int) -> None:
    if cell is None or isinstance(cell, bool):
        return
    if isinstance(cell, int):
        if not _MIN_INT <= cell <= _MAX_INT:
            raise InvalidParameter(
                f"{_where(name, r, c)} is an int beyond 64 bits",
                hint=f"{name}: write big numbers as strings",
            )
        return
    if isinstance(cell, str):
        if len(cell) > MAX_CELL_CHARS:
            raise InvalidParameter(
                f"{_where(name, r, c)} holds {len(cell):,} characters",
                hint=f"{name}: a cell holds at most {MAX_CELL_CHARS:,} characters",
            )
        if has_surrogates(cell):
            raise InvalidParameter(
                f"{_where(name, r, c)} holds a lone surrogate, which is not valid Unicode",
                hint=f"{name}: decode bytes with errors='replace'",
            )
        return
    where = _where(name, r, c)
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise InvalidParameter(
                f"{where} is {cell!r}, which JSON cannot carry",
                hint=f"{name}: use None for an empty cell, or a string",
            )
        return
    if isinstance(cell, dict):
        if not all(isinstance(k, str) for k in cell):
            raise InvalidParameter(
                f"{where}: a value object needs string keys",
                hint=f"{name}: e.g. {{'type': 'formula', 'text': '=A1+1'}}",
            )
        try:
            check_json(cell, where)
            json.dumps(cell, allow_nan=False)  # NaN, which the transport would send as null
        except (InvalidParameter, TypeError, ValueError, RecursionError):
            raise InvalidParameter(
                f"{where}: the value object is not JSON (NaN, a set, bytes, an object...)",
                hint=f"{name}: e.g. {{'type': 'formula', 'text': '=A1+1'}}",
            ) from None
        return
    raise InvalidParameter(
        f"{where} is a {type(cell).__name__}, which a sheet cell cannot hold",
        hint=f"{name}: use str, int, float, bool, None or a Feishu value object (dict); "
        "convert dates and decimals to strings or numbers first",
    )


def _where(name: str, r: int, c: int) -> str:
    return f"{name}[{r}][{c}] (column {column_letter(c + 1)})"


def slice_grid(values: Grid, row: int, col: int, rows: int, cols: int) -> list[list[Cell]]:
    """The ``rows`` × ``cols`` block of ``values`` at 0-based (row, col), as plain lists."""
    return [list(r[col : col + cols]) for r in values[row : row + rows]]

"""Cutting a big range into blocks one request may carry.

Writes (values, styles, merges) take at most 5,000 rows × 100 columns per
request, and border styles at most 30,000 cells (Feishu Sheets docs).
"""

from __future__ import annotations

from lark_async.core.errors import InvalidParameter
from lark_async.sheets.ranges import SheetRange
from lark_async.sheets.values import Cell, Grid, slice_grid

MAX_WRITE_ROWS = 5_000
MAX_WRITE_COLS = 100
MAX_BORDER_CELLS = 30_000
#: Rows or columns one dimension update may cover (Feishu Sheets docs).
MAX_DIMENSION_SPAN = 5_000


def blocks(
    target: SheetRange, max_rows: int = MAX_WRITE_ROWS, max_cols: int = MAX_WRITE_COLS
) -> list[SheetRange]:
    """``target`` cut into boxes of at most ``max_rows`` × ``max_cols``, row-major."""
    rows, cols = target.row_count, target.col_count
    if rows is None or cols is None:
        raise InvalidParameter(
            f"range {target} is open-ended and cannot be cut into blocks",
            hint="range: give both corners, e.g. 'sheet!A1:C3'",
        )
    if max_rows < 1 or max_cols < 1:
        raise InvalidParameter(
            f"block size must be at least 1 x 1, got {max_rows} x {max_cols}",
            hint="max_rows/max_cols: positive ints",
        )
    out: list[SheetRange] = []
    for r in range(0, rows, max_rows):
        for c in range(0, cols, max_cols):
            out.append(target.sub(r, c, min(max_rows, rows - r), min(max_cols, cols - c)))
    return out


def block_values(values: Grid, target: SheetRange, block: SheetRange) -> list[list[Cell]]:
    """The part of ``values`` (laid out at ``target``'s top-left) that ``block`` covers."""
    row0, col0 = target.top_left
    row, col = block.top_left
    rows, cols = block.row_count, block.col_count
    assert rows is not None and cols is not None
    return slice_grid(values, row - row0, col - col0, rows, cols)

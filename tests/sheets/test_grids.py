"""Value grids and block planning: checked and cut before anything is sent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.errors import InvalidParameter
from lark_async.sheets import SheetRange
from lark_async.sheets.chunking import block_values, blocks
from lark_async.sheets.values import MAX_CELL_CHARS, check_grid


def test_grid_shape() -> None:
    assert check_grid([["a", 1, 2.5, True, None, {"type": "formula", "text": "=A1"}]]) == (1, 6)
    assert check_grid([[1], [2], [3]]) == (3, 1)
    assert check_grid(((1, 2), (3, 4))) == (2, 2)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([], "empty"),
        ([[]], "empty row"),
        ("abc", "list of rows"),
        ([["a", "b"], ["c"]], "ragged"),
        ([["a"], "b"], "list of cells"),
        ([[float("nan")]], "JSON"),
        ([[float("inf")]], "JSON"),
        ([[object()]], "cannot hold"),
        ([[b"bytes"]], "cannot hold"),
        ([[["nested"]]], "cannot hold"),
        ([[{1: "x"}]], "string keys"),
        ([["x" * (MAX_CELL_CHARS + 1)]], "characters"),
        ([[0] * 13_001], "13000 columns"),
    ],
)
def test_bad_grids_are_rejected(values: object, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        check_grid(values)  # type: ignore[arg-type]
    assert fragment in str(exc.value)
    assert exc.value.hint and exc.value.hint.startswith("values")


def test_bad_cell_is_located() -> None:
    with pytest.raises(InvalidParameter) as exc:
        check_grid([[1, 2, 3], [4, 5, {6}]])  # type: ignore[list-item]
    assert "values[1][2] (column C)" in str(exc.value)


def test_too_many_cells_for_a_sheet() -> None:
    row = [None] * 100
    with pytest.raises(InvalidParameter) as exc:
        check_grid([row] * 50_001)
    assert "5,000,000" in str(exc.value)


def test_blocks_cover_a_range_row_major() -> None:
    target = SheetRange.parse("s1!B2:GS12001")  # 12,000 rows x 200 columns
    parts = blocks(target)
    assert [str(p) for p in parts] == [
        "s1!B2:CW5001",
        "s1!CX2:GS5001",
        "s1!B5002:CW10001",
        "s1!CX5002:GS10001",
        "s1!B10002:CW12001",
        "s1!CX10002:GS12001",
    ]
    assert sum(p.cell_count or 0 for p in parts) == target.cell_count


@given(st.integers(1, 30), st.integers(1, 12), st.integers(1, 7), st.integers(1, 5))
def test_blocks_partition_the_grid(rows: int, cols: int, max_rows: int, max_cols: int) -> None:
    target = SheetRange.parse("s1!C3").sized(rows, cols)
    values = [[f"{r}:{c}" for c in range(cols)] for r in range(rows)]
    seen: list[str] = []
    for part in blocks(target, max_rows, max_cols):
        assert (part.row_count or 0) <= max_rows and (part.col_count or 0) <= max_cols
        for row in block_values(values, target, part):
            seen.extend(str(cell) for cell in row)
    assert sorted(seen) == sorted(cell for row in values for cell in row)
    assert len(seen) == rows * cols  # each cell exactly once


def test_blocks_need_a_bounded_range_and_a_positive_size() -> None:
    with pytest.raises(InvalidParameter):
        blocks(SheetRange.parse("s1!A:B"))
    with pytest.raises(InvalidParameter):
        blocks(SheetRange.parse("s1!A1:B2"), 0, 10)

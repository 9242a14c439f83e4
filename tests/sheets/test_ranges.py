"""The A1 range model: parsing, formatting, column letters, validation, splitting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.errors import InvalidParameter
from lark_async.sheets import SheetRange, column_index, column_letter
from lark_async.sheets.ranges import MAX_COLUMNS, MAX_ROWS, check_spreadsheet_token


@pytest.mark.parametrize(
    ("index", "letters"),
    [(1, "A"), (2, "B"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"), (702, "ZZ"), (703, "AAA")],
)
def test_column_letters_both_ways(index: int, letters: str) -> None:
    assert column_letter(index) == letters
    assert column_index(letters) == index
    assert column_index(letters.lower()) == index


@given(st.integers(min_value=1, max_value=MAX_COLUMNS))
def test_column_letter_round_trips(index: int) -> None:
    assert column_index(column_letter(index)) == index


@pytest.mark.parametrize("bad", [0, -1, MAX_COLUMNS + 1, True, 1.5, "A"])
def test_column_letter_rejects_bad_index(bad: object) -> None:
    with pytest.raises(InvalidParameter) as exc:
        column_letter(bad)  # type: ignore[arg-type]
    assert "column" in str(exc.value)


@pytest.mark.parametrize("bad", ["", "A1", "Ä", "1", "A B", "ZZZZ"])
def test_column_index_rejects_bad_letters(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        column_index(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0bdf12!A1:B5", SheetRange("0bdf12", 1, 1, 5, 2)),
        ("0bdf12!A:B", SheetRange("0bdf12", None, 1, None, 2)),
        ("0bdf12!A2:B", SheetRange("0bdf12", 2, 1, None, 2)),
        ("0bdf12", SheetRange("0bdf12")),
        ("0bdf12!c3", SheetRange("0bdf12", 3, 3, 3, 3)),
        ("  Q7PlXT!AA10:AB20 ", SheetRange("Q7PlXT", 10, 27, 20, 28)),
    ],
)
def test_parse_the_four_forms(text: str, expected: SheetRange) -> None:
    assert SheetRange.parse(text) == expected


@pytest.mark.parametrize(
    ("rng", "text"),
    [
        (SheetRange("s1", 1, 1, 5, 2), "s1!A1:B5"),
        (SheetRange("s1", None, 1, None, 2), "s1!A:B"),
        (SheetRange("s1", 2, 1, None, 2), "s1!A2:B"),
        (SheetRange("s1"), "s1"),
        (SheetRange("s1", 3, 3, 3, 3), "s1!C3:C3"),
    ],
)
def test_format(rng: SheetRange, text: str) -> None:
    assert str(rng) == text
    assert SheetRange.parse(text) == rng


@given(
    st.integers(1, 10_000),
    st.integers(1, MAX_COLUMNS),
    st.integers(0, 500),
    st.integers(0, 500),
)
def test_box_round_trips(row: int, col: int, extra_rows: int, extra_cols: int) -> None:
    end_col = min(MAX_COLUMNS, col + extra_cols)
    rng = SheetRange("abc123", row, col, row + extra_rows, end_col)
    assert SheetRange.parse(str(rng)) == rng
    assert rng.row_count == extra_rows + 1
    assert rng.cell_count == (extra_rows + 1) * (end_col - col + 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!A1:B2",  # no sheet id
        "bad id!A1:B2",  # space in the sheet id
        "s1!A1:",  # no end
        "s1!:B2",
        "s1!A0:B2",  # rows are 1-based
        "s1!B2:A1",  # end before start (columns)
        "s1!A5:A1",  # end before start (rows)
        "s1!A:B2",  # an end row without a start row
        "s1!A",  # a single column needs A:A
        "s1!1:2",  # row ranges are not a Feishu form
        "s1!A1:B2:C3",
        f"s1!A1:A{MAX_ROWS + 1}",
        "s1!ZZZZ1:ZZZZ2",
        "s1!A1;B2",
    ],
)
def test_parse_rejects_bad_ranges_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        SheetRange.parse(text)
    assert exc.value.hint and "range" in exc.value.hint


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(InvalidParameter):
        SheetRange.parse(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter) as exc:
        SheetRange.coerce(42)  # type: ignore[arg-type]
    assert "SheetRange" in str(exc.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_row": 1},  # rows without columns
        {"start_col": 1},  # one column end only
        {"start_col": 1, "end_col": 2, "end_row": 3},  # end row without start row
        {"start_row": 0, "start_col": 1, "end_row": 1, "end_col": 1},
        {"start_row": 1, "start_col": 1, "end_row": 1, "end_col": MAX_COLUMNS + 1},
        {"start_row": True, "start_col": 1, "end_row": 1, "end_col": 1},
    ],
)
def test_constructor_validates(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidParameter):
        SheetRange("s1", **kwargs)


def test_builders() -> None:
    assert str(SheetRange.cells("s1", 1, "A", 3, "C")) == "s1!A1:C3"
    assert str(SheetRange.cells("s1", 2, 2, 4, 27)) == "s1!B2:AA4"
    assert str(SheetRange.columns("s1", "B", "D")) == "s1!B:D"
    assert str(SheetRange.columns("s1", "B", "D", from_row=2)) == "s1!B2:D"
    assert str(SheetRange.sheet("s1")) == "s1"
    assert SheetRange.coerce("s1!A1:B2") == SheetRange.cells("s1", 1, 1, 2, 2)
    rng = SheetRange.cells("s1", 1, 1, 1, 1)
    assert SheetRange.coerce(rng) is rng


def test_open_ranges_have_no_counts() -> None:
    rng = SheetRange.parse("s1!A2:C")
    assert not rng.is_bounded
    assert rng.row_count is None and rng.cell_count is None
    assert rng.col_count == 3
    assert rng.top_left == (2, 1)
    assert SheetRange.sheet("s1").top_left == (1, 1)


def test_sized_anchors_at_top_left() -> None:
    assert str(SheetRange.parse("s1!B2").sized(3, 4)) == "s1!B2:E4"
    assert str(SheetRange.parse("s1!C:D").sized(10, 2)) == "s1!C1:D10"
    assert str(SheetRange.sheet("s1").sized(1, 1)) == "s1!A1:A1"
    with pytest.raises(InvalidParameter) as exc:
        SheetRange.parse(f"s1!{column_letter(MAX_COLUMNS)}1").sized(1, 2)
    assert "edge" in str(exc.value)


def test_bounded_closes_open_ends() -> None:
    assert str(SheetRange.parse("s1!A2:C").bounded(200, 20)) == "s1!A2:C200"
    assert str(SheetRange.sheet("s1").bounded(200, 20)) == "s1!A1:T200"
    assert str(SheetRange.parse("s1!A1:B2").bounded(200, 20)) == "s1!A1:B2"
    # An empty sheet still gives a one-cell box rather than an invalid range.
    assert str(SheetRange.sheet("s1").bounded(0, 0)) == "s1!A1:A1"


def test_halves_split_rows_then_columns() -> None:
    rng = SheetRange.parse("s1!A1:C5")
    top, bottom = rng.halves() or (None, None)
    assert (str(top), str(bottom)) == ("s1!A1:C3", "s1!A4:C5")
    left, right = SheetRange.parse("s1!B7:F7").halves() or (None, None)
    assert (str(left), str(right)) == ("s1!B7:D7", "s1!E7:F7")
    assert SheetRange.parse("s1!A1").halves() is None
    with pytest.raises(InvalidParameter):
        SheetRange.parse("s1!A:B").halves()


@pytest.mark.parametrize("bad", ["", "sht/../x", "a b", None, "x" * 200, "tok?x=1"])
def test_spreadsheet_token_checked(bad: object) -> None:
    with pytest.raises(InvalidParameter) as exc:
        check_spreadsheet_token(bad)  # type: ignore[arg-type]
    assert exc.value.hint and "spreadsheet_token" in exc.value.hint

"""A1 range parsing of the Sheets emulator (CONTRACT §10: the four forms, plus one cell)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.testing.sheets.ranges import (
    MAX_COLUMNS,
    Box,
    RangeError,
    column_index,
    column_letters,
    parse_range,
)


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("Q7PlXT!A1:C3", Box("Q7PlXT", 1, 1, 3, 3)),
        ("Q7PlXT!A:C", Box("Q7PlXT", 1, 1, None, 3)),
        ("Q7PlXT!A2:C", Box("Q7PlXT", 2, 1, None, 3)),
        ("Q7PlXT", Box("Q7PlXT", 1, 1, None, None)),
        ("Q7PlXT!B2", Box("Q7PlXT", 2, 2, 2, 2)),
        ("Q7PlXT!AA10:AB5000", Box("Q7PlXT", 10, 27, 5000, 28)),
        (" Q7PlXT!A1:A1 ", Box("Q7PlXT", 1, 1, 1, 1)),
    ],
)
def test_documented_forms(text: str, box: Box) -> None:
    assert parse_range(text) == box


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is not"),
        ("!A1:B2", "is not"),
        ("Q7PlXT!", "is not"),
        ("Q7PlXT!a1:b2", "is not"),
        ("Q7PlXT!A1:B2:C3", "is not"),
        ("Q7PlXT!1:2", "is not"),
        ("Q7PlXT!A0:B2", "rows start at 1"),
        ("Q7PlXT!A", "needs a row"),
        ("Q7PlXT!A:B2", "cannot end on a row"),
        ("Q7PlXT!C1:A1", "ends before it starts"),
        ("Q7PlXT!A3:B1", "ends before it starts"),
        ("Q7PlXT!A1:ZZZ1", "13000 columns"),
    ],
)
def test_malformed_ranges(text: str, match: str) -> None:
    with pytest.raises(RangeError, match=match):
        parse_range(text)


def test_boxes_close_and_print() -> None:
    open_box = parse_range("s1!B2:C")
    assert not open_box.bounded and open_box.a1() == "s1!B2:C"
    closed = open_box.closed(200, 20)
    assert closed == Box("s1", 2, 2, 200, 3) and closed.bounded
    assert (closed.rows, closed.cols) == (199, 2) and closed.a1() == "s1!B2:C200"
    assert parse_range("s1").closed(5, 4).a1() == "s1!A1:D5"


@given(st.integers(min_value=1, max_value=MAX_COLUMNS))
def test_column_letters_round_trip(index: int) -> None:
    letters = column_letters(index)
    assert letters.isalpha() and letters.isupper()
    assert column_index(letters) == index


@given(
    st.integers(1, 5000),
    st.integers(1, 5000),
    st.integers(1, MAX_COLUMNS),
    st.integers(1, MAX_COLUMNS),
)
def test_printed_boxes_parse_back(r1: int, r2: int, c1: int, c2: int) -> None:
    box = Box("abc123", min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))
    assert parse_range(box.a1()) == box

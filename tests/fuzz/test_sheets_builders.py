"""Sheets' builders and helpers: ranges, columns and cell styles, one bad argument at a time.

Found from ``lark_async.sheets.__all__`` (constructors, class methods, and
methods on a valid instance); each result is then used the way a call uses it
(a range as its A1 text, a style as its API object). Either step may only
raise a ``LarkError`` naming the bad argument.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given

import lark_async.sheets as sheets
from lark_async.core.errors import InvalidParameter
from lark_async.sheets import CellStyle, SheetRange
from tests.fuzz.service_surface import (
    NASTIES,
    Target,
    bad_values,
    exported_targets,
    invoke,
    target_cases,
    target_missing,
    typed_or_works,
)

#: Exports callers do not build: enums, type aliases, response models, the service.
NOT_BUILDERS = {
    "AppendResult",
    "BatchSheetValues",
    "BatchStyleResult",
    "BatchWriteResult",
    "BorderType",
    "Cell",
    "Dimension",
    "DimensionResult",
    "Grid",
    "GridProperties",
    "HAlign",
    "InsertDataOption",
    "MergeArea",
    "MergeResult",
    "MergeType",
    "NumberFormat",
    "RowBlock",
    "SheetInfo",
    "SheetProperties",
    "SheetValues",
    "SheetWriteResult",
    "Sheets",  # fuzzed in test_sheets.py
    "Spreadsheet",
    "SpreadsheetInfo",
    "StyleResult",
    "UpdatedRange",
    "VAlign",
    "ValueRange",
}

INSTANCES: dict[str, Any] = {
    "CellStyle": lambda: CellStyle(bold=True),
    "SheetRange": lambda: SheetRange.parse("s1!B2:D9"),
}

BASES: dict[str, Any] = {
    "sheet_id": "s1",
    "text": "s1!A1:B2",
    "value": "s1!A1",
    "start_row": 1,
    "start_col": 1,
    "end_row": 2,
    "end_col": 2,
    "index": 1,
    "letters": "A",
    "rows": 2,
    "cols": 2,
    "row_count": 10,
    "col_count": 5,
    "row_offset": 0,
    "col_offset": 0,
    "border": "FULL_BORDER",
    "number_format": "0.00",
}

#: Arguments whose errors speak of what they hold: the text given to parse() is a range.
ALIASES = {("SheetRange.parse", "text"): "range", ("SheetRange.coerce", "value"): "range"}

TARGETS = exported_targets(
    set(sheets.__all__) - NOT_BUILDERS, lambda name: getattr(sheets, name), INSTANCES
)


def use(result: Any) -> None:
    if isinstance(result, SheetRange):
        SheetRange.parse(str(result))
    elif isinstance(result, CellStyle) and not result.is_empty:
        result.to_api()


def test_every_export_is_classified_and_has_bases() -> None:
    assert set(sheets.__all__) - NOT_BUILDERS - {t.label for t in TARGETS} == set()
    assert target_missing(TARGETS, BASES) == []


def _nasty_examples(test: Any) -> Any:
    for value in reversed(NASTIES):
        test = example(bad=value)(test)
    return test


@pytest.mark.parametrize(
    ("target", "arg"), target_cases(TARGETS), ids=lambda v: v.label if isinstance(v, Target) else v
)
@_nasty_examples
@given(bad=bad_values)
def test_bad_argument_gets_a_typed_error(target: Target, arg: str, bad: Any) -> None:
    named = ALIASES.get((target.label, arg), arg)
    typed_or_works(lambda: use(invoke(target.make(), BASES, arg, bad)), named)


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: SheetRange.parse("s1!A" + "1" * 5000), "range"),  # was ValueError from int()
        (lambda: SheetRange.parse("s1!A1").sized("3", 2), "rows"),  # was TypeError
        (lambda: SheetRange.parse("s1!A1").bounded(None, 2), "row_count"),
    ],
)
def test_reproduced_gaps_are_typed(build: Any, arg: str) -> None:
    with pytest.raises(InvalidParameter, match=arg):
        build()

"""Bitable's builders and helpers: every export, one bad argument at a time.

Filters, conditions, dates and sorts (``lark_async.bitable.filters``), the row
and cell helpers, the schema, and the bulk options are found from the package's
``__all__`` and the filters module; each result is then used the way a search
or a bulk run uses it. Either step may only raise a ``LarkError`` naming the
bad argument.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import example, given

import lark_async.bitable as bitable
from lark_async.bitable import (
    BulkOptions,
    Condition,
    DateValue,
    F,
    Filter,
    Op,
    Schema,
    Sort,
    TableField,
    where,
)
from lark_async.bitable import filters as filters_module
from lark_async.bitable.filters import sort_spec
from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
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

#: Exports callers do not build: constants, enums, response models, reports, the service.
NOT_BUILDERS = {
    "App",
    "BITABLE_CODES",
    "SPLIT_CODES",
    "BatchGetResult",
    "Bitable",  # fuzzed in test_bitable.py
    "BulkProgress",
    "BulkReport",
    "DeletedBatch",
    "DeletedRecord",
    "FailedRow",
    "FieldType",
    "Op",
    "Page",
    "Pages",
    "Record",
    "RecordBatch",
    "RecordPage",
    "Table",
    "TableField",
    "UnknownChunk",
}

FILTER_HELPERS = [
    name
    for name, obj in vars(filters_module).items()
    if not name.startswith("_")
    and (inspect.isfunction(obj) or inspect.isclass(obj))
    and obj.__module__ == filters_module.__name__
]


async def _request(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("no request is made while building")


INSTANCES: dict[str, Any] = {
    "BulkOptions": BulkOptions,
    "Condition": lambda: F("Name").is_("Ada"),
    "DateValue": DateValue.today,
    "F": lambda: F("Name"),
    "Filter": lambda: Filter.all(F("Name").is_("Ada")),
    "Schema": lambda: Schema([TableField(field_name="Name", type=1)]),
    "Sort": lambda: Sort("Name"),
    "WriteSlots": bitable.WriteSlots,
}

BASES: dict[str, Any] = {
    "field_name": "Name",
    "operator": Op.IS,
    "name": "Name",
    "token": "Today",
    "when": 1_700_000_000_000,
    "key": "Name",
    "keys": ["Name"],
    "conjunction": "and",
    "parts": [F("Name").is_("Ada")],
    "values": ["Ada"],
    "value": "Ada",
    "day": DateValue.today(),
    "limit": 1000,
    "app_token": "app",
    "table_id": "tbl",
    "fields": [TableField(field_name="Name", type=1)],
    "row": {"Name": "Ada"},
    "raw": "Ada",
    "request": _request,
    "clock": FakeClock(),
}

TARGETS = exported_targets(
    {*bitable.__all__, *FILTER_HELPERS} - NOT_BUILDERS,
    lambda name: getattr(bitable, name, None) or getattr(filters_module, name),
    INSTANCES,
)


def use(result: Any) -> None:
    """What a search or a bulk run does with a built value."""
    if isinstance(result, Condition):
        Filter.all(result).to_dict()
    elif isinstance(result, Filter):
        result.to_dict()
    elif isinstance(result, DateValue):
        Filter.all(F("Due").on(result)).to_dict()
    elif isinstance(result, Sort):
        sort_spec([result])
    elif isinstance(result, BulkOptions):
        result.checked(1000)
    elif isinstance(result, F):
        result.is_("x")


def test_every_export_is_classified_and_has_bases() -> None:
    targets = {t.label for t in TARGETS}
    assert set(bitable.__all__) - NOT_BUILDERS - targets == set()
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
    typed_or_works(lambda: use(invoke(target.make(), BASES, arg, bad)), arg)


@_nasty_examples
@given(bad=bad_values)
def test_where_names_the_field_of_a_bad_value(bad: Any) -> None:
    typed_or_works(lambda: where(Status=bad).to_dict(), "Status")


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: sort_spec(5), "sort"),  # was TypeError: 'int' object is not iterable
        (lambda: F("Count").gt(float("nan")), "value"),
        (lambda: F("Due").on("tomorrow"), "day"),
        (lambda: Filter("and", (5,)), "conditions"),  # type: ignore[arg-type]
    ],
)
def test_reproduced_gaps_are_typed(build: Any, arg: str) -> None:
    with pytest.raises(InvalidParameter, match=arg):
        build()

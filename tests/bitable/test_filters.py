"""The filter/sort builder: what it sends, and what it refuses before sending."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.bitable import DateValue, F, Filter, Op, Sort, where
from lark_async.bitable.filters import condition, sort_spec
from lark_async.core.errors import InvalidParameter


def test_conditions_render_values_as_strings() -> None:
    assert F("Count").gt(3).to_dict() == {
        "field_name": "Count",
        "operator": "isGreater",
        "value": ["3"],
    }
    assert F("Done").is_(True).value == ("true",)
    assert F("Score").le(2.5).value == ("2.5",)
    assert F("Tags").contains("a", "b").value == ("a", "b")
    assert F("Owner").is_empty().to_dict()["value"] == []
    assert F("Owner").is_not_empty().operator is Op.IS_NOT_EMPTY
    assert F("Name").ne("x").operator is Op.IS_NOT
    assert F("Name").does_not_contain("x").operator is Op.DOES_NOT_CONTAIN
    assert F("N").ge(1).operator is Op.IS_GREATER_EQUAL and F("N").lt(1).operator is Op.IS_LESS


def test_and_or_build_one_level_of_children() -> None:
    flt = F("Team").is_("Core") & (F("P").is_("P0") | F("P").is_("P1"))
    assert flt.to_dict() == {
        "conjunction": "and",
        "conditions": [{"field_name": "Team", "operator": "is", "value": ["Core"]}],
        "children": [
            {
                "conjunction": "or",
                "conditions": [
                    {"field_name": "P", "operator": "is", "value": ["P0"]},
                    {"field_name": "P", "operator": "is", "value": ["P1"]},
                ],
            }
        ],
    }


def test_same_conjunctions_are_flattened() -> None:
    flt = (F("a").is_(1) & F("b").is_(2)) & F("c").is_(3)
    assert flt.conjunction == "and" and len(flt.conditions) == 3 and not flt.children
    assert Filter.any(Filter.all(F("a").is_(1))).conditions == (F("a").is_(1),)


def test_two_levels_of_nesting_are_refused_with_a_hint() -> None:
    inner = F("c").is_(1) & F("d").is_(2)
    flt = F("a").is_(1) & (F("b").is_(1) | inner)
    with pytest.raises(InvalidParameter, match="one level") as exc:
        flt.to_dict()
    assert exc.value.hint


def test_dates_exact_and_named() -> None:
    day = dt.date(2024, 1, 2)
    assert F("Due").on(day).value == ("ExactDate", "1704153600000")
    assert F("Due").before(1704153600000).operator is Op.IS_LESS
    assert F("Due").after(DateValue.today()).value == ("Today",)
    assert F("Due").is_(DateValue.past_7_days()).value == ("TheLastWeek",)
    assert F("Due").is_(dt.datetime(2024, 1, 2, tzinfo=dt.UTC)).value[0] == "ExactDate"
    tokens = [
        DateValue.tomorrow(),
        DateValue.yesterday(),
        DateValue.current_week(),
        DateValue.last_week(),
        DateValue.current_month(),
        DateValue.last_month(),
        DateValue.next_7_days(),
        DateValue.past_30_days(),
        DateValue.next_30_days(),
        DateValue.named("LastMonth"),
    ]
    assert all(F("Due").is_(t).value == (t.token,) for t in tokens)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: F("Due").ge(DateValue.today()), "is, isGreater and isLess"),
        (lambda: F("Due").after(DateValue.current_week()), "only be matched with is"),
        (lambda: F("Due").is_(DateValue.today(), DateValue.tomorrow()), "exactly one date"),
        (lambda: DateValue.named("NextYear"), "unknown date period"),
        (lambda: DateValue.exact(True), "bool"),
        (lambda: F("A").is_(None), "is_empty"),
        (lambda: F("A").is_(), "needs a value"),
        (lambda: F("A").is_(*range(11)), "at most 10"),
        (lambda: F("A").is_({"x": 1}), "filter values"),
        (lambda: condition("A", "like", "x"), "unknown operator"),
        (lambda: condition("A", Op.IS_EMPTY, "x"), "takes no value"),
        (lambda: F(""), "field name"),
        (lambda: condition(" ", "is", "x"), "field_name"),
        (Filter.all, "empty filter"),
        (lambda: Filter.all("Status=Done"), "not str"),  # type: ignore[arg-type]
        (where, "at least one"),
    ],
)
def test_bad_filters_are_refused_before_sending(build: object, match: str) -> None:
    with pytest.raises(InvalidParameter, match=match):
        build()  # type: ignore[operator]


def test_limits_on_conditions_and_length() -> None:
    many = Filter.any(*(F("K").is_(str(i)) for i in range(51)))
    with pytest.raises(InvalidParameter, match="at most 50"):
        many.to_dict()
    long = Filter.any(*(F("Key").is_("v" * 60 + str(i)) for i in range(30)))
    with pytest.raises(InvalidParameter, match="2000") as exc:
        long.to_dict()
    assert "fewer conditions" in (exc.value.hint or "")


def test_where_is_every_field_equals() -> None:
    assert where(Status="Done", Count=3).to_dict()["conditions"] == [
        {"field_name": "Status", "operator": "is", "value": ["Done"]},
        {"field_name": "Count", "operator": "is", "value": ["3"]},
    ]


def test_sorts() -> None:
    assert sort_spec(["-Count", "Name", Sort("Due", desc=True)]) == [
        {"field_name": "Count", "desc": True},
        {"field_name": "Name", "desc": False},
        {"field_name": "Due", "desc": True},
    ]
    assert sort_spec("Name") == [{"field_name": "Name", "desc": False}]
    with pytest.raises(InvalidParameter, match="at most 100"):
        sort_spec([f"f{i}" for i in range(101)])
    with pytest.raises(InvalidParameter, match="1000"):
        sort_spec(["x" * 600, "y" * 600])
    with pytest.raises(InvalidParameter, match="sort key"):
        sort_spec(["-"])


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=10))
def test_any_accepted_filter_fits_feishus_limits(values: list[str]) -> None:
    try:
        body = Filter.any(*(F("Name").is_(v) for v in values)).to_dict()
    except InvalidParameter:
        return  # refused up front is fine; sending something Feishu refuses is not
    assert len(json.dumps(body, ensure_ascii=False, separators=(",", ":"))) <= 2000
    assert all(isinstance(v, str) for c in body["conditions"] for v in c["value"])

"""A typed builder for Bitable search filters and sorts, checked before sending.

    from lark_async.bitable import F, Filter, DateValue

    flt = F("Status").is_("Done") & F("Count").gt(3)
    flt = Filter.any(F("Owner").is_empty(), F("Due").before(DateValue.today()))
    flt = Filter.all(F("Team").is_("Core"), Filter.any(F("P").is_("P0"), F("P").is_("P1")))

What it enforces (CONTRACT §9.6): operators ``is, isNot, contains,
doesNotContain, isEmpty, isNotEmpty, isGreater, isGreaterEqual, isLess,
isLessEqual``; values are strings (numbers and booleans converted), 1..10 per
condition, none for isEmpty/isNotEmpty; date values are ``["ExactDate", ms]``
or a named period, with is/isGreater/isLess only (and ``is`` only for weeks and
months); at most 50 conditions per group; one level of nesting (``children``);
the whole filter at most 2,000 characters, a sort at most 100 keys and 1,000
characters. Anything else is an ``InvalidParameter`` naming what to change.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from lark_async.core.errors import InvalidParameter

MAX_CONDITIONS = 50
MAX_VALUES = 10
MAX_FILTER_CHARS = 2000
MAX_SORT_KEYS = 100
MAX_SORT_CHARS = 1000

Conjunction = Literal["and", "or"]


class Op(StrEnum):
    """Search operators Feishu supports (``like`` and ``in`` are documented as not yet)."""

    IS = "is"
    IS_NOT = "isNot"
    CONTAINS = "contains"
    DOES_NOT_CONTAIN = "doesNotContain"
    IS_EMPTY = "isEmpty"
    IS_NOT_EMPTY = "isNotEmpty"
    IS_GREATER = "isGreater"
    IS_GREATER_EQUAL = "isGreaterEqual"
    IS_LESS = "isLess"
    IS_LESS_EQUAL = "isLessEqual"


_NO_VALUE = frozenset({Op.IS_EMPTY, Op.IS_NOT_EMPTY})
_DATE_OPS = frozenset({Op.IS, Op.IS_GREATER, Op.IS_LESS})

# Named periods; the first three also compare (isGreater/isLess), the rest only match (is).
_DAY_TOKENS = ("Today", "Tomorrow", "Yesterday")
_PERIOD_TOKENS = (
    "CurrentWeek",
    "LastWeek",
    "CurrentMonth",
    "LastMonth",
    "TheLastWeek",
    "TheNextWeek",
    "TheLastMonth",
    "TheNextMonth",
)


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date in a filter: an exact day (``["ExactDate", "<ms>"]``) or a named period.

    Feishu truncates an exact date to midnight in the base's time zone.
    """

    token: str
    ms: int | None = None

    @classmethod
    def exact(cls, when: _dt.datetime | _dt.date | int) -> DateValue:
        """A day: a datetime (naive = UTC), a date (UTC midnight) or epoch milliseconds."""
        if isinstance(when, bool):
            raise InvalidParameter("a date cannot be a bool", hint="pass a date or epoch ms")
        if isinstance(when, int):
            return cls("ExactDate", when)
        if isinstance(when, _dt.datetime):
            aware = when if when.tzinfo else when.replace(tzinfo=_dt.UTC)
            return cls("ExactDate", int(aware.timestamp() * 1000))
        if isinstance(when, _dt.date):
            midnight = _dt.datetime(when.year, when.month, when.day, tzinfo=_dt.UTC)
            return cls("ExactDate", int(midnight.timestamp() * 1000))
        raise InvalidParameter(
            f"DateValue.exact needs a date, datetime or epoch ms, got {type(when).__name__}"
        )

    @classmethod
    def named(cls, token: str) -> DateValue:
        if token not in _DAY_TOKENS + _PERIOD_TOKENS:
            raise InvalidParameter(
                f"unknown date period {token!r}",
                hint="one of " + ", ".join(_DAY_TOKENS + _PERIOD_TOKENS),
            )
        return cls(token)

    @classmethod
    def today(cls) -> DateValue:
        return cls("Today")

    @classmethod
    def tomorrow(cls) -> DateValue:
        return cls("Tomorrow")

    @classmethod
    def yesterday(cls) -> DateValue:
        return cls("Yesterday")

    @classmethod
    def current_week(cls) -> DateValue:
        return cls("CurrentWeek")

    @classmethod
    def last_week(cls) -> DateValue:
        return cls("LastWeek")

    @classmethod
    def current_month(cls) -> DateValue:
        return cls("CurrentMonth")

    @classmethod
    def last_month(cls) -> DateValue:
        return cls("LastMonth")

    @classmethod
    def past_7_days(cls) -> DateValue:
        return cls("TheLastWeek")

    @classmethod
    def next_7_days(cls) -> DateValue:
        return cls("TheNextWeek")

    @classmethod
    def past_30_days(cls) -> DateValue:
        return cls("TheLastMonth")

    @classmethod
    def next_30_days(cls) -> DateValue:
        return cls("TheNextMonth")

    @property
    def period_only(self) -> bool:
        """Weeks and months can only be matched with ``is``."""
        return self.token in _PERIOD_TOKENS

    def to_value(self) -> list[str]:
        return [self.token, str(self.ms)] if self.token == "ExactDate" else [self.token]


def _as_string(value: object, field_name: str) -> str:
    if value is None:
        raise InvalidParameter(
            f"filter value for {field_name!r} is None",
            hint="use F(name).is_empty() / is_not_empty() to test for no value",
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise InvalidParameter(
        f"filter values must be str, int, float, bool or a date; got "
        f"{type(value).__name__} for {field_name!r}",
        hint="person and link fields take ids as strings (ou_..., rec...)",
    )


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``{field_name, operator, value}``; combine with ``&`` and ``|``."""

    field_name: str
    operator: Op
    value: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "field_name": self.field_name,
            "operator": str(self.operator),
            "value": list(self.value),
        }

    def __and__(self, other: Condition | Filter) -> Filter:
        return Filter.all(self, other)

    def __or__(self, other: Condition | Filter) -> Filter:
        return Filter.any(self, other)


def condition(field_name: str, operator: Op | str, *values: object) -> Condition:
    """Build and check one condition; see the module docstring for the rules."""
    if not isinstance(field_name, str) or not field_name.strip():
        raise InvalidParameter("field_name must be a non-empty string", hint="the column's name")
    try:
        op = Op(operator)
    except ValueError:
        raise InvalidParameter(
            f"unknown operator {operator!r}",
            hint="one of " + ", ".join(o.value for o in Op) + " (like/in are not supported yet)",
        ) from None
    if op in _NO_VALUE:
        if values:
            raise InvalidParameter(f"{op} takes no value (field {field_name!r})")
        return Condition(field_name, op)
    if not values:
        raise InvalidParameter(
            f"{op} needs a value (field {field_name!r})",
            hint="use is_empty() to test for no value",
        )
    if len(values) > MAX_VALUES:
        raise InvalidParameter(
            f"a condition takes at most {MAX_VALUES} values, got {len(values)} for {field_name!r}",
            hint="split it into several conditions joined with Filter.any(...)",
        )
    dates = [
        v if isinstance(v, DateValue) else DateValue.exact(v)
        for v in values
        if isinstance(v, (DateValue, _dt.date))
    ]
    if not dates:
        return Condition(field_name, op, tuple(_as_string(v, field_name) for v in values))
    if len(values) != 1:
        raise InvalidParameter(
            f"a date condition takes exactly one date (field {field_name!r})",
            hint="combine several dates with Filter.any(...)",
        )
    date = dates[0]
    if op not in _DATE_OPS:
        raise InvalidParameter(
            f"date fields support is, isGreater and isLess, not {op} (field {field_name!r})",
            hint="for 'on or after' use Filter.any(F(x).on(d), F(x).after(d))",
        )
    if date.period_only and op is not Op.IS:
        raise InvalidParameter(
            f"the period {date.token} can only be matched with is (field {field_name!r})",
            hint="compare with Today/Tomorrow/Yesterday or an exact date instead",
        )
    return Condition(field_name, op, tuple(date.to_value()))


class F:
    """A field to filter on: ``F("Count").gt(3)``, ``F("Due").before(DateValue.today())``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameter("F() needs a field name", hint='e.g. F("Status")')
        self.name = name

    def is_(self, *values: object) -> Condition:
        return condition(self.name, Op.IS, *values)

    eq = is_

    def is_not(self, *values: object) -> Condition:
        return condition(self.name, Op.IS_NOT, *values)

    ne = is_not

    def contains(self, *values: object) -> Condition:
        return condition(self.name, Op.CONTAINS, *values)

    def does_not_contain(self, *values: object) -> Condition:
        return condition(self.name, Op.DOES_NOT_CONTAIN, *values)

    def is_empty(self) -> Condition:
        return condition(self.name, Op.IS_EMPTY)

    def is_not_empty(self) -> Condition:
        return condition(self.name, Op.IS_NOT_EMPTY)

    def gt(self, value: object) -> Condition:
        return condition(self.name, Op.IS_GREATER, value)

    def ge(self, value: object) -> Condition:
        return condition(self.name, Op.IS_GREATER_EQUAL, value)

    def lt(self, value: object) -> Condition:
        return condition(self.name, Op.IS_LESS, value)

    def le(self, value: object) -> Condition:
        return condition(self.name, Op.IS_LESS_EQUAL, value)

    # dates read better with their own words
    def on(self, day: DateValue | _dt.date | int) -> Condition:
        return condition(self.name, Op.IS, _date(day))

    def before(self, day: DateValue | _dt.date | int) -> Condition:
        return condition(self.name, Op.IS_LESS, _date(day))

    def after(self, day: DateValue | _dt.date | int) -> Condition:
        return condition(self.name, Op.IS_GREATER, _date(day))

    def __repr__(self) -> str:
        return f"F({self.name!r})"


def _date(day: DateValue | _dt.date | int) -> DateValue:
    return day if isinstance(day, DateValue) else DateValue.exact(day)


@dataclass(frozen=True, slots=True)
class Filter:
    """A group of conditions joined by ``and``/``or``, with at most one level of child groups."""

    conjunction: Conjunction
    conditions: tuple[Condition, ...] = ()
    children: tuple[Filter, ...] = ()

    @classmethod
    def all(cls, *parts: Condition | Filter) -> Filter:
        """Every part must hold (``and``)."""
        return cls._join("and", parts)

    @classmethod
    def any(cls, *parts: Condition | Filter) -> Filter:
        """At least one part must hold (``or``)."""
        return cls._join("or", parts)

    @classmethod
    def _join(cls, conjunction: Conjunction, parts: Iterable[Condition | Filter]) -> Filter:
        conditions: list[Condition] = []
        children: list[Filter] = []
        for part in parts:
            if isinstance(part, Condition):
                conditions.append(part)
            elif isinstance(part, Filter):
                # (a and b) and c is a and b and c: merge groups of the same conjunction
                if (
                    part.conjunction == conjunction
                    or len(part.conditions) + len(part.children) == 1
                ):
                    conditions.extend(part.conditions)
                    children.extend(part.children)
                else:
                    children.append(part)
            else:
                raise InvalidParameter(
                    f"filters combine conditions and filters, not {type(part).__name__}",
                    hint='build conditions with F("name").is_(...)',
                )
        if not conditions and not children:
            raise InvalidParameter("an empty filter", hint="give at least one condition")
        return cls(conjunction, tuple(conditions), tuple(children))

    def __and__(self, other: Condition | Filter) -> Filter:
        return Filter.all(self, other)

    def __or__(self, other: Condition | Filter) -> Filter:
        return Filter.any(self, other)

    def to_dict(self) -> dict[str, Any]:
        """The request's ``filter`` object, checked against Feishu's limits."""
        self._check(depth=0)
        out: dict[str, Any] = {
            "conjunction": self.conjunction,
            "conditions": [c.to_dict() for c in self.conditions],
        }
        if self.children:
            out["children"] = [
                {"conjunction": c.conjunction, "conditions": [x.to_dict() for x in c.conditions]}
                for c in self.children
            ]
        size = len(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
        if size > MAX_FILTER_CHARS:
            raise InvalidParameter(
                f"the filter is {size} characters; Feishu takes at most {MAX_FILTER_CHARS}",
                hint="use fewer conditions per search (e.g. look keys up in smaller batches)",
            )
        return out

    def _check(self, depth: int) -> None:
        if depth > 0 and self.children:
            raise InvalidParameter(
                "Feishu filters nest one level only: a child group cannot hold groups",
                hint="rewrite as and-of-ors or or-of-ands (e.g. distribute the inner group)",
            )
        if len(self.conditions) > MAX_CONDITIONS:
            raise InvalidParameter(
                f"a filter group holds at most {MAX_CONDITIONS} conditions, "
                f"got {len(self.conditions)}",
                hint="split the search, or use multi-value conditions (up to 10 values each)",
            )
        for child in self.children:
            child._check(depth + 1)


@dataclass(frozen=True, slots=True)
class Sort:
    """One sort key; ``"-Name"`` (a string with a leading minus) means descending."""

    field_name: str
    desc: bool = False

    @classmethod
    def parse(cls, key: Sort | str) -> Sort:
        if isinstance(key, Sort):
            return key
        if not isinstance(key, str) or not key.strip("-").strip():
            raise InvalidParameter(
                f"a sort key is a field name or Sort(...), got {key!r}",
                hint='e.g. sort=["-Count", "Name"]',
            )
        return cls(key[1:], True) if key.startswith("-") else cls(key)

    def to_dict(self) -> dict[str, Any]:
        return {"field_name": self.field_name, "desc": self.desc}


def sort_spec(keys: Sequence[Sort | str] | Sort | str) -> list[dict[str, Any]]:
    """The request's ``sort`` list, checked against Feishu's limits."""
    if isinstance(keys, (str, Sort)):
        keys = [keys]
    out = [Sort.parse(k).to_dict() for k in keys]
    if len(out) > MAX_SORT_KEYS:
        raise InvalidParameter(f"at most {MAX_SORT_KEYS} sort keys, got {len(out)}")
    size = len(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
    if size > MAX_SORT_CHARS:
        raise InvalidParameter(
            f"the sort is {size} characters; Feishu takes at most {MAX_SORT_CHARS}",
            hint="sort on fewer fields",
        )
    return out


def where(**equals: object) -> Filter:
    """Shorthand: every named field equals its value (``where(Status="Done")``).

    Field names that are not Python identifiers go through ``F(name).is_(...)``.
    """
    if not equals:
        raise InvalidParameter("where() needs at least one field=value")
    return Filter.all(*(F(k).is_(v) for k, v in equals.items()))

"""A typed builder for Bitable search filters and sorts, checked before sending.

    from lark_async.bitable import F, Filter, DateValue

    flt = F("Status").is_("Done") & F("Count").gt(3)
    flt = Filter.any(F("Owner").is_empty(), F("Due").before(DateValue.today()))
    flt = Filter.all(F("Team").is_("Core"), Filter.any(F("P").is_("P0"), F("P").is_("P1")))

What it enforces (Feishu Bitable docs): operators ``is, isNot, contains,
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
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from lark_async.core.checks import has_surrogates
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

    def __post_init__(self) -> None:
        if self.token == "ExactDate":
            _epoch_ms(self.ms, "ms")
        elif self.ms is not None:
            raise InvalidParameter(
                f"ms is only for ExactDate, not {self.token!r:.40}", hint="leave ms out"
            )
        elif not isinstance(self.token, str) or self.token not in _DAY_TOKENS + _PERIOD_TOKENS:
            raise InvalidParameter(
                f"token: unknown date period {self.token!r:.40}",
                hint="one of ExactDate, " + ", ".join(_DAY_TOKENS + _PERIOD_TOKENS),
            )

    @classmethod
    def exact(cls, when: _dt.datetime | _dt.date | int) -> DateValue:
        """A day: a datetime (naive = UTC), a date (UTC midnight) or epoch milliseconds."""
        return cls("ExactDate", _to_ms(when, "when"))

    @classmethod
    def named(cls, token: str) -> DateValue:
        if not isinstance(token, str) or token not in _DAY_TOKENS + _PERIOD_TOKENS:
            raise InvalidParameter(
                f"token: unknown date period {token!r:.40}",
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


_MIN_MS = -(2**53)  # epoch milliseconds as Feishu stores them (a JSON-safe integer)
_MAX_MS = 2**53


def _epoch_ms(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not _MIN_MS <= value <= _MAX_MS:
        raise InvalidParameter(
            f"{name} must be epoch milliseconds (an int), got {value!r:.40}",
            hint="e.g. int(datetime.timestamp() * 1000), or pass a date",
        )
    return value


def _to_ms(when: object, name: str) -> int:
    if isinstance(when, _dt.datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=_dt.UTC)
        try:
            return int(aware.timestamp() * 1000)
        except (OverflowError, OSError, ValueError):  # beyond what the platform can convert
            pass
    elif isinstance(when, _dt.date):
        midnight = _dt.datetime(when.year, when.month, when.day, tzinfo=_dt.UTC)
        return int(midnight.timestamp() * 1000)
    elif isinstance(when, int) and not isinstance(when, bool):
        return _epoch_ms(when, name)
    raise InvalidParameter(
        f"{name} must be a date, a datetime or epoch ms, got {type(when).__name__}",
        hint="pass a date or epoch ms",
    )


def _as_string(value: object, field_name: str, arg: str) -> str:
    if value is None:
        raise InvalidParameter(
            f"{arg}: a filter value for {field_name!r} is None",
            hint="use F(name).is_empty() / is_not_empty() to test for no value",
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidParameter(
            f"{arg}: filter values must be finite numbers; got {value} for {field_name!r}"
        )
    if isinstance(value, str) and (has_surrogates(value) or len(value) > MAX_FILTER_CHARS):
        raise InvalidParameter(
            f"{arg}: filter values must be valid text of at most {MAX_FILTER_CHARS} characters "
            f"(field {field_name!r})"
        )
    if isinstance(value, (int, float, str)):
        return str(value)
    raise InvalidParameter(
        f"{arg}: filter values must be str, int, float, bool or a date; got "
        f"{type(value).__name__} for {field_name!r}",
        hint="person and link fields take ids as strings (ou_..., rec...)",
    )


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``{field_name, operator, value}``; combine with ``&`` and ``|``."""

    field_name: str
    operator: Op
    value: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _field_name(self.field_name, "field_name")
        if not isinstance(self.operator, Op):
            raise InvalidParameter(
                f"operator must be an Op, got {self.operator!r:.40}",
                hint='build conditions with F("name").is_(...) or condition(...)',
            )
        if not isinstance(self.value, tuple) or not all(isinstance(v, str) for v in self.value):
            raise InvalidParameter(
                "value must be a tuple of strings",
                hint='build conditions with F("name").is_(...) or condition(...)',
            )

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
    return _condition(field_name, operator, values, "values")


def _condition(
    field_name: str, operator: Op | str, values: tuple[object, ...], arg: str
) -> Condition:
    """:func:`condition`; errors about the values name ``arg`` (the caller's argument)."""
    _field_name(field_name, "field_name")
    try:
        op = Op(operator)
    except (ValueError, TypeError):
        raise InvalidParameter(
            f"unknown operator {operator!r:.40}",
            hint="one of " + ", ".join(o.value for o in Op) + " (like/in are not supported yet)",
        ) from None
    if op in _NO_VALUE:
        if values:
            raise InvalidParameter(f"{arg}: {op} takes no value (field {field_name!r})")
        return Condition(field_name, op)
    if not values:
        raise InvalidParameter(
            f"{arg}: {op} needs a value (field {field_name!r})",
            hint="use is_empty() to test for no value",
        )
    if len(values) > MAX_VALUES:
        raise InvalidParameter(
            f"{arg}: a condition takes at most {MAX_VALUES} values, got {len(values)} "
            f"for {field_name!r}",
            hint="split it into several conditions joined with Filter.any(...)",
        )
    dates = [
        v if isinstance(v, DateValue) else DateValue("ExactDate", _to_ms(v, arg))
        for v in values
        if isinstance(v, (DateValue, _dt.date))
    ]
    if not dates:
        return Condition(field_name, op, tuple(_as_string(v, field_name, arg) for v in values))
    if len(values) != 1:
        raise InvalidParameter(
            f"{arg}: a date condition takes exactly one date (field {field_name!r})",
            hint="combine several dates with Filter.any(...)",
        )
    date = dates[0]
    if op not in _DATE_OPS:
        raise InvalidParameter(
            f"{arg}: date fields support is, isGreater and isLess, not {op} (field {field_name!r})",
            hint="for 'on or after' use Filter.any(F(x).on(d), F(x).after(d))",
        )
    if date.period_only and op is not Op.IS:
        raise InvalidParameter(
            f"{arg}: the period {date.token} can only be matched with is (field {field_name!r})",
            hint="compare with Today/Tomorrow/Yesterday or an exact date instead",
        )
    return Condition(field_name, op, tuple(date.to_value()))


class F:
    """A field to filter on: ``F("Count").gt(3)``, ``F("Due").before(DateValue.today())``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = _field_name(name, "name")

    def is_(self, *values: object) -> Condition:
        return _condition(self.name, Op.IS, values, "values")

    eq = is_

    def is_not(self, *values: object) -> Condition:
        return _condition(self.name, Op.IS_NOT, values, "values")

    ne = is_not

    def contains(self, *values: object) -> Condition:
        return _condition(self.name, Op.CONTAINS, values, "values")

    def does_not_contain(self, *values: object) -> Condition:
        return _condition(self.name, Op.DOES_NOT_CONTAIN, values, "values")

    def is_empty(self) -> Condition:
        return condition(self.name, Op.IS_EMPTY)

    def is_not_empty(self) -> Condition:
        return condition(self.name, Op.IS_NOT_EMPTY)

    def gt(self, value: object) -> Condition:
        return _condition(self.name, Op.IS_GREATER, (value,), "value")

    def ge(self, value: object) -> Condition:
        return _condition(self.name, Op.IS_GREATER_EQUAL, (value,), "value")

    def lt(self, value: object) -> Condition:
        return _condition(self.name, Op.IS_LESS, (value,), "value")

    def le(self, value: object) -> Condition:
        return _condition(self.name, Op.IS_LESS_EQUAL, (value,), "value")

    # dates read better with their own words
    def on(self, day: DateValue | _dt.date | int) -> Condition:
        return _condition(self.name, Op.IS, (_date(day),), "day")

    def before(self, day: DateValue | _dt.date | int) -> Condition:
        return _condition(self.name, Op.IS_LESS, (_date(day),), "day")

    def after(self, day: DateValue | _dt.date | int) -> Condition:
        return _condition(self.name, Op.IS_GREATER, (_date(day),), "day")

    def __repr__(self) -> str:
        return f"F({self.name!r})"


def _date(day: DateValue | _dt.date | int) -> DateValue:
    return day if isinstance(day, DateValue) else DateValue("ExactDate", _to_ms(day, "day"))


def _field_name(name: object, parameter: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(
            f"{parameter}: a field name must be a non-empty string, got {name!r:.40}",
            hint='the column\'s name, e.g. F("Status")',
        )
    if has_surrogates(name) or len(name) > MAX_FILTER_CHARS:
        raise InvalidParameter(f"{parameter}: {name[:40]!r} is not a usable field name")
    return name


@dataclass(frozen=True, slots=True)
class Filter:
    """A group of conditions joined by ``and``/``or``, with at most one level of child groups."""

    conjunction: Conjunction
    conditions: tuple[Condition, ...] = ()
    children: tuple[Filter, ...] = ()

    def __post_init__(self) -> None:
        if self.conjunction not in ("and", "or"):
            raise InvalidParameter(
                f"conjunction must be 'and' or 'or', got {self.conjunction!r:.40}",
                hint="build filters with Filter.all(...) / Filter.any(...)",
            )
        for name, kind in (("conditions", Condition), ("children", Filter)):
            parts = getattr(self, name)
            if not isinstance(parts, tuple) or not all(isinstance(p, kind) for p in parts):
                raise InvalidParameter(
                    f"{name} must be a tuple of {kind.__name__}",
                    hint="build filters with Filter.all(...) / Filter.any(...)",
                )

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
                    f"parts must be conditions or filters, not {type(part).__name__}",
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

    def __post_init__(self) -> None:
        _field_name(self.field_name, "field_name")
        if not isinstance(self.desc, bool):
            raise InvalidParameter(f"desc must be True or False, got {self.desc!r:.40}")

    @classmethod
    def parse(cls, key: Sort | str) -> Sort:
        if isinstance(key, Sort):
            return key
        if not isinstance(key, str) or not key.strip("-").strip():
            raise InvalidParameter(
                f"sort keys are field names or Sort(...), got {key!r:.40}",
                hint='e.g. sort=["-Count", "Name"]',
            )
        name = key[1:] if key.startswith("-") else key
        try:
            return cls(name, key.startswith("-"))
        except InvalidParameter as exc:
            raise InvalidParameter(f"sort keys: {exc.message}", hint=exc.hint) from None

    def to_dict(self) -> dict[str, Any]:
        return {"field_name": self.field_name, "desc": self.desc}


def sort_spec(keys: Sequence[Sort | str] | Sort | str) -> list[dict[str, Any]]:
    """The request's ``sort`` list, checked against Feishu's limits."""
    if isinstance(keys, (str, Sort)):
        keys = [keys]
    if isinstance(keys, bytes | bytearray | Mapping) or not isinstance(keys, Iterable):
        raise InvalidParameter(
            f"keys: a sort is a field name, a Sort or a list of them, got {type(keys).__name__}",
            hint='e.g. sort=["-Count", "Name"]',
        )
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

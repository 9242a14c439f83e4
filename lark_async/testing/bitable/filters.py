"""Search semantics: the ``filter`` and ``sort`` of ``records/search`` (Feishu Bitable docs).

A filter is ``{conjunction, conditions[{field_name, operator, value[]}], children}``
with one level of children. Each condition is checked against its field's type
and compiled once into a predicate, so a search costs one pass over the table.

Operators by field type (others answer 1254001):

- text, phone, url, location, auto number: is, isNot, contains, doesNotContain,
  isEmpty, isNotEmpty (``contains`` ignores case, ``is`` does not);
- number: is, isNot, isGreater, isGreaterEqual, isLess, isLessEqual, isEmpty, isNotEmpty;
- single select, multi select, person, group, link: is, isNot, contains,
  doesNotContain, isEmpty, isNotEmpty (``is`` on a multi-valued cell means the
  same set; ``contains`` any of the values);
- date, created/modified time: is, isGreater, isLess, isEmpty, isNotEmpty with
  ``["ExactDate", "<ms>"]`` or a named day/period, in the base's time zone;
- checkbox: is ``["true"]`` / ``["false"]``; attachment: isEmpty, isNotEmpty;
- formula and lookup fields cannot be filtered.

``isNot`` and ``doesNotContain`` match empty cells. Values are strings, at most 10.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from lark_async.testing.bitable.state import (
    FIELD_NAME_NOT_FOUND,
    FILTER_TOO_LONG,
    MAX_SORT_KEYS,
    SORT_TOO_LONG,
    WRONG_REQUEST_BODY,
    Field,
    Record,
    Table,
    bitable_error,
    field_violation,
)
from lark_async.testing.bitable.values import (
    ATTACHMENT,
    AUTO_NUMBER,
    CHECKBOX,
    CREATED_TIME,
    CREATED_USER,
    DATE,
    DUPLEX_LINK,
    FORMULA,
    GROUP_CHAT,
    LINK,
    LOCATION,
    LOOKUP,
    MODIFIED_TIME,
    MODIFIED_USER,
    MULTI_SELECT,
    NUMBER,
    PHONE,
    SINGLE_SELECT,
    TEXT,
    URL,
    USER,
    stored,
)

Predicate = Callable[[Record], bool]

MAX_FILTER_CHARS = 2000
MAX_SORT_CHARS = 1000
MAX_CONDITIONS = 50
MAX_VALUES = 10
OPERATORS = (
    "is",
    "isNot",
    "contains",
    "doesNotContain",
    "isEmpty",
    "isNotEmpty",
    "isGreater",
    "isGreaterEqual",
    "isLess",
    "isLessEqual",
    "like",
    "in",
)
_NOT_YET = frozenset({"like", "in"})  # in the documented enum, "not yet supported"
_EMPTY_OPS = frozenset({"isEmpty", "isNotEmpty"})
_MATCH_OPS = frozenset({"is", "isNot", "contains", "doesNotContain"}) | _EMPTY_OPS
_COMPARE_OPS = frozenset({"isGreater", "isGreaterEqual", "isLess", "isLessEqual"})

_TEXTLIKE = frozenset({TEXT, PHONE, URL, LOCATION, AUTO_NUMBER})
_SETLIKE = frozenset(
    {SINGLE_SELECT, MULTI_SELECT, USER, GROUP_CHAT, LINK, DUPLEX_LINK, CREATED_USER, MODIFIED_USER}
)
_DATES = frozenset({DATE, CREATED_TIME, MODIFIED_TIME})
_ALLOWED: dict[frozenset[int], frozenset[str]] = {
    _TEXTLIKE: _MATCH_OPS,
    _SETLIKE: _MATCH_OPS,
    frozenset({NUMBER}): _MATCH_OPS - {"contains", "doesNotContain"} | _COMPARE_OPS,
    _DATES: frozenset({"is", "isGreater", "isLess"}) | _EMPTY_OPS,
    frozenset({CHECKBOX}): frozenset({"is"}),
    frozenset({ATTACHMENT}): _EMPTY_OPS,
}

#: Named dates that also compare (isGreater/isLess); the periods only match (is).
DAY_TOKENS = ("Today", "Tomorrow", "Yesterday")
PERIOD_TOKENS = (
    "CurrentWeek",
    "LastWeek",
    "CurrentMonth",
    "LastMonth",
    "TheLastWeek",
    "TheNextWeek",
    "TheLastMonth",
    "TheNextMonth",
)


def _bad(detail: str) -> NoReturn:
    raise bitable_error(WRONG_REQUEST_BODY, detail)


def compact_size(value: Any) -> int:
    """Characters of ``value`` as compact JSON: how the 2,000/1,000 limits are measured."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


# --- filter -----------------------------------------------------------------------------
def compile_filter(raw: Any, table: Table, now: float, tz: dt.tzinfo) -> Predicate | None:
    """A predicate for ``raw`` (None when there is no filter), or the documented error."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise field_violation("filter", raw, "must be an object {conjunction, conditions}")
    ctx = _Context(table, now, tz)
    parts = [_condition(c, ctx, f"filter.conditions[{i}]") for i, c in enumerate(_conds(raw))]
    children = raw.get("children") or []
    if not isinstance(children, list):
        raise field_violation("filter.children", children, "must be a list of groups")
    for i, child in enumerate(children):
        where = f"filter.children[{i}]"
        if not isinstance(child, dict):
            raise field_violation(where, child, "must be an object {conjunction, conditions}")
        if child.get("children"):
            _bad(f"{where}: filters nest one level only")
        sub = [_condition(c, ctx, f"{where}.conditions[{j}]") for j, c in enumerate(_conds(child))]
        parts.append(_join(_conjunction(child, where), sub))
    predicate = _join(_conjunction(raw, "filter"), parts)
    # the gateway checks the schema first; the length is the service's own rule
    if compact_size(raw) > MAX_FILTER_CHARS:
        raise bitable_error(FILTER_TOO_LONG, f"more than {MAX_FILTER_CHARS} characters")
    return predicate


def _conjunction(group: dict[str, Any], where: str) -> str:
    value = group.get("conjunction")
    if value not in ("and", "or"):
        raise field_violation(f"{where}.conjunction", value, "required: and | or")
    return str(value)


def _conds(group: dict[str, Any]) -> list[Any]:
    conditions = group.get("conditions")
    if conditions is None:
        return []
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        raise field_violation(
            "filter.conditions", conditions, f"a list of at most {MAX_CONDITIONS} conditions"
        )
    return conditions


def _join(conjunction: str, parts: Sequence[Predicate]) -> Predicate:
    preds = tuple(parts)
    if not preds:
        return lambda r: True
    if len(preds) == 1:
        return preds[0]
    if conjunction == "and":
        return lambda r: all(p(r) for p in preds)
    return lambda r: any(p(r) for p in preds)


class _Context:
    __slots__ = ("now", "table", "tz")

    def __init__(self, table: Table, now: float, tz: dt.tzinfo) -> None:
        self.table, self.now, self.tz = table, now, tz


def _condition(raw: Any, ctx: _Context, where: str) -> Predicate:
    if not isinstance(raw, dict):
        raise field_violation(where, raw, "must be an object {field_name, operator, value}")
    name, op, values = raw.get("field_name"), raw.get("operator"), raw.get("value", [])
    if not isinstance(name, str) or not name:
        raise field_violation(f"{where}.field_name", name, "required, a field name")
    if op not in OPERATORS:
        raise field_violation(f"{where}.operator", op, "one of " + ", ".join(OPERATORS))
    if (
        not isinstance(values, list)
        or len(values) > MAX_VALUES
        or not all(isinstance(v, str) for v in values)
    ):
        raise field_violation(f"{where}.value", values, f"a list of at most {MAX_VALUES} strings")
    if op in _NOT_YET:
        _bad(f"{where}: operator {op} is not supported yet")
    f = ctx.table.by_name.get(name)
    if f is None:
        raise bitable_error(FIELD_NAME_NOT_FOUND, f"no field named {name!r} in {where}")
    if f.type in (FORMULA, LOOKUP):
        _bad(f"{where}: {f.ui_type} field {name!r} cannot be filtered")
    allowed = next((ops for types, ops in _ALLOWED.items() if f.type in types), frozenset())
    if op not in allowed:
        _bad(f"{where}: operator {op} does not apply to {f.ui_type} field {name!r}")
    if op in _EMPTY_OPS:
        if values:
            _bad(f'{where}: {op} takes "value": []')
        return _emptiness(f, op == "isEmpty")
    if not values:
        _bad(f"{where}: {op} needs a value")
    if f.type in _DATES:
        return _date_condition(f, op, values, ctx, where)
    if f.type == NUMBER:
        return _number_condition(f, op, values, where)
    if f.type == CHECKBOX:
        if len(values) != 1 or values[0] not in ("true", "false"):
            _bad(f'{where}: a checkbox matches ["true"] or ["false"]')
        want = values[0] == "true"
        return lambda r: bool(r.values.get(f.field_id)) is want
    if f.type in _SETLIKE:
        return _set_condition(f, op, values)
    return _text_condition(f, op, values)


def _getter(f: Field) -> Callable[[Record], Any]:
    if f.type in (CREATED_TIME, MODIFIED_TIME, CREATED_USER, MODIFIED_USER, AUTO_NUMBER):
        return lambda r: stored(f, r)
    fid = f.field_id
    return lambda r: r.values.get(fid)


def _emptiness(f: Field, empty: bool) -> Predicate:
    get = _getter(f)
    if empty:
        return lambda r: get(r) is None
    return lambda r: get(r) is not None


def _negated(p: Predicate, op: str) -> Predicate:
    return (lambda r: not p(r)) if op in ("isNot", "doesNotContain") else p


def _text_condition(f: Field, op: str, values: list[str]) -> Predicate:
    get = _getter(f)

    def text(r: Record) -> str | None:
        value = get(r)
        if isinstance(value, dict):  # url: compare its text
            return str(value.get("text", ""))
        return None if value is None else str(value)

    if op in ("is", "isNot"):
        wanted = frozenset(values)

        def equal(r: Record) -> bool:
            value = text(r)
            return value is not None and value in wanted

        return _negated(equal, op)
    needles = [v.casefold() for v in values]

    def contains(r: Record) -> bool:
        value = text(r)
        if value is None:
            return False
        folded = value.casefold()
        return any(n in folded for n in needles)

    return _negated(contains, op)


def _set_condition(f: Field, op: str, values: list[str]) -> Predicate:
    get = _getter(f)
    wanted = frozenset(values)

    def members(r: Record) -> frozenset[str]:
        value = get(r)
        if value is None:
            return frozenset()
        return frozenset(value) if isinstance(value, list) else frozenset((value,))

    if op in ("is", "isNot"):
        if f.type == SINGLE_SELECT:  # one option: "is" any of the values named

            def same(r: Record) -> bool:
                return get(r) in wanted

        else:

            def same(r: Record) -> bool:
                return members(r) == wanted

        return _negated(same, op)

    def overlaps(r: Record) -> bool:
        return not members(r).isdisjoint(wanted)

    return _negated(overlaps, op)


def _number_condition(f: Field, op: str, values: list[str], where: str) -> Predicate:
    if len(values) != 1:
        _bad(f"{where}: {op} on a number takes one value")
    try:
        target = float(values[0])
    except ValueError:
        _bad(f"{where}: {values[0]!r} is not a number")
    if not math.isfinite(target):
        _bad(f"{where}: {values[0]!r} is not a finite number")
    fid = f.field_id
    compare: dict[str, Callable[[float], bool]] = {
        "is": lambda v: v == target,
        "isNot": lambda v: v == target,  # negated below
        "isGreater": lambda v: v > target,
        "isGreaterEqual": lambda v: v >= target,
        "isLess": lambda v: v < target,
        "isLessEqual": lambda v: v <= target,
    }
    test = compare[op]

    def matches(r: Record) -> bool:
        value = r.values.get(fid)
        return value is not None and test(value)

    return _negated(matches, op)


# --- dates ------------------------------------------------------------------------------
def _date_condition(f: Field, op: str, values: list[str], ctx: _Context, where: str) -> Predicate:
    token = values[0]
    if token == "ExactDate":
        if len(values) != 2 or not values[1].lstrip("-").isdigit():
            _bad(f'{where}: an exact date is ["ExactDate", "<milliseconds>"]')
        start, end = day_bounds(int(values[1]), ctx.tz)
    elif token in DAY_TOKENS or token in PERIOD_TOKENS:
        if len(values) != 1:
            _bad(f"{where}: {token} takes no other value")
        if token in PERIOD_TOKENS and op != "is":
            _bad(f"{where}: the period {token} can only be matched with is")
        start, end = period_bounds(token, ctx.now, ctx.tz)
    else:
        _bad(
            f'{where}: a date value is ["ExactDate", "<ms>"] or one of '
            + ", ".join(DAY_TOKENS + PERIOD_TOKENS)
        )
    get = _getter(f)
    if op == "is":
        return lambda r: (v := get(r)) is not None and start <= v < end
    if op == "isGreater":
        return lambda r: (v := get(r)) is not None and v >= end
    return lambda r: (v := get(r)) is not None and v < start


def _midnight_ms(day: dt.date, tz: dt.tzinfo) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def day_bounds(ms: int, tz: dt.tzinfo) -> tuple[int, int]:
    """[start, end) in ms of the local day holding ``ms`` (Feishu truncates to midnight)."""
    day = dt.datetime.fromtimestamp(ms / 1000, tz).date()
    return _midnight_ms(day, tz), _midnight_ms(day + dt.timedelta(days=1), tz)


def period_bounds(token: str, now: float, tz: dt.tzinfo) -> tuple[int, int]:
    """[start, end) in ms of a named day or period, relative to ``now`` in ``tz``.

    Weeks start on Monday. TheLastWeek/TheLastMonth are the 7/30 days ending
    today (today included); TheNextWeek/TheNextMonth the 7/30 days from today.
    """
    today = dt.datetime.fromtimestamp(now, tz).date()
    one = dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    first = today.replace(day=1)
    next_first = (first + dt.timedelta(days=32)).replace(day=1)
    prev_first = (first - one).replace(day=1)
    spans: dict[str, tuple[dt.date, dt.date]] = {
        "Today": (today, today + one),
        "Tomorrow": (today + one, today + 2 * one),
        "Yesterday": (today - one, today),
        "CurrentWeek": (monday, monday + 7 * one),
        "LastWeek": (monday - 7 * one, monday),
        "CurrentMonth": (first, next_first),
        "LastMonth": (prev_first, first),
        "TheLastWeek": (today - 6 * one, today + one),
        "TheNextWeek": (today, today + 7 * one),
        "TheLastMonth": (today - 29 * one, today + one),
        "TheNextMonth": (today, today + 30 * one),
    }
    start, end = spans[token]
    return _midnight_ms(start, tz), _midnight_ms(end, tz)


# --- sort -------------------------------------------------------------------------------
SortKey = tuple[Field, bool]


def compile_sort(raw: Any, table: Table) -> list[SortKey]:
    """``[{field_name, desc}]`` to (field, descending) pairs, checked."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_SORT_KEYS:
        raise field_violation("sort", raw, f"a list of at most {MAX_SORT_KEYS} sort keys")
    if compact_size(raw) > MAX_SORT_CHARS:
        raise bitable_error(SORT_TOO_LONG, f"more than {MAX_SORT_CHARS} characters")
    keys: list[SortKey] = []
    for i, item in enumerate(raw):
        name = item.get("field_name") if isinstance(item, dict) else None
        desc = item.get("desc", False) if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(desc, bool):
            raise field_violation(f"sort[{i}]", item, "an object {field_name, desc: bool}")
        f = table.by_name.get(name)
        if f is None:
            raise bitable_error(FIELD_NAME_NOT_FOUND, f"no field named {name!r} in sort[{i}]")
        keys.append((f, desc))
    return keys


def sort_records(records: list[Record], keys: Sequence[SortKey]) -> list[Record]:
    """Stable multi-key sort; empty cells go last whatever the direction."""
    out = list(records)
    for f, desc in reversed(keys):
        key = _sort_value(f)
        present: list[tuple[Any, Record]] = []
        absent: list[Record] = []
        for r in out:
            value = key(r)
            if value is None:
                absent.append(r)
            else:
                present.append((value, r))
        present.sort(key=lambda pair: pair[0], reverse=desc)
        out = [r for _, r in present] + absent
    return out


def _sort_value(f: Field) -> Callable[[Record], Any]:
    get = _getter(f)
    if f.type == CHECKBOX:
        return lambda r: bool(get(r))
    if f.type in (NUMBER, DATE, CREATED_TIME, MODIFIED_TIME):
        return get
    if f.type == AUTO_NUMBER:
        return lambda r: int(get(r))

    def as_text(r: Record) -> str | None:
        value = get(r)
        if value is None:
            return None
        if isinstance(value, dict):
            return str(value.get("text", ""))
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)

    return as_text

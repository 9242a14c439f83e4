"""Argument checks of ``lark.apaas``, run before any request is sent."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from lark_async.core.checks import bad_argument, check_json, check_str
from lark_async.core.errors import PermissionDenied

#: Scopes each workspace-table call needs of the user token (Feishu aPaaS docs).
SCOPE_TABLE_READ = "app_engine:workspace.table:read"
SCOPE_RECORD_READ = "app_engine:workspace.table.record:read"
SCOPE_RECORD_WRITE = "app_engine:workspace.table.record:write"

#: Every scope the workspace-table calls need: ask the user for these in lark.user_auth.
SCOPES = (SCOPE_TABLE_READ, SCOPE_RECORD_READ, SCOPE_RECORD_WRITE)

OPS = ("eq", "neq", "gt", "gte", "lt", "lte")
MAX_FILTER = 4000  # characters of the filter query parameter


def name(value: object, what: str) -> str:
    """A workspace id, table name, record id ...: printable, no path separators."""
    text = check_str(value, what, max_len=255, printable=True)
    if not text.strip():
        raise bad_argument(what, "must not be blank")
    if any(c in text for c in "/?#%\\"):
        raise bad_argument(what, "must not contain '/', '?', '#', '%' or a backslash")
    if text in (".", ".."):
        raise bad_argument(what, "must not be '.' or '..'")
    return text


def user_token(as_user: str | None, user_access_token: str | None, scope: str) -> None:
    """Workspace tables take user tokens only: refuse before sending without one."""
    if as_user is None and user_access_token is None:
        raise PermissionDenied(
            "aPaaS workspace tables need a user token: pass as_user=<open_id> "
            "(authorised through lark.user_auth) or user_access_token=",
            hint=f"the user must have granted the scope {scope}",
            details={"scope": scope},
        )


# Characters PostgREST reserves inside a logical tree ``and=(...)``: a value holding
# one is double-quoted; a column name may not hold one.
_RESERVED = frozenset(',.:()"\\=&')


def _literal(value: object, column: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise bad_argument(f"conditions[{column!r}]", "must be a finite number")
    if isinstance(value, int | float | str):
        return str(value)
    raise bad_argument(f"conditions[{column!r}]", "must be a str, number, bool or None")


def _quoted(text: str) -> str:
    """A value inside ``and=(...)``: double-quoted (``\\`` and ``"`` escaped) when needed."""
    if text and not any(c in _RESERVED or c.isspace() for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _column(value: object, what: str = "conditions key") -> str:
    col = name(value, what)
    if any(c in _RESERVED or c.isspace() for c in col):
        raise bad_argument(what, 'must not contain spaces or any of , . : ( ) " = &')
    return col


def column(value: object, what: str) -> str:
    """A column name where PostgREST lists or parses names (``select``, filters)."""
    return _column(value, what)


def conditions(value: object) -> str | None:
    """The API's ``filter``: PostgREST horizontal filtering, in one query parameter.

    ``{"age": ("gt", 10)}`` -> ``age=gt.10``; two or more conditions are joined
    with PostgREST's logical operator: ``{"age": ("gt", 10), "city": "Paris"}``
    -> ``and=(age.gt.10,city.eq.Paris)``. A string passes through as a raw
    PostgREST filter.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return check_str(value, "conditions", max_len=MAX_FILTER, printable=True)
    if not isinstance(value, Mapping) or not value:
        raise bad_argument("conditions", "must be a non-empty mapping or a PostgREST filter str")
    terms: list[tuple[str, str, str | None]] = []  # (column, operator, literal or None)
    for column, cond in value.items():
        col = _column(column)
        op: object = "eq"
        operand: Any = cond
        if isinstance(cond, tuple):
            if len(cond) != 2:
                raise bad_argument(f"conditions[{col!r}]", "a tuple must be (operator, value)")
            op, operand = cond
        if op not in OPS:
            raise bad_argument(f"conditions[{col!r}]", f"operator must be one of {OPS}")
        if operand is None:
            if op not in ("eq", "neq"):
                raise bad_argument(f"conditions[{col!r}]", "None compares with eq or neq only")
            terms.append((col, "is" if op == "eq" else "not.is", None))
        else:
            terms.append((col, str(op), _literal(operand, col)))
    if len(terms) == 1 and "&" not in (terms[0][2] or ""):
        col, op, lit = terms[0]
        flt = f"{col}={op}.{'null' if lit is None else lit}"
    else:
        inner = ",".join(
            f"{col}.{op}.{'null' if lit is None else _quoted(lit)}" for col, op, lit in terms
        )
        flt = f"and=({inner})"
    if len(flt) > MAX_FILTER:
        # The filter travels in the URL; servers refuse request lines past ~8 KB.
        raise bad_argument("conditions", f"make a filter longer than {MAX_FILTER} characters")
    return flt


def row(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise bad_argument(what, "must be a non-empty mapping of column -> value")
    out = {name(k, f"{what} key"): v for k, v in value.items()}
    check_json(out, what)
    try:  # the body is sent as a JSON string: NaN and Infinity are not JSON
        json.dumps(out, allow_nan=False)
    except ValueError:
        raise bad_argument(what, "must not hold NaN or infinity (not valid JSON)") from None
    return out

"""Argument checks of ``lark.apaas``, run before any request is sent."""

from __future__ import annotations

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


def name(value: object, what: str) -> str:
    """A workspace id, table name, record id ...: printable, no path separators."""
    text = check_str(value, what, max_len=255, printable=True)
    if "/" in text or "?" in text or "#" in text:
        raise bad_argument(what, "must not contain '/', '?' or '#'")
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


def _literal(value: object, column: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float | str):
        text = str(value)
        if "&" in text or "," in text:
            raise bad_argument(f"conditions[{column!r}]", "must not contain '&' or ','")
        return text
    raise bad_argument(f"conditions[{column!r}]", "must be a str, number, bool or None")


def conditions(value: object) -> str | None:
    """``{"age": ("gt", 10), "city": "Paris"}`` -> ``age=gt.10&city=eq.Paris`` (PostgREST);
    a string passes through as a raw PostgREST filter."""
    if value is None:
        return None
    if isinstance(value, str):
        return check_str(value, "conditions", max_len=4000, printable=True)
    if not isinstance(value, Mapping) or not value:
        raise bad_argument("conditions", "must be a non-empty mapping or a PostgREST filter str")
    parts = []
    for column, cond in value.items():
        col = name(column, "conditions key")
        op: object = "eq"
        operand: Any = cond
        if isinstance(cond, tuple):
            if len(cond) != 2:
                raise bad_argument(f"conditions[{col!r}]", "a tuple must be (operator, value)")
            op, operand = cond
        if op not in OPS:
            raise bad_argument(f"conditions[{col!r}]", f"operator must be one of {OPS}")
        if operand is None:
            parts.append(f"{col}=is.null")
        else:
            parts.append(f"{col}={op}.{_literal(operand, col)}")
    return "&".join(parts)


def row(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise bad_argument(what, "must be a non-empty mapping of column -> value")
    out = {name(k, f"{what} key"): v for k, v in value.items()}
    check_json(out, what)
    return out

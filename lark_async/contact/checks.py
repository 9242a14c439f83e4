"""Input checks, run before any request: a bad argument is an ``InvalidParameter`` naming it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lark_async.core.errors import InvalidParameter

MAX_BATCH = 10_000  # lookups per batch call (sent 50 a request)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_MOBILE = re.compile(r"\+?[0-9][0-9 \-]{3,30}")
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-@.]{0,127}")
_DEPT_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_\-@.]{0,63}")  # Feishu contact docs
_CHAT_ID = re.compile(r"oc_[A-Za-z0-9_\-]{1,100}")
USER_ID_TYPES = ("open_id", "union_id", "user_id")
DEPT_ID_TYPES = ("open_department_id", "department_id")


def _bad(arg: str, why: str, value: Any) -> InvalidParameter:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return InvalidParameter(f"{arg}: {why} (got {shown})", hint=f"fix the {arg} argument")


def email(value: Any, arg: str = "email") -> str:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.fullmatch(value.strip()):
        raise _bad(arg, "must be an email address such as ann@example.com", value)
    return value.strip().lower()


def mobile(value: Any, arg: str = "mobile") -> str:
    if not isinstance(value, str) or not _MOBILE.fullmatch(value.strip()):
        raise _bad(arg, "must be a phone number such as +8613800000000", value)
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def many(values: Any, one: Any, arg: str) -> dict[str, str]:
    """Each given value -> its normalised form (``one`` checks and normalises it)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise _bad(arg, "must be a list of strings", values)
    items = list(values)  # once: a generator can be read only once
    if len(items) > MAX_BATCH:
        raise _bad(arg, f"at most {MAX_BATCH:,} per call", f"{len(items)} items")
    return {v: one(v, f"{arg}[{i}]") for i, v in enumerate(items)}


def user_id(value: Any, id_type: Any) -> tuple[str, str]:
    """``(id, id_type)``; the type is inferred from the prefix when None (ou_, on_)."""
    if not isinstance(value, str) or not _USER_ID.fullmatch(value):
        raise _bad("user_id", "must be an open_id (ou_...), union_id (on_...) or user_id", value)
    if id_type is None:
        id_type = (
            "open_id"
            if value.startswith("ou_")
            else "union_id"
            if value.startswith("on_")
            else "user_id"
        )
    if id_type not in USER_ID_TYPES:
        raise _bad("user_id_type", f"must be one of {', '.join(USER_ID_TYPES)}", id_type)
    return value, id_type


def department_id(value: Any, arg: str = "department_id") -> str:
    if not isinstance(value, str) or not _DEPT_ID.fullmatch(value):
        raise _bad(arg, "must be a department id such as od-... or 0 (the root)", value)
    return value


def department_id_type(value: Any) -> str:
    if value not in DEPT_ID_TYPES:
        raise _bad("department_id_type", f"must be one of {', '.join(DEPT_ID_TYPES)}", value)
    return str(value)


def chat_id(value: Any) -> str:
    if not isinstance(value, str) or not _CHAT_ID.fullmatch(value):
        raise _bad("chat_id", "must be a chat id such as oc_...", value)
    return value


def text(value: Any, arg: str, max_len: int = 100) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise _bad(arg, f"must be a non-empty string of at most {max_len} characters", value)
    if any(ord(ch) < 32 for ch in value):
        raise _bad(arg, "must not contain control characters", value)
    return value

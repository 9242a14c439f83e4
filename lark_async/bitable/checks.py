"""Argument checks run before any request: ids, sizes, tokens (Feishu Bitable docs)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from lark_async.core.checks import check_json
from lark_async.core.errors import InvalidParameter

MAX_BATCH_WRITE = 1000  # batch_create / batch_update (Feishu Bitable docs)
MAX_BATCH_DELETE = 500  # batch_delete (Feishu Bitable docs)
MAX_BATCH_GET = 100  # batch_get (Feishu Bitable docs)
MAX_PAGE_SIZE = 500  # search / list records (Feishu Bitable docs)
MAX_SCHEMA_PAGE_SIZE = 100  # tables / fields listing (Feishu Bitable docs)
MAX_FIELDS = 300  # fields per table (Feishu Bitable docs)
MAX_FIELD_NAMES = 200  # field_names in a search (Feishu Bitable docs)
USER_ID_TYPES = ("open_id", "union_id", "user_id")

_ID = re.compile(r"^[A-Za-z0-9_-]+\Z")


def check_token(value: object, name: str, *, max_len: int, prefix: str | None = None) -> str:
    """A path id: non-empty, URL-safe, not too long, with Feishu's prefix if it has one."""
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"{name} must be a non-empty string", hint=f"pass {name}=")
    if len(value) > max_len:
        raise InvalidParameter(
            f"{name} is {len(value)} characters long; the limit is {max_len}",
            hint=f"check that {name} is the id itself, not a URL",
        )
    if not _ID.match(value):
        raise InvalidParameter(
            f"{name} may only hold letters, digits, '_' and '-', got {value[:40]!r}",
            hint=f"pass the bare {name}, not a URL or a name",
        )
    if prefix and not value.startswith(prefix):
        raise InvalidParameter(
            f"{name} must start with {prefix!r}, got {value[:40]!r}",
            hint=f"{name} values look like {prefix}xxxxxxxx; names are not ids",
        )
    return value


def app_token(value: object) -> str:
    return check_token(value, "app_token", max_len=100)


def table_id(value: object) -> str:
    return check_token(value, "table_id", max_len=50, prefix="tbl")


def record_id(value: object, name: str = "record_id") -> str:
    return check_token(value, name, max_len=50, prefix="rec")


def view_id(value: object) -> str:
    return check_token(value, "view_id", max_len=50, prefix="vew")


def user_id_type(value: str | None) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in USER_ID_TYPES):
        raise InvalidParameter(
            f"user_id_type must be one of {', '.join(USER_ID_TYPES)}, got {value!r}",
            hint="user_id_type decides how person fields are written and read",
        )
    return value


def client_token(value: str | None) -> str:
    """A caller's client_token must be a UUIDv4 (else Feishu answers 1254037); None: a new one."""
    if value is None:
        return str(uuid.uuid4())
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None
    except (ValueError, AttributeError, TypeError):
        parsed = None
    if parsed is None or parsed.version != 4 or str(parsed) != value.lower():
        raise InvalidParameter(
            "client_token must be a UUIDv4 string such as 3f0c2b9e-...-4...",
            hint="leave client_token=None to get a fresh one; reuse a token only to retry "
            "the very same request",
        )
    return value


def fields(value: object, name: str = "fields") -> dict[str, Any]:
    """A record's ``fields``: a non-empty mapping of field name to value."""
    if not isinstance(value, Mapping):
        raise InvalidParameter(
            f"{name} must be a mapping of field name to value, got {type(value).__name__}",
            hint='e.g. {"Name": "Ada", "Count": 3}',
        )
    if not value:
        raise InvalidParameter(f"{name} is empty", hint="give at least one field value")
    if len(value) > MAX_FIELDS:
        raise InvalidParameter(
            f"{name} has {len(value)} entries; a table has at most {MAX_FIELDS} fields"
        )
    for key in value:
        if not isinstance(key, str) or not key.strip():
            raise InvalidParameter(
                f"{name} keys must be non-empty field names, got {key!r:.60}",
                hint="keys are the field names shown in the table header",
            )
    out = dict(value)
    json_value(out, name)
    return out


def json_value(value: object, name: str) -> None:
    """Something both JSON encoders take as is, with finite numbers only.

    The transport's (orjson) refuses lone surrogates, ints beyond 64 bits and
    non-str keys; the standard library's refuses NaN, infinity and types JSON
    does not have (sets, bytes, datetimes); orjson would send NaN as null,
    silently clearing a cell.
    """
    check_json(value, name)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise InvalidParameter(
            f"{name} is not JSON-serialisable: {reason}",
            hint="cell values are str, int, float (finite), bool, None, lists and dicts; "
            "write dates as epoch milliseconds",
        ) from None


def flag(value: object, name: str) -> bool:
    """True or False: a truthy stand-in (``"no"``, ``1``) is refused rather than guessed."""
    if not isinstance(value, bool):
        raise InvalidParameter(
            f"{name} must be True or False, got {type(value).__name__}", hint=f"{name}=True"
        )
    return value


def text(value: object, name: str) -> str:
    """A non-empty string that can be sent: printable, no lone surrogates."""
    # isprintable() is False for control characters and for lone surrogates
    if not isinstance(value, str) or not value or not value.isprintable():
        raise InvalidParameter(
            f"{name} must be a non-empty string of printable text, got {value!r:.60}"
        )
    return value


def page_size(value: int, *, limit: int = MAX_PAGE_SIZE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise InvalidParameter(
            f"page_size must be an integer in 1..{limit}, got {value!r}",
            hint=f"Feishu serves at most {limit} items per page here",
        )
    return value


def count(items: object, name: str, *, limit: int) -> list[Any]:
    """A list argument with 1..limit entries."""
    if isinstance(items, (str, bytes, bytearray, Mapping)) or not hasattr(items, "__iter__"):
        raise InvalidParameter(f"{name} must be a list, got {type(items).__name__}")
    out = list(items)
    if not out:
        raise InvalidParameter(f"{name} is empty", hint=f"give 1..{limit} entries")
    if len(out) > limit:
        raise InvalidParameter(
            f"{name} has {len(out)} entries; the API takes at most {limit} per call",
            hint="use the bulk writers (bulk_create/bulk_update/bulk_delete), which chunk for you",
        )
    return out

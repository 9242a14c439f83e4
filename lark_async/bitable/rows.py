"""Input rows as the bulk engine carries them, and the checks that admit them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from lark_async.bitable import checks
from lark_async.bitable.models import plain_text
from lark_async.core.errors import InvalidParameter

T = TypeVar("T")
Rows = Iterable[T] | AsyncIterable[T]


@dataclass(slots=True)
class PendingRow:
    """One input row on its way: where it came from, and what to write."""

    index: int
    source: Any
    fields: dict[str, Any] | None = None
    record_id: str | None = None
    key: str | None = None  # upsert: the normalised key value
    merged: tuple[int, ...] = ()  # upsert: later rows with the same key folded into this one

    @property
    def count(self) -> int:
        return 1 + len(self.merged)


async def aiter_rows(rows: Rows[T]) -> AsyncIterator[T]:
    """Any iterable or async iterable of rows, as an async iterator that reads lazily."""
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
        return
    for n, row in enumerate(rows, 1):
        yield row
        if n % 1000 == 0:
            await asyncio.sleep(0)  # a long in-memory list must not starve the senders


def bad_row(index: int, message: str, hint: str | None = None) -> InvalidParameter:
    """A refused input row; ``index`` is its 0-based position in the input."""
    return InvalidParameter(f"row {index}: {message}", hint=hint)


def fields_of(value: Any, index: int) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise bad_row(
            index,
            f"expected a mapping of field name to value, got {type(value).__name__}",
            'e.g. {"Name": "Ada", "Count": 3}',
        )
    if not value:
        raise bad_row(index, "has no fields", "give at least one field value")
    for name in value:
        if not isinstance(name, str) or not name:
            raise bad_row(index, f"field names must be non-empty strings, got {name!r:.60}")
    out = value if isinstance(value, dict) else dict(value)
    try:
        checks.json_value(out, "fields")
    except InvalidParameter as exc:
        raise bad_row(index, exc.message, exc.hint) from None
    return out


def record_id_of(value: Any, index: int) -> str:
    rid = (
        value.get("record_id") if isinstance(value, Mapping) else getattr(value, "record_id", value)
    )
    try:
        return checks.record_id(rid)
    except InvalidParameter as exc:
        raise bad_row(index, exc.message, exc.hint) from None


def normalise_key(value: Any) -> str | None:
    """A key cell as a comparable string (text segments joined, 3.0 == 3); None if empty.

    A value that is not JSON (a set, an object) is refused with ``InvalidParameter``.
    """
    value = plain_text(value)
    if value is None or (isinstance(value, str | list) and not value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, dict) and "link" in value:
        return str(value["link"])
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        raise InvalidParameter(
            f"value: a {type(value).__name__} holding non-JSON values cannot be a key",
            hint="key cells are text, numbers, booleans, or JSON lists/objects",
        ) from None


def update_parts(source: Any, index: int) -> tuple[str, Any]:
    if isinstance(source, tuple) and len(source) == 2:
        rid, fields = source
    elif isinstance(source, Mapping):
        if "record_id" not in source or "fields" not in source:
            raise bad_row(
                index,
                "an update row needs record_id and fields",
                'e.g. {"record_id": "rec...", "fields": {"Count": 4}}',
            )
        rid, fields = source["record_id"], source["fields"]
    elif hasattr(source, "record_id") and hasattr(source, "fields"):
        rid, fields = source.record_id, source.fields
    else:
        raise bad_row(
            index,
            "an update row is a (record_id, fields) pair or a mapping, "
            f"not {type(source).__name__}",
        )
    return record_id_of(rid, index), fields

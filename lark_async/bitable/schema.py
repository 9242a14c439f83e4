"""A table's columns, used to check rows before they are sent and to type CSV text.

Checking locally turns what would be a server refusal of a whole 1,000-row batch
(an unknown field name, text in a number column) into one failed row, at no
request cost.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from lark_async.bitable.models import READ_ONLY_TYPES, FieldType, TableField, plain_text
from lark_async.core.errors import InvalidParameter

_PHONE = re.compile(r"^\+?\d*\Z")
_TRUE = frozenset({"true", "1", "yes", "y", "t", "on", "checked"})
_FALSE = frozenset({"false", "0", "no", "n", "f", "off", "unchecked", ""})


class Schema:
    """Field name → :class:`TableField`, with row checks per field type (Feishu Bitable docs)."""

    def __init__(self, fields: Iterable[TableField]) -> None:
        if isinstance(fields, str | bytes | Mapping) or not isinstance(fields, Iterable):
            raise InvalidParameter(
                f"fields must be a list of TableField, got {type(fields).__name__}",
                hint="e.g. Schema(await lark.bitable.list_fields(app, table).to_list())",
            )
        items = list(fields)
        for f in items:
            if not isinstance(f, TableField):
                raise InvalidParameter(
                    f"fields must hold TableField values, got {type(f).__name__}",
                    hint="build them with TableField(field_name=..., type=...)",
                )
        self.fields: dict[str, TableField] = {f.field_name: f for f in items}

    @property
    def primary(self) -> TableField | None:
        return next((f for f in self.fields.values() if f.is_primary), None)

    def problem(self, row: Mapping[str, Any]) -> str | None:
        """Why Feishu would refuse this row, or None if it looks writable."""
        _check_row(row)
        for name, value in row.items():
            spec = self.fields.get(name)
            if spec is None:
                known = ", ".join(list(self.fields)[:10])
                return f"no field named {name!r} in the table (fields: {known})"
            if spec.type in READ_ONLY_TYPES:
                return f"{name!r} is computed by Feishu (type {spec.type}) and cannot be written"
            if value is None:
                continue  # clears the cell
            issue = _type_problem(spec.type, value)
            if issue:
                return f"{name!r}: {issue}"
        return None

    def coerce_text(
        self, row: Mapping[str, str], *, list_sep: str = ",", tz: _dt.tzinfo | None = None
    ) -> dict[str, Any]:
        """CSV cells (strings) → values of each field's type; empty cells are left out.

        Raises ``InvalidParameter`` (a ValueError) naming the field when a cell
        cannot be converted. Dates without a zone are read in ``tz`` (default UTC).
        """
        _check_row(row)
        _check_sep(list_sep)
        _check_tz(tz)
        out: dict[str, Any] = {}
        for name, raw in row.items():
            if raw is None or raw == "":
                continue
            if not isinstance(raw, str):
                raise InvalidParameter(
                    f"row: {name!r:.40} holds a {type(raw).__name__}; CSV cells are text"
                )
            try:
                out[name] = self.coerce_cell(name, raw, list_sep=list_sep, tz=tz)
            except ValueError as exc:
                raise InvalidParameter(f"row: {name!r:.40}: {exc}") from None
        return out

    def coerce_cell(
        self, name: str, raw: str, *, list_sep: str = ",", tz: _dt.tzinfo | None = None
    ) -> Any:
        """One CSV cell as a value of field ``name``'s type (text if the field is unknown).

        Raises ``ValueError`` saying why, quoting the value.
        """
        if not isinstance(name, str):
            raise InvalidParameter(f"name must be a field name, got {type(name).__name__}")
        if not isinstance(raw, str):
            raise InvalidParameter(f"raw must be the cell's text, got {type(raw).__name__}")
        _check_sep(list_sep)
        _check_tz(tz)
        spec = self.fields.get(name)
        if spec is None:
            return raw  # the row check reports it
        return _from_text(spec.type, raw, list_sep, tz)


def _check_row(row: object) -> None:
    if not isinstance(row, Mapping):
        raise InvalidParameter(
            f"row must be a mapping of field name to value, got {type(row).__name__}"
        )


def _check_tz(tz: object) -> None:
    if tz is not None and not isinstance(tz, _dt.tzinfo):
        raise InvalidParameter(
            f"tz must be a datetime.tzinfo or None, got {type(tz).__name__}",
            hint="e.g. zoneinfo.ZoneInfo('Asia/Shanghai')",
        )


def _check_sep(list_sep: object) -> None:
    if not isinstance(list_sep, str) or not list_sep:
        raise InvalidParameter(f"list_sep must be a non-empty string, got {list_sep!r:.40}")


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _list_of(value: Any, kind: type, key: str | None = None) -> bool:
    if not isinstance(value, list):
        return False
    if key is None:
        return all(isinstance(v, kind) for v in value)
    return all(isinstance(v, dict) and isinstance(v.get(key), kind) for v in value)


def _type_problem(ftype: int, value: Any) -> str | None:
    t = ftype
    if t in (FieldType.TEXT, FieldType.SINGLE_SELECT):
        return None if isinstance(value, str) else f"expects a string, got {type(value).__name__}"
    if t == FieldType.NUMBER:
        return None if _is_number(value) else f"expects a number, got {value!r:.40}"
    if t == FieldType.MULTI_SELECT:
        return None if _list_of(value, str) else "expects a list of option names"
    if t == FieldType.DATE:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "expects epoch milliseconds (an int)"
    if t == FieldType.CHECKBOX:
        return None if isinstance(value, bool) else "expects true or false"
    if t in (FieldType.USER, FieldType.GROUP_CHAT):
        if not _list_of(value, str, "id"):
            return 'expects a list of {"id": ...}'
        return None if len(value) <= 1000 else "holds more than 1,000 entries"
    if t == FieldType.PHONE:
        ok = isinstance(value, str) and len(value) <= 64 and bool(_PHONE.match(value))
        return None if ok else "expects digits with an optional leading +, at most 64"
    if t == FieldType.URL:
        ok = isinstance(value, dict) and isinstance(value.get("link"), str)
        return None if ok else 'expects {"text": ..., "link": ...}'
    if t == FieldType.ATTACHMENT:
        if not _list_of(value, str, "file_token"):
            return 'expects a list of {"file_token": ...} from a drive upload'
        return None if len(value) <= 100 else "holds more than 100 attachments"
    if t in (FieldType.SINGLE_LINK, FieldType.DUPLEX_LINK):
        return None if _list_of(value, str) else "expects a list of record ids"
    return None  # location and types this library does not know: let Feishu decide


def _from_text(ftype: int, raw: str, sep: str, tz: _dt.tzinfo | None = None) -> Any:
    t = ftype
    text = raw.strip()
    if t == FieldType.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{raw!r:.40} is not a number") from None
        return (
            int(number)
            if number.is_integer() and "." not in text and "e" not in text.lower()
            else number
        )
    if t == FieldType.CHECKBOX:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{raw!r:.40} is not a yes/no value")
    if t == FieldType.DATE:
        return _date_ms(text, tz)
    if text.startswith(("[", "{")) and t not in (FieldType.TEXT, FieldType.SINGLE_SELECT):
        try:
            return json.loads(text)  # a JSON cell, as `export` writes rich values
        except json.JSONDecodeError:
            pass
    parts = [p.strip() for p in text.split(sep) if p.strip()]
    if t == FieldType.MULTI_SELECT or t in (FieldType.SINGLE_LINK, FieldType.DUPLEX_LINK):
        return parts
    if t in (FieldType.USER, FieldType.GROUP_CHAT):
        return [{"id": p} for p in parts]
    if t == FieldType.ATTACHMENT:
        return [{"file_token": p} for p in parts]
    if t == FieldType.URL:
        return {"text": text, "link": text}
    return raw


def _date_ms(text: str, tz: _dt.tzinfo | None = None) -> int:
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r:.40} is neither epoch ms nor an ISO date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz or _dt.UTC)  # a local time: the base's zone
    return int(when.timestamp() * 1000)


def to_text(value: Any, *, list_sep: str = ",") -> str:
    """A cell as CSV text; the inverse of :meth:`Schema.coerce_text` for common types."""
    _check_sep(list_sep)
    value = plain_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, dict) and "link" in value:
        return str(value["link"])
    if isinstance(value, dict) and "link_record_ids" in value:
        return list_sep.join(str(v) for v in value["link_record_ids"])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list_sep.join(value)
    if isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value):
        return list_sep.join(str(v["id"]) for v in value)
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        raise InvalidParameter(
            f"value: a {type(value).__name__} holding non-JSON values has no CSV text",
            hint="cells are text, numbers, booleans, or JSON lists/objects",
        ) from None

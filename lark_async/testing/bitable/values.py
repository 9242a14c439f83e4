"""Bitable field types: checking written values and shaping them per answer (Feishu Bitable docs).

A value is stored in its write form (text as a string, a person as its id,
a link as record ids). Answers shape it three ways:

- ``"write"``: create/update echo what was written (text stays a string);
- ``"read"``: search and batch_get give text as segments ``[{"type": "text", "text": ...}]``,
  people as ``[{"id": ...}]``, links as ``{"link_record_ids": [...]}``;
- ``"legacy"``: list/get give text as a string unless ``text_field_as_array=true``.

A wrong value type answers the field's conversion code (1254060-1254074); a
too-long text 1254130; writing a computed field (formula, lookup, created
time, auto number…) 1254015.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal, NoReturn

from lark_async.testing.bitable.state import (
    ATTACH_EXCEED_LIMIT,
    ATTACHMENT_CONV,
    CHECKBOX_CONV,
    DATETIME_CONV,
    DUPLEX_LINK_CONV,
    FIELD_NAME_NOT_FOUND,
    FIELD_TYPE_MISMATCH,
    LINK_CONV,
    MULTI_SELECT_CONV,
    NUMBER_CONV,
    PHONE_CONV,
    SINGLE_SELECT_CONV,
    TEXT_CONV,
    TOO_LARGE_CELL,
    URL_CONV,
    USER_CONV,
    Base,
    Field,
    Record,
    Table,
    bitable_error,
    field_violation,
    new_id,
)
from lark_async.testing.server.envelope import FakeError

Shape = Literal["write", "read", "legacy", "legacy_array"]

TEXT = 1
NUMBER = 2
SINGLE_SELECT = 3
MULTI_SELECT = 4
DATE = 5
CHECKBOX = 7
USER = 11
PHONE = 13
URL = 15
ATTACHMENT = 17
LINK = 18
LOOKUP = 19
FORMULA = 20
DUPLEX_LINK = 21
LOCATION = 22
GROUP_CHAT = 23
CREATED_TIME = 1001
MODIFIED_TIME = 1002
CREATED_USER = 1003
MODIFIED_USER = 1004
AUTO_NUMBER = 1005

UI_TYPES: dict[int, str] = {
    TEXT: "Text",
    NUMBER: "Number",
    SINGLE_SELECT: "SingleSelect",
    MULTI_SELECT: "MultiSelect",
    DATE: "DateTime",
    CHECKBOX: "Checkbox",
    USER: "User",
    PHONE: "Phone",
    URL: "Url",
    ATTACHMENT: "Attachment",
    LINK: "SingleLink",
    LOOKUP: "Lookup",
    FORMULA: "Formula",
    DUPLEX_LINK: "DuplexLink",
    LOCATION: "Location",
    GROUP_CHAT: "GroupChat",
    CREATED_TIME: "CreatedTime",
    MODIFIED_TIME: "ModifiedTime",
    CREATED_USER: "CreatedUser",
    MODIFIED_USER: "ModifiedUser",
    AUTO_NUMBER: "AutoNumber",
}
#: Types whose value the server computes: never written, never filtered (formula, lookup).
COMPUTED = frozenset({LOOKUP, FORMULA, CREATED_TIME, MODIFIED_TIME, CREATED_USER, MODIFIED_USER})
COMPUTED_OR_AUTO = COMPUTED | {AUTO_NUMBER}

TEXT_LIMIT = 100_000  # characters in one text cell; longer is 1254130 TooLargeCell
USERS_PER_CELL = 1000
ATTACHMENTS_PER_CELL = 100
PHONE_LIMIT = 64
_PHONE = re.compile(r"^\+?\d*$")
_LOCATION = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$")
_USER_PREFIX = {"open_id": "ou_", "union_id": "on_"}
_OPTION_COLORS = 55  # Feishu's palette size; options cycle through it


def make_field(spec: Mapping[str, Any], *, primary: bool) -> Field:
    """A field from ``{"field_name", "type", "property"?, "ui_type"?, "description"?}``.

    Raises ValueError: this is the emulator's seeding API, not an endpoint.
    """
    name = spec.get("field_name")
    ftype = spec.get("type")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"field_name must be a non-empty string: {spec!r}")
    if not isinstance(ftype, int) or ftype not in UI_TYPES:
        raise ValueError(f"field {name!r}: type must be one of {sorted(UI_TYPES)}, got {ftype!r}")
    prop = spec.get("property")
    if prop is not None and not isinstance(prop, Mapping):
        raise ValueError(f"field {name!r}: property must be a mapping")
    prop = dict(prop) if prop else None
    if ftype in (SINGLE_SELECT, MULTI_SELECT):
        options = [_option(o, i) for i, o in enumerate((prop or {}).get("options", []))]
        prop = {**(prop or {}), "options": options}
    ui_type = spec.get("ui_type") or UI_TYPES[ftype]
    return Field(
        field_id=new_id("fld", 7),
        name=name,
        type=ftype,
        ui_type=str(ui_type),
        property=prop,
        is_primary=primary,
        description=str(spec.get("description", "")),
    )


def _option(raw: Any, index: int) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise ValueError(f"a select option needs a name: {raw!r}")
    return {
        "name": raw["name"],
        "id": raw.get("id") or new_id("opt", 7),
        "color": raw.get("color", index % _OPTION_COLORS),
    }


def field_json(f: Field) -> dict[str, Any]:
    """The ``fields`` listing item of one field (Feishu Bitable docs)."""
    return {
        "field_id": f.field_id,
        "field_name": f.name,
        "type": f.type,
        "property": f.property,
        "description": f.description,
        "is_primary": f.is_primary,
        "ui_type": f.ui_type,
        "is_hidden": False,
    }


# --- writes -----------------------------------------------------------------------------
CLEAR: Any = None  # a written null (or empty value) clears the cell


def convert_fields(
    base: Base, table: Table, fields: Any, id_type: str, *, where: str = "fields"
) -> dict[str, Any]:
    """``{field_name: value}`` to ``{field_id: stored value or CLEAR}``, checking every value."""
    if not isinstance(fields, dict):
        raise field_violation(where, fields, "required: an object of field name to value")
    out: dict[str, Any] = {}
    for name, value in fields.items():
        f = table.by_name.get(name)
        if f is None:
            raise bitable_error(FIELD_NAME_NOT_FOUND, f"no field named {name!r} in {where}")
        try:
            out[f.field_id] = convert(base, f, value, id_type)
        except FakeError as err:
            if where == "fields":
                raise
            raise FakeError(err.code, f"{err.msg} (in {where})", status=err.status) from None
    return out


def convert(base: Base, f: Field, value: Any, id_type: str) -> Any:
    """The stored form of ``value`` for field ``f``; the field's code if it does not fit."""
    if f.type in COMPUTED_OR_AUTO:
        raise bitable_error(
            FIELD_TYPE_MISMATCH, f"field {f.name!r} ({f.ui_type}) is computed and cannot be written"
        )
    if value is None:
        return CLEAR
    converter = _CONVERTERS.get(f.type)
    if converter is None:  # a type with no write rules here: store as given
        return value
    return converter(base, f, value, id_type)


def _fail(code: int, f: Field, expected: str, value: Any) -> NoReturn:
    raise bitable_error(code, f"field {f.name!r} expects {expected}, got {_describe(value)}")


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}"


def _text(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if isinstance(value, list) and all(
        isinstance(s, dict) and isinstance(s.get("text"), str) for s in value
    ):
        value = "".join(s["text"] for s in value)  # segments, as search returns them
    if not isinstance(value, str):
        return _fail(TEXT_CONV, f, "a string", value)
    if len(value) > TEXT_LIMIT:
        raise bitable_error(
            TOO_LARGE_CELL, f"field {f.name!r} holds {len(value)} characters (max {TEXT_LIMIT})"
        )
    base.longest_text = max(base.longest_text, len(value))
    return value or CLEAR


def _number(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _fail(NUMBER_CONV, f, "a number", value)
    return value


def _single_select(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if not isinstance(value, str):
        return _fail(SINGLE_SELECT_CONV, f, "an option name (string)", value)
    if value:
        _ensure_options(f, [value])
    return value or CLEAR


def _multi_select(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return _fail(MULTI_SELECT_CONV, f, "a list of option names", value)
    _ensure_options(f, value)
    return list(dict.fromkeys(value)) or CLEAR


def _ensure_options(f: Field, names: list[str]) -> None:
    # Feishu adds an option the first time an API write names it.
    prop = f.property if f.property is not None else {}
    options: list[dict[str, Any]] = prop.setdefault("options", [])
    known = {o["name"] for o in options}
    for name in names:
        if name not in known:
            options.append(_option(name, len(options)))
            known.add(name)
    f.property = prop


def _date(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _fail(DATETIME_CONV, f, "a Unix timestamp in milliseconds (number)", value)
    return int(value)


def _checkbox(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if not isinstance(value, bool):
        return _fail(CHECKBOX_CONV, f, "true or false", value)
    return value


def _user(base: Base, f: Field, value: Any, id_type: str) -> Any:
    ids = _id_list(value, f, USER_CONV, 'a list of {"id": ...}')
    if len(ids) > USERS_PER_CELL:
        raise bitable_error(USER_CONV, f"field {f.name!r} holds more than {USERS_PER_CELL} people")
    prefix = _USER_PREFIX.get(id_type)
    for user in ids:
        if prefix and not user.startswith(prefix):
            raise bitable_error(
                USER_CONV, f"field {f.name!r}: {user!r} is not an {id_type} ({prefix}...)"
            )
    return ids or CLEAR


def _group_chat(base: Base, f: Field, value: Any, id_type: str) -> Any:
    ids = _id_list(value, f, FIELD_TYPE_MISMATCH, 'a list of {"id": "oc_..."}')
    if any(not i.startswith("oc_") for i in ids):
        return _fail(FIELD_TYPE_MISMATCH, f, "chat ids (oc_...)", value)
    return ids or CLEAR


def _id_list(value: Any, f: Field, code: int, expected: str) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("id"), str) and v["id"] for v in value
    ):
        _fail(code, f, expected, value)
    return list(dict.fromkeys(v["id"] for v in value))


def _phone(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if not isinstance(value, str) or len(value) > PHONE_LIMIT or not _PHONE.match(value):
        return _fail(PHONE_CONV, f, f"digits with an optional leading + (max {PHONE_LIMIT})", value)
    return value or CLEAR


def _url(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("link"), str)
        or not isinstance(value.get("text", ""), str)
    ):
        return _fail(URL_CONV, f, '{"text": ..., "link": ...}', value)
    return {"text": value.get("text") or value["link"], "link": value["link"]}


def _attachment(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("file_token"), str) and v["file_token"]
        for v in value
    ):
        return _fail(ATTACHMENT_CONV, f, 'a list of {"file_token": ...}', value)
    if len(value) > ATTACHMENTS_PER_CELL:
        raise bitable_error(
            ATTACH_EXCEED_LIMIT, f"field {f.name!r} holds more than {ATTACHMENTS_PER_CELL} files"
        )
    return [v["file_token"] for v in value] or CLEAR


def _link(base: Base, f: Field, value: Any, id_type: str) -> Any:
    code = DUPLEX_LINK_CONV if f.type == DUPLEX_LINK else LINK_CONV
    if isinstance(value, dict) and isinstance(value.get("link_record_ids"), list):
        value = value["link_record_ids"]  # the read shape, written back
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return _fail(code, f, "an array of record id strings", value)
    target_id = (f.property or {}).get("table_id")
    target = base.tables.get(target_id) if isinstance(target_id, str) else None
    for record_id in value:
        if not record_id.startswith("rec") or (target and record_id not in target.records):
            raise bitable_error(
                code, f"field {f.name!r}: {record_id!r} is not a record of the linked table"
            )
    return list(dict.fromkeys(value)) or CLEAR


def _location(base: Base, f: Field, value: Any, id_type: str) -> Any:
    if not isinstance(value, str) or not _LOCATION.match(value):
        return _fail(FIELD_TYPE_MISMATCH, f, '"longitude,latitude"', value)
    return value


_CONVERTERS = {
    TEXT: _text,
    NUMBER: _number,
    SINGLE_SELECT: _single_select,
    MULTI_SELECT: _multi_select,
    DATE: _date,
    CHECKBOX: _checkbox,
    USER: _user,
    PHONE: _phone,
    URL: _url,
    ATTACHMENT: _attachment,
    LINK: _link,
    DUPLEX_LINK: _link,
    LOCATION: _location,
    GROUP_CHAT: _group_chat,
}


# --- answers ----------------------------------------------------------------------------
def stored(f: Field, record: Record) -> Any:
    """A record's value for ``f`` in stored form, computed fields included (None: empty)."""
    if f.type == CREATED_TIME:
        return record.created_time
    if f.type == MODIFIED_TIME:
        return record.last_modified_time
    if f.type == CREATED_USER:
        return [record.created_by] if record.created_by else None
    if f.type == MODIFIED_USER:
        return [record.last_modified_by] if record.last_modified_by else None
    if f.type == AUTO_NUMBER:
        return str(record.auto_number)
    return record.values.get(f.field_id)


def shape(f: Field, value: Any, how: Shape) -> Any:
    """One stored value as an answer carries it."""
    t = f.type
    if t == TEXT:
        if how in {"read", "legacy_array"}:
            return [{"type": "text", "text": value}]
        return value
    if t in (USER, GROUP_CHAT, CREATED_USER, MODIFIED_USER):
        return [{"id": i} for i in value]
    if t == URL:
        return dict(value)
    if t == ATTACHMENT:
        if how == "write":
            return [{"file_token": tok} for tok in value]
        return [_attachment_info(tok) for tok in value]
    if t in (LINK, DUPLEX_LINK):
        return list(value) if how == "write" else {"link_record_ids": list(value)}
    if t == LOCATION and how != "write":
        return {"location": value, "full_address": value}
    if isinstance(value, list):
        return list(value)
    return value


def _attachment_info(token: str) -> dict[str, Any]:
    # No drive emulator: the file is only known by its token. URLs are relative on purpose,
    # so nothing ever points a client at a real Feishu host.
    path = f"/open-apis/drive/v1/medias/{token}/download"
    return {
        "file_token": token,
        "name": token,
        "type": "application/octet-stream",
        "size": 0,
        "url": path,
        "tmp_url": f"/open-apis/drive/v1/medias/batch_get_tmp_download_url?file_tokens={token}",
    }


def record_fields(
    table: Table, record: Record, how: Shape, only: list[Field] | None = None
) -> dict[str, Any]:
    """``fields`` of a record answer: non-empty values by field name (Feishu omits empty ones)."""
    out: dict[str, Any] = {}
    for f in only if only is not None else table.fields.values():
        value = stored(f, record)
        if value is not None:
            out[f.name] = shape(f, value, how)
    return out


def record_json(
    table: Table,
    record: Record,
    how: Shape,
    *,
    only: list[Field] | None = None,
    automatic: bool = False,
) -> dict[str, Any]:
    """One record as an answer carries it; ``automatic`` adds the audit fields."""
    out: dict[str, Any] = {
        "record_id": record.record_id,
        "fields": record_fields(table, record, how, only),
    }
    if automatic:
        out["created_time"] = record.created_time
        out["last_modified_time"] = record.last_modified_time
        out["created_by"] = {"id": record.created_by} if record.created_by else None
        out["last_modified_by"] = (
            {"id": record.last_modified_by} if record.last_modified_by else None
        )
    return out

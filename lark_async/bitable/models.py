"""Typed views of Bitable answers (Feishu Bitable docs). Unknown server fields are kept."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)


class FieldType(IntEnum):
    """Field ``type`` numbers (Feishu Bitable docs)."""

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
    SINGLE_LINK = 18
    LOOKUP = 19
    FORMULA = 20
    DUPLEX_LINK = 21
    LOCATION = 22
    GROUP_CHAT = 23
    CREATED_TIME = 1001
    MODIFIED_TIME = 1002
    CREATED_BY = 1003
    MODIFIED_BY = 1004
    AUTO_NUMBER = 1005


#: Types Feishu computes itself; writing them is refused.
READ_ONLY_TYPES = frozenset(
    {
        FieldType.LOOKUP,
        FieldType.FORMULA,
        FieldType.CREATED_TIME,
        FieldType.MODIFIED_TIME,
        FieldType.CREATED_BY,
        FieldType.MODIFIED_BY,
        FieldType.AUTO_NUMBER,
    }
)


def plain_text(value: Any) -> Any:
    """A text cell as a string: Feishu reads text back as ``[{"type": "text", "text": ...}]``.

    Other values pass through unchanged.
    """
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "text" in v for v in value)
    ):
        return "".join(str(v.get("text", "")) for v in value)
    return value


class Record(_Model):
    """One row: ``fields`` maps field name to value (the Feishu Bitable record format)."""

    record_id: str
    fields: dict[str, Any] = Field(default_factory=dict)
    created_time: int | None = None
    last_modified_time: int | None = None
    created_by: dict[str, Any] | None = None
    last_modified_by: dict[str, Any] | None = None
    shared_url: str | None = None
    record_url: str | None = None

    def text(self, field_name: str) -> Any:
        """A field's value with text segments joined into a string (None if absent)."""
        return plain_text(self.fields.get(field_name))


class RecordEnvelope(_Model):
    record: Record


class RecordPage(_Model):
    """One page of a search or listing."""

    items: list[Record] = Field(default_factory=list)
    has_more: bool = False
    page_token: str | None = None
    total: int | None = None


class RecordBatch(_Model):
    """What batch_create / batch_update answer: the records, in request order."""

    records: list[Record] = Field(default_factory=list)


class DeletedRecord(_Model):
    record_id: str
    deleted: bool = True


class DeletedBatch(_Model):
    records: list[DeletedRecord] = Field(default_factory=list)


class BatchGetResult(_Model):
    """batch_get: found records, ids the caller may not read, and ids that do not exist."""

    records: list[Record] = Field(default_factory=list)
    forbidden_record_ids: list[str] = Field(default_factory=list)
    absent_record_ids: list[str] = Field(default_factory=list)


class App(_Model):
    """A base's metadata: ``time_zone`` is the zone its dates are shown and filtered in."""

    app_token: str = ""
    name: str = ""
    revision: int | None = None
    is_advanced: bool | None = None
    time_zone: str | None = None


class AppEnvelope(_Model):
    app: App


class Table(_Model):
    table_id: str
    name: str = ""
    revision: int | None = None


class TablePage(_Model):
    items: list[Table] = Field(default_factory=list)
    has_more: bool = False
    page_token: str | None = None
    total: int | None = None


class TableField(_Model):
    """A column: its name, type number (see :class:`FieldType`) and properties."""

    @property
    def writable(self) -> bool:
        """False for types Feishu computes (formula, lookup, created time, ...)."""
        return self.type not in READ_ONLY_TYPES

    field_id: str = ""
    field_name: str
    type: int
    property: dict[str, Any] | None = None
    description: Any = None
    is_primary: bool = False
    ui_type: str | None = None
    is_hidden: bool | None = None


class FieldPage(_Model):
    items: list[TableField] = Field(default_factory=list)
    has_more: bool = False
    page_token: str | None = None
    total: int | None = None

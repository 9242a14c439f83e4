"""Typed views of IM answers (Feishu IM docs). Unknown fields are kept, never fatal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)


class Sender(_Model):
    id: str | None = None
    id_type: str | None = None  # open_id | app_id
    sender_type: str | None = None  # user | app | anonymous | unknown
    tenant_key: str | None = None


class MessageBody(_Model):
    content: str = ""


class Mention(_Model):
    key: str | None = None  # "@_user_1", the placeholder in body.content
    id: str | None = None
    id_type: str | None = None
    name: str | None = None
    tenant_key: str | None = None


class Message(_Model):
    """A message as Feishu returns it from send, reply, edit and get."""

    message_id: str
    msg_type: str | None = None
    chat_id: str | None = None
    root_id: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    create_time: str | None = None  # epoch milliseconds, as a string
    update_time: str | None = None
    deleted: bool = False
    updated: bool = False
    sender: Sender | None = None
    body: MessageBody | None = None
    mentions: list[Mention] = Field(default_factory=list)
    upper_message_id: str | None = None

    @property
    def created_at(self) -> datetime | None:
        return _ms_time(self.create_time)

    @property
    def updated_at(self) -> datetime | None:
        return _ms_time(self.update_time)

    def content_json(self) -> dict[str, Any]:
        """``body.content`` parsed ({} when absent or not a JSON object)."""
        try:
            value = json.loads(self.body.content) if self.body and self.body.content else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class MessageItems(_Model):
    """``GET /im/v1/messages/:id`` answers ``{"items": [message]}``."""

    items: list[Message] = Field(default_factory=list)


class UploadedImage(_Model):
    image_key: str


class UploadedFile(_Model):
    file_key: str


class BatchSendData(_Model):
    """The answer of ``message/v4/batch_send``."""

    message_id: str  # bm-...
    invalid_open_ids: list[str] = Field(default_factory=list)
    invalid_user_ids: list[str] = Field(default_factory=list)
    invalid_union_ids: list[str] = Field(default_factory=list)
    invalid_department_ids: list[str] = Field(default_factory=list)


def _ms_time(value: str | None) -> datetime | None:
    if not value or not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)

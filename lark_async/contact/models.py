"""Typed views of contact and chat answers (Feishu contact docs). Unknown fields are kept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)


class Avatar(_Model):
    avatar_72: str | None = None
    avatar_240: str | None = None
    avatar_640: str | None = None
    avatar_origin: str | None = None


class UserStatus(_Model):
    is_frozen: bool | None = None
    is_resigned: bool | None = None
    is_activated: bool | None = None
    is_exited: bool | None = None
    is_unjoin: bool | None = None


class User(_Model):
    """A person as this app sees them.

    ``open_id`` is per app (the same person has another open_id in another
    app); ``union_id`` is the same across one developer's apps; ``user_id`` is
    per tenant. A field the app may not read (no scope) is ``None``.
    """

    open_id: str | None = None
    user_id: str | None = None
    union_id: str | None = None
    name: str | None = None
    en_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    avatar: Avatar | None = None
    department_ids: list[str] | None = None
    job_title: str | None = None
    employee_no: str | None = None
    status: UserStatus | None = None


class UserEnvelope(_Model):
    """``GET /contact/v3/users/:id`` answers ``{"user": {...}}``."""

    user: User


class UserIdEntry(_Model):
    user_id: str | None = None
    email: str | None = None
    mobile: str | None = None
    status: UserStatus | None = None


class UserIdList(_Model):
    """``POST /contact/v3/users/batch_get_id``."""

    user_list: list[UserIdEntry] = Field(default_factory=list)


class ChatSummary(_Model):
    """A chat as the chat search lists it."""

    chat_id: str
    name: str | None = None
    avatar: str | None = None
    description: str | None = None
    owner_id: str | None = None
    owner_id_type: str | None = None
    external: bool | None = None
    tenant_key: str | None = None
    chat_status: str | None = None  # normal | dissolved | dissolved_save


class Chat(_Model):
    """``GET /im/v1/chats/:chat_id``: the chat's details (``chat_id`` added by the client)."""

    chat_id: str | None = None
    name: str | None = None
    avatar: str | None = None
    description: str | None = None
    owner_id: str | None = None
    owner_id_type: str | None = None
    chat_mode: str | None = None
    chat_type: str | None = None
    chat_tag: str | None = None
    external: bool | None = None
    tenant_key: str | None = None
    user_count: str | None = None  # Feishu sends the counts as strings
    bot_count: str | None = None
    chat_status: str | None = None

    @property
    def member_count(self) -> int | None:
        """``user_count`` as a number (None when absent)."""
        return int(self.user_count) if self.user_count and self.user_count.isdigit() else None


class DepartmentStatus(_Model):
    is_deleted: bool | None = None


class Department(_Model):
    name: str | None = None
    department_id: str | None = None
    open_department_id: str | None = None
    parent_department_id: str | None = None
    leader_user_id: str | None = None
    chat_id: str | None = None
    order: str | None = None
    member_count: int | None = None
    status: DepartmentStatus | None = None


class DepartmentEnvelope(_Model):
    department: Department


class Page(_Model):
    has_more: bool = False
    page_token: str | None = None
    items: list[dict[str, Any]] = Field(default_factory=list)


@dataclass
class DepartmentNode:
    """One department of a tree, with its sub-departments (``get_department_tree``)."""

    department: Department
    children: list[DepartmentNode]

    @property
    def id(self) -> str:
        d = self.department
        return d.open_department_id or d.department_id or ""

    def walk(self) -> Iterator[DepartmentNode]:
        """This node, then every descendant, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def __len__(self) -> int:
        return sum(1 for _ in self.walk())


@dataclass(frozen=True)
class CacheStats:
    """User-cache counters of one app's contact service (``cache_stats()``).

    ``hits``/``misses`` count lookups; ``refreshed`` the misses that found an
    expired entry; ``api_calls`` the requests made to fill misses.
    """

    hits: int
    misses: int
    refreshed: int
    api_calls: int

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        """hits / lookups (0.0 before the first lookup)."""
        return self.hits / self.lookups if self.lookups else 0.0

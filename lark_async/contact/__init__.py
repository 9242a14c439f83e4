"""Contacts, chats and departments: ``lark.contact`` (Feishu chat and contact docs).

    user = (await lark.contact.get_user_by_email("ann@example.com")).unwrap()  # User | None
    chat = (await lark.contact.get_chat_by_name("报销审批群")).unwrap()
    tree = (await lark.contact.get_department_tree()).unwrap()

User records are cached for 24 hours per app. See docs/contact.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.contact.cache import UserCache as UserCache
    from lark_async.contact.models import Avatar as Avatar
    from lark_async.contact.models import CacheStats as CacheStats
    from lark_async.contact.models import Chat as Chat
    from lark_async.contact.models import ChatSummary as ChatSummary
    from lark_async.contact.models import Department as Department
    from lark_async.contact.models import DepartmentNode as DepartmentNode
    from lark_async.contact.models import User as User
    from lark_async.contact.models import UserStatus as UserStatus
    from lark_async.contact.service import FIELD_SCOPES as FIELD_SCOPES
    from lark_async.contact.service import Contact as Contact
    from lark_async.contact.service import Found as Found
    from lark_async.contact.store import CacheStore as CacheStore
    from lark_async.contact.store import MemoryCacheStore as MemoryCacheStore
    from lark_async.contact.store import store_for as store_for

# Loaded on first use, so importing the package (or its meta module) stays cheap.
_LAZY: dict[str, str] = {
    "UserCache": "lark_async.contact.cache",
    "Avatar": "lark_async.contact.models",
    "CacheStats": "lark_async.contact.models",
    "Chat": "lark_async.contact.models",
    "ChatSummary": "lark_async.contact.models",
    "Department": "lark_async.contact.models",
    "DepartmentNode": "lark_async.contact.models",
    "User": "lark_async.contact.models",
    "UserStatus": "lark_async.contact.models",
    "FIELD_SCOPES": "lark_async.contact.service",
    "Contact": "lark_async.contact.service",
    "Found": "lark_async.contact.service",
    "CacheStore": "lark_async.contact.store",
    "MemoryCacheStore": "lark_async.contact.store",
    "store_for": "lark_async.contact.store",
}

__all__ = [
    "FIELD_SCOPES",
    "Avatar",
    "CacheStats",
    "CacheStore",
    "Chat",
    "ChatSummary",
    "Contact",
    "Department",
    "DepartmentNode",
    "Found",
    "MemoryCacheStore",
    "User",
    "UserCache",
    "UserStatus",
    "store_for",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

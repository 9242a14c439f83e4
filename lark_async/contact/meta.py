"""What ``lark.contact`` is: its class, contact and chat error codes, rate-limit families.

Data only, and cheap to import (core only, no pydantic): the client reads it to
build its code table and limiter without importing the service. The chat
endpoints (``/im/v1/chats``) stay in messaging's ``im.chat`` family; their codes
are described here, since only this service reads chats.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.ratelimit import TIER4
from lark_async.core.service import ServiceInfo

_K = ErrorKind

NO_USER_AUTHORITY = 41050
USER_ID_INVALID = 41012
NO_DEPT_AUTHORITY = 40004
DEPT_NOT_EXIST = 40015
CHAT_ID_INVALID = 232006
CHAT_DISSOLVED = 232009

_VISIBILITY = (
    "the user is outside the app's contact scope (通讯录权限范围): widen the app's "
    "contact data scope in the developer console, then publish a new version"
)

# Feishu contact and chat docs
_CODES: dict[int, CodeInfo] = {
    NO_USER_AUTHORITY: CodeInfo(_K.PERMISSION_DENIED, False, _VISIBILITY),
    USER_ID_INVALID: CodeInfo(
        _K.NOT_FOUND, False, "no such user (or the id is of another type, tenant or app)"
    ),
    40003: CodeInfo(_K.SERVER, True, "contact internal error; retried"),
    NO_DEPT_AUTHORITY: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the department is outside the app's contact scope: widen the app's contact data scope",
    ),
    40008: CodeInfo(_K.NOT_FOUND, False, "the department's information is empty"),
    40011: CodeInfo(_K.INVALID_PARAMETER, False, "page_size: invalid (1..50)"),
    40012: CodeInfo(_K.INVALID_PARAMETER, False, "page_token: invalid or expired"),
    40013: CodeInfo(_K.INVALID_PARAMETER, False, "invalid contact parameter"),
    40014: CodeInfo(
        _K.PERMISSION_DENIED, False, "the parent department is outside the app's contact scope"
    ),
    DEPT_NOT_EXIST: CodeInfo(_K.NOT_FOUND, False, "the department does not exist (or was deleted)"),
    41017: CodeInfo(_K.NOT_FOUND, False, "the department does not exist"),
    40157: CodeInfo(
        _K.PERMISSION_DENIED, False, "the root department (0) needs the full-tenant contact scope"
    ),
    40161: CodeInfo(_K.PERMISSION_DENIED, False, "the root department's information is not served"),
    42006: CodeInfo(_K.NOT_FOUND, False, "the user has resigned"),
    42008: CodeInfo(_K.CONFIG_ERROR, False, "the token belongs to another tenant"),
    43010: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "recursive reads of a big department are refused; go level by level",
    ),
    # chats (Feishu chat docs)
    232001: CodeInfo(_K.INVALID_PARAMETER, False, "invalid chat parameter"),
    232004: CodeInfo(_K.CONFIG_ERROR, False, "the app does not exist"),
    CHAT_ID_INVALID: CodeInfo(_K.NOT_FOUND, False, "no such chat: chat_id is unknown or invalid"),
    232010: CodeInfo(_K.PERMISSION_DENIED, False, "the chat belongs to another tenant"),
    232011: CodeInfo(
        _K.PERMISSION_DENIED, False, "the bot is not in this chat; add it to the group first"
    ),
    232025: CodeInfo(_K.CONFIG_ERROR, False, "the app's bot capability is off; enable it"),
    232033: CodeInfo(_K.INVALID_PARAMETER, False, "external chats are not supported here"),
    232034: CodeInfo(_K.CONFIG_ERROR, False, "the app is not installed or not enabled"),
    11213: CodeInfo(_K.NOT_FOUND, False, "chat not found"),
    11237: CodeInfo(_K.NOT_FOUND, False, "the chat was dissolved"),
}

#: Contact and chat error codes (Feishu chat and contact docs), read-only.
CONTACT_CODES: Mapping[int, CodeInfo] = MappingProxyType(_CODES)

# Per app (Feishu rate-limit docs): users, find_by_department, batch_get_id, department
# children: 1000/min & 50/s. Department get is "special": the same budget here.
LIMITS = {"contact": TIER4}

PREFIXES = (("/open-apis/contact/", "contact"),)

INFO = ServiceInfo(
    "contact",
    "lark_async.contact.service:Contact",
    codes=CONTACT_CODES,
    limits=LIMITS,
    prefixes=PREFIXES,
)

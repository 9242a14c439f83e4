"""What ``lark.messaging`` is: its class, IM error codes and rate-limit families.

Data only, and cheap to import (core only, no pydantic): the client reads it to
build its code table and limiter without importing the service. Codes that mean
something else on one endpoint are re-read by :func:`lark_async.messaging.codes.refine`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.ratelimit import TIER4
from lark_async.core.service import ServiceInfo

_K = ErrorKind

# Feishu IM and callback docs
_CODES: dict[int, CodeInfo] = {
    230001: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see the msg for details"),
    230002: CodeInfo(
        _K.PERMISSION_DENIED, False, "the bot is not in this chat; add it to the group first"
    ),
    230006: CodeInfo(
        _K.CONFIG_ERROR,
        False,
        "the app's bot capability is off: enable it in the developer console and publish",
    ),
    230009: CodeInfo(_K.PERMISSION_DENIED, False, "the recall window for this message has passed"),
    230011: CodeInfo(_K.NOT_FOUND, False, "the message was recalled"),
    230013: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the user is outside the app's availability scope (or has left the company); "
        "add them to the app's availability in the developer console",
    ),
    230015: CodeInfo(_K.INVALID_PARAMETER, False, "a p2p chat cannot be shared"),
    230017: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the image/file was uploaded by another app; upload it with this app",
    ),
    230018: CodeInfo(_K.PERMISSION_DENIED, False, "blocked by the group's settings"),
    230019: CodeInfo(_K.NOT_FOUND, False, "the topic does not exist"),
    230020: CodeInfo(
        _K.RATE_LIMITED,
        True,
        "IM frequency limit (5 QPS per user/chat, 50/s per app)",
        not_applied=True,
    ),
    230022: CodeInfo(_K.INVALID_PARAMETER, False, "the content was flagged as sensitive"),
    230025: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "content too long: text <= 150 KB, post and card <= 30 KB",
    ),
    230026: CodeInfo(
        _K.PERMISSION_DENIED, False, "no permission to recall this message (not the sender)"
    ),
    230027: CodeInfo(_K.PERMISSION_DENIED, False, "lacks permission for this operation"),
    230028: CodeInfo(_K.PERMISSION_DENIED, False, "blocked by the tenant's DLP audit"),
    230029: CodeInfo(_K.NOT_FOUND, False, "the user has resigned"),
    230031: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "cards can only be updated within 14 days of sending; send a new card instead",
    ),
    230034: CodeInfo(
        _K.INVALID_PARAMETER, False, "receive_id does not match receive_id_type, or is malformed"
    ),
    230035: CodeInfo(
        _K.PERMISSION_DENIED, False, "no permission to speak in this chat (muted or blocked)"
    ),
    230036: CodeInfo(_K.CONFIG_ERROR, False, "the tenant's encryption key was deleted"),
    230038: CodeInfo(_K.PERMISSION_DENIED, False, "cross-tenant p2p messages are forbidden"),
    230049: CodeInfo(
        _K.CONFLICT,
        True,
        "a send with this uuid is still in progress; retried",
        not_applied=True,
    ),
    230050: CodeInfo(_K.PERMISSION_DENIED, False, "the message is not visible to the app"),
    230053: CodeInfo(_K.PERMISSION_DENIED, False, "the user turned off messages from this bot"),
    230054: CodeInfo(
        _K.INVALID_PARAMETER, False, "this message type is not available in this chat"
    ),
    230055: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the uploaded file's type does not match msg_type (audio needs opus, media needs mp4)",
    ),
    230071: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "reply: the chat does not support replies in threads; edit: only the sender may edit",
    ),
    230072: CodeInfo(
        _K.QUOTA_EXCEEDED,
        False,
        "a message can be edited at most 20 times; send a new message instead",
    ),
    230073: CodeInfo(_K.INVALID_PARAMETER, False, "messages in secret chats cannot be edited"),
    230074: CodeInfo(_K.INVALID_PARAMETER, False, "messages in encrypted groups cannot be edited"),
    230075: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "send: encrypted chats are not supported; edit: the edit window has passed",
    ),
    230099: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the card could not be built; the msg carries Feishu's sub-code (ErrCode) and reason",
    ),
    230110: CodeInfo(_K.NOT_FOUND, False, "the message was deleted"),
    232009: CodeInfo(
        _K.NOT_FOUND, False, "the chat was dissolved; remove it from your recipient list"
    ),
    232096: CodeInfo(_K.SERVER, True, "Feishu stopped writing metadata for a moment; retried"),
    # uploads and downloads
    234001: CodeInfo(_K.INVALID_PARAMETER, False, "invalid upload/download parameter"),
    234002: CodeInfo(_K.PERMISSION_DENIED, False, "not authorised for this resource"),
    234003: CodeInfo(_K.NOT_FOUND, False, "the file is not part of this message"),
    234004: CodeInfo(_K.PERMISSION_DENIED, False, "the app is not in the message's chat"),
    234005: CodeInfo(_K.NOT_FOUND, False, "the image was deleted"),
    234006: CodeInfo(
        _K.INVALID_PARAMETER, False, "file too large: images <= 10 MB, files <= 30 MB"
    ),
    234007: CodeInfo(_K.CONFIG_ERROR, False, "the app's bot capability is off; enable it"),
    234008: CodeInfo(
        _K.PERMISSION_DENIED, False, "only resources this app uploaded can be downloaded by key"
    ),
    234009: CodeInfo(_K.PERMISSION_DENIED, False, "resources of external groups are not served"),
    234010: CodeInfo(_K.INVALID_PARAMETER, False, "empty files cannot be uploaded"),
    234011: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "unrecognised image format: JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO or HEIC",
    ),
    234037: CodeInfo(_K.INVALID_PARAMETER, False, "resources over 100 MB cannot be downloaded"),
    234038: CodeInfo(_K.PERMISSION_DENIED, False, "the chat is in restricted mode"),
    234039: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "image resolution too large (<= 12000x12000, GIF <= 2000x2000)",
    ),
    234040: CodeInfo(_K.PERMISSION_DENIED, False, "the resource is not visible to the app"),
    234043: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "resources of cards and merged-forward messages cannot be downloaded",
    ),
    # batch_send (message/v4), HTTP 200 with a non-zero code
    11232: CodeInfo(_K.RATE_LIMITED, True, "message rate limit", not_applied=True),
    11233: CodeInfo(_K.RATE_LIMITED, True, "message rate limit", not_applied=True),
    11247: CodeInfo(
        _K.QUOTA_EXCEEDED,
        False,
        "the app's daily batch-message quota (500,000) is used up; try tomorrow",
    ),
    11101: CodeInfo(_K.NOT_FOUND, False, "open_id does not exist"),
    11203: CodeInfo(
        _K.PERMISSION_DENIED, False, "sending by user_id needs contact:user.employee_id:readonly"
    ),
    11204: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "no permission for these departments (im:message:send_multi_depts and contact scope)",
    ),
    11205: CodeInfo(_K.CONFIG_ERROR, False, "the app has no bot; enable the bot capability"),
    11207: CodeInfo(_K.CONFIG_ERROR, False, "the app is not usable in this tenant"),
    11209: CodeInfo(_K.CONFIG_ERROR, False, "the app does not exist"),
    11210: CodeInfo(_K.CONFIG_ERROR, False, "the app is not installed in this tenant"),
    11223: CodeInfo(_K.PERMISSION_DENIED, False, "the app lacks IM write permission"),
    11227: CodeInfo(_K.NOT_FOUND, False, "image_key does not exist"),
    11231: CodeInfo(_K.NOT_FOUND, False, "chat not found"),
    11235: CodeInfo(_K.PERMISSION_DENIED, False, "@all is forbidden in this chat"),
    11246: CodeInfo(_K.INVALID_PARAMETER, False, "the message content could not be created"),
    11312: CodeInfo(_K.INVALID_PARAMETER, False, "the content failed Feishu's audit"),
    19036: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "content too long for batch_send (text 150 KB, post/card 30 KB)",
    ),
    # delayed card update (interactive/v1/card/update), sent by lark.messaging
    # (update_card_with_token) and by lark_async.callbacks (CardUpdate)
    11311: CodeInfo(_K.INVALID_PARAMETER, False, "card format invalid; check the card's schema"),
    100000: CodeInfo(_K.INVALID_PARAMETER, False, "the converted card exceeds 100 KB"),
    100030: CodeInfo(_K.INVALID_PARAMETER, False, "card parameters are not valid JSON"),
    200000: CodeInfo(_K.NOT_FOUND, False, "the card's message was recalled"),
    200310: CodeInfo(
        _K.PERMISSION_DENIED, False, "the card was sent by another app; only its sender updates it"
    ),
    200320: CodeInfo(_K.INVALID_PARAMETER, False, "invalid open_ids for the card update"),
    300020: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the card update token is malformed: it is the callback's event.token (c-...)",
    ),
    300030: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the card update token expired (30 minutes); update the message instead: "
        "update_card(message_id, ...), or CardUpdate(via='patch') in a callback",
    ),
    300040: CodeInfo(
        _K.QUOTA_EXCEEDED,
        False,
        "the card update token was already used twice; update the message instead: "
        "update_card(message_id, ...), or CardUpdate(via='patch') in a callback",
    ),
    300090: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "a non-shared (update_multi=false) card update needs open_ids: CardUpdate(open_ids=[...])",
    ),
}

#: IM error codes (Feishu IM and callback docs), read-only.
IM_CODES: Mapping[int, CodeInfo] = MappingProxyType(_CODES)

# Per app: "1000/min & 50/s" for messages, chats and card updates (Feishu rate-limit docs).
# The 5 QPS per recipient is paced by the service itself (pacing.py).
LIMITS = {"im": TIER4, "im.chat": TIER4, "card.update": TIER4}

PREFIXES = (
    ("/open-apis/im/v1/chats", "im.chat"),
    ("/open-apis/im/", "im"),
    ("/open-apis/message/v4/", "im"),
    ("/open-apis/interactive/v1/card/update", "card.update"),
)

INFO = ServiceInfo(
    "messaging",
    "lark_async.messaging.service:Messaging",
    codes=IM_CODES,
    limits=LIMITS,
    prefixes=PREFIXES,
)

"""What the IM emulator modules share: the route table, the state and the error answers.

The state holds users, chats, messages, uploads, batch sends and card-update
tokens for one ``FakeLark`` (``fake.state(ImState)``). Error codes and their
messages follow the Feishu IM and callback docs; a code's meaning can differ per
endpoint, so handlers pick the code and these helpers only shape it.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Any, TypedDict

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.routing import TENANT_ONLY, RouteTable

#: Every IM route is tenant-only per the docs and in the "im" family
#: (1000/min & 50/s per app, Feishu rate-limit docs).
routes = RouteTable("im", family="im", auth=TENANT_ONLY)

KB = 1024
MB = 1024 * KB
TEXT_LIMIT = 150 * KB  # text content (Feishu IM docs)
RICH_LIMIT = 30 * KB  # post and interactive content, card updates
UUID_MAX = 50
UUID_WINDOW = 3600.0  # same uuid within an hour: one message
RECIPIENT_QPS = 5  # per user (p2p chat) and per group chat, send and reply
CARD_PATCH_QPS = 5  # per message
MAX_EDITS = 20
CARD_PATCH_WINDOW = 14 * 86400.0
CARD_TOKEN_TTL = 30 * 60.0
CARD_TOKEN_USES = 2
BATCH_ID_LIMIT = 200
BATCH_DAILY_LIMIT = 500_000

# --- codes (Feishu IM, callback and API-call docs) -------------------------------------
INVALID_PARAM = 230001
BOT_NOT_IN_CHAT = 230002
RECALLED = 230011
NO_AVAILABILITY = 230013
P2P_NOT_SHAREABLE = 230015
NOT_RESOURCE_OWNER = 230017
BLOCKED_BY_CHAT_SETTINGS = 230018
FREQUENCY_LIMIT = 230020
CONTENT_TOO_LONG = 230025
NO_RECALL_PERMISSION = 230026
LACK_PERMISSION = 230027
CARD_TOO_OLD = 230031
FILE_TYPE_MISMATCH = 230055
NOT_SENDER = 230071  # the edit endpoint's meaning
EDIT_LIMIT = 230072
CARD_CONTENT_FAILED = 230099
MESSAGE_DELETED = 230110
CHAT_DISSOLVED = 232009
FIELD_VALIDATION = 99992402
OPEN_ID_NOT_EXIST = 99992351
CHAT_ID_NOT_EXIST = 99992356
USER_ID_NOT_EXIST = 99992360
OPEN_ID_CROSS_APP = 99992361

MESSAGES: dict[int, str] = {
    BOT_NOT_IN_CHAT: "The bot can not be outside the group.",
    RECALLED: "The message is recalled.",
    NO_AVAILABILITY: "Bot has NO availability to this user.",
    P2P_NOT_SHAREABLE: "P2P chat can NOT be shared.",
    NOT_RESOURCE_OWNER: "Bot is NOT the owner of the resource.",
    BLOCKED_BY_CHAT_SETTINGS: "The message is blocked by the chat settings.",
    FREQUENCY_LIMIT: "This operation triggers the frequency limit.",
    CONTENT_TOO_LONG: "The message content exceeds the length limit.",
    NO_RECALL_PERMISSION: "No permission to recall this message.",
    LACK_PERMISSION: "Lack of necessary permissions.",
    CARD_TOO_OLD: "The message was sent more than 14 days ago and can not be updated.",
    FILE_TYPE_MISMATCH: "The uploaded file type does not match the message type.",
    NOT_SENDER: "The operator is not the sender of the message.",
    EDIT_LIMIT: "The message has reached the maximum number of edits (20).",
    MESSAGE_DELETED: "Action unavailable as the message has been deleted.",
    CHAT_DISSOLVED: "The chat has been dissolved.",
    OPEN_ID_NOT_EXIST: "open_id not exist",
    CHAT_ID_NOT_EXIST: "chat_id not exist",
    USER_ID_NOT_EXIST: "user_id not exist",
    OPEN_ID_CROSS_APP: "open_id cross app",
}


def im_error(code: int, detail: str | None = None, status: int = 400) -> FakeError:
    """An IM error with its documented message, plus ``detail`` when it helps."""
    msg = MESSAGES.get(code, "request failed")
    return FakeError(code, f"{msg} {detail}" if detail else msg, status=status)


def invalid(ext: str) -> FakeError:
    """230001 in the shape the docs show: ``..., ext=<what is wrong>.``."""
    return FakeError(
        INVALID_PARAM, f"Your request contains an invalid request parameter, ext={ext}."
    )


def field_error(name: str, value: Any, description: str) -> FakeError:
    """99992402 with ``field_violations``: a required field missing or of the wrong type."""
    return FakeError(
        FIELD_VALIDATION,
        "field validation failed",
        error={
            "field_violations": [
                {"field": name, "value": _short(value), "description": description}
            ]
        },
    )


def card_error(sub_code: int, detail: str) -> FakeError:
    """230099 with the card sub-code in ``msg`` (Feishu IM docs)."""
    return FakeError(
        CARD_CONTENT_FAILED,
        f"Failed to create card content, ext=ErrCode: {sub_code}; ErrMsg: {detail}",
    )


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 100 else text[:100] + "..."


def new_id(prefix: str, nbytes: int = 16) -> str:
    return prefix + secrets.token_hex(nbytes)


def ms(seconds: float) -> str:
    """IM timestamps: epoch milliseconds as a string."""
    return str(int(seconds * 1000))


# --- records --------------------------------------------------------------------------
class UserInfo(TypedDict):
    """A seeded user as ``ImEmulator.add_user`` returns it."""

    open_id: str
    union_id: str
    user_id: str
    email: str | None
    name: str
    app_id: str | None
    reachable: bool


@dataclass
class User:
    """A user; ``app_id`` is the app its ``open_id`` belongs to (None: any app)."""

    open_id: str
    union_id: str
    user_id: str
    email: str | None = None
    name: str = ""
    app_id: str | None = None
    reachable: bool = True

    def view(self) -> UserInfo:
        return {
            "open_id": self.open_id,
            "union_id": self.union_id,
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "app_id": self.app_id,
            "reachable": self.reachable,
        }


@dataclass
class Chat:
    """A group chat, or the p2p chat between one app's bot and one user (``p2p_user``)."""

    chat_id: str
    name: str = ""
    members: list[str] = field(default_factory=list)
    bot_in_chat: bool = True
    allow_at_all: bool = True
    dissolved: bool = False
    p2p_app: str | None = None
    p2p_user: str | None = None  # the user's open_id

    @property
    def is_p2p(self) -> bool:
        return self.p2p_user is not None

    def has_bot(self, app_id: str) -> bool:
        return self.p2p_app == app_id if self.is_p2p else self.bot_in_chat


@dataclass
class Message:
    """A stored message; ``view()`` is the API's message object."""

    message_id: str
    app_id: str
    tenant_key: str
    chat_id: str
    msg_type: str
    content: str
    created: float
    updated_at: float
    root_id: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    deleted: bool = False
    updated: bool = False
    edits: int = 0
    uuid: str | None = None
    batch_message_id: str | None = None

    def view(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "msg_type": self.msg_type,
            "create_time": ms(self.created),
            "update_time": ms(self.updated_at),
            "deleted": self.deleted,
            "updated": self.updated,
            "chat_id": self.chat_id,
            "sender": {
                "id": self.app_id,
                "id_type": "app_id",
                "sender_type": "app",
                "tenant_key": self.tenant_key,
            },
            "body": {"content": self.content},
        }
        # like Feishu, reply and thread fields appear only when they have a value
        for name in ("root_id", "parent_id", "thread_id"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return data

    def inspect(self) -> dict[str, Any]:
        """The API shape plus what only a test may see (uuid, batch id)."""
        data = self.view()
        data["uuid"] = self.uuid
        if self.batch_message_id:
            data["batch_message_id"] = self.batch_message_id
        return data


@dataclass
class CardToken:
    """A ``c-`` token a card callback carries: 30 minutes, 2 uses (Feishu callback docs)."""

    message_id: str
    issued_at: float
    uses: int = 0


@dataclass
class ImState:
    """Everything the IM endpoints keep for one emulator."""

    users: list[User] = field(default_factory=list)
    chats: dict[str, Chat] = field(default_factory=dict)
    p2p_chats: dict[tuple[str, str], str] = field(default_factory=dict)  # (app, open_id)
    departments: dict[str, list[str]] = field(default_factory=dict)  # id -> open_ids
    messages: dict[str, Message] = field(default_factory=dict)
    uuids: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    card_tokens: dict[str, CardToken] = field(default_factory=dict)
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    batch_daily_limit: int = BATCH_DAILY_LIMIT
    batch_sent: dict[tuple[str, int], int] = field(default_factory=dict)  # (app, day)
    # key -> (window index, count) for the 1-second per-recipient / per-message windows
    _windows: dict[str, tuple[int, int]] = field(default_factory=dict)

    # --- users and chats ---------------------------------------------------------
    def user_by(self, id_type: str, value: str) -> User | None:
        for user in self.users:
            if getattr(user, id_type, None) == value:
                return user
        return None

    def p2p_chat(self, app_id: str, user: User) -> Chat:
        """The chat between the app's bot and the user, made on first use."""
        key = (app_id, user.open_id)
        chat_id = self.p2p_chats.get(key)
        if chat_id is None:
            chat = Chat(
                new_id("oc_"),
                name=user.name,
                members=[user.open_id],
                p2p_app=app_id,
                p2p_user=user.open_id,
            )
            self.chats[chat.chat_id] = chat
            self.p2p_chats[key] = chat_id = chat.chat_id
        return self.chats[chat_id]

    # --- idempotency and anti-spam windows -----------------------------------------
    def by_uuid(self, app_id: str, uuid: str | None, now: float) -> Message | None:
        """The message sent with this uuid within the last hour, if any."""
        if not uuid:
            return None
        seen = self.uuids.get((app_id, uuid))
        if seen is None or now - seen[1] >= UUID_WINDOW:
            return None
        return self.messages.get(seen[0])

    def take(self, key: str, limit: int, now: float) -> bool:
        """Count one operation in ``key``'s current second; False when it is full."""
        index = math.floor(now)
        seen_index, used = self._windows.get(key, (index, 0))
        used = used if seen_index == index else 0
        if used >= limit:
            return False
        self._windows[key] = (index, used + 1)
        return True

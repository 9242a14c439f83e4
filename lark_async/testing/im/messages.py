"""Message endpoints: send, reply, get, recall, edit, update card (Feishu IM docs).

All answer HTTP 400 on failure. Argument shape errors (a required field
missing or of the wrong JSON type, ``uuid`` over 50 characters) are 99992402
with ``field_violations``; bad values are 230001 ``ext=...``; the rest use the
endpoint's documented code. A ``uuid`` seen from the same app within an hour
returns the message it created instead of a new one (send and reply share the
uuid space). Send and reply allow 5 per second per chat (a user's p2p chat
with the bot, or a group shared by all bots): the 6th is 230020.
"""

from __future__ import annotations

import json
from typing import Any

from lark_async.testing.im.content import MSG_TYPES, Target, card_is_shared, check_content
from lark_async.testing.im.state import (
    BOT_NOT_IN_CHAT,
    CARD_PATCH_QPS,
    CARD_PATCH_WINDOW,
    CARD_TOO_OLD,
    CHAT_DISSOLVED,
    CHAT_ID_NOT_EXIST,
    EDIT_LIMIT,
    FREQUENCY_LIMIT,
    LACK_PERMISSION,
    MAX_EDITS,
    MESSAGE_DELETED,
    NO_AVAILABILITY,
    NO_RECALL_PERMISSION,
    NOT_SENDER,
    OPEN_ID_CROSS_APP,
    OPEN_ID_NOT_EXIST,
    RECALLED,
    RECIPIENT_QPS,
    USER_ID_NOT_EXIST,
    UUID_MAX,
    Chat,
    ImState,
    Message,
    field_error,
    im_error,
    invalid,
    new_id,
    routes,
)
from lark_async.testing.server.request import FakeRequest

MESSAGES_PATH = "/open-apis/im/v1/messages"
MESSAGE_PATH = MESSAGES_PATH + "/{message_id}"
RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")
_ID_PREFIX = {"open_id": "ou_", "union_id": "on_", "chat_id": "oc_"}
_NOT_FOUND_CODE = {"open_id": OPEN_ID_NOT_EXIST, "user_id": USER_ID_NOT_EXIST}
EDITABLE_TYPES = ("text", "post")


@routes.post(MESSAGES_PATH)
def send_message(req: FakeRequest) -> dict[str, Any]:
    state, app_id, now = req.state(ImState), req.app_id or "", req.now()
    id_type = req.query.get("receive_id_type")
    if id_type not in RECEIVE_ID_TYPES:
        raise field_error(
            "receive_id_type", id_type, f"receive_id_type must be one of {list(RECEIVE_ID_TYPES)}"
        )
    body = req.json_object()
    receive_id = _required_str(body, "receive_id")
    msg_type, content, uuid = _message_fields(body)
    if (previous := state.by_uuid(app_id, uuid, now)) is not None:
        return previous.view()
    chat = _resolve_receiver(state, app_id, id_type, receive_id)
    check_content(Target(state, app_id, chat), msg_type, content)
    _take_chat_slot(state, chat, now)
    return _store(req, state, chat, msg_type, content, uuid).view()


@routes.post(MESSAGE_PATH + "/reply")
def reply_message(req: FakeRequest) -> dict[str, Any]:
    state, app_id, now = req.state(ImState), req.app_id or "", req.now()
    body = req.json_object()
    msg_type, content, uuid = _message_fields(body)
    in_thread = body.get("reply_in_thread", False)
    if not isinstance(in_thread, bool):
        raise field_error("reply_in_thread", in_thread, "reply_in_thread must be a boolean")
    if (previous := state.by_uuid(app_id, uuid, now)) is not None:
        return previous.view()
    parent = _find(state, req.params["message_id"])
    chat = _visible_chat(state, parent, app_id)
    if parent.deleted:
        raise im_error(RECALLED)
    if parent.batch_message_id:
        raise invalid("messages sent by batch_send can not be replied to")
    _check_chat(state, chat, app_id)
    check_content(Target(state, app_id, chat), msg_type, content)
    _take_chat_slot(state, chat, now)
    root = state.messages[parent.root_id] if parent.root_id else parent
    thread_id = parent.thread_id
    if thread_id is None and in_thread:  # a new thread hangs off the root message
        root.thread_id = thread_id = new_id("omt_")
    return _store(
        req,
        state,
        chat,
        msg_type,
        content,
        uuid,
        root_id=root.message_id,
        parent_id=parent.message_id,
        thread_id=thread_id,
    ).view()


@routes.get(MESSAGE_PATH)
def get_message(req: FakeRequest) -> dict[str, Any]:
    state = req.state(ImState)
    message = _find(state, req.params["message_id"])
    _visible_chat(state, message, req.app_id or "")
    return {"items": [message.view()]}


@routes.delete(MESSAGE_PATH)
def recall_message(req: FakeRequest) -> dict[str, Any]:
    state, app_id = req.state(ImState), req.app_id or ""
    message = _find(state, req.params["message_id"])
    if message.app_id != app_id:
        raise im_error(NO_RECALL_PERMISSION, "(only the sender's bot may recall it)")
    if message.deleted:
        raise im_error(MESSAGE_DELETED)
    if message.batch_message_id:
        raise invalid("batch_send messages are recalled through batch_messages")
    _check_chat(state, state.chats[message.chat_id], app_id)
    message.deleted = True
    return {}


@routes.put(MESSAGE_PATH)
def edit_message(req: FakeRequest) -> dict[str, Any]:
    state, app_id, now = req.state(ImState), req.app_id or "", req.now()
    body = req.json_object()
    msg_type = _required_str(body, "msg_type")
    content = _required_str(body, "content")
    if msg_type not in EDITABLE_TYPES:
        raise invalid("msg_type must be text or post to edit a message")
    message = _find(state, req.params["message_id"])
    if message.app_id != app_id:
        raise im_error(NOT_SENDER)
    if message.deleted:
        raise im_error(RECALLED)
    if message.msg_type not in EDITABLE_TYPES or message.batch_message_id:
        raise invalid("only text and post messages sent by this bot can be edited")
    if message.edits >= MAX_EDITS:
        raise im_error(EDIT_LIMIT)
    chat = state.chats[message.chat_id]
    _check_chat(state, chat, app_id)
    check_content(Target(state, app_id, chat), msg_type, content)
    message.msg_type, message.content = msg_type, content
    message.edits += 1
    message.updated, message.updated_at = True, now
    return message.view()


@routes.patch(MESSAGE_PATH)
def update_card(req: FakeRequest) -> dict[str, Any]:
    state, app_id, now = req.state(ImState), req.app_id or "", req.now()
    content = _required_str(req.json_object(), "content")
    message = _find(state, req.params["message_id"])
    if message.app_id != app_id:
        raise im_error(LACK_PERMISSION, "(only the sender's bot may update the card)")
    if message.deleted:
        raise im_error(RECALLED)
    if message.msg_type != "interactive" or message.batch_message_id:
        raise invalid("only card (interactive) messages sent by this bot can be updated")
    if now - message.created > CARD_PATCH_WINDOW:
        raise im_error(CARD_TOO_OLD)
    chat = state.chats[message.chat_id]
    _check_chat(state, chat, app_id)
    card = check_content(Target(state, app_id, chat), "interactive", content)
    if not (card_is_shared(json.loads(message.content)) and card_is_shared(card)):
        raise invalid('both the sent card and the update need "config":{"update_multi":true}')
    if not state.take(f"patch:{message.message_id}", CARD_PATCH_QPS, now):
        raise im_error(FREQUENCY_LIMIT, "(5 updates per second per message)")
    message.content, message.updated, message.updated_at = content, True, now
    return {}


# --- helpers ---------------------------------------------------------------------------
def _required_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise field_error(name, value, f"{name} is required and must be a non-empty string")
    return value


def _message_fields(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """(msg_type, content, uuid) with their shapes checked."""
    msg_type = _required_str(body, "msg_type")
    content = _required_str(body, "content")
    if msg_type not in MSG_TYPES:
        raise invalid(f"invalid msg_type {msg_type!r}")
    uuid = body.get("uuid")
    if uuid is not None and (not isinstance(uuid, str) or len(uuid) > UUID_MAX):
        raise field_error("uuid", uuid, f"uuid must be a string of at most {UUID_MAX} characters")
    return msg_type, content, uuid or None


def _resolve_receiver(state: ImState, app_id: str, id_type: str, receive_id: str) -> Chat:
    """The chat a send goes to: the group, or the user's p2p chat with the bot."""
    prefix = _ID_PREFIX.get(id_type)
    if (prefix and not receive_id.startswith(prefix)) or (
        id_type == "email" and "@" not in receive_id
    ):
        raise invalid("invalid receive_id")
    if id_type == "chat_id":
        chat = state.chats.get(receive_id)
        if chat is None:
            raise im_error(CHAT_ID_NOT_EXIST, f"({receive_id})")
        _check_chat(state, chat, app_id)
        return chat
    user = state.user_by(id_type, receive_id)
    if user is None:
        code = _NOT_FOUND_CODE.get(id_type)
        raise im_error(code, f"({receive_id})") if code else invalid("invalid receive_id")
    if id_type == "open_id" and user.app_id not in (None, app_id):
        raise im_error(OPEN_ID_CROSS_APP, "(open_ids are per app; use union_id across apps)")
    if not user.reachable:
        raise im_error(NO_AVAILABILITY)
    return state.p2p_chat(app_id, user)


def _check_chat(state: ImState, chat: Chat, app_id: str) -> None:
    """A chat the bot may post to: not dissolved, bot in it, user reachable."""
    if chat.dissolved:
        raise im_error(CHAT_DISSOLVED)
    if not chat.has_bot(app_id):
        raise im_error(BOT_NOT_IN_CHAT)
    if chat.p2p_user is not None:
        user = state.user_by("open_id", chat.p2p_user)
        if user is not None and not user.reachable:
            raise im_error(NO_AVAILABILITY)


def _find(state: ImState, message_id: str) -> Message:
    message = state.messages.get(message_id)
    if message is None:
        raise invalid("invalid message_id")
    return message


def _visible_chat(state: ImState, message: Message, app_id: str) -> Chat:
    """The message's chat, if the app may see it (its own, or a group its bot is in)."""
    chat = state.chats[message.chat_id]
    if message.app_id != app_id and not chat.has_bot(app_id):
        raise im_error(LACK_PERMISSION if chat.is_p2p else BOT_NOT_IN_CHAT)
    return chat


def _take_chat_slot(state: ImState, chat: Chat, now: float) -> None:
    if not state.take(f"chat:{chat.chat_id}", RECIPIENT_QPS, now):
        raise im_error(FREQUENCY_LIMIT, "(5 messages per second per user or chat)")


def _store(
    req: FakeRequest,
    state: ImState,
    chat: Chat,
    msg_type: str,
    content: str,
    uuid: str | None,
    **thread: Any,
) -> Message:
    now, app_id = req.now(), req.app_id or ""
    message = Message(
        message_id=new_id("om_"),
        app_id=app_id,
        tenant_key=req.tenant_key or "",
        chat_id=chat.chat_id,
        msg_type=msg_type,
        content=content,
        created=now,
        updated_at=now,
        uuid=uuid,
        **thread,
    )
    state.messages[message.message_id] = message
    if uuid:
        state.uuids[(app_id, uuid)] = (message.message_id, now)
    return message

"""Legacy batch send ``POST /open-apis/message/v4/batch_send/`` (Feishu IM docs).

``content`` (or ``card`` for interactive) is a JSON *object* here. Every
recipient id list holds at most 200 ids; ids that do not resolve to a reachable
user of this app are reported in ``invalid_*`` while the others each get the
message in their p2p chat with the bot. Errors answer **HTTP 200**: 10003 bad
parameter, 11227 image key not this app's, 11231 shared chat unusable, 11246
bad card, 19036 content over the size limit, 11247 the app's 500,000 messages
a day used up (``ImState.batch_daily_limit``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from lark_async.testing.im.content import (
    Target,
    check_card,
    check_post,
    check_shareable_chat,
    resource,
)
from lark_async.testing.im.state import (
    BATCH_ID_LIMIT,
    FILE_TYPE_MISMATCH,
    NOT_RESOURCE_OWNER,
    RICH_LIMIT,
    TEXT_LIMIT,
    ImState,
    Message,
    User,
    new_id,
    routes,
)
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest

BATCH_PATH = "/open-apis/message/v4/batch_send/"
BATCH_TYPES = ("text", "image", "post", "share_chat", "interactive")
ID_LISTS = {
    "open_ids": "open_id",
    "user_ids": "user_id",
    "union_ids": "union_id",
    "department_ids": "department",
}
INVALID_PARAM = 10003
IMAGE_KEY_NOT_EXIST = 11227
CHAT_NOT_FOUND = 11231
CREATE_CONTENT_FAIL = 11246
DAILY_LIMIT = 11247
TOO_LONG = 19036


def _fail(code: int, msg: str) -> FakeError:
    return FakeError(code, msg, status=200)  # this legacy endpoint answers errors with 200


@routes.post(BATCH_PATH)
def batch_send(req: FakeRequest) -> dict[str, Any]:
    state, app_id, now = req.state(ImState), req.app_id or "", req.now()
    body = req.json_object()
    msg_type = body.get("msg_type")
    if msg_type not in BATCH_TYPES:
        raise _fail(INVALID_PARAM, f"invalid msg_type; batch_send supports {list(BATCH_TYPES)}")
    ids = _id_lists(body)
    content = _content(Target(state, app_id, None), msg_type, body)
    recipients, rejected = _resolve(state, app_id, ids)
    day = math.floor(now / 86400)
    sent_today = state.batch_sent.get((app_id, day), 0)
    if sent_today + len(recipients) > state.batch_daily_limit:
        raise _fail(DAILY_LIMIT, "the app's daily batch message limit is reached")
    state.batch_sent[(app_id, day)] = sent_today + len(recipients)

    batch_id = new_id("bm-")
    message_ids = []
    for user in recipients:
        chat = state.p2p_chat(app_id, user)
        message = Message(
            message_id=new_id("om_"),
            app_id=app_id,
            tenant_key=req.tenant_key or "",
            chat_id=chat.chat_id,
            msg_type=msg_type,
            content=content,
            created=now,
            updated_at=now,
            batch_message_id=batch_id,
        )
        state.messages[message.message_id] = message
        message_ids.append(message.message_id)
    invalid = {f"invalid_{name}": rejected[name] for name in ID_LISTS}
    state.batches[batch_id] = {
        "msg_type": msg_type,
        "content": content,
        **{name: ids[name] for name in ID_LISTS},
        **invalid,
        "recipients": [u.open_id for u in recipients],
        "message_ids": message_ids,
        "app_id": app_id,
        "time": now,
    }
    return {"message_id": batch_id, **invalid}


def _id_lists(body: dict[str, Any]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for name in ID_LISTS:
        value = body.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _fail(INVALID_PARAM, f"{name} must be a list of ids")
        if len(value) > BATCH_ID_LIMIT:
            raise _fail(INVALID_PARAM, f"{name} holds at most {BATCH_ID_LIMIT} ids")
        ids[name] = value
    if not any(ids.values()):
        raise _fail(INVALID_PARAM, f"give at least one of {list(ID_LISTS)}")
    if "0" in ids["department_ids"]:
        raise _fail(INVALID_PARAM, "the root department 0 can not be a recipient")
    return ids


def _content(target: Target, msg_type: str, body: dict[str, Any]) -> str:
    """The message content as stored (a JSON string), after checking its shape."""
    field = "card" if msg_type == "interactive" else "content"
    value = body.get(field)
    if not isinstance(value, dict):
        raise _fail(INVALID_PARAM, f"{field} is required and must be a json object")
    stored: Any = value
    size_limit = TEXT_LIMIT if msg_type == "text" else RICH_LIMIT
    try:
        if msg_type == "text":
            if not isinstance(value.get("text"), str) or not value["text"]:
                raise _fail(INVALID_PARAM, 'text content needs a non-empty "text"')
        elif msg_type == "image":
            key = value.get("image_key")
            if not isinstance(key, str):
                raise _fail(IMAGE_KEY_NOT_EXIST, "content.image_key is required")
            resource(target, key, "image", "content")
        elif msg_type == "post":
            stored = value.get("post")
            if not isinstance(stored, dict):
                raise _fail(INVALID_PARAM, 'post content is {"post": {locale: {...}}}')
            check_post(target, stored, allow_md=False)
        elif msg_type == "share_chat":
            chat_id = value.get("share_chat_id")
            if not isinstance(chat_id, str):
                raise _fail(CHAT_NOT_FOUND, "content.share_chat_id is required")
            check_shareable_chat(target, chat_id)
            stored = {"chat_id": chat_id}
        else:
            check_card(value)
    except FakeError as err:
        if err.status == 200:
            raise
        code = {"image": IMAGE_KEY_NOT_EXIST, "share_chat": CHAT_NOT_FOUND}.get(msg_type)
        if err.code in (NOT_RESOURCE_OWNER, FILE_TYPE_MISMATCH):  # an image in a post
            code = IMAGE_KEY_NOT_EXIST
        code = code or (CREATE_CONTENT_FAIL if field == "card" else INVALID_PARAM)
        raise _fail(code, err.msg) from None
    text = json.dumps(stored, ensure_ascii=False)
    if len(text.encode()) > size_limit:
        raise _fail(TOO_LONG, f"message content exceeds {size_limit // 1024} KB")
    return text


def _resolve(
    state: ImState, app_id: str, ids: dict[str, list[str]]
) -> tuple[list[User], dict[str, list[str]]]:
    """Reachable users of this app (each once), and the ids that did not resolve."""
    found: dict[str, User] = {}
    rejected: dict[str, list[str]] = {name: [] for name in ID_LISTS}
    for name, id_type in ID_LISTS.items():
        for value in ids[name]:
            if id_type == "department":
                members = state.departments.get(value)
                if members is None:
                    rejected[name].append(value)
                    continue
                users = [state.user_by("open_id", m) for m in members]
                found.update({u.open_id: u for u in users if u and u.reachable})
                continue
            user = state.user_by(id_type, value)
            if user is None or not _usable(user, app_id, id_type):
                rejected[name].append(value)
            else:
                found[user.open_id] = user
    return list(found.values()), rejected


def _usable(user: User, app_id: str, id_type: str) -> bool:
    """Reachable, and for an open_id, one of this app's (open_ids are per app)."""
    return user.reachable and (id_type != "open_id" or user.app_id in (None, app_id))

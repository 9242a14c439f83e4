"""IM chats as contact reads them: search, get (Feishu chat docs), over the IM emulator's chats.

The search lists the group chats whose name contains the query (case-
insensitive) and that have the app's bot, dissolved ones included with
``chat_status: "dissolved"``; ``page_size`` 1..100 (default 20). ``GET chat``
answers 232006 for an unknown chat and, for a dissolved one, 232009 (what
Feishu's send endpoints answer for it; what GET answers is undocumented). A
caller whose bot is not in the chat gets the reduced view the docs describe
(name, avatar, counts, status).
"""

from __future__ import annotations

from typing import Any

from lark_async.testing.contact.state import (
    CHAT_DISSOLVED,
    CHAT_ID_INVALID,
    CHAT_INVALID_PARAM,
    CHATS,
    SCOPE_CHAT_READ,
    ContactState,
    contact_error,
    page,
    page_size,
    routes,
)
from lark_async.testing.im.state import Chat, ImState
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest

FAMILY = "im.chat"


def _summary(chat: Chat, tenant_key: str) -> dict[str, Any]:
    return {
        "chat_id": chat.chat_id,
        "avatar": f"https://example.invalid/chat/{chat.chat_id}",
        "name": chat.name,
        "description": "",
        "owner_id": chat.members[0] if chat.members else "",
        "owner_id_type": "open_id",
        "external": False,
        "tenant_key": tenant_key,
        "chat_status": "dissolved" if chat.dissolved else "normal",
    }


@routes.get(f"{CHATS}/search", family=FAMILY)
def search_chats(req: FakeRequest) -> dict[str, Any]:
    state, im, app_id = req.state(ContactState), req.state(ImState), req.app_id or ""
    state.require(req, SCOPE_CHAT_READ)
    size = page_size(req, 20, 100, CHAT_INVALID_PARAM)
    query = (req.query.get("query") or "").lower()
    found = [
        c
        for c in im.chats.values()
        if not c.is_p2p and c.has_bot(app_id) and query in c.name.lower()
    ]
    found.sort(key=lambda c: c.chat_id)
    bad = FakeError(CHAT_INVALID_PARAM, "invalid param: page_token")
    chunk, fields = page(req, found, f"chats:{query}", size, bad)
    return {"items": [_summary(c, req.tenant_key or "") for c in chunk], **fields}


@routes.get(f"{CHATS}/{{chat_id}}", family=FAMILY)
def get_chat(req: FakeRequest) -> dict[str, Any]:
    state, im, app_id = req.state(ContactState), req.state(ImState), req.app_id or ""
    state.require(req, SCOPE_CHAT_READ)
    chat = im.chats.get(req.params["chat_id"])
    if chat is None or (chat.is_p2p and chat.p2p_app != app_id):
        raise contact_error(CHAT_ID_INVALID)
    if chat.dissolved:
        raise FakeError(
            CHAT_DISSOLVED, "Your request specifies a chat which has already been dissolved."
        )
    counts = {
        "user_count": str(len(chat.members)),
        "bot_count": "1" if chat.has_bot(app_id) else "0",
        "chat_status": "normal",
    }
    if not chat.has_bot(app_id):  # not a member: the reduced view
        return {"name": chat.name, "avatar": _summary(chat, "")["avatar"], **counts}
    return {
        "avatar": _summary(chat, "")["avatar"],
        "name": chat.name,
        "description": "",
        "owner_id": chat.members[0] if chat.members else "",
        "owner_id_type": "open_id",
        "chat_mode": "p2p" if chat.is_p2p else "group",
        "chat_type": "private",
        "chat_tag": "inner",
        "external": False,
        "tenant_key": req.tenant_key or "",
        "add_member_permission": "all_members",
        "share_card_permission": "allowed",
        "at_all_permission": "all_members" if chat.allow_at_all else "only_owner",
        "edit_permission": "all_members",
        **counts,
    }

"""Checks of a message's ``content`` against its ``msg_type`` (Feishu IM docs).

``content`` arrives as a JSON *string*; each type has its own shape. Bad shape
or values answer 230001 (``ext=`` says what), an oversized body 230025, a
resource of another app 230017, a resource of the wrong kind 230055 and a bad
card 230099 with a card sub-code. Batch send (Feishu IM docs) reuses these
checks and maps the codes to its own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lark_async.testing.im.state import (
    BLOCKED_BY_CHAT_SETTINGS,
    BOT_NOT_IN_CHAT,
    CHAT_DISSOLVED,
    CONTENT_TOO_LONG,
    FILE_TYPE_MISMATCH,
    NOT_RESOURCE_OWNER,
    P2P_NOT_SHAREABLE,
    RICH_LIMIT,
    TEXT_LIMIT,
    Chat,
    ImState,
    card_error,
    im_error,
    invalid,
)

MSG_TYPES = frozenset(
    {
        "text",
        "post",
        "image",
        "file",
        "audio",
        "media",
        "sticker",
        "interactive",
        "share_chat",
        "share_user",
        "system",
    }
)
POST_TAGS = frozenset({"text", "a", "at", "img", "media", "emotion", "code_block", "hr", "md"})
_OWN_PARAGRAPH = frozenset({"img", "media", "md"})
_LOCALE = re.compile(r"^[a-z]{2}_[a-z]{2}$")
_AT_ALL_TEXT = re.compile(r"""<at\s+user_id\s*=\s*["']all["']""")
CARD_PARSE_ERROR = 200621
CARD_TOO_MANY_ELEMENTS = 11310
CARD_MAX_ELEMENTS = 200  # JSON 2.0
SYSTEM_TEXT_WIDTH = 20  # 20 characters, or 10 CJK ones


@dataclass
class Target:
    """Who sends, and the chat the message goes to (None when not known yet)."""

    state: ImState
    app_id: str
    chat: Chat | None


def check_content(target: Target, msg_type: str, content: str) -> dict[str, Any]:
    """Validate ``content`` for ``msg_type``; returns the parsed JSON object."""
    limit = TEXT_LIMIT if msg_type == "text" else RICH_LIMIT
    if msg_type in {"text", "post", "interactive"} and len(content.encode()) > limit:
        raise im_error(CONTENT_TOO_LONG, f"(limit {limit // 1024} KB for {msg_type})")
    try:
        parsed = json.loads(content)
    except ValueError:
        raise invalid("content is not a string in json format") from None
    if not isinstance(parsed, dict):
        raise invalid("content must be a json object")
    _CHECKS[msg_type](target, parsed)
    return parsed


# --- one checker per msg_type ----------------------------------------------------------
def _text(target: Target, content: dict[str, Any]) -> None:
    text = content.get("text")
    if not isinstance(text, str) or not text:
        raise invalid('text content needs a non-empty "text"')
    if _AT_ALL_TEXT.search(text):
        _check_at_all(target)


def _post(target: Target, content: dict[str, Any]) -> None:
    check_post(target, content, allow_md=True)


def check_post(target: Target, content: dict[str, Any], *, allow_md: bool) -> None:
    """At least one locale, each with a list of paragraphs of valid nodes."""
    if not content:
        raise invalid("post content needs at least one locale, e.g. zh_cn")
    for locale, body in content.items():
        where = f"content.{locale}"
        if not _LOCALE.match(locale) or not isinstance(body, dict):
            raise invalid(f"{where}: a post is {{locale: {{title, content}}}}")
        title = body.get("title", "")
        if not isinstance(title, str):
            raise invalid(f"{where}.title must be a string")
        paragraphs = body.get("content")
        if not isinstance(paragraphs, list) or not paragraphs:
            raise invalid(f"{where}.content must be a non-empty list of paragraphs")
        for p, paragraph in enumerate(paragraphs):
            if not isinstance(paragraph, list):
                raise invalid(f"{where}.content[{p}] must be a list of nodes")
            for n, node in enumerate(paragraph):
                _check_node(target, node, f"{where}.content[{p}][{n}]", len(paragraph), allow_md)


def _check_node(target: Target, node: Any, where: str, siblings: int, allow_md: bool) -> None:
    if not isinstance(node, dict):
        raise invalid(f"{where} must be an object with a tag")
    tag = node.get("tag")
    if tag not in POST_TAGS or (tag == "md" and not allow_md):
        raise invalid(f"{where}: unsupported tag {tag!r}")
    if tag in _OWN_PARAGRAPH and siblings > 1:
        raise invalid(f"{where}: a {tag} node must be alone in its paragraph")
    if tag in {"text", "a", "code_block", "md"}:
        _require_str(node, "text", where)
    if "style" in node and not (
        isinstance(node["style"], list) and all(isinstance(s, str) for s in node["style"])
    ):
        raise invalid(f"{where}.style must be a list of strings")
    if tag == "a":
        href = _require_str(node, "href", where)
        parts = urlsplit(href)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise invalid(f"{where}.href is not a valid http(s) url")
    elif tag == "at":
        if _require_str(node, "user_id", where) == "all":
            _check_at_all(target)
    elif tag == "img":
        resource(target, _require_str(node, "image_key", where), "image", where)
    elif tag == "media":
        resource(target, _require_str(node, "file_key", where), "file", where, {"mp4"})
        if node.get("image_key") is not None:
            resource(target, _require_str(node, "image_key", where), "image", where)
    elif tag == "emotion":
        _require_str(node, "emoji_type", where)
    elif tag == "code_block" and not isinstance(node.get("language", ""), str):
        raise invalid(f"{where}.language must be a string")


def _image(target: Target, content: dict[str, Any]) -> None:
    resource(target, _require_str(content, "image_key", "content"), "image", "content")


def _file(target: Target, content: dict[str, Any]) -> None:
    resource(target, _require_str(content, "file_key", "content"), "file", "content")


def _audio(target: Target, content: dict[str, Any]) -> None:
    key = _require_str(content, "file_key", "content")
    resource(target, key, "file", "content", {"opus"})


def _media(target: Target, content: dict[str, Any]) -> None:
    resource(target, _require_str(content, "file_key", "content"), "file", "content", {"mp4"})
    if content.get("image_key") is not None:
        resource(target, _require_str(content, "image_key", "content"), "image", "content")


def _sticker(target: Target, content: dict[str, Any]) -> None:
    # Stickers come from messages the bot received, which the emulator does not model.
    _require_str(content, "file_key", "content")


def _interactive(target: Target, content: dict[str, Any]) -> None:
    check_card(content)


def _share_chat(target: Target, content: dict[str, Any]) -> None:
    chat_id = _require_str(content, "chat_id", "content")
    check_shareable_chat(target, chat_id)


def check_shareable_chat(target: Target, chat_id: str) -> None:
    chat = target.state.chats.get(chat_id)
    if chat is None:
        raise invalid("invalid chat_id in share_chat content")
    if chat.is_p2p:
        raise im_error(P2P_NOT_SHAREABLE)
    if chat.dissolved:
        raise im_error(CHAT_DISSOLVED)
    if not chat.has_bot(target.app_id):
        raise im_error(BOT_NOT_IN_CHAT, "(the shared chat)")


def _share_user(target: Target, content: dict[str, Any]) -> None:
    open_id = _require_str(content, "user_id", "content")
    user = target.state.user_by("open_id", open_id)
    if user is None or (user.app_id is not None and user.app_id != target.app_id):
        raise invalid("share_user needs the open_id of a user of this app")


def _system(target: Target, content: dict[str, Any]) -> None:
    if target.chat is not None and not target.chat.is_p2p:
        raise invalid("system messages can only be sent to a p2p chat with the bot")
    if content.get("type") != "divider":
        raise invalid('system content type must be "divider"')
    params = content.get("params")
    divider = params.get("divider_text") if isinstance(params, dict) else None
    if not isinstance(divider, dict):
        raise invalid("system content needs params.divider_text")
    texts = [_require_str(divider, "text", "params.divider_text")]
    i18n = divider.get("i18n_text", {})
    if not isinstance(i18n, dict) or not all(isinstance(t, str) for t in i18n.values()):
        raise invalid("params.divider_text.i18n_text must map locales to strings")
    texts.extend(i18n.values())
    if any(_width(t) > SYSTEM_TEXT_WIDTH for t in texts):
        raise invalid("divider text is limited to 20 characters (10 CJK)")


_CHECKS = {
    "text": _text,
    "post": _post,
    "image": _image,
    "file": _file,
    "audio": _audio,
    "media": _media,
    "sticker": _sticker,
    "interactive": _interactive,
    "share_chat": _share_chat,
    "share_user": _share_user,
    "system": _system,
}


# --- cards ---------------------------------------------------------------------------------
def check_card(card: Any) -> None:
    """A card JSON 1.0 / 2.0 body, a template reference or a card entity reference."""
    if not isinstance(card, dict):
        raise card_error(CARD_PARSE_ERROR, "card must be a json object")
    kind = card.get("type")
    if kind in {"template", "card"}:
        data = card.get("data")
        ref = "template_id" if kind == "template" else "card_id"
        if not isinstance(data, dict) or not isinstance(data.get(ref), str) or not data[ref]:
            raise card_error(CARD_PARSE_ERROR, f"a {kind} card needs data.{ref}")
        if kind == "template" and not isinstance(data.get("template_variable", {}), dict):
            raise card_error(CARD_PARSE_ERROR, "data.template_variable must be an object")
        return
    if kind is not None:
        raise card_error(CARD_PARSE_ERROR, f"unknown card type {kind!r}")
    if not isinstance(card.get("config", {}), dict) or not isinstance(card.get("header", {}), dict):
        raise card_error(CARD_PARSE_ERROR, "config and header must be objects")
    if card.get("schema") == "2.0":
        body = card.get("body")
        elements = body.get("elements") if isinstance(body, dict) else None
        if not isinstance(elements, list):
            raise card_error(CARD_PARSE_ERROR, "a JSON 2.0 card needs body.elements")
        if len(elements) > CARD_MAX_ELEMENTS:
            raise card_error(CARD_TOO_MANY_ELEMENTS, "a JSON 2.0 card has at most 200 elements")
        return
    if "schema" in card:
        raise card_error(CARD_PARSE_ERROR, f"unsupported card schema {card['schema']!r}")
    if not isinstance(card.get("elements"), list) and not isinstance(
        card.get("i18n_elements"), dict
    ):
        raise card_error(CARD_PARSE_ERROR, "a JSON 1.0 card needs elements or i18n_elements")


def card_is_shared(card: dict[str, Any]) -> bool:
    """Whether a card is shared (``config.update_multi``), so it may be updated for all.

    JSON 2.0 cards are always shared; templates and card entities carry their own
    config, which the emulator cannot see, so they count as shared.
    """
    if card.get("type") in {"template", "card"} or card.get("schema") == "2.0":
        return True
    config = card.get("config")
    return isinstance(config, dict) and config.get("update_multi") is True


# --- helpers ---------------------------------------------------------------------------
def resource(
    target: Target,
    key: str,
    kind: str,
    where: str,
    file_types: set[str] | None = None,
) -> dict[str, Any]:
    """The upload behind ``key``: this app's, of ``kind`` (and one of ``file_types``)."""
    upload = target.state.uploads.get(key)
    if upload is None:
        raise invalid(f"{where}: invalid {'image_key' if kind == 'image' else 'file_key'}")
    if upload["app_id"] != target.app_id:
        raise im_error(NOT_RESOURCE_OWNER, f"({key})")
    if upload["kind"] != kind or (file_types and upload["file_type"] not in file_types):
        raise im_error(FILE_TYPE_MISMATCH, f"({key} is a {upload['file_type'] or kind})")
    return upload


def resource_keys(msg_type: str, content: dict[str, Any]) -> dict[str, str]:
    """The upload keys a stored message refers to, mapped to "image" or "file"."""
    keys: dict[str, str] = {}
    nodes: list[dict[str, Any]] = [content]
    if msg_type == "post":
        nodes = [
            node
            for body in content.values()
            if isinstance(body, dict)
            for paragraph in body.get("content", [])
            for node in paragraph
        ]
    elif msg_type not in {"image", "file", "audio", "media"}:
        return keys
    for node in nodes:
        if isinstance(node.get("image_key"), str):
            keys[node["image_key"]] = "image"
        if isinstance(node.get("file_key"), str):
            keys[node["file_key"]] = "file"
    return keys


def _check_at_all(target: Target) -> None:
    if target.chat is not None and not target.chat.is_p2p and not target.chat.allow_at_all:
        raise im_error(BLOCKED_BY_CHAT_SETTINGS, "(@all is not allowed in this chat)")


def _require_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"{where}.{key} is required and must be a non-empty string")
    return value


def _width(text: str) -> int:
    """Display width: CJK (wide) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1 for ch in text)

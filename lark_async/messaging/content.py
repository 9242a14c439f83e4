"""``MessageContent``: a ``msg_type`` and its ``content``, checked once, sent many times.

Every constructor validates shape and size (text 150 KB, post and card 30 KB,
the Feishu IM docs) so a bad message fails before the first request, including in
a fan-out to thousands of recipients.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from lark_async.messaging._checks import (
    KB,
    check_size,
    dumps,
    invalid,
    require_bool,
    require_choice,
    require_str,
    require_token,
    utf8_size,
)
from lark_async.messaging.cards import Card, CardLike, CardTemplate, checked_card_json
from lark_async.messaging.post import RichText, validate_post

MsgType = Literal[
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
]

MSG_TYPES: tuple[str, ...] = get_args(MsgType)
MAX_TEXT_BYTES = 150 * KB
MAX_POST_BYTES = 30 * KB
# The 150 KB text limit is on the request body; leave room for the other fields.
_TEXT_ENVELOPE = 512


@dataclass(frozen=True, slots=True)
class MessageContent:
    """One message's ``msg_type`` and ``content`` (the JSON string Feishu wants).

    Build it with the class methods; ``data`` keeps the object form (what
    ``batch_send`` sends).
    """

    msg_type: MsgType
    content: str
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        require_choice("msg_type", self.msg_type, MSG_TYPES)
        require_str("content", self.content)
        if not isinstance(self.data, Mapping):
            raise invalid(
                "data",
                f"must be a mapping, got {type(self.data).__name__}",
                "build it with the class methods: MessageContent.text(...), .post(...), .card(...)",
            )

    @classmethod
    def _of(cls, msg_type: MsgType, data: Mapping[str, Any], parameter: str) -> MessageContent:
        return cls(msg_type, dumps(dict(data), parameter), data)

    @classmethod
    def text(cls, text: str) -> MessageContent:
        """Plain text; see :mod:`lark_async.messaging.text` for mentions and styles."""
        return cls._text(text, "text")

    @classmethod
    def _text(cls, text: str, parameter: str) -> MessageContent:
        if not isinstance(text, str) or not text.strip():
            raise invalid(parameter, "must be a non-empty string", "send some text")
        msg = cls._of("text", {"text": require_str(parameter, text)}, parameter)
        check_size(parameter, utf8_size(msg.content) + _TEXT_ENVELOPE, MAX_TEXT_BYTES, "text")
        return msg

    @classmethod
    def post(cls, post: RichText | Mapping[str, Any]) -> MessageContent:
        """Rich text from a :class:`RichText` or a hand-written ``{locale: {...}}`` dict."""
        return cls._post(post, "post")

    @classmethod
    def _post(cls, post: RichText | Mapping[str, Any], parameter: str) -> MessageContent:
        if isinstance(post, RichText):
            data = validate_post(post._raw_content(), parameter=parameter)
        else:
            data = validate_post(post, parameter=parameter)
        msg = cls._of("post", data, parameter)
        check_size(parameter, utf8_size(msg.content), MAX_POST_BYTES, "rich text (post)")
        return msg

    @classmethod
    def card(cls, card: CardLike) -> MessageContent:
        """An interactive card: a :class:`Card`, :class:`CardTemplate` or card JSON."""
        return cls._card(card, "card")

    @classmethod
    def _card(cls, card: CardLike, parameter: str) -> MessageContent:
        text = checked_card_json(card, parameter=parameter)
        return cls("interactive", text, json.loads(text))

    @classmethod
    def image(cls, image_key: str) -> MessageContent:
        require_token("image_key", image_key, prefix="img_", example="img_v2_...")
        return cls._of("image", {"image_key": image_key}, "image_key")

    @classmethod
    def file(cls, file_key: str) -> MessageContent:
        require_token("file_key", file_key, example="file_v2_...")
        return cls._of("file", {"file_key": file_key}, "file_key")

    @classmethod
    def audio(cls, file_key: str) -> MessageContent:
        """An opus file uploaded with ``upload_file`` (file_type opus)."""
        require_token("file_key", file_key, example="file_v2_...")
        return cls._of("audio", {"file_key": file_key}, "file_key")

    @classmethod
    def media(cls, file_key: str, image_key: str | None = None) -> MessageContent:
        """An mp4 uploaded with ``upload_file``; ``image_key`` is an optional cover."""
        require_token("file_key", file_key, example="file_v2_...")
        data = {"file_key": file_key}
        if image_key is not None:
            data["image_key"] = require_token(
                "image_key", image_key, prefix="img_", example="img_v2_..."
            )
        return cls._of("media", data, "file_key")

    @classmethod
    def sticker(cls, file_key: str) -> MessageContent:
        """A sticker the bot has received (its ``file_key``)."""
        require_token("file_key", file_key, example="file_v2_...")
        return cls._of("sticker", {"file_key": file_key}, "file_key")

    @classmethod
    def share_chat(cls, chat_id: str) -> MessageContent:
        """A group card for ``chat_id`` (the bot must be in that group)."""
        require_token("chat_id", chat_id, prefix="oc_", example="oc_...")
        return cls._of("share_chat", {"chat_id": chat_id}, "chat_id")

    @classmethod
    def share_user(cls, open_id: str) -> MessageContent:
        """A contact card; Feishu accepts an ``open_id`` only."""
        require_token("open_id", open_id, prefix="ou_", example="ou_...")
        return cls._of("share_user", {"user_id": open_id}, "open_id")

    @classmethod
    def system_divider(
        cls, text: str, *, i18n: Mapping[str, str] | None = None, need_rollup: bool = False
    ) -> MessageContent:
        """A divider line in a p2p chat with the bot (needs ``im:message:send_sys_msg``)."""
        _divider_text("text", text)
        if i18n is not None and not isinstance(i18n, Mapping):
            raise invalid(
                "i18n",
                f"must be a mapping of locale to text, got {type(i18n).__name__}",
                'e.g. i18n={"en_us": "New topic"}',
            )
        for locale, t in (i18n or {}).items():
            require_token("i18n", locale, example="en_us")
            _divider_text("i18n", t)
        require_bool("need_rollup", need_rollup)
        divider: dict[str, Any] = {"text": text}
        if i18n:
            divider["i18n_text"] = dict(i18n)
        data: dict[str, Any] = {"type": "divider", "params": {"divider_text": divider}}
        if need_rollup:
            data["options"] = {"need_rollup": True}
        return cls._of("system", data, "text")

    def batch_body(self) -> dict[str, Any]:
        """The ``msg_type`` + ``content``/``card`` object of a v4 ``batch_send`` body."""
        if self.msg_type == "text":
            return {"msg_type": "text", "content": dict(self.data)}
        if self.msg_type == "image":
            return {"msg_type": "image", "content": dict(self.data)}
        if self.msg_type == "post":
            if _has_md(self.data):
                raise invalid(
                    "content",
                    "batch_send does not accept md (Markdown) nodes",
                    "use Text/Link/At nodes instead of markdown() for batch_send",
                )
            return {"msg_type": "post", "content": {"post": dict(self.data)}}
        if self.msg_type == "share_chat":
            return {"msg_type": "share_chat", "content": {"share_chat_id": self.data["chat_id"]}}
        if self.msg_type == "interactive":
            return {"msg_type": "interactive", "card": dict(self.data)}
        raise invalid(
            "content",
            f"batch_send cannot send {self.msg_type} messages",
            "batch_send takes text, image, post, share_chat and interactive; use send_to_many "
            "for other types",
        )


def as_content(
    value: MessageContent | str | RichText | CardLike, parameter: str = "content"
) -> MessageContent:
    """Accept the common shorthands: str → text, RichText → post, Card → card."""
    if isinstance(value, MessageContent):
        return value
    if isinstance(value, str):
        return MessageContent._text(value, parameter)
    if isinstance(value, RichText):
        return MessageContent._post(value, parameter)
    if isinstance(value, Card | CardTemplate | Mapping):
        return MessageContent._card(value, parameter)
    raise invalid(
        parameter,
        f"{type(value).__name__} is not text, not a post and not a card",
        "pass a str (text), a RichText (post), a Card, a CardTemplate, a card dict, or a "
        "MessageContent",
    )


def _divider_text(parameter: str, text: Any) -> None:
    if not isinstance(text, str) or not text or _width(require_str(parameter, text)) > 20:
        shown = repr(text)[:40] if isinstance(text, str) else type(text).__name__
        raise invalid(
            parameter,
            f"{shown} does not fit a divider",
            "divider text is 1..20 characters (10 CJK characters)",
        )


def _has_md(post: Mapping[str, Any]) -> bool:
    return any(
        node.get("tag") == "md"
        for body in post.values()
        for para in body.get("content", [])
        for node in para
    )


def _width(text: str) -> int:
    """Display width: CJK (wide) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)

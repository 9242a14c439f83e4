"""What a handler may return: a toast, a card update, or both (:class:`Reply`).

A synchronous handler's reply goes back inline in the HTTP answer (Feishu callback docs:
``toast`` and ``card``). An asynchronous handler's card update is applied after the
answer, through the delayed-update API or a PATCH of the message (Feishu callback and IM docs); its
toast cannot reach the user any more (the click was answered), so it is logged and
dropped. Everything is validated when built, before any request is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lark_async.core.actions import route_card
from lark_async.core.checks import bad_argument, check_json, check_text
from lark_async.core.errors import InvalidParameter

ToastType = Literal["info", "success", "error", "warning"]
UpdateVia = Literal["auto", "token", "patch"]

MAX_CARD_BYTES = 30 * 1024  # Feishu callback and IM docs
MAX_TOAST_CHARS = 500
MAX_OPEN_IDS = 200
TOAST_TYPES: tuple[str, ...] = ("info", "success", "error", "warning")
I18N_LOCALES = frozenset(
    {
        "zh_cn", "en_us", "zh_hk", "zh_tw", "ja_jp", "id_id", "vi_vn", "th_th",
        "pt_br", "es_es", "ko_kr", "de_de", "fr_fr", "it_it", "ru_ru", "ms_my",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Toast:
    """A short message shown to the clicking user (only from a synchronous handler)."""

    content: str
    type: ToastType = "info"
    i18n: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.content, str) or not self.content.strip():
            raise InvalidParameter("Toast content is empty", hint="Toast(content='已通过')")
        check_text(self.content, "content")
        if len(self.content) > MAX_TOAST_CHARS:
            raise InvalidParameter(
                f"Toast content is {len(self.content)} characters; the limit is {MAX_TOAST_CHARS}",
                hint="keep toasts to one short sentence",
            )
        if not isinstance(self.type, str) or self.type not in TOAST_TYPES:
            raise InvalidParameter(
                f"Toast type {self.type!r} is not one of {', '.join(TOAST_TYPES)}",
                hint="type='success' for a green tick, 'error' for a red one",
            )
        if self.i18n is not None:
            if not isinstance(self.i18n, Mapping):
                raise bad_argument(
                    "i18n", f"must map locale to text, not {type(self.i18n).__name__}"
                )
            for locale, text in self.i18n.items():
                if (
                    not isinstance(locale, str)
                    or locale not in I18N_LOCALES
                    or not isinstance(text, str)
                ):
                    raise InvalidParameter(
                        "Toast i18n has an unknown locale or a non-string text: "
                        + (repr(locale[:20]) if isinstance(locale, str) else type(locale).__name__),
                        hint="locales are lowercase, e.g. zh_cn, en_us, ja_jp",
                    )
                check_text(text, "i18n")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "content": self.content}
        if self.i18n:
            body["i18n"] = dict(self.i18n)
        return body


@dataclass(frozen=True, slots=True)
class CardUpdate:
    """Replace the clicked card.

    ``card`` is card JSON (1.0 or 2.0; keep the original's schema version) or a
    template ``{"type": "template", "data": {...}}``. ``via``: ``"token"`` uses the
    callback's card-update token (30 minutes, 2 uses), ``"patch"`` PATCHes the
    message (the card must have ``config.update_multi: true``), ``"auto"`` tries the
    token and falls back to PATCH when it is spent or expired. ``open_ids`` is only
    for JSON 1.0 cards that are *not* shared (``update_multi`` false).
    """

    card: Mapping[str, Any]
    via: UpdateVia = "auto"
    open_ids: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.card, Mapping) or not self.card:
            raise InvalidParameter(
                "CardUpdate card must be a non-empty card JSON object",
                hint="pass the card dict (1.0 or 2.0) or {'type': 'template', 'data': {...}}",
            )
        check_json(self.card, "card")  # what the update will send, refused now
        try:
            size = len(json.dumps(self.card, ensure_ascii=False).encode("utf-8"))
        except (TypeError, ValueError):
            raise InvalidParameter(
                "CardUpdate card is not JSON-serialisable",
                hint="use only dicts, lists, strings, numbers, booleans and None",
            ) from None
        if size > MAX_CARD_BYTES:
            raise InvalidParameter(
                f"card is {size} bytes; Feishu's limit is {MAX_CARD_BYTES} (30 KB)",
                hint="shorten the card, or use a template with fewer variables",
            )
        if not isinstance(self.via, str) or self.via not in ("auto", "token", "patch"):
            raise InvalidParameter(
                f"CardUpdate via={self.via!r}; use 'auto', 'token' or 'patch'",
                hint="'auto' tries the callback token, then PATCHes the message",
            )
        if self.open_ids is not None:
            if isinstance(self.open_ids, str | bytes) or not isinstance(self.open_ids, Iterable):
                raise bad_argument("open_ids", "must be a list of open_ids (ou_...)")
            ids = list(self.open_ids)
            if not all(isinstance(i, str) and i.startswith("ou_") for i in ids):
                raise InvalidParameter(
                    "CardUpdate open_ids must be a list of open_ids (ou_...)",
                    hint="only for JSON 1.0 cards with update_multi false",
                )
            if not 1 <= len(ids) <= MAX_OPEN_IDS:
                raise InvalidParameter(
                    f"CardUpdate open_ids has {len(ids)} entries; allowed 1..{MAX_OPEN_IDS}"
                )
            object.__setattr__(self, "open_ids", tuple(ids))

    def to_dict(self) -> dict[str, Any]:
        return {
            "card": dict(self.card),
            "via": self.via,
            "open_ids": list(self.open_ids) if self.open_ids is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CardUpdate:
        via = data.get("via", "auto")
        return cls(card=data["card"], via=via, open_ids=data.get("open_ids"))


@dataclass(frozen=True, slots=True)
class Reply:
    """A toast and/or a card update; either may be None."""

    toast: Toast | None = None
    card: CardUpdate | None = None

    def __post_init__(self) -> None:
        if self.toast is not None and not isinstance(self.toast, Toast):
            raise InvalidParameter("Reply toast must be a Toast")
        if self.card is not None and not isinstance(self.card, CardUpdate):
            raise InvalidParameter("Reply card must be a CardUpdate")

    @property
    def empty(self) -> bool:
        return self.toast is None and self.card is None

    def inline_body(self, *, legacy: bool) -> dict[str, Any]:
        """The HTTP answer to a card callback (Feishu callback docs)."""
        body: dict[str, Any] = {}
        if self.toast is not None:
            body["toast"] = self.toast.to_json()
        if self.card is not None:
            card = dict(self.card.card)
            if legacy:
                body.update(card)  # legacy answers put the card at the top level
            elif card.get("type") == "template":
                body["card"] = card
            else:
                body["card"] = {"type": "raw", "data": card}
        return body


HandlerResult = Reply | Toast | CardUpdate | None


def as_reply(result: object) -> Reply:
    """Normalise what a handler returned; anything else is the handler's bug."""
    if result is None:
        return Reply()
    if isinstance(result, Reply):
        return result
    if isinstance(result, Toast):
        return Reply(toast=result)
    if isinstance(result, CardUpdate):
        return Reply(card=result)
    raise InvalidParameter(
        f"a callback handler returned {type(result).__name__}",
        hint="return None, a Toast, a CardUpdate, or Reply(toast=..., card=...)",
    )


def keep_handler(reply: Reply, name: str | None) -> Reply:
    """``reply``, its replacement card routed to ``name`` too: a card keeps its handler.

    For a click on a card sent with ``on_action=name``. Left as it is when there is
    no card, nothing in it calls back, it is a template, one of its buttons names
    another handler, or the name would take it over 30 KB.
    """
    if name is None or reply.card is None:
        return reply
    update = reply.card
    try:
        card = route_card(update.card, name)
        routed = CardUpdate(card, via=update.via, open_ids=update.open_ids)
    except InvalidParameter:
        return reply
    return Reply(toast=reply.toast, card=routed)

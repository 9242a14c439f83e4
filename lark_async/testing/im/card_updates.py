"""Delayed card update with a callback token (Feishu callback docs).

A card callback carries a ``c-`` token, valid 30 minutes (on the emulator's
``time_func``) for 2 successful updates of the card message it came from. The
update replaces the message's card (``body.content``) and is recorded in
``ImState.card_updates`` (a token for a message the emulator never stored is
accepted and recorded, changing nothing). Failures answer HTTP 400: 300020 token malformed or
unknown, 300030 expired, 300040 used up, 200310 the card is another app's,
200000 the card was recalled, 10002 card missing / too big / misused
``open_ids``, 11311 invalid card JSON, 300090 a non-shared JSON 1.0 card
without ``open_ids``, 200320 an ``open_ids`` entry that is not one of this app's users.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

from lark_async.testing.im.content import card_is_shared, check_card
from lark_async.testing.im.state import (
    CARD_TOKEN_TTL,
    CARD_TOKEN_USES,
    RICH_LIMIT,
    CardToken,
    ImState,
    routes,
)
from lark_async.testing.server.envelope import FakeError, json_response
from lark_async.testing.server.request import FakeRequest

CARD_UPDATE_PATH = "/open-apis/interactive/v1/card/update"
CARD_RECALLED = 200000
OTHER_APPS_CARD = 200310
BAD_OPEN_IDS = 200320
CARD_PARAM_INVALID = 10002
CARD_FORMAT_INVALID = 11311
TOKEN_FORMAT_INVALID = 300020
TOKEN_EXPIRED = 300030
TOKEN_USED_UP = 300040
OPEN_IDS_REQUIRED = 300090


def issue_card_token(state: ImState, message_id: str, now: float) -> str:
    """A fresh ``c-`` token for the card message, as a callback would carry.

    A message id the emulator never stored still gets a token (a test may
    simulate a click on a card it did not send); updates with it are recorded
    but change no message.
    """
    message = state.messages.get(message_id)
    if message is not None and message.msg_type != "interactive":
        raise ValueError(f"{message_id} is a {message.msg_type} message, not a card")
    token = "c-" + secrets.token_hex(20)
    state.card_tokens[token] = CardToken(message_id=message_id, issued_at=now)
    return token


@routes.post(CARD_UPDATE_PATH)
def delayed_update(req: FakeRequest) -> web.Response:
    state, app_id, now = req.state(ImState), req.app_id or "", req.now()
    body = req.json_object()
    token = body.get("token")
    record = state.card_tokens.get(token) if isinstance(token, str) else None
    if record is None:
        raise FakeError(TOKEN_FORMAT_INVALID, "token format is invalid")
    if now - record.issued_at >= CARD_TOKEN_TTL:
        raise FakeError(TOKEN_EXPIRED, "token is expired (valid for 30 minutes)")
    if record.uses >= CARD_TOKEN_USES:
        raise FakeError(TOKEN_USED_UP, "token has been used the maximum number of times (2)")
    message = state.messages.get(record.message_id)
    if message is not None and message.app_id != app_id:
        raise FakeError(OTHER_APPS_CARD, "the card was sent by another app")
    if message is not None and message.deleted:
        raise FakeError(CARD_RECALLED, "the card message has been recalled")
    card, open_ids = _card_and_audience(body.get("card"))
    _check_audience(state, app_id, card, open_ids)
    record.uses += 1
    if message is not None:
        message.content = json.dumps(card, ensure_ascii=False)
        message.updated, message.updated_at = True, now
    state.card_updates.append(
        {
            "token": token,
            "message_id": record.message_id,
            "card": card,
            "open_ids": open_ids,
            "app_id": app_id,
            "time": now,
        }
    )
    return json_response({"code": 0, "msg": "ok"})


def _card_and_audience(raw: Any) -> tuple[dict[str, Any], list[str] | None]:
    """The card without ``open_ids``, and the ``open_ids`` (None when absent)."""
    if not isinstance(raw, dict) or not raw:
        raise FakeError(CARD_PARAM_INVALID, "card is required and must be a json object")
    card = {k: v for k, v in raw.items() if k != "open_ids"}
    if len(json.dumps(card, ensure_ascii=False).encode()) > RICH_LIMIT:
        raise FakeError(CARD_PARAM_INVALID, "card exceeds 30 KB")
    try:
        check_card(card)
    except FakeError as err:
        raise FakeError(CARD_FORMAT_INVALID, f"card format is invalid: {err.msg}") from None
    open_ids = raw.get("open_ids")
    if open_ids is not None and not (
        isinstance(open_ids, list) and all(isinstance(i, str) for i in open_ids)
    ):
        raise FakeError(CARD_PARAM_INVALID, "card.open_ids must be a list of open_ids")
    return card, open_ids


def _check_audience(
    state: ImState, app_id: str, card: dict[str, Any], open_ids: list[str] | None
) -> None:
    """``open_ids`` belong to non-shared JSON 1.0 cards only, and are required there."""
    if card_is_shared(card):
        if open_ids is not None:
            raise FakeError(CARD_PARAM_INVALID, "open_ids must be omitted for a shared card")
        return
    if not open_ids:
        raise FakeError(OPEN_IDS_REQUIRED, "a non-shared card needs card.open_ids")
    for open_id in open_ids:
        user = state.user_by("open_id", open_id)
        if user is None or user.app_id not in (None, app_id):
            raise FakeError(BAD_OPEN_IDS, f"invalid open_id in card.open_ids: {open_id}")

"""Apply a handler's :class:`CardUpdate` to the clicked card.

Two ways (Feishu callback and IM docs): the delayed-update API with the callback's token
(``c-…``, 30 minutes, 2 uses, only after the callback was answered), or a PATCH of
the message (shared cards, ``update_multi: true``). ``via="auto"`` uses the token
while it is valid and falls back to PATCH when Feishu says it is spent or expired.

The client is anything with ``.app(app_id).request(method, path, **kw)`` returning a
``LarkResponse``; ``lark_async.LarkClient`` is one. Both calls set the whole card,
so repeating them is harmless: they are sent with ``idempotent=True``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lark_async.callbacks.events import CallbackEvent
from lark_async.callbacks.replies import CardUpdate
from lark_async.core.clock import Clock
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.core.response import LarkResponse

CARD_UPDATE_PATH = "/open-apis/interactive/v1/card/update"
MESSAGE_PATH = "/open-apis/im/v1/messages/{message_id}"

TOKEN_INVALID = 300020
TOKEN_EXPIRED = 300030
TOKEN_USED_UP = 300040
# Answers meaning "this token can't do it any more": PATCH the message instead.
# What each code means (kind, hint) is described with the card-update endpoint
# in lark_async/messaging/meta.py, which the client's code table includes.
TOKEN_SPENT_CODES = frozenset({TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_USED_UP})

_MESSAGE_ID_RE = re.compile(r"om_[A-Za-z0-9_\-]{1,128}")


class AppRequester(Protocol):
    """One app's request pipeline (``lark.app(app_id)``)."""

    @property
    def request(self) -> Callable[..., Awaitable[LarkResponse[dict[str, Any]]]]: ...


class CardClient(Protocol):
    """What card updates are sent through; ``lark_async.LarkClient`` satisfies it."""

    def app(self, app_id: str) -> AppRequester: ...


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """How an update went; ``error`` is None on success."""

    ok: bool
    via: str  # "token", "patch" or "none"
    token_uses: int
    error: LarkError | None = None

    @property
    def retryable(self) -> bool:
        return self.error is not None and self.error.retryable


class CardUpdater:
    """Sends card updates for events; see the module docstring."""

    def __init__(self, client: CardClient, *, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    async def apply(
        self, event: CallbackEvent, update: CardUpdate, *, token_uses: int = 0
    ) -> UpdateResult:
        """Apply ``update`` to the card of ``event``; never raises for API errors."""
        requester = self._client.app(event.app_id)
        card = dict(update.card)
        use_token = update.via in ("auto", "token") and event.card_token_valid(
            self._clock.time(), token_uses
        )
        if update.via == "token" and not use_token:
            return UpdateResult(
                False,
                "token",
                token_uses,
                InvalidParameter(
                    "the card token is missing, expired (30 minutes) or used twice",
                    hint="use CardUpdate(via='auto') or via='patch' for a shared card",
                ),
            )
        if use_token:
            body: dict[str, Any] = {"token": event.card_token, "card": card}
            if update.open_ids is not None:
                body["card"] = {**card, "open_ids": list(update.open_ids)}
            resp = await requester.request("POST", CARD_UPDATE_PATH, json=body, idempotent=True)
            token_uses += 1
            if resp.ok:
                return UpdateResult(True, "token", token_uses)
            error = resp.error or LarkError("card update failed")
            spent = error.code in TOKEN_SPENT_CODES
            if not (update.via == "auto" and spent and event.message_id):
                return UpdateResult(False, "token", token_uses, error)
            token_uses = max(token_uses, 2)  # don't try this token again
        return await self._patch(requester, event, card, token_uses)

    async def _patch(
        self,
        requester: AppRequester,
        event: CallbackEvent,
        card: dict[str, Any],
        token_uses: int,
    ) -> UpdateResult:
        message_id = event.message_id
        if message_id is None or not _MESSAGE_ID_RE.fullmatch(message_id):
            return UpdateResult(
                False,
                "patch",
                token_uses,
                InvalidParameter(
                    "the callback names no valid message_id (om_...) to PATCH",
                    hint="only card callbacks from IM messages can be updated this way",
                ),
            )
        content = json.dumps(card, ensure_ascii=False)
        resp = await requester.request(
            "PATCH",
            MESSAGE_PATH.format(message_id=message_id),
            json={"content": content},
            idempotent=True,
        )
        if resp.ok:
            return UpdateResult(True, "patch", token_uses)
        return UpdateResult(False, "patch", token_uses, resp.error or LarkError("PATCH failed"))

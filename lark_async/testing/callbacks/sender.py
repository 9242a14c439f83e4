"""CallbackSender: Feishu's side of events and card callbacks.

It POSTs to a callback URL exactly as Feishu does (Feishu callback docs): encrypted
and SHA-256-signed events and ``card.action.trigger`` callbacks, plain
SHA-1-signed legacy card callbacks, url_verification, and event retries after
15 s, 5 min, 1 h and 6 h when the answer is not HTTP 200 within 3 s (the waits go
through an injectable ``sleep``, so tests don't wait). Card callbacks are never
retried. Stdlib, aiohttp and ``signing`` only.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

from lark_async.testing.callbacks import signing

EVENT_RETRY_SCHEDULE: tuple[float, ...] = (15.0, 300.0, 3600.0, 21600.0)  # Feishu callback docs
DEADLINE = 3.0  # Feishu waits this long for an answer

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Delivery:
    """One POST and its answer. ``status`` None: no answer within the deadline, or no connection."""

    url: str
    kind: str  # "event", "card_action", "url_verification", "raw"
    status: int | None
    body: Any  # the answer, parsed as JSON when it is JSON
    elapsed: float
    at: float  # sender clock time of the POST
    error: str | None = None
    payload: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class EventDelivery:
    """Every attempt Feishu made for one event (the first and its retries)."""

    event_id: str
    attempts: tuple[Delivery, ...]

    @property
    def delivered(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].ok


class CallbackSender:
    """Sends one app's callbacks; see the module docstring.

    ``now`` stamps timestamps and ``create_time`` (share the clock of the receiver
    under test); ``sleep`` waits between event retries.
    """

    def __init__(
        self,
        app_id: str,
        *,
        encrypt_key: str | None = None,
        verification_token: str | None = None,
        events_url: str | None = None,
        cards_url: str | None = None,
        now: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        retry_schedule: Sequence[float] = EVENT_RETRY_SCHEDULE,
        timeout: float = DEADLINE,
        tenant_key: str = signing.DEFAULT_TENANT_KEY,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.app_id = app_id
        self._encrypt_key = encrypt_key or None
        self._token = verification_token or None
        self.events_url = events_url
        self.cards_url = cards_url
        self._now = now
        self._sleep = sleep
        self.retry_schedule = tuple(retry_schedule)
        self._timeout = timeout
        self.tenant_key = tenant_key
        self._session = session
        self._owns_session = session is None
        self.deliveries: list[Delivery] = []

    def __repr__(self) -> str:
        return (
            f"CallbackSender({self.app_id!r}, events_url={self.events_url!r}, "
            f"cards_url={self.cards_url!r})"
        )

    async def __aenter__(self) -> CallbackSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    # -- building ---------------------------------------------------------------------

    def _timestamp(self) -> str:
        return str(int(self._now()))

    def _us(self) -> str:
        return str(int(self._now() * 1_000_000))

    def _ms(self) -> str:
        return str(int(self._now() * 1_000))

    def sign(
        self,
        body: dict[str, Any] | bytes,
        *,
        legacy: bool = False,
        timestamp: str | None = None,
        nonce: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body as Feishu would send ``body`` (encrypted when it has a key)."""
        if legacy:
            return signing.signed_request(
                body,
                verification_token=self._token,
                scheme="card_v1",
                timestamp=timestamp or self._timestamp(),
                nonce=nonce,
            )
        return signing.signed_request(
            body,
            encrypt_key=self._encrypt_key,
            timestamp=timestamp or self._timestamp(),
            nonce=nonce,
        )

    def card_action_body(
        self,
        *,
        open_id: str,
        value: dict[str, Any] | str,
        message_id: str | None = None,
        chat_id: str | None = None,
        token: str | None = None,
        tag: str = "button",
        name: str | None = None,
        form_value: dict[str, Any] | None = None,
        legacy: bool = False,
    ) -> dict[str, Any]:
        if legacy:
            return signing.legacy_card_action(
                open_id=open_id,
                action_value=value,
                token=token,
                message_id=message_id,
                chat_id=chat_id,
                tag=tag,
                tenant_key=self.tenant_key,
            )
        return signing.card_action_event(
            self.app_id,
            open_id=open_id,
            action_value=value,
            verification_token=self._token or "",
            token=token,
            message_id=message_id,
            chat_id=chat_id,
            tag=tag,
            tenant_key=self.tenant_key,
            name=name,
            form_value=form_value,
            create_time=self._us(),
        )

    def event_body(self, event_type: str, event: dict[str, Any]) -> dict[str, Any]:
        """A schema 2.0 envelope for any event type."""
        return {
            "schema": "2.0",
            "header": {
                "event_id": secrets.token_hex(16),
                "token": self._token or "",
                "create_time": self._ms(),
                "event_type": event_type,
                "tenant_key": self.tenant_key,
                "app_id": self.app_id,
            },
            "event": event,
        }

    def message_body(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """An ``im.message.receive_v1`` event (see ``signing.im_message_event``)."""
        return signing.im_message_event(
            self.app_id,
            text=text,
            verification_token=self._token or "",
            tenant_key=self.tenant_key,
            create_time=self._ms(),
            **kwargs,
        )

    # -- sending ----------------------------------------------------------------------

    async def url_verification(
        self, *, challenge: str | None = None, url: str | None = None, legacy: bool = False
    ) -> Delivery:
        """What Feishu sends when the URL is saved in the console; answer must echo it."""
        body = signing.url_verification(challenge or secrets.token_hex(8), self._token or "")
        headers, raw = self.sign(body, legacy=legacy)
        target = url or (self.cards_url if legacy else self.events_url) or self.cards_url
        return await self.post(_need(target, "url"), headers, raw, kind="url_verification")

    async def card_action(
        self,
        *,
        open_id: str,
        value: dict[str, Any] | str,
        message_id: str | None = None,
        chat_id: str | None = None,
        token: str | None = None,
        tag: str = "button",
        name: str | None = None,
        form_value: dict[str, Any] | None = None,
        legacy: bool = False,
        url: str | None = None,
    ) -> Delivery:
        """A user's click on a card button: one POST, never retried (Feishu callback docs)."""
        body = self.card_action_body(
            open_id=open_id,
            value=value,
            message_id=message_id,
            chat_id=chat_id,
            token=token,
            tag=tag,
            name=name,
            form_value=form_value,
            legacy=legacy,
        )
        headers, raw = self.sign(body, legacy=legacy)
        target = _need(url or self.cards_url, "cards_url")
        return await self.post(target, headers, raw, kind="card_action", payload=body)

    async def event(self, body: dict[str, Any], *, url: str | None = None) -> EventDelivery:
        """Deliver an event; retry after 15 s, 5 min, 1 h, 6 h until an HTTP 200.

        Each retry is signed afresh (new timestamp and nonce) but carries the same
        event id, as Feishu's retries do.
        """
        target = _need(url or self.events_url, "events_url")
        header = body.get("header")
        event_id = (
            str(header.get("event_id")) if isinstance(header, dict) else str(body.get("uuid"))
        )
        attempts: list[Delivery] = []
        for wait in (0.0, *self.retry_schedule):
            if wait:
                await self._sleep(wait)
            headers, raw = self.sign(body)
            delivery = await self.post(target, headers, raw, kind="event", payload=body)
            attempts.append(delivery)
            if delivery.ok:
                break
        return EventDelivery(event_id, tuple(attempts))

    async def post(
        self,
        url: str,
        headers: dict[str, str],
        raw: bytes,
        *,
        kind: str = "raw",
        payload: dict[str, Any] | None = None,
    ) -> Delivery:
        """POST exactly these bytes; an answer later than the deadline counts as none."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        at = self._now()
        started = time.perf_counter()
        status: int | None = None
        answer: Any = None
        error: str | None = None
        try:
            async with self._session.post(
                url,
                data=raw,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as resp:
                status = resp.status
                text = await resp.read()
                try:
                    answer = json.loads(text) if text else None
                except ValueError:
                    answer = text.decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            status, error = None, type(exc).__name__
        delivery = Delivery(
            url=url,
            kind=kind,
            status=status,
            body=answer,
            elapsed=time.perf_counter() - started,
            at=at,
            error=error,
            payload=payload,
        )
        self.deliveries.append(delivery)
        return delivery


def _need(value: str | None, name: str) -> str:
    if not value:
        raise ValueError(f"no {name}: pass url= or configure the sender with it")
    return value

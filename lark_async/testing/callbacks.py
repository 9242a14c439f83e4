"""The emulator's callback sender: Feishu's side of events and card callbacks.

:class:`CallbackSender` POSTs to a callback URL exactly as Feishu does (CONTRACT
§4.1-§4.7): encrypted and SHA-256-signed events and ``card.action.trigger``
callbacks, plain SHA-1-signed legacy card callbacks, url_verification, and event
retries after 15 s, 5 min, 1 h and 6 h when the answer is not HTTP 200 within 3 s
(the waits go through an injectable ``sleep``, so tests don't wait). Card
callbacks are never retried.

Wired into a :class:`~lark_async.testing.FakeLark` (module ``routes``), an app's
callback URLs and keys are its *subscription* (what the developer console holds),
and a "user click" is one call:

    subscribe(fake, "cli_x", cards_url=..., encrypt_key=..., verification_token=...)
    delivery = await click(fake, "cli_x", message_id="om_…", open_id="ou_…",
                           value={"action": "approve"})

The card token in a click comes from the IM emulator when it is installed, so the
card-update endpoint can count its uses; otherwise it is a random ``c-…``. The same
is reachable over HTTP (emulator-only routes under ``/open-apis/emulator/v1/callbacks``)
for code that holds only a client. Stdlib, aiohttp and ``signing`` only.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from lark_async.testing import signing
from lark_async.testing.envelope import FakeError
from lark_async.testing.request import FakeRequest
from lark_async.testing.routing import RouteTable

if TYPE_CHECKING:
    from lark_async.testing.emulator import FakeLark

EVENT_RETRY_SCHEDULE: tuple[float, ...] = (15.0, 300.0, 3600.0, 21600.0)  # §4.1
DEADLINE = 3.0  # Feishu waits this long for an answer
PREFIX = "/open-apis/emulator/v1/callbacks"
INVALID_PARAM = 99992402

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
        """A user's click on a card button: one POST, never retried (§4.1)."""
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


# -- FakeLark integration --------------------------------------------------------------

routes = RouteTable("callbacks")


@dataclass(frozen=True)
class Subscription:
    """An app's callback configuration, as held by the developer console."""

    app_id: str
    events_url: str | None = None
    cards_url: str | None = None
    encrypt_key: str | None = field(default=None, repr=False)
    verification_token: str | None = field(default=None, repr=False)


@dataclass
class CallbacksState:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)


def subscribe(
    fake: FakeLark,
    app_id: str,
    *,
    events_url: str | None = None,
    cards_url: str | None = None,
    encrypt_key: str | None = None,
    verification_token: str | None = None,
) -> Subscription:
    """Set where ``app_id``'s callbacks go and the keys they are signed with."""
    if not encrypt_key and not verification_token:
        raise ValueError("a subscription needs an encrypt_key or a verification_token")
    sub = Subscription(app_id, events_url, cards_url, encrypt_key, verification_token)
    fake.state(CallbacksState).subscriptions[app_id] = sub
    return sub


def sender_for(fake: FakeLark, app_id: str, **kwargs: Any) -> CallbackSender:
    """A sender for a subscribed app, stamping times with the emulator's clock."""
    sub = fake.state(CallbacksState).subscriptions.get(app_id)
    if sub is None:
        raise LookupError(f"{app_id} has no callback subscription; call subscribe() first")
    kwargs.setdefault("now", fake.now)
    return CallbackSender(
        app_id,
        encrypt_key=sub.encrypt_key,
        verification_token=sub.verification_token,
        events_url=sub.events_url,
        cards_url=sub.cards_url,
        **kwargs,
    )


def issue_card_token(fake: FakeLark, message_id: str) -> str:
    """A card-update token for ``message_id``: from the IM emulator when installed."""
    try:
        from lark_async.testing import im
    except ImportError:
        return "c-" + secrets.token_hex(20)
    emulator = getattr(im, "ImEmulator", None)
    if emulator is None:
        return "c-" + secrets.token_hex(20)
    return str(emulator.of(fake).issue_card_token(message_id))


async def click(
    fake: FakeLark,
    app_id: str,
    *,
    message_id: str,
    open_id: str,
    value: dict[str, Any] | str,
    chat_id: str | None = None,
    legacy: bool = False,
    **kwargs: Any,
) -> Delivery:
    """A user clicks a button on ``message_id``: Feishu issues a card token and calls back."""
    token = issue_card_token(fake, message_id)
    async with sender_for(fake, app_id) as sender:
        delivery = await sender.card_action(
            open_id=open_id,
            value=value,
            message_id=message_id,
            chat_id=chat_id,
            token=token,
            legacy=legacy,
            **kwargs,
        )
    fake.state(CallbacksState).deliveries.append(delivery)
    return delivery


def _str_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise FakeError(
            INVALID_PARAM,
            f"field validation failed: {name}",
            error={"field_violations": [{"field": name, "description": "a non-empty string"}]},
        )
    return value


@routes.post(f"{PREFIX}/subscription")
def put_subscription(req: FakeRequest) -> dict[str, Any]:
    """Emulator-only: set the calling app's callback URLs and keys."""
    body = req.json_object()
    app_id = req.app_id or ""
    try:
        sub = subscribe(
            req.fake,
            app_id,
            events_url=_str_field(body, "events_url"),
            cards_url=_str_field(body, "cards_url"),
            encrypt_key=_str_field(body, "encrypt_key"),
            verification_token=_str_field(body, "verification_token"),
        )
    except ValueError as exc:
        raise FakeError(INVALID_PARAM, str(exc)) from None
    return {"app_id": sub.app_id, "events_url": sub.events_url, "cards_url": sub.cards_url}


@routes.post(f"{PREFIX}/card_action")
async def post_card_action(req: FakeRequest) -> dict[str, Any]:
    """Emulator-only: simulate a user's click; answers with what the callback URL said."""
    body = req.json_object()
    app_id = req.app_id or ""
    if app_id not in req.state(CallbacksState).subscriptions:
        raise FakeError(INVALID_PARAM, "no callback subscription for this app")
    value = body.get("value")
    if not isinstance(value, dict | str):
        raise FakeError(INVALID_PARAM, "field validation failed: value (object or string)")
    delivery = await click(
        req.fake,
        app_id,
        message_id=_str_field(body, "message_id", required=True) or "",
        open_id=_str_field(body, "open_id", required=True) or "",
        value=value,
        chat_id=_str_field(body, "chat_id"),
        legacy=body.get("legacy") is True,
    )
    return {"status": delivery.status, "body": delivery.body, "error": delivery.error}

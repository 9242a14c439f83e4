"""The callback sender wired into a FakeLark: subscriptions and user clicks.

An app's callback URLs and keys are its *subscription* (what the developer console
holds), and a "user click" is one call:

    subscribe(fake, "cli_x", cards_url=..., encrypt_key=..., verification_token=...)
    delivery = await click(fake, "cli_x", message_id="om_…", open_id="ou_…",
                           value={"action": "approve"})

The card token in a click comes from the IM emulator when it is installed, so the
card-update endpoint can count its uses; otherwise it is a random ``c-…``. The same
is reachable over HTTP (emulator-only routes under ``/open-apis/emulator/v1/callbacks``)
for code that holds only a client.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lark_async.testing.callbacks.sender import CallbackSender, Delivery
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark

PREFIX = "/open-apis/emulator/v1/callbacks"
INVALID_PARAM = 99992402

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

"""``CallbackEvent``: what a handler receives, and what travels through the queue.

Built from a :class:`~lark_async.callbacks.security.VerifiedCallback` at the ingress,
so everything in it has passed verification. The verification token is removed
from the payload before it goes anywhere; the card-update token (``c-…``) is kept,
because the consumer needs it, but never shows in a repr or a log line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from lark_async.callbacks.security import VerifiedCallback
from lark_async.core.actions import CARD_ACTION_KEY, routed_name
from lark_async.core.errors import InvalidParameter

EventKind = Literal["event", "card_action"]
VerifiedBy = Literal["signature", "token", "connection"]  # connection: long-connection mode

LEGACY_CARD_TYPE = "card.action.trigger_v1"
CARD_TOKEN_LIFETIME = 30 * 60.0  # Feishu callback docs
CARD_TOKEN_USES = 2


@dataclass(frozen=True, slots=True)
class CardAction:
    """``event.action`` of a card callback (Feishu callback docs); absent fields are None.

    ``routed_to`` is the handler name the card was sent with (``on_action=``),
    read from the value's reserved key ``__lark_async_action``; ``value`` is the
    button's value without that key (the raw ``event.payload`` keeps it).
    """

    value: Any = None
    tag: str | None = None
    name: str | None = None
    form_value: dict[str, Any] | None = None
    input_value: str | None = None
    option: str | None = None
    options: list[str] | None = None
    checked: bool | None = None
    timezone: str | None = None
    routed_to: str | None = None

    @classmethod
    def from_payload(cls, action: dict[str, Any]) -> CardAction:
        def typed(key: str, kind: type | tuple[type, ...]) -> Any:
            value = action.get(key)
            return value if isinstance(value, kind) else None

        options = action.get("options")
        value = action.get("value")
        routed_to = routed_name(value)
        if isinstance(value, dict) and CARD_ACTION_KEY in value:
            value = {k: v for k, v in value.items() if k != CARD_ACTION_KEY}
        return cls(
            value=value,
            tag=typed("tag", str),
            name=typed("name", str),
            form_value=typed("form_value", dict),
            input_value=typed("input_value", str),
            option=typed("option", str),
            options=[o for o in options if isinstance(o, str)]
            if isinstance(options, list)
            else None,
            checked=typed("checked", bool),
            timezone=typed("timezone", str),
            routed_to=routed_to,
        )


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """A verified event or card callback.

    ``event_id`` is Feishu's (v2 ``header.event_id``, v1 ``uuid``); legacy card
    callbacks carry none, so theirs is derived from the signed timestamp and nonce.
    ``received_at`` is when the ingress accepted it (epoch seconds).
    ``redelivered`` is set by a shared processed-event memory (docs/scaling.md).
    """

    event_id: str
    app_id: str
    kind: EventKind
    event_type: str
    received_at: float
    verified_by: VerifiedBy
    create_time: float | None = None
    tenant_key: str | None = None
    operator_id: str | None = None  # the clicking user's open_id (card callbacks)
    message_id: str | None = None  # the card's message (open_message_id)
    chat_id: str | None = None
    action: CardAction | None = None
    card_token: str | None = field(default=None, repr=False)
    payload: dict[str, Any] = field(default_factory=dict, repr=False)
    #: A worker claimed this event before and its claim expired (that worker died
    #: while the handler ran): the handler may have run, so make its effect idempotent.
    redelivered: bool = False

    @property
    def legacy(self) -> bool:
        """A ``card.action.trigger_v1`` callback (flat body, JSON 1.0 cards)."""
        return self.event_type == LEGACY_CARD_TYPE

    @property
    def event(self) -> dict[str, Any]:
        """The ``event`` object of the envelope (the whole body for legacy callbacks)."""
        inner = self.payload.get("event")
        return inner if isinstance(inner, dict) else self.payload

    @property
    def action_name(self) -> str | None:
        """What card handlers are routed by.

        The handler name the card was sent with (``on_action=``), else
        ``value["action"]``, else the component ``name``, else a string ``value``.
        """
        if self.action is None:
            return None
        if self.action.routed_to is not None:
            return self.action.routed_to
        value = self.action.value
        if isinstance(value, dict) and isinstance(value.get("action"), str):
            return str(value["action"])
        if self.action.name:
            return self.action.name
        return value if isinstance(value, str) else None

    @property
    def route(self) -> str:
        """Where it is routed: ``card_action:<action_name>`` or ``event:<event_type>``."""
        if self.kind == "card_action":
            return f"card_action:{self.action_name or '*'}"
        return f"event:{self.event_type}"

    def card_token_valid(self, now: float, uses: int) -> bool:
        """Whether the delayed-update token can still be used (30 minutes, 2 uses)."""
        if not self.card_token or uses >= CARD_TOKEN_USES:
            return False
        issued = self.create_time if self.create_time is not None else self.received_at
        # a little margin: the request itself takes time to reach Feishu
        return now - issued < CARD_TOKEN_LIFETIME - 30.0

    # -- (de)serialisation for the queue and the spool ---------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "app_id": self.app_id,
            "kind": self.kind,
            "event_type": self.event_type,
            "received_at": self.received_at,
            "verified_by": self.verified_by,
            "create_time": self.create_time,
            "tenant_key": self.tenant_key,
            "operator_id": self.operator_id,
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "card_token": self.card_token,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallbackEvent:
        """Rebuild from :meth:`to_dict`; ``InvalidParameter`` if the shape is wrong."""
        try:
            payload = data["payload"]
            if not isinstance(payload, dict):
                raise TypeError("payload")
            event = cls(
                event_id=_str(data["event_id"]),
                app_id=_str(data["app_id"]),
                kind=data["kind"] if data["kind"] in ("event", "card_action") else "event",
                event_type=_str(data["event_type"]),
                received_at=float(data["received_at"]),
                verified_by=data["verified_by"]
                if data.get("verified_by") in ("token", "connection")
                else "signature",
                create_time=_opt_float(data.get("create_time")),
                tenant_key=_opt_str(data.get("tenant_key")),
                operator_id=_opt_str(data.get("operator_id")),
                message_id=_opt_str(data.get("message_id")),
                chat_id=_opt_str(data.get("chat_id")),
                card_token=_opt_str(data.get("card_token")),
                payload=payload,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidParameter(
                f"not a serialised CallbackEvent (bad field: {exc})",
                hint="queue messages must be written by lark_async.callbacks",
            ) from None
        return _with_action(event)


def _str(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("expected a non-empty string")
    return value


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _with_action(event: CallbackEvent) -> CallbackEvent:
    """Fill in ``action`` from the payload (kept out of to_dict: the payload has it)."""
    if event.kind != "card_action":
        return event
    action = event.event.get("action")
    if not isinstance(action, dict):
        return event
    object.__setattr__(event, "action", CardAction.from_payload(action))
    return event


def legacy_event_id(app_id: str, timestamp: str, nonce: str) -> str:
    """A stable id for a legacy card callback, which has none: the signed ts + nonce."""
    digest = hashlib.sha256(f"{app_id}\x00{timestamp}\x00{nonce}".encode()).hexdigest()
    return f"v1-{digest[:32]}"


def from_verified(
    callback: VerifiedCallback,
    *,
    app_id: str,
    received_at: float,
    signed: bool,
    timestamp: str | None = None,
) -> CallbackEvent:
    """The queue-ready event for a verified event or card callback (not url_verification)."""
    if callback.kind == "url_verification":
        raise ValueError("url_verification is answered at the ingress, never queued")
    # Copy only what is changed: the parsed payload is this request's own.
    payload = dict(callback.payload)
    header = payload.get("header")
    if isinstance(header, dict):
        header = {k: v for k, v in header.items() if k != "token"}  # the verification token
        payload["header"] = header  # goes no further
    inner = payload.get("event")
    event_obj: dict[str, Any] = inner if isinstance(inner, dict) else {}
    legacy = callback.event_type == LEGACY_CARD_TYPE
    if legacy:
        event_obj = payload
        event_id = legacy_event_id(app_id, timestamp or "", callback.nonce or "")
    else:
        if "schema" not in payload:
            payload.pop("token", None)  # v1 envelopes carry it at the top level
        event_id = callback.event_id or legacy_event_id(
            app_id, timestamp or "", callback.nonce or ""
        )
    operator = event_obj.get("operator")
    context = event_obj.get("context")
    operator_id: str | None
    message_id: str | None
    chat_id: str | None
    if legacy:
        operator_id = _opt_str(payload.get("open_id"))
        message_id = _opt_str(payload.get("open_message_id"))
        chat_id = _opt_str(payload.get("open_chat_id"))
        tenant_key = _opt_str(payload.get("tenant_key"))
    else:
        operator_id = _opt_str(operator.get("open_id")) if isinstance(operator, dict) else None
        message_id = _opt_str(context.get("open_message_id")) if isinstance(context, dict) else None
        chat_id = _opt_str(context.get("open_chat_id")) if isinstance(context, dict) else None
        tenant_key = _opt_str(header.get("tenant_key")) if isinstance(header, dict) else None
    card_token = _opt_str(event_obj.get("token")) if callback.kind == "card_action" else None
    event = CallbackEvent(
        event_id=event_id,
        app_id=app_id,
        kind="card_action" if callback.kind == "card_action" else "event",
        event_type=callback.event_type,
        received_at=received_at,
        verified_by="signature" if signed else "token",
        create_time=_epoch(callback.create_time),
        tenant_key=tenant_key,
        operator_id=operator_id,
        message_id=message_id,
        chat_id=chat_id,
        card_token=card_token,
        payload=payload,
    )
    return _with_action(event)

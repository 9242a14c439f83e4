"""Replies, the router, events and envelopes: validation before anything is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lark_async.callbacks import (
    AppKeys,
    CallbackEvent,
    CallbackRouter,
    CardUpdate,
    Envelope,
    Reply,
    StaticKeys,
    Toast,
)
from lark_async.callbacks.events import from_verified, legacy_event_id
from lark_async.callbacks.keys import RegistryKeys, key_source
from lark_async.callbacks.replies import MAX_CARD_BYTES, as_reply
from lark_async.callbacks.security import CallbackVerifier
from lark_async.core.errors import InvalidParameter, NotFound
from lark_async.testing import signing

from .conftest import APP, EK, OPEN_ID, VT, card

# -- replies ------------------------------------------------------------------------------


def test_toast_json_and_validation() -> None:
    assert Toast("已通过", "success").to_json() == {"type": "success", "content": "已通过"}
    assert Toast("ok", i18n={"en_us": "ok"}).to_json()["i18n"] == {"en_us": "ok"}
    for bad in (
        lambda: Toast(""),
        lambda: Toast("x" * 501),
        lambda: Toast("x", "fatal"),  # type: ignore[arg-type]
        lambda: Toast("x", i18n={"EN": "x"}),
    ):
        with pytest.raises(InvalidParameter) as err:
            bad()
        assert err.value.hint or "Toast" in err.value.message


def test_card_update_validation_names_the_limit() -> None:
    big = {"elements": [{"tag": "div", "text": "x" * MAX_CARD_BYTES}]}
    with pytest.raises(InvalidParameter, match="30 KB"):
        CardUpdate(big)
    with pytest.raises(InvalidParameter, match="non-empty"):
        CardUpdate({})
    with pytest.raises(InvalidParameter, match="JSON"):
        CardUpdate({"x": object()})
    with pytest.raises(InvalidParameter, match="via"):
        CardUpdate(card("x"), via="email")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="open_ids"):
        CardUpdate(card("x"), open_ids=["not-an-open-id"])
    with pytest.raises(InvalidParameter, match="open_ids"):
        CardUpdate(card("x"), open_ids="ou_abc")
    update = CardUpdate(card("x"), open_ids=[OPEN_ID])
    assert CardUpdate.from_dict(update.to_dict()) == update


def test_inline_bodies_follow_the_contract() -> None:
    reply = Reply(Toast("done", "success"), CardUpdate(card("已通过")))
    assert reply.inline_body(legacy=False) == {
        "toast": {"type": "success", "content": "done"},
        "card": {"type": "raw", "data": card("已通过")},
    }
    template = {"type": "template", "data": {"template_id": "ctp_1"}}
    assert Reply(card=CardUpdate(template)).inline_body(legacy=False) == {"card": template}
    legacy = Reply(Toast("ok"), CardUpdate(card("已通过"))).inline_body(legacy=True)
    assert legacy["toast"] == {"type": "info", "content": "ok"}
    assert legacy["elements"] == card("已通过")["elements"]  # JSON 1.0 at the top level
    assert Reply().empty and Reply().inline_body(legacy=False) == {}


def test_as_reply_accepts_the_four_shapes_only() -> None:
    toast, update = Toast("t"), CardUpdate(card("c"))
    assert as_reply(None) == Reply()
    assert as_reply(toast) == Reply(toast=toast)
    assert as_reply(update) == Reply(card=update)
    assert as_reply(Reply(toast, update)) == Reply(toast, update)
    with pytest.raises(InvalidParameter, match="returned dict"):
        as_reply({"toast": "x"})
    with pytest.raises(InvalidParameter):
        Reply(toast="x")  # type: ignore[arg-type]


# -- router -------------------------------------------------------------------------------


def _event(value: Any = None, *, event_type: str = "card.action.trigger", name: str | None = None):
    payload: dict[str, Any] = {"event": {"action": {"value": value, "tag": "button"}}}
    if name:
        payload["event"]["action"]["name"] = name
    kind = "card_action" if event_type.startswith("card.action") else "event"
    raw = CallbackEvent(
        event_id="e1",
        app_id=APP,
        kind=kind,
        event_type=event_type,
        received_at=0.0,
        verified_by="signature",
        payload=payload,
    )
    return CallbackEvent.from_dict(raw.to_dict())


async def test_router_resolves_actions_then_catch_all() -> None:
    router = CallbackRouter()

    @router.card_action("approve")
    async def approve(event: CallbackEvent) -> None: ...

    @router.card_action()
    async def anything(event: CallbackEvent) -> None: ...

    @router.event("im.message.receive_v1")
    async def message(event: CallbackEvent) -> None: ...

    def found(event: CallbackEvent) -> object:
        registration = router.resolve(event)
        return registration.handler if registration else None

    assert found(_event({"action": "approve"})) is approve
    assert found(_event("approve")) is approve  # a string value
    assert found(_event({"x": 1}, name="approve")) is approve  # the component name
    assert found(_event({"action": "reject"})) is anything
    assert found(_event(None, event_type="im.message.receive_v1")) is message
    assert found(_event(None, event_type="contact.user.created_v3")) is None
    assert len(router) == 3 and "approve" in repr(router)


def test_router_refuses_bad_registrations() -> None:
    router = CallbackRouter()

    def not_async(event: CallbackEvent) -> None: ...

    async def handler(event: CallbackEvent) -> None: ...

    async def other(event: CallbackEvent) -> None: ...

    with pytest.raises(InvalidParameter, match="async"):
        router.event("x")(not_async)  # type: ignore[type-var]
    with pytest.raises(InvalidParameter, match="card_action"):
        router.event("card.action.trigger")
    with pytest.raises(InvalidParameter, match=r"2\.5"):
        router.card_action("a", sync=True, budget=3.0)
    with pytest.raises(InvalidParameter):
        router.card_action("a", budget=0)
    with pytest.raises(InvalidParameter, match="ack"):
        router.card_action("a", sync=True, ack=Toast("x"))
    with pytest.raises(InvalidParameter):
        router.card_action("")
    router.card_action("a")(handler)
    router.card_action("a")(handler)  # the same function again is harmless
    with pytest.raises(InvalidParameter, match="already has a handler"):
        router.card_action("a")(other)
    merged = CallbackRouter()
    merged.include(router)
    assert len(merged) == 1


# -- keys ---------------------------------------------------------------------------------


async def test_key_sources() -> None:
    keys = AppKeys(encrypt_key=EK, verification_token=VT)
    assert EK not in repr(keys) and VT not in repr(keys)
    with pytest.raises(InvalidParameter):
        AppKeys()
    with pytest.raises(InvalidParameter, match="app_id"):
        StaticKeys({"not-an-app": keys})
    assert await key_source({APP: keys}).keys_for(APP) == keys

    class Secret:
        def __init__(self, value: str) -> None:
            self._value = value

        def get_secret_value(self) -> str:
            return self._value

    class Config:
        def __init__(self, active: bool = True, ek: str | None = EK) -> None:
            self.active = active
            self.encrypt_key = Secret(ek) if ek else None
            self.verification_token = Secret(VT)

    class Registry:
        async def current(self, app_id: str) -> Config:
            if app_id == "cli_missing":
                raise NotFound("no such app")
            return Config(active=app_id != "cli_disabled", ek=None if app_id == "cli_tok" else EK)

    source = key_source(Registry())
    assert isinstance(source, RegistryKeys)
    assert await source.keys_for(APP) == keys
    assert await source.keys_for("cli_tok") == AppKeys(verification_token=VT)
    assert await source.keys_for("cli_missing") is None
    assert await source.keys_for("cli_disabled") is None
    with pytest.raises(InvalidParameter, match="KeySource"):
        key_source(42)  # type: ignore[arg-type]


# -- events and envelopes -------------------------------------------------------------------


def _verified(body: dict[str, Any], scheme: str = "event") -> Any:
    verifier = CallbackVerifier(encrypt_key=EK, verification_token=VT)
    if scheme == "card_v1":
        headers, raw = signing.signed_request(body, verification_token=VT, scheme="card_v1")
    else:
        headers, raw = signing.signed_request(body, encrypt_key=EK)
    return verifier.verify(headers, raw, scheme=scheme)  # type: ignore[arg-type]


def test_card_event_from_verified_drops_the_verification_token() -> None:
    body = signing.card_action_event(
        APP,
        open_id=OPEN_ID,
        action_value={"action": "approve", "id": 7},
        verification_token=VT,
        token="c-" + "ab" * 20,
        message_id="om_1",
        chat_id="oc_1",
    )
    event = from_verified(_verified(body), app_id=APP, received_at=123.0, signed=True)
    assert event.kind == "card_action" and event.event_type == "card.action.trigger"
    assert event.event_id == body["header"]["event_id"]
    assert (event.operator_id, event.message_id, event.chat_id) == (OPEN_ID, "om_1", "oc_1")
    assert event.action is not None and event.action.value == {"action": "approve", "id": 7}
    assert event.action_name == "approve" and event.card_token == "c-" + "ab" * 20
    assert event.route == "card_action:approve"
    assert event.verified_by == "signature" and event.create_time is not None
    assert VT not in json.dumps(event.payload)
    assert "c-abab" not in repr(event) and "payload" not in repr(event)
    assert CallbackEvent.from_dict(event.to_dict()) == event


def test_legacy_card_and_v1_event() -> None:
    legacy = signing.legacy_card_action(
        open_id=OPEN_ID, action_value={"action": "reject"}, message_id="om_2"
    )
    callback = _verified(legacy, "card_v1")
    event = from_verified(callback, app_id=APP, received_at=1.0, signed=True, timestamp="17")
    assert event.legacy and event.action_name == "reject" and event.message_id == "om_2"
    assert event.card_token == legacy["token"]
    assert event.event_id == legacy_event_id(APP, "17", callback.nonce)
    v1 = {
        "ts": "1700000000.1",
        "uuid": "u-1",
        "token": VT,
        "type": "event_callback",
        "event": {"type": "message"},
    }
    event = from_verified(_verified(v1), app_id=APP, received_at=1.0, signed=True)
    assert event.event_id == "u-1" and "token" not in event.payload
    assert event.route == "event:message"
    assert event.event == {"type": "message"}


def test_envelope_round_trip_and_junk() -> None:
    body = signing.card_action_event(APP, open_id=OPEN_ID, action_value="go", verification_token=VT)
    event = from_verified(_verified(body), app_id=APP, received_at=5.0, signed=True)
    envelope = Envelope(event).failed("boom", pending=CardUpdate(card("x")))
    again = Envelope.from_bytes(envelope.to_bytes())
    assert again == envelope and again.attempt == 1 and again.last_error == "boom"
    for junk in (b"not json", b"[]", b'{"v": 2}', b'{"v": 1}', b'{"v": 1, "event": {}}'):
        with pytest.raises(InvalidParameter):
            Envelope.from_bytes(junk)

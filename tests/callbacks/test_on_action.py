"""Cards that carry their handler, in one process: registration, routing, unknown names."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import pytest

from lark_async.callbacks import (
    UNKNOWN_ACTION_TOAST,
    CallbackEvent,
    CallbackRouter,
    Callbacks,
    CardActionHandler,
    Envelope,
    Toast,
)
from lark_async.core.actions import CARD_ACTION_KEY, CardActionRef, action_name
from lark_async.messaging import Button, ButtonRow, Card, Markdown
from lark_async.testing.callbacks import click_button, subscribe

from .conftest import APP, EK, OPEN_ID, VT
from .stack import stack

KEY = CARD_ACTION_KEY


def approval() -> Card:
    return Card(
        Markdown("**Expense** 42"),
        ButtonRow(
            Button("Approve", value={"action": "approve", "id": 42}),
            Button("Reject", value={"action": "reject", "id": 42}),
        ),
    )


def _event(value: Any) -> CallbackEvent:
    return CallbackEvent.from_dict(
        {
            "event_id": "e-1",
            "app_id": APP,
            "kind": "card_action",
            "event_type": "card.action.trigger",
            "received_at": 0.0,
            "payload": {"event": {"action": {"tag": "button", "value": value}}},
        }
    )


def unknown_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.getMessage().startswith("lark.callback.unknown_action")
    ]


async def test_card_action_returns_a_named_callable_handler() -> None:
    router = CallbackRouter()

    @router.card_action("expense.review")
    async def review(event: CallbackEvent) -> Toast:
        return Toast(f"seen {event.event_id}")

    assert isinstance(review, CardActionHandler) and isinstance(review, CardActionRef)
    assert review.card_action_name == "expense.review"
    assert action_name(review) == "expense.review"
    assert review.__name__ == "review" and "expense.review" in repr(review)
    assert await review(_event({})) == Toast("seen e-1")  # still the handler
    # ... and still an async function to whoever asks (FastAPI, schedulers)
    assert inspect.iscoroutinefunction(review) and asyncio.iscoroutinefunction(review)
    assert str(inspect.signature(review)) == "(event: 'CallbackEvent') -> 'Toast'"
    other = CallbackRouter()
    again = other.card_action("another.name")(review)  # registered again elsewhere
    assert again.card_action_name == "another.name"
    assert other.resolve(_event({KEY: "another.name"})) is not None

    @router.card_action()
    async def catch_all(event: CallbackEvent) -> None: ...

    assert not isinstance(catch_all, CardActionHandler)  # a catch-all has no name


async def test_the_routed_name_wins_and_is_stripped_from_the_value() -> None:
    router = CallbackRouter()

    @router.card_action("approve")
    async def by_value(event: CallbackEvent) -> None: ...

    @router.card_action("expense.review")
    async def by_name(event: CallbackEvent) -> None: ...

    @router.card_action()
    async def catch_all(event: CallbackEvent) -> None: ...

    event = _event({"action": "approve", "id": 1, KEY: "expense.review"})
    found = router.resolve(event)
    assert found is not None and found.handler is by_name
    assert event.action is not None
    assert event.action.value == {"action": "approve", "id": 1}
    assert event.action.routed_to == event.action_name == "expense.review"
    assert event.payload["event"]["action"]["value"][KEY] == "expense.review"  # raw: kept
    old = router.resolve(_event({"action": "approve"}))  # routing by value still works
    assert old is not None and old.handler is by_value
    assert router.resolve(_event({KEY: "nobody"})) is None  # never the catch-all


async def test_a_card_sent_with_on_action_is_clicked_and_handled() -> None:
    seen: list[CallbackEvent] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("reject")  # routing by value: not used by this card
        async def wrong(event: CallbackEvent) -> None:
            raise AssertionError("the card names its handler")

        @callbacks.card_action("expense.review", sync=True)
        async def review(event: CallbackEvent) -> Toast:
            seen.append(event)
            return Toast("reviewed", type="success")

        register.review = review  # type: ignore[attr-defined]

    async with stack(register=register) as s:
        review = register.review  # type: ignore[attr-defined]
        sent = await s.lark.messaging.send_interactive_card(s.chat_id, approval(), on_action=review)
        assert sent.data is not None
        subscribe(
            s.fake,
            APP,
            cards_url=f"{s.base}/lark/{APP}/cards",
            encrypt_key=EK,
            verification_token=VT,
        )
        delivery = await click_button(
            s.fake, APP, message_id=sent.data.message_id, open_id=OPEN_ID, button="Reject"
        )
    assert (delivery.status, delivery.body) == (
        200,
        {"toast": {"type": "success", "content": "reviewed"}},
    )
    [event] = seen
    assert event.action is not None and event.action.value == {"action": "reject", "id": 42}
    assert event.action_name == "expense.review" and event.message_id == sent.data.message_id


async def test_an_unknown_name_is_answered_with_a_toast_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lark_async")
    ran: list[str] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("still.here")
        async def here(event: CallbackEvent) -> None:
            ran.append("here")

        @callbacks.card_action()
        async def catch_all(event: CallbackEvent) -> None:
            ran.append("catch_all")

    async with stack(register=register) as s:
        sent = await s.lark.messaging.send_interactive_card(
            s.chat_id, approval(), on_action="renamed.away"
        )
        assert sent.data is not None
        subscribe(
            s.fake,
            APP,
            cards_url=f"{s.base}/lark/{APP}/cards",
            encrypt_key=EK,
            verification_token=VT,
        )
        delivery = await click_button(
            s.fake, APP, message_id=sent.data.message_id, open_id=OPEN_ID, button="Approve"
        )
        await s.callbacks.drain()
        assert s.callbacks.ingress is not None
        assert s.callbacks.ingress.stats.published == 0  # not queued
    assert (delivery.status, delivery.body) == (200, {"toast": UNKNOWN_ACTION_TOAST.to_json()})
    assert delivery.body["toast"]["type"] == "error"
    assert ran == []
    [line] = unknown_lines(caplog)
    assert "renamed.away" in line and "\n" not in line
    assert EK not in caplog.text and VT not in caplog.text


async def test_a_worker_without_the_name_dead_letters_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lark_async")
    callbacks = Callbacks()

    @callbacks.card_action("other")
    async def other(event: CallbackEvent) -> None: ...

    decision = await callbacks.dispatcher.handle(Envelope(_event({KEY: "gone", "id": 1})))
    assert (decision.action, decision.reason) == ("dead", "no_handler")
    [line] = unknown_lines(caplog)
    assert "gone" in line


async def test_an_ingress_without_handlers_passes_named_clicks_on() -> None:
    # `lark-async serve --amqp` without --handlers: workers elsewhere know the names.
    async with stack(worker=False) as s:
        sent = await s.lark.messaging.send_interactive_card(s.chat_id, approval(), on_action="n")
        assert sent.data is not None
        subscribe(
            s.fake,
            APP,
            cards_url=f"{s.base}/lark/{APP}/cards",
            encrypt_key=EK,
            verification_token=VT,
        )
        delivery = await click_button(s.fake, APP, message_id=sent.data.message_id, open_id=OPEN_ID)
        assert (delivery.status, delivery.body) == (200, {})
        assert s.callbacks.ingress is not None and s.callbacks.ingress.stats.published == 1


async def test_a_legacy_click_on_a_1_0_card_is_routed_too() -> None:
    seen: list[CallbackEvent] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("legacy.flow")
        async def flow(event: CallbackEvent) -> None:
            seen.append(event)

    card = {
        "config": {"update_multi": True},
        "elements": [
            {
                "tag": "action",
                "actions": [
                    {"tag": "button", "text": {"tag": "plain_text", "content": "OK"}},
                    {"tag": "button", "text": {"tag": "plain_text", "content": "No"}, "value": {}},
                ],
            }
        ],
    }
    async with stack(register=register) as s:
        sent = await s.lark.messaging.send_interactive_card(
            s.chat_id, card, on_action="legacy.flow"
        )
        assert sent.data is not None
        subscribe(
            s.fake,
            APP,
            cards_url=f"{s.base}/lark/{APP}/cards",
            encrypt_key=EK,
            verification_token=VT,
        )
        delivery = await click_button(
            s.fake, APP, message_id=sent.data.message_id, open_id=OPEN_ID, button=1, legacy=True
        )
        assert (delivery.status, delivery.body) == (200, {})
        await s.callbacks.drain()
    [event] = seen
    assert event.legacy and event.action is not None and event.action.value == {}
    assert event.action_name == "legacy.flow"


def test_card_buttons_finds_what_calls_back() -> None:
    from lark_async.core.actions import route_card
    from lark_async.testing.callbacks import card_buttons, find_button

    card = route_card(approval().to_dict(), "n")
    buttons = card_buttons(card)
    assert [b.text for b in buttons] == ["Approve", "Reject"]
    assert find_button(card, "Reject").value == {"action": "reject", "id": 42, KEY: "n"}
    assert find_button(card, 0).text == "Approve"
    with pytest.raises(LookupError, match="Approve"):
        find_button(card, "Missing")
    with pytest.raises(LookupError):
        find_button(card, 5)


async def test_a_replacement_card_keeps_its_handler() -> None:
    from lark_async.callbacks import CardUpdate, Reply
    from lark_async.testing.callbacks import card_buttons

    def next_card(state: str) -> dict[str, Any]:
        return Card(Markdown(state), Button("Undo", value={"action": "undo"})).to_dict()

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("inline.flow", sync=True)
        async def inline(event: CallbackEvent) -> Reply:
            return Reply(toast=Toast("ok"), card=CardUpdate(next_card("inline")))

        @callbacks.card_action("queued.flow")
        async def queued(event: CallbackEvent) -> CardUpdate:
            return CardUpdate(next_card("queued"))

    async with stack(register=register) as s:
        subscribe(
            s.fake,
            APP,
            cards_url=f"{s.base}/lark/{APP}/cards",
            encrypt_key=EK,
            verification_token=VT,
        )
        first = await s.lark.messaging.send_interactive_card(
            s.chat_id, approval(), on_action="inline.flow"
        )
        answer = await click_button(
            s.fake, APP, message_id=first.unwrap().message_id, open_id=OPEN_ID
        )
        inline_card = answer.body["card"]["data"]
        assert [b.value for b in card_buttons(inline_card)] == [
            {"action": "undo", KEY: "inline.flow"}
        ]
        second = await s.lark.messaging.send_interactive_card(
            s.chat_id, approval(), on_action="queued.flow"
        )
        await click_button(s.fake, APP, message_id=second.unwrap().message_id, open_id=OPEN_ID)
        await s.callbacks.drain()
        updated = s.im.card_updates[-1]["card"]
        assert [b.value for b in card_buttons(updated)] == [{"action": "undo", KEY: "queued.flow"}]


def test_keep_handler_leaves_cards_it_cannot_route() -> None:
    from lark_async.callbacks import CardUpdate, Reply
    from lark_async.callbacks.replies import keep_handler

    plain = Reply(card=CardUpdate(Card(Markdown("done")).to_dict()))
    assert keep_handler(plain, "n") is plain  # nothing calls back
    elsewhere = Reply(card=CardUpdate(Card(Button("B", value={KEY: "other"})).to_dict()))
    assert keep_handler(elsewhere, "n") is elsewhere  # names its own handler
    assert keep_handler(Reply(toast=Toast("x")), "n").card is None

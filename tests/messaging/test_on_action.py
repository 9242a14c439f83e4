"""``on_action=``: every card send, reply and update carries the handler's name."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lark_async.core.actions import CARD_ACTION_KEY
from lark_async.core.errors import InvalidParameter
from lark_async.messaging import Button, ButtonRow, Card, CardTemplate, Markdown, Messaging
from lark_async.testing import FakeLark
from lark_async.testing.callbacks import card_buttons
from lark_async.testing.im import ImEmulator

KEY = CARD_ACTION_KEY


class Handler:
    """Any object with ``card_action_name``, as ``@callbacks.card_action(name)`` returns."""

    card_action_name = "expense.review"


def approval() -> Card:
    return Card(
        Markdown("**Expense** 42"),
        ButtonRow(
            Button("Approve", value={"action": "approve", "id": 42}, type="primary"),
            Button("Reject", value={"action": "reject", "id": 42}),
            Button("Docs", url="https://open.feishu.cn/document"),
        ),
    )


def stored(im: ImEmulator, message_id: str) -> dict[str, Any]:
    card = json.loads(im.message(message_id)["body"]["content"])
    assert isinstance(card, dict)
    return card


def values(card: dict[str, Any]) -> list[Any]:
    return [b.value for b in card_buttons(card)]


async def test_send_interactive_card_stamps_every_button(msg: Messaging, im: ImEmulator) -> None:
    user = im.add_user(name="Ann")["open_id"]
    sent = await msg.send_interactive_card(user, approval(), on_action="expense.review")
    assert sent.ok and sent.data is not None
    assert values(stored(im, sent.data.message_id)) == [
        {"action": "approve", "id": 42, KEY: "expense.review"},
        {"action": "reject", "id": 42, KEY: "expense.review"},
    ]  # the link button calls nothing back and is left alone


async def test_an_object_naming_the_handler_and_a_1_0_dict(msg: Messaging, im: ImEmulator) -> None:
    user = im.add_user(name="Ann")["open_id"]
    card = {
        "config": {"update_multi": True},
        "elements": [
            {"tag": "action", "actions": [{"tag": "button", "text": {"content": "OK"}}]},
        ],
    }
    before = copy.deepcopy(card)
    sent = await msg.send_interactive_card(user, card, on_action=Handler())
    assert sent.data is not None
    assert values(stored(im, sent.data.message_id)) == [{KEY: "expense.review"}]
    assert card == before  # the caller's dict is not changed


async def test_send_message_reply_and_fan_out_carry_it(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    users = [im.add_user(name=f"U{i}")["open_id"] for i in range(3)]
    sent = await msg.send_message(users[0], approval(), on_action="a.b")
    assert sent.data is not None
    reply = await msg.reply_message(sent.data.message_id, approval(), on_action=Handler())
    assert reply.data is not None
    assert values(stored(im, reply.data.message_id))[0][KEY] == "expense.review"
    report = await msg.send_to_many(users, approval(), on_action="fan.out")
    assert report.all_sent and len(report) == 3
    for message in im.messages()[-3:]:
        card = json.loads(message["body"]["content"])
        assert {v[KEY] for v in values(card)} == {"fan.out"}


async def test_batch_send_carries_it(msg: Messaging, im: ImEmulator) -> None:
    user = im.add_user(name="Ann")["open_id"]
    report = await msg.batch_send(approval(), open_ids=[user], on_action="batch.n")
    assert report.all_sent
    batch = next(iter(im.batches.values()))
    for message_id in batch["message_ids"]:
        assert {v[KEY] for v in values(stored(im, message_id))} == {"batch.n"}


async def test_updates_keep_their_handler(msg: Messaging, im: ImEmulator) -> None:
    chat = im.add_chat(name="c")
    sent = await msg.send_interactive_card(chat, approval(), on_action="n")
    assert sent.data is not None
    updated = await msg.update_card(sent.data.message_id, approval(), on_action="n")
    assert updated.ok
    assert {v[KEY] for v in values(stored(im, sent.data.message_id))} == {"n"}
    token = im.issue_card_token(sent.data.message_id)
    delayed = await msg.delay_update_card(token, approval(), on_action="n")
    assert delayed.ok
    assert {v[KEY] for v in values(im.card_updates[-1]["card"])} == {"n"}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("plain text", "for cards; this is a text message"),
        (Card(Markdown("no buttons")), "calls back"),
        (CardTemplate("AAqk1234"), "template"),
    ],
)
async def test_refused_before_any_request(
    msg: Messaging, im: ImEmulator, fake: FakeLark, content: Any, fragment: str
) -> None:
    user = im.add_user(name="Ann")["open_id"]
    fake.journal.clear()
    with pytest.raises(InvalidParameter, match="on_action") as caught:
        await msg.send_message(user, content, on_action="n")
    assert fragment in str(caught.value)
    assert len(fake.journal) == 0


async def test_a_card_already_routed_elsewhere_is_refused(msg: Messaging, im: ImEmulator) -> None:
    user = im.add_user(name="Ann")["open_id"]
    card = Card(Button("Go", value={KEY: "other"}))
    with pytest.raises(InvalidParameter, match="already routes to 'other'"):
        await msg.send_interactive_card(user, card, on_action="mine")
    sent = await msg.send_interactive_card(user, card, on_action="other")  # the same: fine
    assert sent.ok

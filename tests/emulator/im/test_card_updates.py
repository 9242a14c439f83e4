"""Delayed card update with a callback token (CONTRACT §4.8)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lark_async.testing import FakeLark, ImEmulator, ManualClock
from tests.emulator.helpers import APP_ID
from tests.emulator.im.helpers import (
    CARD_UPDATE,
    CARD_V1,
    CARD_V2,
    Api,
    Result,
    code_of,
    dumps,
    other_token,
    sent_id,
    text,
)

DONE_V1 = {"config": {"update_multi": True}, "elements": [{"tag": "div", "text": "done"}]}
PRIVATE_V1 = {"config": {"update_multi": False}, "elements": [{"tag": "div", "text": "mine"}]}


@pytest.fixture
async def card(api: Api, user: str) -> str:
    return sent_id(await api.send(user, "interactive", dumps(CARD_V1)))


async def update(api: Api, token: Any, card: Any = None, auth: str | None = None) -> Result:
    body: dict[str, Any] = {"token": token, "card": DONE_V1 if card is None else card}
    return await api.call("POST", CARD_UPDATE, auth, json=body)


async def test_update_applies_the_card(api: Api, im: ImEmulator, card: str) -> None:
    token = im.issue_card_token(card)
    assert token.startswith("c-")
    status, body = await update(api, token)
    assert (status, body) == (200, {"code": 0, "msg": "ok"})  # no data object
    assert json.loads(im.message(card)["body"]["content"]) == DONE_V1
    assert im.message(card)["updated"] is True
    assert im.card_updates == [
        {
            "token": token,
            "message_id": card,
            "card": DONE_V1,
            "open_ids": None,
            "app_id": APP_ID,
            "time": 1_700_000_000.0,
        }
    ]


async def test_a_token_is_good_for_two_updates(api: Api, im: ImEmulator, card: str) -> None:
    token = im.issue_card_token(card)
    assert code_of(await update(api, token)) == (200, 0)
    assert code_of(await update(api, token, CARD_V1)) == (200, 0)
    assert code_of(await update(api, token)) == (400, 300040)
    assert [u["card"] for u in im.card_updates] == [DONE_V1, CARD_V1]
    # a fresh token for the same card starts again
    assert code_of(await update(api, im.issue_card_token(card))) == (200, 0)


async def test_failed_updates_do_not_use_the_token(api: Api, im: ImEmulator, card: str) -> None:
    token = im.issue_card_token(card)
    for _ in range(3):
        assert code_of(await update(api, token, {"elements": "bad"})) == (400, 11311)
    assert code_of(await update(api, token)) == (200, 0)
    assert code_of(await update(api, token)) == (200, 0)


async def test_a_token_expires_after_30_minutes(
    api: Api, im: ImEmulator, card: str, clock: ManualClock
) -> None:
    token = im.issue_card_token(card)
    clock.advance(30 * 60 - 1)
    assert code_of(await update(api, token)) == (200, 0)
    clock.advance(1)
    assert code_of(await update(api, token)) == (400, 300030)
    # ``now=`` issues a token as of another time, e.g. one that is already stale
    stale = im.issue_card_token(card, now=clock() - 3600)
    assert code_of(await update(api, stale)) == (400, 300030)


@pytest.mark.parametrize("token", [None, 42, "", "x-123", "c-unknown"])
async def test_bad_tokens(api: Api, token: Any) -> None:
    assert code_of(await update(api, token)) == (400, 300020)


async def test_other_apps_and_recalled_cards(
    api: Api, im: ImEmulator, card: str, fake: FakeLark
) -> None:
    other = await other_token(api.session, fake)
    assert code_of(await update(api, im.issue_card_token(card), auth=other)) == (400, 200310)
    token = im.issue_card_token(card)
    await api.recall(card)
    assert code_of(await update(api, token)) == (400, 200000)
    assert im.card_updates == []


@pytest.mark.parametrize(
    ("new_card", "expected"),
    [
        ({}, 10002),
        ("a string", 10002),
        ({"elements": [{"tag": "div", "text": "a" * 30 * 1024}]}, 10002),
        ({"schema": "2.0"}, 11311),
        ({"type": "template", "data": {}}, 11311),
    ],
)
async def test_bad_cards(api: Api, im: ImEmulator, card: str, new_card: Any, expected: int) -> None:
    assert code_of(await update(api, im.issue_card_token(card), new_card)) == (400, expected)


async def test_card_forms(api: Api, im: ImEmulator, card: str) -> None:
    template = {"type": "template", "data": {"template_id": "AAq1", "template_variable": {}}}
    token = im.issue_card_token(card)
    assert code_of(await update(api, token, CARD_V2)) == (200, 0)
    assert code_of(await update(api, token, template)) == (200, 0)


async def test_non_shared_cards_need_open_ids(
    api: Api, im: ImEmulator, card: str, user: str
) -> None:
    token = im.issue_card_token(card)
    assert code_of(await update(api, token, PRIVATE_V1)) == (400, 300090)
    unknown = {**PRIVATE_V1, "open_ids": ["ou_unknown"]}
    assert code_of(await update(api, token, unknown)) == (400, 200320)
    theirs = im.add_user(app_id="cli_elsewhere")["open_id"]
    assert code_of(await update(api, token, {**PRIVATE_V1, "open_ids": [theirs]})) == (400, 200320)
    assert code_of(await update(api, token, {**PRIVATE_V1, "open_ids": "ou_x"})) == (400, 10002)
    assert code_of(await update(api, token, {**DONE_V1, "open_ids": [user]})) == (400, 10002)
    assert code_of(await update(api, token, {**PRIVATE_V1, "open_ids": [user]})) == (200, 0)
    applied = im.card_updates[-1]
    assert applied["open_ids"] == [user] and applied["card"] == PRIVATE_V1  # open_ids stripped


async def test_token_for_a_card_the_emulator_never_saw(api: Api, im: ImEmulator) -> None:
    # a test may simulate a click on a card it did not send: the update is only recorded
    token = im.issue_card_token("om_never_sent")
    assert code_of(await update(api, token)) == (200, 0)
    assert [(u["message_id"], u["card"]) for u in im.card_updates] == [("om_never_sent", DONE_V1)]
    assert code_of(await update(api, token, {"elements": 3})) == (400, 11311)
    assert code_of(await update(api, token)) == (200, 0)
    assert code_of(await update(api, token)) == (400, 300040)
    assert im.messages() == []


async def test_issue_card_token_refuses_non_cards(api: Api, im: ImEmulator, user: str) -> None:
    message_id = sent_id(await api.send(user, "text", text("plain")))
    with pytest.raises(ValueError, match="not a card"):
        im.issue_card_token(message_id)

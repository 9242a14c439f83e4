"""Reply, edit, recall, card updates and reading messages back."""

from __future__ import annotations

import json

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import (
    ErrorKind,
    InvalidParameter,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    QuotaExceeded,
)
from lark_async.messaging import Card, Markdown, Messaging, RichText
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator

MESSAGE = "/open-apis/im/v1/messages/{message_id}"


async def _text(msg: Messaging, to: str, text: str = "hello") -> str:
    resp = await msg.send_text_message(to, text)
    assert resp.data is not None, resp.error
    return resp.data.message_id


async def _card(msg: Messaging, to: str) -> str:
    resp = await msg.send_interactive_card(to, Card(Markdown("pending")))
    assert resp.data is not None, resp.error
    return resp.data.message_id


async def test_reply_and_reply_in_thread(msg: Messaging, im: ImEmulator, fake: FakeLark) -> None:
    chat = im.add_chat()
    parent = await _text(msg, chat)
    plain = await msg.reply_message(parent, "ack")
    assert plain.data is not None and plain.data.parent_id == parent
    threaded = await msg.reply(parent, RichText("t").paragraph("in thread"), reply_in_thread=True)
    assert threaded.data is not None and threaded.data.thread_id
    assert fake.journal.last.json["reply_in_thread"] is True  # type: ignore[union-attr]
    # a dropped answer is retried with the same uuid: one reply
    fake.faults.drop(f"POST {MESSAGE}/reply", after_processing=True)
    again = await msg.reply_message(parent, "once")
    assert again.ok and again.attempts == 2
    assert [m["body"]["content"] for m in im.messages(chat_id=chat)].count('{"text":"once"}') == 1


async def test_reply_failures(msg: Messaging, im: ImEmulator, user: str) -> None:
    with pytest.raises(InvalidParameter, match="om_"):
        await msg.reply_message("oc_notamessage", "x")
    parent = await _text(msg, user)
    assert (await msg.recall_message(parent)).ok
    resp = await msg.reply_message(parent, "too late")
    assert isinstance(resp.error, NotFound) and resp.error.code == 230011
    chat = im.add_chat()
    root = await _text(msg, chat)
    im.dissolve_chat(chat)
    resp = await msg.reply_message(root, "anyone?")
    assert resp.error is not None and resp.error.code == 232009


async def test_edit_text_and_post_and_the_20_edit_limit(
    msg: Messaging, im: ImEmulator, user: str
) -> None:
    mid = await _text(msg, user, "v0")
    resp = await msg.edit_message(mid, "v1")
    assert resp.data is not None and resp.data.updated
    assert (await msg.edit(mid, RichText("t").paragraph("as post"))).ok
    assert im.message(mid)["msg_type"] == "post"
    for i in range(18):
        assert (await msg.edit_message(mid, f"v{i + 2}")).ok
    over = await msg.edit_message(mid, "v21")
    assert isinstance(over.error, QuotaExceeded)
    assert over.error.code == 230072
    assert "20 times" in (over.error.hint or "")


async def test_edit_refusals(msg: Messaging, im: ImEmulator, fake: FakeLark, user: str) -> None:
    card = await _card(msg, user)
    with pytest.raises(InvalidParameter, match="update_card"):
        await msg.edit_message(card, Card(Markdown("x")))  # type: ignore[arg-type]
    assert fake.journal.count("PUT", MESSAGE) == 0
    mid = await _text(msg, user)
    await msg.recall_message(mid)
    resp = await msg.edit_message(mid, "after recall")
    assert isinstance(resp.error, NotFound) and resp.error.code == 230011


async def test_edit_of_another_apps_message_reads_as_not_the_sender(
    msg: Messaging, fake: FakeLark, im: ImEmulator, clock: FakeClock
) -> None:
    fake.add_app("cli_other00000001", "other-secret")
    chat = im.add_chat()
    mid = await _text(msg, chat)
    async with LarkClient(
        "cli_other00000001", "other-secret", domain=fake.url, clock=clock, client_rate_limit=False
    ) as other:
        resp = await other.messaging.edit_message(mid, "not mine")
    assert isinstance(resp.error, PermissionDenied)  # 230071 means "not the sender" here
    assert resp.error.code == 230071
    assert "only the sender" in (resp.error.hint or "")


async def test_recall(msg: Messaging, im: ImEmulator, fake: FakeLark, user: str) -> None:
    mid = await _text(msg, user)
    resp = await msg.recall_message(mid)
    assert resp.ok and resp.data == {}
    assert im.message(mid)["deleted"] is True
    assert im.messages(receive_id=user) == []
    twice = await msg.recall(mid)  # idempotent: already gone is success, and says so
    assert twice.ok and twice.data == {"already_recalled": True}
    resp = await msg.recall_message("om_unknown")
    assert resp.error is not None and resp.error.kind is ErrorKind.INVALID_PARAMETER


async def test_recall_whose_answer_was_lost_still_reports_success(
    msg: Messaging, im: ImEmulator, fake: FakeLark, user: str
) -> None:
    mid = await _text(msg, user)
    fake.faults.drop(f"DELETE {MESSAGE}", after_processing=True)
    resp = await msg.recall_message(mid)
    # The retry (aiohttp's own, on the dropped keep-alive connection) saw "deleted".
    assert resp.ok and resp.data == {"already_recalled": True}
    assert fake.journal.count("DELETE", MESSAGE) == 2
    assert im.message(mid)["deleted"] is True


async def test_update_card(
    msg: Messaging, im: ImEmulator, fake: FakeLark, clock: FakeClock, user: str
) -> None:
    mid = await _card(msg, user)
    resp = await msg.update_card(mid, Card(Markdown("approved")))
    assert resp.ok, resp.error
    assert (
        json.loads(im.message(mid)["body"]["content"])["body"]["elements"][0]["content"]
        == "approved"
    )
    v1 = {"config": {"wide_screen_mode": True}, "elements": [{"tag": "div"}]}
    with pytest.raises(InvalidParameter, match="update_multi"):
        await msg.update_card(mid, v1)
    assert fake.journal.count("PATCH", MESSAGE) == 1
    text = await _text(msg, user)
    resp = await msg.update_card(text, Card(Markdown("x")))
    assert resp.error is not None and resp.error.kind is ErrorKind.INVALID_PARAMETER
    clock.advance(15 * 86400)
    old = await msg.update_card(mid, Card(Markdown("late")))
    assert isinstance(old.error, PermissionDenied) and old.error.code == 230031
    assert "14 days" in (old.error.hint or "")


async def test_delay_update_card_with_a_callback_token(
    msg: Messaging, im: ImEmulator, fake: FakeLark, clock: FakeClock, user: str
) -> None:
    mid = await _card(msg, user)
    token = im.issue_card_token(mid)
    assert (await msg.delay_update_card(token, Card(Markdown("step 1")))).ok
    assert (await msg.delay_update_card(token, Card(Markdown("step 2")))).ok
    used_up = await msg.delay_update_card(token, Card(Markdown("step 3")))
    assert isinstance(used_up.error, QuotaExceeded) and used_up.error.code == 300040
    assert [u["message_id"] for u in im.card_updates] == [mid, mid]
    expired = im.issue_card_token(mid)
    clock.advance(31 * 60)
    late = await msg.delay_update_card(expired, Card(Markdown("late")))
    assert late.error is not None and late.error.code == 300030
    assert "30 minutes" in (late.error.hint or "")


async def test_delay_update_card_checks_and_is_never_resent(
    msg: Messaging, im: ImEmulator, fake: FakeLark, user: str
) -> None:
    with pytest.raises(InvalidParameter, match="c-") as exc:
        await msg.delay_update_card("t-a-tenant-token-by-mistake", Card(Markdown("x")))
    assert "t-a-tenant" not in str(exc.value) and "t-a-tenant" not in repr(exc.value)
    shared = Card(Markdown("x"))
    with pytest.raises(InvalidParameter, match="open_ids"):
        await msg.delay_update_card("c-1", shared, open_ids=[user])
    private = {"config": {"update_multi": False}, "elements": [{"tag": "div"}]}
    with pytest.raises(InvalidParameter, match="required"):
        await msg.delay_update_card("c-1", private)
    with pytest.raises(InvalidParameter, match="ou_"):
        await msg.delay_update_card("c-1", private, open_ids=["on_1"])
    assert fake.journal.count("POST", "/open-apis/interactive/v1/card/update") == 0
    bad = await msg.delay_update_card("c-unknown", shared)
    assert bad.error is not None and bad.error.code == 300020
    # tokens have two uses: a lost answer must not be spent on a blind resend
    mid = await _card(msg, user)
    token = im.issue_card_token(mid)
    fake.faults.drop("POST /open-apis/interactive/v1/card/update", after_processing=True)
    lost = await msg.delay_update_card(token, shared)
    assert isinstance(lost.error, OutcomeUnknown)
    assert fake.journal.count("POST", "/open-apis/interactive/v1/card/update") == 2
    private_card = await msg.send_interactive_card(user, private)
    assert private_card.data is not None
    token = im.issue_card_token(private_card.data.message_id)
    assert (await msg.delay_update_card(token, private, open_ids=[user])).ok
    assert im.card_updates[-1]["open_ids"] == [user]


async def test_get_message(msg: Messaging, im: ImEmulator, user: str) -> None:
    mid = await _text(msg, user, "read me")
    resp = await msg.get_message(mid)
    assert resp.data is not None
    assert resp.data.message_id == mid
    assert resp.data.content_json() == {"text": "read me"}
    assert resp.data.sender is not None and resp.data.sender.sender_type == "app"
    missing = await msg.get_message("om_nope")
    assert missing.error is not None and missing.data is None
    with pytest.raises(InvalidParameter, match="om_"):
        await msg.get_message("om_/../x")

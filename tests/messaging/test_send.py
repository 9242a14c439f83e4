"""Sending each message type against the emulator, and the ways a send fails."""

from __future__ import annotations

import json

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import (
    ErrorKind,
    InvalidParameter,
    NotFound,
    PermissionDenied,
)
from lark_async.messaging import (
    Button,
    Card,
    CardTemplate,
    Header,
    Markdown,
    MessageContent,
    Messaging,
    Receiver,
    RichText,
    Text,
    bold,
    link,
    mention,
)
from lark_async.testing import FakeLark, JournalEntry
from lark_async.testing.im import ImEmulator
from tests.helpers import APP_ID

SEND = "/open-apis/im/v1/messages"


def sends(fake: FakeLark) -> list[JournalEntry]:
    return fake.journal.filter("POST", SEND)


async def test_text_with_mentions_styles_and_link(
    msg: Messaging, im: ImEmulator, fake: FakeLark, user: str
) -> None:
    text = (
        f"{mention(user, 'Ann')} build {bold('failed')}: {link('logs', 'https://ci.example.com/1')}"
    )
    resp = await msg.send_text_message(user, text)
    assert resp.ok, resp.error
    assert resp.data is not None and resp.data.message_id.startswith("om_")
    assert resp.data.msg_type == "text"
    assert resp.data.created_at is not None
    stored = im.messages(receive_id=user)
    assert len(stored) == 1
    assert json.loads(stored[0]["body"]["content"]) == {"text": text}
    entry = fake.journal.last
    assert entry is not None
    assert entry.query == {"receive_id_type": "open_id"}
    # the uuid in the body is what makes transport retries safe
    assert entry.json["uuid"] == stored[0]["uuid"]
    assert len(entry.json["uuid"]) <= 50


async def test_every_receiver_kind(msg: Messaging, im: ImEmulator, fake: FakeLark) -> None:
    u = im.add_user(email="bo@example.com", user_id="e1234")
    chat = im.add_chat(name="ops")
    for receive_id, kind in [
        (u["open_id"], None),
        (u["union_id"], None),
        ("bo@example.com", None),
        ("e1234", "user_id"),
        (chat, None),
    ]:
        resp = await msg.send_text_message(receive_id, "hi", receive_id_type=kind)  # type: ignore[arg-type]
        assert resp.ok, (receive_id, resp.error)
    types = [e.query["receive_id_type"] for e in sends(fake)]
    assert types == ["open_id", "union_id", "email", "user_id", "chat_id"]
    assert len(im.messages(receive_id=u["open_id"])) == 4  # one p2p chat, four ways to name it
    assert len(im.messages(chat_id=chat)) == 1
    resp = await msg.send_text_message(Receiver("e1234", "user_id"), "again")
    assert resp.ok


async def test_bad_input_raises_before_any_request(
    msg: Messaging, fake: FakeLark, user: str
) -> None:
    with pytest.raises(InvalidParameter, match="receive_id_type"):
        await msg.send_text_message("e1234", "hi")
    with pytest.raises(InvalidParameter, match="not a chat_id"):
        await msg.send_text_message(user, "hi", receive_id_type="chat_id")
    with pytest.raises(InvalidParameter, match="non-empty"):
        await msg.send_text_message(user, "")
    with pytest.raises(InvalidParameter, match="150 KB"):
        await msg.send_text_message(user, "x" * 160_000)
    with pytest.raises(InvalidParameter, match="uuid"):
        await msg.send_text_message(user, "hi", uuid="u" * 51)
    with pytest.raises(InvalidParameter, match="30 KB"):
        await msg.send_interactive_card(user, Card(Markdown("中" * 11_000)))
    assert sends(fake) == []


async def test_feishu_refusals_come_back_typed(msg: Messaging, im: ImEmulator) -> None:
    gone = im.add_user(reachable=False)["open_id"]
    resp = await msg.send_text_message(gone, "hi")
    assert isinstance(resp.error, PermissionDenied)
    assert resp.error.code == 230013
    assert "availability" in (resp.error.hint or "")
    assert resp.attempts == 1  # not retried: it will not get better

    resp = await msg.send_text_message("ou_doesnotexist", "hi")
    assert isinstance(resp.error, NotFound) and resp.error.code == 99992351

    chat = im.add_chat()
    im.dissolve_chat(chat)
    resp = await msg.send_text_message(chat, "hi")
    assert isinstance(resp.error, NotFound)
    assert resp.error.code == 232009
    assert "dissolved" in (resp.error.hint or "")
    with pytest.raises(NotFound):
        resp.unwrap()

    outside = im.add_chat(bot_in_chat=False)
    resp = await msg.send_text_message(outside, "hi")
    assert resp.error is not None and resp.error.code == 230002
    assert "add it to the group" in (resp.error.hint or "")


async def test_rate_limit_then_success_delivers_once(
    msg: Messaging, im: ImEmulator, fake: FakeLark, clock: FakeClock, user: str
) -> None:
    fake.faults.rate_limit(f"POST {SEND}", times=1, reset=2)
    resp = await msg.send_text_message(user, "after a 429")
    assert resp.ok, resp.error
    assert resp.attempts == 2
    assert 2.0 in clock.sleeps  # waited x-ogw-ratelimit-reset
    assert len(im.messages(receive_id=user)) == 1


async def test_dropped_answer_is_retried_with_the_same_uuid_and_delivers_once(
    msg: Messaging, im: ImEmulator, fake: FakeLark, user: str
) -> None:
    fake.faults.drop(f"POST {SEND}", after_processing=True)  # stored, answer lost
    resp = await msg.send_text_message(user, "exactly once")
    assert resp.ok, resp.error
    assert resp.attempts == 2
    attempts = sends(fake)
    assert len(attempts) == 2
    assert attempts[0].json["uuid"] == attempts[1].json["uuid"]
    stored = im.messages(receive_id=user)
    assert len(stored) == 1
    assert stored[0]["message_id"] == resp.data.message_id  # type: ignore[union-attr]


async def test_connection_dropped_before_processing_is_retried(
    msg: Messaging, im: ImEmulator, fake: FakeLark, user: str
) -> None:
    fake.faults.drop(f"POST {SEND}")
    fake.faults.fail(f"POST {SEND}", status=503, code=1503)
    resp = await msg.send_text_message(user, "third time")
    assert resp.ok and resp.attempts == 3
    assert len(im.messages(receive_id=user)) == 1


async def test_same_uuid_twice_sends_once(msg: Messaging, im: ImEmulator, user: str) -> None:
    first = await msg.send_text_message(user, "job 42 done", uuid="job-42")
    second = await msg.send_text_message(user, "job 42 done", uuid="job-42")
    assert first.data is not None and second.data is not None
    assert first.data.message_id == second.data.message_id
    assert len(im.messages(receive_id=user)) == 1


async def test_per_recipient_pacing_avoids_230020(
    msg: Messaging, fake: FakeLark, clock: FakeClock, user: str
) -> None:
    for i in range(7):
        resp = await msg.send_text_message(user, f"n{i}")
        assert resp.ok and resp.attempts == 1
    assert fake.journal.count("POST", SEND, code=230020) == 0
    assert clock.sleeps and min(clock.sleeps) == pytest.approx(0.21)


async def test_without_pacing_the_sixth_send_hits_230020_and_is_retried(
    msg: Messaging, im: ImEmulator, fake: FakeLark, clock: FakeClock, user: str
) -> None:
    msg.configure_pacing(recipient_qps=None, app_windows=None)
    results = [await msg.send_text_message(user, f"n{i}") for i in range(6)]
    assert all(r.ok for r in results)
    assert results[-1].attempts == 2
    assert fake.journal.count("POST", SEND, code=230020) == 1
    assert clock.sleeps == [30.0]  # no reset header on 230020: the default wait
    assert len(im.messages(receive_id=user)) == 6


async def test_rich_text_card_template_and_share_types(
    msg: Messaging, im: ImEmulator, user: str
) -> None:
    chat = im.add_chat(name="ops")
    post = RichText("Daily").paragraph("all ", Text("green", style=["bold"]))
    post.locale("en_us", "Daily").paragraph("all green")
    assert (await msg.send_rich_text_message(user, post)).ok
    raw_post = {"zh_cn": {"title": "", "content": [[{"tag": "text", "text": "dict"}]]}}
    assert (await msg.send_rich_text_message(user, raw_post)).ok
    card = Card(Markdown("**hi**"), Button("OK", value={"k": 1}), header=Header("T"))
    assert (await msg.send_interactive_card(user, card)).ok
    assert (await msg.send_interactive_card(user, CardTemplate("AAqk1", {"x": 1}))).ok
    assert (await msg.send_share_chat_message(user, chat)).ok
    assert (await msg.send_share_user_message(chat, user)).ok
    assert (await msg.send_sticker_message(user, "file_v2_sticker")).ok
    divider = MessageContent.system_divider("新会话")
    assert (await msg.send_message(user, divider)).ok
    assert (await msg.send_message(user, "plain str is text")).ok
    assert (await msg.send_message(user, post)).ok
    assert (await msg.send_message(user, card)).ok
    kinds = [m["msg_type"] for m in im.messages(receive_id=user)]
    assert kinds == [
        "post",
        "post",
        "interactive",
        "interactive",
        "share_chat",
        "sticker",
        "system",
        "text",
        "post",
        "interactive",
    ]
    stored_card = json.loads(im.messages(receive_id=user)[2]["body"]["content"])
    assert stored_card["schema"] == "2.0" and stored_card["config"]["update_multi"] is True
    with pytest.raises(InvalidParameter, match="not a card"):
        await msg.send_message(user, 42)  # type: ignore[arg-type]


async def test_share_refusals(msg: Messaging, im: ImEmulator, user: str) -> None:
    await msg.send_text_message(user, "make the p2p chat")
    p2p = im.messages(receive_id=user)[0]["chat_id"]
    resp = await msg.send_share_chat_message(user, p2p)
    assert resp.error is not None and resp.error.code == 230015
    assert resp.error.kind is ErrorKind.INVALID_PARAMETER


async def test_the_service_hangs_off_the_client_and_each_app(lark: LarkClient) -> None:
    assert lark.messaging is lark.app(APP_ID).messaging
    assert isinstance(lark.app("cli_other").messaging, Messaging)
    assert lark.app("cli_other").messaging is not lark.messaging


async def test_tokens_and_card_tokens_never_reach_the_logs(
    msg: Messaging, im: ImEmulator, fake: FakeLark, log_lines: list[str], user: str
) -> None:
    from tests.helpers import APP_SECRET

    sent = await msg.send_interactive_card(user, Card(Markdown("x")))
    assert sent.data is not None
    card_token = im.issue_card_token(sent.data.message_id)
    fake.faults.fail("POST /open-apis/interactive/v1/card/update", status=400, code=300030)
    failed = await msg.delay_update_card(card_token, Card(Markdown("y")))
    assert failed.error is not None
    secrets = [t.value for t in fake.apps.tokens(APP_ID)] + [card_token, APP_SECRET]
    assert log_lines  # the calls were logged ...
    for line in log_lines:  # ... without any credential
        assert not any(s in line for s in secrets)
    assert card_token not in str(failed.error) and card_token not in repr(failed.error)

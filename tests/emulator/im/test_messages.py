"""IM message endpoints: send, reply, get, recall, edit, card update (CONTRACT §3.1-3.6)."""

from __future__ import annotations

import json

import pytest

from lark_async.testing import FakeLark, ImEmulator, ManualClock
from tests.emulator.helpers import APP_ID, tenant_token
from tests.emulator.im.helpers import (
    CARD_V1,
    CARD_V2,
    Api,
    code_of,
    dumps,
    ext_of,
    other_token,
    sent_id,
    text,
)

NOW_MS = "1700000000000"  # ManualClock's start, as IM's ms string


# --- send ----------------------------------------------------------------------------------
async def test_send_returns_the_message_object(api: Api, im: ImEmulator, user: str) -> None:
    status, body = await api.send(user, "text", text("hi"))
    assert (status, body["code"], body["msg"]) == (200, 0, "success")
    message = body["data"]
    assert message["message_id"].startswith("om_") and message["chat_id"].startswith("oc_")
    assert message["msg_type"] == "text" and message["body"] == {"content": text("hi")}
    assert (message["create_time"], message["update_time"]) == (NOW_MS, NOW_MS)
    assert (message["deleted"], message["updated"]) == (False, False)
    assert not {"root_id", "parent_id", "thread_id"} & message.keys()  # only on replies
    assert message["sender"] == {
        "id": APP_ID,
        "id_type": "app_id",
        "sender_type": "app",
        "tenant_key": "t_abc",
    }
    stored = im.message(message["message_id"])
    assert stored == {**message, "uuid": None}
    # a user's messages from one bot share one p2p chat
    again = (await api.send(user))[1]["data"]
    assert again["chat_id"] == message["chat_id"] and again["message_id"] != message["message_id"]


async def test_send_by_every_receive_id_type(api: Api, im: ImEmulator) -> None:
    ann = im.add_user(name="Ann", email="ann@example.com", user_id="ann01")
    chat = im.add_chat()
    chats = set()
    for id_type, receive_id in (
        ("open_id", ann["open_id"]),
        ("union_id", ann["union_id"]),
        ("user_id", "ann01"),
        ("email", "ann@example.com"),
    ):
        result = await api.send(receive_id, id_type=id_type)
        assert code_of(result) == (200, 0), result
        chats.add(result[1]["data"]["chat_id"])
    assert len(chats) == 1  # the same p2p chat whatever id named the user
    result = await api.send(chat, id_type="chat_id")
    assert result[1]["data"]["chat_id"] == chat
    assert len(im.messages(receive_id=ann["open_id"])) == 4


@pytest.mark.parametrize(
    ("receive_id", "id_type", "expected", "in_msg"),
    [
        ("ou_x", None, (400, 99992402), "field validation failed"),
        ("ou_x", "openid", (400, 99992402), "field validation failed"),
        ("oc_x", "open_id", (400, 230001), "ext=invalid receive_id."),
        ("ou_x", "chat_id", (400, 230001), "ext=invalid receive_id."),
        ("ou_x", "union_id", (400, 230001), "ext=invalid receive_id."),
        ("nobody.example.com", "email", (400, 230001), "ext=invalid receive_id."),
        ("ou_unknown", "open_id", (400, 99992351), "open_id not exist"),
        ("on_unknown", "union_id", (400, 230001), "ext=invalid receive_id."),
        ("nobody", "user_id", (400, 99992360), "user_id not exist"),
        ("nobody@example.com", "email", (400, 230001), "ext=invalid receive_id."),
        ("oc_unknown", "chat_id", (400, 99992356), "chat_id not exist"),
    ],
)
async def test_send_to_a_bad_receiver(
    api: Api, receive_id: str, id_type: str | None, expected: tuple[int, int], in_msg: str
) -> None:
    params = {"receive_id_type": id_type} if id_type else {}
    result = await api.call(
        "POST",
        "/open-apis/im/v1/messages",
        params=params,
        json={"receive_id": receive_id, "msg_type": "text", "content": text("x")},
    )
    assert code_of(result) == expected
    assert in_msg in ext_of(result)


async def test_receive_id_type_error_names_the_field(api: Api) -> None:
    status, body = await api.call(
        "POST", "/open-apis/im/v1/messages", json={"receive_id": "ou_x", "msg_type": "text"}
    )
    assert (status, body["code"]) == (400, 99992402)
    assert body["error"]["field_violations"][0]["field"] == "receive_id_type"


async def test_send_to_another_apps_open_id(api: Api, im: ImEmulator) -> None:
    theirs = im.add_user(app_id="cli_someone_else")["open_id"]
    result = await api.send(theirs)
    assert code_of(result) == (400, 99992361)
    assert "use union_id across apps" in ext_of(result)


async def test_send_to_unreachable_user(api: Api, im: ImEmulator) -> None:
    user = im.add_user(reachable=False, email="gone@example.com")
    assert code_of(await api.send(user["open_id"])) == (400, 230013)
    assert code_of(await api.send("gone@example.com", id_type="email")) == (400, 230013)
    assert im.messages() == []


async def test_send_to_group_without_bot_and_dissolved(api: Api, im: ImEmulator) -> None:
    outside = im.add_chat(bot_in_chat=False)
    assert code_of(await api.send(outside, id_type="chat_id")) == (400, 230002)
    chat = im.add_chat()
    sent_id(await api.send(chat, id_type="chat_id"))
    im.dissolve_chat(chat)
    assert code_of(await api.send(chat, id_type="chat_id")) == (400, 232009)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"msg_type": "text"}, 99992402),  # no content
        ({"msg_type": "text", "content": {"text": "x"}}, 99992402),  # content not a string
        ({"content": text("x")}, 99992402),  # no msg_type
        ({"msg_type": "video", "content": text("x")}, 230001),
        ({"msg_type": "text", "content": "not json"}, 230001),
        ({"msg_type": "text", "content": "[1, 2]"}, 230001),
        ({"msg_type": "text", "content": text("x"), "uuid": "u" * 51}, 99992402),
        ({"msg_type": "text", "content": text("x"), "uuid": 12}, 99992402),
    ],
)
async def test_send_with_bad_fields(
    api: Api, im: ImEmulator, user: str, body: dict[str, object], expected: int
) -> None:
    result = await api.call(
        "POST",
        "/open-apis/im/v1/messages",
        params={"receive_id_type": "open_id"},
        json={"receive_id": user, **body},
    )
    assert code_of(result) == (400, expected)
    assert im.messages() == []


async def test_uuid_of_50_characters_is_accepted(api: Api, user: str) -> None:
    assert code_of(await api.send(user, uuid="u" * 50)) == (200, 0)


async def test_uuid_deduplicates_within_an_hour(
    api: Api, im: ImEmulator, user: str, clock: ManualClock, fake: FakeLark
) -> None:
    first = sent_id(await api.send(user, uuid="job-1"))
    # the same uuid returns the same message, even with another body, and stores nothing
    assert sent_id(await api.send(user, content=text("changed"), uuid="job-1")) == first
    assert [m["uuid"] for m in im.messages()] == ["job-1"]
    assert sent_id(await api.send(user, uuid="job-2")) != first
    # another app's uuid space is its own
    other = await other_token(api.session, fake)
    mine_for_all = im.add_user()["open_id"]
    assert sent_id(await api.send(mine_for_all, uuid="job-1", token=other)) != first
    clock.advance(3599)
    assert sent_id(await api.send(user, uuid="job-1")) == first
    clock.advance(1)  # an hour after the first send: a new message
    assert sent_id(await api.send(user, uuid="job-1")) != first
    assert len(im.messages(receive_id=user)) == 3


async def test_five_per_second_per_user(
    api: Api, im: ImEmulator, user: str, clock: ManualClock
) -> None:
    results = [await api.send(user) for _ in range(6)]
    assert [code_of(r) for r in results[:5]] == [(200, 0)] * 5
    assert code_of(results[5]) == (400, 230020)
    other = im.add_user()["open_id"]  # another user has a window of their own
    assert code_of(await api.send(other)) == (200, 0)
    clock.advance(0.5)
    assert code_of(await api.send(user)) == (400, 230020)  # same second
    clock.advance(0.5)  # the next second
    assert code_of(await api.send(user)) == (200, 0)
    assert len(im.messages(receive_id=user)) == 6


async def test_five_per_second_per_chat_shared_by_bots(
    api: Api, im: ImEmulator, fake: FakeLark, clock: ManualClock
) -> None:
    chat = im.add_chat()
    other = await other_token(api.session, fake)
    for i in range(5):
        result = await api.send(chat, id_type="chat_id", token=other if i % 2 else None)
        assert code_of(result) == (200, 0)
    assert code_of(await api.send(chat, id_type="chat_id", token=other)) == (400, 230020)
    clock.advance(1)
    assert code_of(await api.send(chat, id_type="chat_id")) == (200, 0)


async def test_uuid_repeat_does_not_use_the_recipient_window(api: Api, user: str) -> None:
    sent_id(await api.send(user, uuid="same"))
    for _ in range(6):
        assert code_of(await api.send(user, uuid="same")) == (200, 0)
    for _ in range(4):
        assert code_of(await api.send(user)) == (200, 0)
    assert code_of(await api.send(user)) == (400, 230020)


@pytest.mark.parametrize(
    ("msg_type", "limit"),
    [("text", 150 * 1024), ("post", 30 * 1024), ("interactive", 30 * 1024)],
)
async def test_content_size_limits(api: Api, user: str, msg_type: str, limit: int) -> None:
    def content(size: int) -> str:
        if msg_type == "text":
            shell = text("")
            return text("a" * (size - len(shell)))
        if msg_type == "post":
            shell = dumps({"zh_cn": {"content": [[{"tag": "text", "text": ""}]]}})
            body = "a" * (size - len(shell))
            return dumps({"zh_cn": {"content": [[{"tag": "text", "text": body}]]}})
        shell = dumps({"elements": [{"tag": "div", "text": ""}]})
        return dumps({"elements": [{"tag": "div", "text": "a" * (size - len(shell))}]})

    assert len(content(limit).encode()) == limit
    assert code_of(await api.send(user, msg_type, content(limit))) == (200, 0)
    result = await api.send(user, msg_type, content(limit + 1))
    assert code_of(result) == (400, 230025)


async def test_size_counts_utf8_bytes(api: Api, user: str) -> None:
    # 10,300 CJK characters are 30,900 bytes: over the 30 KB post limit
    post = dumps({"zh_cn": {"content": [[{"tag": "text", "text": "字" * 10_300}]]}})
    assert code_of(await api.send(user, "post", post)) == (400, 230025)


# --- reply ------------------------------------------------------------------------------------
async def test_reply_links_parent_and_root(api: Api, im: ImEmulator, user: str) -> None:
    root = sent_id(await api.send(user))
    status, body = await api.reply(root, {"msg_type": "text", "content": text("re")})
    assert (status, body["code"]) == (200, 0)
    first = body["data"]
    assert (first["parent_id"], first["root_id"]) == (root, root)
    assert first["chat_id"] == im.message(root)["chat_id"] and "thread_id" not in first
    second = (await api.reply(first["message_id"], {"msg_type": "text", "content": text("2")}))[1]
    assert (second["data"]["parent_id"], second["data"]["root_id"]) == (first["message_id"], root)


async def test_reply_in_thread(api: Api, im: ImEmulator, user: str) -> None:
    root = sent_id(await api.send(user))
    body = {"msg_type": "text", "content": text("t"), "reply_in_thread": True}
    threaded = (await api.reply(root, body))[1]["data"]
    thread_id = threaded["thread_id"]
    assert thread_id.startswith("omt_") and im.message(root)["thread_id"] == thread_id
    # a reply to a thread message goes into the thread without asking
    plain = await api.reply(threaded["message_id"], {"msg_type": "text", "content": text("p")})
    assert plain[1]["data"]["thread_id"] == thread_id
    bad = await api.reply(root, {**body, "reply_in_thread": "yes"})
    assert code_of(bad) == (400, 99992402)


async def test_reply_uuid_and_rate(api: Api, im: ImEmulator, user: str) -> None:
    root = sent_id(await api.send(user))
    body = {"msg_type": "text", "content": text("re"), "uuid": "reply-1"}
    first = sent_id(await api.reply(root, body))
    assert sent_id(await api.reply(root, body)) == first
    for _ in range(3):
        sent_id(await api.send(user))
    # send and reply share the user's 5 per second
    assert code_of(await api.reply(root, {"msg_type": "text", "content": text("x")})) == (
        400,
        230020,
    )
    assert len(im.messages(receive_id=user)) == 5


async def test_reply_failures(api: Api, im: ImEmulator, user: str, fake: FakeLark) -> None:
    body = {"msg_type": "text", "content": text("re")}
    assert code_of(await api.reply("om_unknown", body)) == (400, 230001)
    recalled = sent_id(await api.send(user))
    await api.recall(recalled)
    assert code_of(await api.reply(recalled, body)) == (400, 230011)
    parent = sent_id(await api.send(user))
    assert code_of(await api.reply(parent, {"msg_type": "text", "content": "{}"})) == (400, 230001)
    # another app cannot reply in this bot's p2p chat...
    other = await other_token(api.session, fake)
    assert code_of(await api.reply(parent, body, other)) == (400, 230027)
    # ...but can in a group both bots are in
    chat = im.add_chat()
    in_group = sent_id(await api.send(chat, id_type="chat_id"))
    assert code_of(await api.reply(in_group, body, other)) == (200, 0)
    im.dissolve_chat(chat)
    assert code_of(await api.reply(in_group, body)) == (400, 232009)


# --- get --------------------------------------------------------------------------------------
async def test_get_message(api: Api, im: ImEmulator, user: str, fake: FakeLark) -> None:
    message_id = sent_id(await api.send(user, "text", text("hi")))
    status, body = await api.get(message_id)
    assert (status, body["code"]) == (200, 0)
    assert len(body["data"]["items"]) == 1
    item = body["data"]["items"][0]
    assert item["message_id"] == message_id and item["body"]["content"] == text("hi")
    assert code_of(await api.get("om_unknown")) == (400, 230001)
    other = await other_token(api.session, fake)
    assert code_of(await api.get(message_id, other)) == (400, 230027)
    chat = im.add_chat()
    in_group = sent_id(await api.send(chat, id_type="chat_id"))
    assert code_of(await api.get(in_group, other)) == (200, 0)
    im.state.chats[chat].bot_in_chat = False  # the bots were removed from the group
    assert code_of(await api.get(in_group, other)) == (400, 230002)
    assert code_of(await api.get(in_group)) == (200, 0)  # the sender still sees its own


# --- recall -----------------------------------------------------------------------------------
async def test_recall(api: Api, im: ImEmulator, user: str, fake: FakeLark) -> None:
    message_id = sent_id(await api.send(user))
    other = await other_token(api.session, fake)
    assert code_of(await api.recall(message_id, other)) == (400, 230026)
    status, body = await api.recall(message_id)
    assert (status, body["code"], body["data"]) == (200, 0, {})
    assert (await api.get(message_id))[1]["data"]["items"][0]["deleted"] is True
    assert code_of(await api.recall(message_id)) == (400, 230110)
    assert code_of(await api.recall("om_unknown")) == (400, 230001)
    chat = im.add_chat()
    in_group = sent_id(await api.send(chat, id_type="chat_id"))
    im.dissolve_chat(chat)
    assert code_of(await api.recall(in_group)) == (400, 232009)


# --- edit -------------------------------------------------------------------------------------
async def test_edit_text_and_post(api: Api, im: ImEmulator, user: str, clock: ManualClock) -> None:
    message_id = sent_id(await api.send(user, "text", text("v1")))
    clock.advance(2)
    status, body = await api.edit(message_id, {"msg_type": "text", "content": text("v2")})
    assert (status, body["code"]) == (200, 0)
    edited = body["data"]
    assert edited["body"]["content"] == text("v2") and edited["updated"] is True
    assert edited["update_time"] == "1700000002000" and edited["create_time"] == NOW_MS
    post = dumps({"en_us": {"title": "t", "content": [[{"tag": "text", "text": "v3"}]]}})
    assert code_of(await api.edit(message_id, {"msg_type": "post", "content": post})) == (200, 0)
    assert im.message(message_id)["msg_type"] == "post"


async def test_edit_limit_is_twenty(api: Api, user: str) -> None:
    message_id = sent_id(await api.send(user))
    for i in range(20):
        result = await api.edit(message_id, {"msg_type": "text", "content": text(f"v{i}")})
        assert code_of(result) == (200, 0)
    result = await api.edit(message_id, {"msg_type": "text", "content": text("one more")})
    assert code_of(result) == (400, 230072)


async def test_edit_failures(api: Api, im: ImEmulator, user: str, fake: FakeLark) -> None:
    body = {"msg_type": "text", "content": text("new")}
    message_id = sent_id(await api.send(user))
    other = await other_token(api.session, fake)
    assert code_of(await api.edit(message_id, body, other)) == (400, 230071)
    assert code_of(await api.edit("om_unknown", body)) == (400, 230001)
    assert code_of(await api.edit(message_id, {"msg_type": "text"})) == (400, 99992402)
    image_body = {"msg_type": "image", "content": dumps({"image_key": "img_x"})}
    assert code_of(await api.edit(message_id, image_body)) == (400, 230001)
    assert code_of(await api.edit(message_id, {"msg_type": "text", "content": "{}"})) == (
        400,
        230001,
    )
    too_long = {"msg_type": "text", "content": text("a" * 150 * 1024)}
    assert code_of(await api.edit(message_id, too_long)) == (400, 230025)
    card = sent_id(await api.send(user, "interactive", dumps(CARD_V1)))
    assert code_of(await api.edit(card, body)) == (400, 230001)
    await api.recall(message_id)
    assert code_of(await api.edit(message_id, body)) == (400, 230011)
    chat = im.add_chat()
    in_group = sent_id(await api.send(chat, id_type="chat_id"))
    im.dissolve_chat(chat)
    assert code_of(await api.edit(in_group, body)) == (400, 232009)
    assert im.message(message_id)["body"]["content"] == text("hello")


# --- update card (PATCH) ---------------------------------------------------------------------
async def test_update_shared_card(api: Api, im: ImEmulator, user: str) -> None:
    for card in (CARD_V1, CARD_V2):
        message_id = sent_id(await api.send(user, "interactive", dumps(card)))
        new_card = json.loads(dumps(card).replace('"hi"', '"done"'))
        status, body = await api.patch(message_id, dumps(new_card))
        assert (status, body["code"], body["data"]) == (200, 0, {})
        assert json.loads(im.message(message_id)["body"]["content"]) == new_card


async def test_update_card_failures(
    api: Api, im: ImEmulator, user: str, fake: FakeLark, clock: ManualClock
) -> None:
    card = sent_id(await api.send(user, "interactive", dumps(CARD_V1)))
    not_shared = {"elements": [{"tag": "div", "text": "private"}]}
    assert code_of(await api.patch(card, dumps(not_shared))) == (400, 230001)
    private = sent_id(await api.send(user, "interactive", dumps(not_shared)))
    assert code_of(await api.patch(private, dumps(CARD_V1))) == (400, 230001)
    plain = sent_id(await api.send(user, "text", text("x")))
    assert code_of(await api.patch(plain, dumps(CARD_V1))) == (400, 230001)
    assert code_of(await api.patch("om_unknown", dumps(CARD_V1))) == (400, 230001)
    assert code_of(await api.patch(card, {"not": "a string"})) == (400, 99992402)
    bad = await api.patch(card, dumps({"elements": "nope"}))
    assert code_of(bad) == (400, 230099) and "ErrCode: 200621" in ext_of(bad)
    huge = {**CARD_V1, "elements": [{"tag": "div", "text": "a" * 30 * 1024}]}
    assert code_of(await api.patch(card, dumps(huge))) == (400, 230025)
    other = await other_token(api.session, fake)
    assert code_of(await api.patch(card, dumps(CARD_V1), other)) == (400, 230027)
    await api.recall(private)
    assert code_of(await api.patch(private, dumps(CARD_V1))) == (400, 230011)
    chat = im.add_chat()
    in_group = sent_id(await api.send(chat, "interactive", dumps(CARD_V1), id_type="chat_id"))
    im.dissolve_chat(chat)
    assert code_of(await api.patch(in_group, dumps(CARD_V1))) == (400, 232009)
    assert json.loads(im.message(card)["body"]["content"]) == CARD_V1


async def test_update_card_within_14_days(
    api: Api, user: str, fake: FakeLark, clock: ManualClock
) -> None:
    card = sent_id(await api.send(user, "interactive", dumps(CARD_V1)))
    clock.advance(14 * 86400)
    token = await tenant_token(api.session, fake)  # the first token expired long ago
    assert code_of(await api.patch(card, dumps(CARD_V1), token)) == (200, 0)
    clock.advance(1)
    assert code_of(await api.patch(card, dumps(CARD_V1), token)) == (400, 230031)


async def test_update_card_five_per_second(api: Api, user: str, clock: ManualClock) -> None:
    card = sent_id(await api.send(user, "interactive", dumps(CARD_V1)))
    other_card = sent_id(await api.send(user, "interactive", dumps(CARD_V1)))
    results = [await api.patch(card, dumps(CARD_V1)) for _ in range(6)]
    assert [code_of(r) for r in results] == [(200, 0)] * 5 + [(400, 230020)]
    assert code_of(await api.patch(other_card, dumps(CARD_V1))) == (200, 0)
    clock.advance(1)
    assert code_of(await api.patch(card, dumps(CARD_V1))) == (200, 0)


async def test_changes_need_the_bot_in_the_chat_and_the_user_reachable(
    api: Api, im: ImEmulator, user: str
) -> None:
    edit = {"msg_type": "text", "content": text("new")}
    chat = im.add_chat()
    in_group = sent_id(await api.send(chat, id_type="chat_id"))
    card = sent_id(await api.send(chat, "interactive", dumps(CARD_V1), id_type="chat_id"))
    im.state.chats[chat].bot_in_chat = False  # the bot was removed from the group
    assert code_of(await api.edit(in_group, edit)) == (400, 230002)
    assert code_of(await api.patch(card, dumps(CARD_V1))) == (400, 230002)
    assert code_of(await api.recall(in_group)) == (400, 230002)
    to_user = sent_id(await api.send(user))
    seeded = im.state.user_by("open_id", user)
    assert seeded is not None
    seeded.reachable = False  # the user left the bot's availability
    assert code_of(await api.edit(to_user, edit)) == (400, 230013)
    assert code_of(await api.recall(to_user)) == (400, 230013)
    assert code_of(await api.reply(to_user, edit)) == (400, 230013)

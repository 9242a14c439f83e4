"""Tests of ImEmulator itself: seeding and inspection."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from lark_async.testing import TENANT_ONLY, FakeLark, ImEmulator, ManualClock
from lark_async.testing import im as im_module
from tests.emulator.helpers import APP_ID, tenant_token
from tests.emulator.im.helpers import BATCH, CARD_UPDATE, MESSAGES, code_of, request, send, sent_id


def test_add_user_generates_ids(im: ImEmulator) -> None:
    user = im.add_user(name="Ann", email="ann@example.com")
    assert user["open_id"].startswith("ou_") and user["union_id"].startswith("on_")
    assert user["user_id"] and user["name"] == "Ann" and user["reachable"] is True
    given = im.add_user("ou_given", union_id="on_given", user_id="u1", app_id=APP_ID)
    assert (given["open_id"], given["union_id"], given["user_id"]) == ("ou_given", "on_given", "u1")
    assert given["app_id"] == APP_ID


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"open_id": "oc_wrong"}, "open_id must start with 'ou_'"),
        ({"union_id": "ou_wrong"}, "union_id must start with 'on_'"),
        ({"email": "no-at-sign"}, "email must contain '@'"),
    ],
)
def test_add_user_rejects_bad_ids(im: ImEmulator, kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        im.add_user(**kwargs)


def test_add_user_rejects_duplicates(im: ImEmulator) -> None:
    im.add_user("ou_same", email="same@example.com")
    with pytest.raises(ValueError, match="open_id 'ou_same' already exists"):
        im.add_user("ou_same")
    with pytest.raises(ValueError, match="email"):
        im.add_user(email="same@example.com")


def test_seed_users_and_chats(im: ImEmulator, fake: FakeLark) -> None:
    ids = im.seed_users(3, app_id=APP_ID)
    assert len(set(ids)) == 3 and all(i.startswith("ou_") for i in ids)
    chat = im.add_chat(name="ops", members=ids)
    assert chat.startswith("oc_") and im.add_chat("oc_fixed") == "oc_fixed"
    with pytest.raises(ValueError, match="already exists"):
        im.add_chat("oc_fixed")
    with pytest.raises(ValueError, match="chat_id must start with 'oc_'"):
        im.add_chat("ou_nope")
    with pytest.raises(KeyError):
        im.dissolve_chat("oc_unknown")
    with pytest.raises(ValueError, match="root"):
        im.add_department("0", ids)
    # every view of the same emulator shares one state
    assert ImEmulator.of(fake).state is im.state
    assert repr(im) == "ImEmulator(users=3, chats=2, messages=0)"


def test_unknown_message(im: ImEmulator) -> None:
    with pytest.raises(KeyError):
        im.message("om_unknown")


async def test_messages_filters(
    fake: FakeLark, session: aiohttp.ClientSession, im: ImEmulator
) -> None:
    token = await tenant_token(session, fake)
    ann = im.add_user(name="Ann", email="ann@example.com")
    bob = im.add_user(name="Bob")["open_id"]
    chat = im.add_chat()
    to_ann = sent_id(await send(session, fake, token, ann["open_id"]))
    to_bob = sent_id(await send(session, fake, token, bob))
    to_chat = sent_id(await send(session, fake, token, chat, id_type="chat_id"))
    assert [m["message_id"] for m in im.messages()] == [to_ann, to_bob, to_chat]
    for any_id in (ann["open_id"], ann["union_id"], ann["user_id"], ann["email"]):
        assert [m["message_id"] for m in im.messages(receive_id=any_id)] == [to_ann]
    assert [m["message_id"] for m in im.messages(receive_id=chat)] == [to_chat]
    assert [m["message_id"] for m in im.messages(chat_id=chat)] == [to_chat]
    assert im.messages(receive_id="ou_nobody") == []
    await request(session, fake, token, "DELETE", f"{MESSAGES}/{to_bob}")
    assert [m["message_id"] for m in im.messages()] == [to_ann, to_chat]
    recalled = im.messages(receive_id=bob, include_recalled=True)
    assert [(m["message_id"], m["deleted"]) for m in recalled] == [(to_bob, True)]
    assert im.message(to_bob)["deleted"] is True


def test_routes_are_installed_tenant_only_in_the_im_family(clock: ManualClock) -> None:
    fake = FakeLark(time_func=clock)
    im_routes = [r for r in fake.router if r.template.startswith(("/open-apis/im/", BATCH))]
    # the chat search and chat get belong to the contact emulator (family im.chat)
    im_routes = [r for r in im_routes if not r.template.startswith("/open-apis/im/v1/chats")]
    im_routes += [r for r in fake.router if r.template == CARD_UPDATE]
    assert len(im_routes) == len(im_module.routes) == 13
    assert all(r.family == "im" and r.auth == TENANT_ONLY for r in im_routes)
    assert not any(r.template == MESSAGES for r in FakeLark(modules=[]).router)


async def test_user_tokens_are_refused(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    user_token = fake.issue_token(APP_ID, "user", subject="ou_someone")
    result = await send(session, fake, user_token, "ou_someone")
    assert code_of(result) == (400, 99991668)


async def test_the_app_wide_im_limit_applies(
    fake: FakeLark, session: aiohttp.ClientSession, im: ImEmulator
) -> None:
    token = await tenant_token(session, fake)
    users = im.seed_users(11)
    results = [await send(session, fake, token, users[i // 5]) for i in range(51)]
    assert {code_of(r) for r in results[:50]} == {(200, 0)}
    assert code_of(results[50]) == (429, 99991400)
    assert fake.rate_limited_count("im") == 1

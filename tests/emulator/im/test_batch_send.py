"""Legacy batch send, ``message/v4/batch_send/`` (CONTRACT §3.7): errors answer HTTP 200."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lark_async.testing import FakeLark, ImEmulator, ManualClock
from tests.emulator.helpers import APP_ID, tenant_token
from tests.emulator.im.helpers import (
    BATCH,
    CARD_V1,
    MESSAGES,
    Api,
    Result,
    code_of,
    image_key,
    other_token,
)

TEXT = {"msg_type": "text", "content": {"text": "maintenance at 22:00"}}


async def batch(api: Api, body: dict[str, Any], token: str | None = None) -> Result:
    return await api.call("POST", BATCH, token, json=body)


async def test_valid_ids_receive_and_invalid_ids_are_reported(api: Api, im: ImEmulator) -> None:
    ann, bob = im.seed_users(2, app_id=APP_ID)
    cat = im.add_user(user_id="cat01", union_id="on_cat", email="cat@example.com")
    dan = im.add_user()["open_id"]
    gone = im.add_user(reachable=False)
    theirs = im.add_user(app_id="cli_elsewhere")["open_id"]
    im.add_department("od-eng", [dan, ann, gone["open_id"]])
    status, body = await batch(
        api,
        {
            **TEXT,
            "open_ids": [ann, bob, "ou_unknown", theirs, gone["open_id"]],
            "user_ids": ["cat01", "nobody"],
            "union_ids": ["on_cat", "on_nobody", gone["union_id"]],
            "department_ids": ["od-eng", "od-unknown"],
        },
    )
    assert (status, body["code"]) == (200, 0)
    data = body["data"]
    assert data["message_id"].startswith("bm-")
    assert data["invalid_open_ids"] == ["ou_unknown", theirs, gone["open_id"]]
    assert data["invalid_user_ids"] == ["nobody"]
    assert data["invalid_union_ids"] == ["on_nobody", gone["union_id"]]
    assert data["invalid_department_ids"] == ["od-unknown"]
    # each valid user gets it once (cat named twice, ann directly and by department)
    recorded = im.batches[data["message_id"]]
    assert sorted(recorded["recipients"]) == sorted([ann, bob, cat["open_id"], dan])
    assert recorded["msg_type"] == "text" and recorded["open_ids"][0] == ann
    assert recorded["invalid_open_ids"] == data["invalid_open_ids"]
    for open_id in (ann, bob, cat["open_id"], dan):
        [message] = im.messages(receive_id=open_id)
        assert message["batch_message_id"] == data["message_id"]
        assert json.loads(message["body"]["content"]) == TEXT["content"]
    assert im.messages(receive_id=gone["open_id"]) == []


async def test_batch_messages_cannot_be_changed(api: Api, im: ImEmulator) -> None:
    [ann] = im.seed_users(1)
    bm = (await batch(api, {**TEXT, "open_ids": [ann]}))[1]["data"]["message_id"]
    [message_id] = im.batches[bm]["message_ids"]
    path = f"{MESSAGES}/{message_id}"
    reply = {"msg_type": "text", "content": json.dumps({"text": "re"})}
    assert code_of(await api.call("POST", path + "/reply", json=reply)) == (400, 230001)
    assert code_of(await api.call("PUT", path, json=reply)) == (400, 230001)
    assert code_of(await api.call("DELETE", path)) == (400, 230001)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"msg_type": "file", "content": {"file_key": "x"}, "open_ids": ["ou_a"]}, 10003),
        ({"content": {"text": "x"}, "open_ids": ["ou_a"]}, 10003),
        ({**TEXT}, 10003),  # no recipients at all
        ({**TEXT, "open_ids": []}, 10003),
        ({**TEXT, "open_ids": "ou_a"}, 10003),
        ({**TEXT, "open_ids": [""]}, 10003),
        ({**TEXT, "department_ids": ["0"]}, 10003),
        ({**TEXT, "open_ids": [f"ou_{i}" for i in range(201)]}, 10003),
        ({**TEXT, "union_ids": [f"on_{i}" for i in range(201)]}, 10003),
        ({"msg_type": "text", "open_ids": ["ou_a"]}, 10003),
        ({"msg_type": "text", "content": '{"text": "x"}', "open_ids": ["ou_a"]}, 10003),
        ({"msg_type": "text", "content": {"text": ""}, "open_ids": ["ou_a"]}, 10003),
        ({"msg_type": "text", "content": {"text": "a" * 150 * 1024}, "open_ids": ["ou_a"]}, 19036),
        ({"msg_type": "image", "content": {}, "open_ids": ["ou_a"]}, 11227),
        ({"msg_type": "image", "content": {"image_key": "img_v2_x"}, "open_ids": ["ou_a"]}, 11227),
        ({"msg_type": "post", "content": {"zh_cn": {}}, "open_ids": ["ou_a"]}, 10003),
        ({"msg_type": "share_chat", "content": {}, "open_ids": ["ou_a"]}, 11231),
        (
            {"msg_type": "share_chat", "content": {"share_chat_id": "oc_x"}, "open_ids": ["ou_a"]},
            11231,
        ),
        ({"msg_type": "interactive", "open_ids": ["ou_a"]}, 10003),
        ({"msg_type": "interactive", "card": {"elements": 1}, "open_ids": ["ou_a"]}, 11246),
        (
            {
                "msg_type": "interactive",
                "card": {"elements": [{"tag": "div", "text": "a" * 30 * 1024}]},
                "open_ids": ["ou_a"],
            },
            19036,
        ),
    ],
)
async def test_errors_answer_http_200(
    api: Api, im: ImEmulator, body: dict[str, Any], code: int
) -> None:
    assert code_of(await batch(api, body)) == (200, code)
    assert im.batches == {} and im.messages() == []


async def test_two_hundred_ids_are_accepted(api: Api, im: ImEmulator) -> None:
    users = im.seed_users(200)
    status, body = await batch(api, {**TEXT, "open_ids": users})
    assert (status, body["code"], body["data"]["invalid_open_ids"]) == (200, 0, [])
    assert len(im.messages()) == 200


async def test_content_kinds(api: Api, im: ImEmulator, fake: FakeLark) -> None:
    [ann] = im.seed_users(1)
    chat = im.add_chat()
    key = await image_key(api.session, fake, api.token)
    post = {"zh_cn": {"title": "T", "content": [[{"tag": "text", "text": "x"}]]}}
    for body, stored in (
        ({"msg_type": "image", "content": {"image_key": key}}, {"image_key": key}),
        ({"msg_type": "post", "content": {"post": post}}, post),
        ({"msg_type": "share_chat", "content": {"share_chat_id": chat}}, {"chat_id": chat}),
        ({"msg_type": "interactive", "card": CARD_V1}, CARD_V1),
    ):
        status, result = await batch(api, {**body, "open_ids": [ann]})
        assert (status, result["code"]) == (200, 0), result
        [message_id] = im.batches[result["data"]["message_id"]]["message_ids"]
        assert json.loads(im.message(message_id)["body"]["content"]) == stored


async def test_post_rules_for_batch(api: Api, im: ImEmulator, fake: FakeLark) -> None:
    [ann] = im.seed_users(1)
    md = {"zh_cn": {"content": [[{"tag": "md", "text": "**x**"}]]}}
    result = await batch(api, {"msg_type": "post", "content": {"post": md}, "open_ids": [ann]})
    assert code_of(result) == (200, 10003) and "unsupported tag 'md'" in result[1]["msg"]
    other = await other_token(api.session, fake)
    theirs = await image_key(api.session, fake, other)
    image = {"msg_type": "image", "content": {"image_key": theirs}, "open_ids": [ann]}
    assert code_of(await batch(api, image)) == (200, 11227)
    in_post = {"zh_cn": {"content": [[{"tag": "img", "image_key": theirs}]]}}
    body = {"msg_type": "post", "content": {"post": in_post}, "open_ids": [ann]}
    assert code_of(await batch(api, body)) == (200, 11227)


async def test_daily_limit(api: Api, im: ImEmulator, clock: ManualClock, fake: FakeLark) -> None:
    users = im.seed_users(3)
    im.state.batch_daily_limit = 4
    assert code_of(await batch(api, {**TEXT, "open_ids": users})) == (200, 0)
    assert code_of(await batch(api, {**TEXT, "open_ids": users[:2]})) == (200, 11247)
    assert code_of(await batch(api, {**TEXT, "open_ids": users[:1]})) == (200, 0)
    assert code_of(await batch(api, {**TEXT, "open_ids": users[:1]})) == (200, 11247)
    clock.advance(86400)  # a new day
    token = await tenant_token(api.session, fake)
    assert code_of(await batch(api, {**TEXT, "open_ids": users}, token)) == (200, 0)

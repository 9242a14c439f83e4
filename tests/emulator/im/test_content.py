"""Message ``content`` per ``msg_type`` (CONTRACT §3.2), through the send endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from lark_async.testing import ImEmulator, ManualClock
from tests.emulator.im.helpers import (
    CARD_V1,
    CARD_V2,
    Api,
    code_of,
    dumps,
    ext_of,
    file_key,
    image_key,
    other_token,
    text,
)


@pytest.fixture
async def keys(api: Api) -> dict[str, str]:
    """One upload of each kind by this app, and an image of another app."""
    other = await other_token(api.session, api.fake)
    return {
        "image": await image_key(api.session, api.fake, api.token),
        "pdf": await file_key(api.session, api.fake, api.token, "pdf"),
        "mp4": await file_key(api.session, api.fake, api.token, "mp4"),
        "opus": await file_key(api.session, api.fake, api.token, "opus"),
        "other_image": await image_key(api.session, api.fake, other),
    }


def post(*paragraphs: list[dict[str, Any]], locale: str = "zh_cn") -> dict[str, Any]:
    return {locale: {"title": "T", "content": list(paragraphs)}}


# --- text ---------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [{}, {"text": ""}, {"text": 5}])
async def test_text_needs_text(api: Api, user: str, content: dict[str, Any]) -> None:
    result = await api.send(user, "text", dumps(content))
    assert code_of(result) == (400, 230001) and 'needs a non-empty "text"' in ext_of(result)


async def test_text_at_all_follows_the_chat_setting(api: Api, im: ImEmulator) -> None:
    at_all = text('<at user_id="all"></at> standup')
    quiet = im.add_chat(allow_at_all=False)
    assert code_of(await api.send(quiet, "text", at_all, id_type="chat_id")) == (400, 230018)
    assert code_of(await api.send(quiet, "text", text("no mention"), id_type="chat_id")) == (
        200,
        0,
    )
    loud = im.add_chat()
    assert code_of(await api.send(loud, "text", at_all, id_type="chat_id")) == (200, 0)


# --- post ---------------------------------------------------------------------------------
async def test_post_with_every_tag(api: Api, user: str, keys: dict[str, str]) -> None:
    content = post(
        [
            {"tag": "text", "text": "bold ", "style": ["bold"], "un_escape": True},
            {"tag": "a", "text": "link", "href": "https://example.com/x?y=1"},
            {"tag": "at", "user_id": user},
            {"tag": "emotion", "emoji_type": "SMILE"},
        ],
        [{"tag": "img", "image_key": keys["image"]}],
        [{"tag": "media", "file_key": keys["mp4"], "image_key": keys["image"]}],
        [{"tag": "code_block", "language": "PYTHON", "text": "print(1)"}],
        [{"tag": "hr"}],
        [{"tag": "md", "text": "**bold** [a](https://example.com)"}],
        [],
    )
    content.update(post([{"tag": "text", "text": "en"}], locale="en_us"))
    assert code_of(await api.send(user, "post", dumps(content))) == (200, 0)


BAD_POSTS: list[tuple[Any, int, str]] = [
    ({}, 230001, "at least one locale"),
    ({"chinese": {"content": [[]]}}, 230001, "a post is {locale"),
    ({"zh_cn": "text"}, 230001, "a post is {locale"),
    ({"zh_cn": {"title": 1, "content": [[]]}}, 230001, "title must be a string"),
    ({"zh_cn": {"content": []}}, 230001, "non-empty list of paragraphs"),
    ({"zh_cn": {"title": "only"}}, 230001, "non-empty list of paragraphs"),
    (post({"tag": "text"}), 230001, "must be a list of nodes"),  # type: ignore[arg-type]
    (post(["node"]), 230001, "must be an object with a tag"),  # type: ignore[list-item]
    (post([{"tag": "video"}]), 230001, "unsupported tag 'video'"),
    (post([{"tag": "text"}]), 230001, "text is required"),
    (post([{"tag": "text", "text": "x", "style": "bold"}]), 230001, "style must be a list"),
    (post([{"tag": "a", "text": "x"}]), 230001, "href is required"),
    (post([{"tag": "a", "text": "x", "href": "example.com"}]), 230001, "not a valid http(s)"),
    (post([{"tag": "a", "text": "x", "href": "javascript:alert(1)"}]), 230001, "not a valid"),
    (post([{"tag": "a", "text": "x", "href": "https://"}]), 230001, "not a valid"),
    (post([{"tag": "at"}]), 230001, "user_id is required"),
    (post([{"tag": "emotion"}]), 230001, "emoji_type is required"),
    (post([{"tag": "code_block", "text": "x", "language": 3}]), 230001, "language must be"),
    (post([{"tag": "img"}]), 230001, "image_key is required"),
    (post([{"tag": "img", "image_key": "img_v2_unknown"}]), 230001, "invalid image_key"),
    (post([{"tag": "media", "file_key": "file_v2_unknown"}]), 230001, "invalid file_key"),
    (post([{"tag": "md", "text": "a"}, {"tag": "text", "text": "b"}]), 230001, "alone in its"),
]


@pytest.mark.parametrize(("content", "code", "ext"), BAD_POSTS)
async def test_bad_post(api: Api, user: str, content: Any, code: int, ext: str) -> None:
    result = await api.send(user, "post", dumps(content))
    assert code_of(result) == (400, code)
    assert ext in ext_of(result)


async def test_post_resources(api: Api, user: str, keys: dict[str, str]) -> None:
    async def send_post(*paragraphs: list[dict[str, Any]]) -> tuple[int, int]:
        return code_of(await api.send(user, "post", dumps(post(*paragraphs))))

    image = {"tag": "img", "image_key": keys["image"]}
    assert await send_post([image, {"tag": "text", "text": "caption"}]) == (400, 230001)
    assert await send_post([{"tag": "img", "image_key": keys["other_image"]}]) == (400, 230017)
    assert await send_post([{"tag": "img", "image_key": keys["pdf"]}]) == (400, 230055)
    assert await send_post([{"tag": "media", "file_key": keys["pdf"]}]) == (400, 230055)
    assert await send_post([{"tag": "media", "file_key": keys["image"]}]) == (400, 230055)
    cover = {"tag": "media", "file_key": keys["mp4"], "image_key": "img_v2_unknown"}
    assert await send_post([cover]) == (400, 230001)


async def test_post_at_all_follows_the_chat_setting(api: Api, im: ImEmulator) -> None:
    quiet = im.add_chat(allow_at_all=False)
    content = dumps(post([{"tag": "at", "user_id": "all"}]))
    assert code_of(await api.send(quiet, "post", content, id_type="chat_id")) == (400, 230018)


# --- resources ----------------------------------------------------------------------------
async def test_resource_messages(
    api: Api, user: str, keys: dict[str, str], clock: ManualClock
) -> None:
    good = [
        ("image", {"image_key": keys["image"]}),
        ("file", {"file_key": keys["pdf"]}),
        ("file", {"file_key": keys["opus"]}),
        ("audio", {"file_key": keys["opus"]}),
        ("media", {"file_key": keys["mp4"]}),
        ("media", {"file_key": keys["mp4"], "image_key": keys["image"]}),
        ("sticker", {"file_key": "file_sticker_received"}),
    ]
    for msg_type, content in good:
        clock.advance(1)  # past the user's 5 messages a second
        assert code_of(await api.send(user, msg_type, dumps(content))) == (200, 0), msg_type


@pytest.mark.parametrize(
    ("msg_type", "content", "expected"),
    [
        ("image", {}, 230001),
        ("image", {"image_key": "img_v2_unknown"}, 230001),
        ("image", {"image_key": "other_image"}, 230017),
        ("image", {"image_key": "pdf"}, 230055),
        ("file", {"file_key": "image"}, 230055),
        ("file", {"file_key": "file_v2_unknown"}, 230001),
        ("audio", {"file_key": "pdf"}, 230055),
        ("audio", {"file_key": "mp4"}, 230055),
        ("media", {"file_key": "opus"}, 230055),
        ("media", {"file_key": "mp4", "image_key": "pdf"}, 230055),
        ("sticker", {}, 230001),
    ],
)
async def test_bad_resource_messages(
    api: Api,
    user: str,
    keys: dict[str, str],
    msg_type: str,
    content: dict[str, str],
    expected: int,
) -> None:
    resolved = {k: keys.get(v, v) for k, v in content.items()}
    assert code_of(await api.send(user, msg_type, dumps(resolved))) == (400, expected)


# --- cards --------------------------------------------------------------------------------
GOOD_CARDS: list[dict[str, Any]] = [
    CARD_V1,
    CARD_V2,
    {"i18n_elements": {"zh_cn": []}, "header": {"title": {"tag": "plain_text", "content": "x"}}},
    {"type": "template", "data": {"template_id": "AAq1", "template_variable": {"a": 1}}},
    {"type": "card", "data": {"card_id": "7355439197428236291"}},
]


@pytest.mark.parametrize("card", GOOD_CARDS)
async def test_cards(api: Api, user: str, card: dict[str, Any]) -> None:
    assert code_of(await api.send(user, "interactive", dumps(card))) == (200, 0)


@pytest.mark.parametrize(
    ("card", "sub_code"),
    [
        ({"header": {}}, 200621),
        ({"elements": "x"}, 200621),
        ({"config": [], "elements": []}, 200621),
        ({"schema": "2.0", "body": {}}, 200621),
        ({"schema": "3.0", "elements": []}, 200621),
        ({"type": "template", "data": {}}, 200621),
        ({"type": "template", "data": {"template_id": "x", "template_variable": []}}, 200621),
        ({"type": "card", "data": {"card_id": ""}}, 200621),
        ({"type": "unknown"}, 200621),
        ({"schema": "2.0", "body": {"elements": [{"tag": "hr"}] * 201}}, 11310),
    ],
)
async def test_bad_cards(api: Api, user: str, card: dict[str, Any], sub_code: int) -> None:
    result = await api.send(user, "interactive", dumps(card))
    assert code_of(result) == (400, 230099)
    assert f"ErrCode: {sub_code};" in ext_of(result)
    assert ext_of(result).startswith("Failed to create card content")


# --- share_chat, share_user, system -------------------------------------------------------
async def test_share_chat(api: Api, im: ImEmulator, user: str) -> None:
    async def share(chat_id: str) -> tuple[int, int]:
        return code_of(await api.send(user, "share_chat", dumps({"chat_id": chat_id})))

    chat = im.add_chat(name="ops")
    assert await share(chat) == (200, 0)
    assert await share("oc_unknown") == (400, 230001)
    assert await share(im.add_chat(bot_in_chat=False)) == (400, 230002)
    p2p = im.message(im.messages()[0]["message_id"])["chat_id"]
    assert await share(p2p) == (400, 230015)
    im.dissolve_chat(chat)
    assert await share(chat) == (400, 232009)
    assert code_of(await api.send(user, "share_chat", dumps({}))) == (400, 230001)


async def test_share_user(api: Api, im: ImEmulator, user: str) -> None:
    async def share(open_id: str) -> tuple[int, int]:
        return code_of(await api.send(user, "share_user", dumps({"user_id": open_id})))

    assert await share(im.add_user()["open_id"]) == (200, 0)
    assert await share("ou_unknown") == (400, 230001)
    assert await share(im.add_user(app_id="cli_elsewhere")["open_id"]) == (400, 230001)


def divider(label: str, **i18n: str) -> str:
    divider_text: dict[str, Any] = {"text": label}
    if i18n:
        divider_text["i18n_text"] = i18n
    return dumps({"type": "divider", "params": {"divider_text": divider_text}})


async def test_system_message(api: Api, im: ImEmulator, user: str) -> None:
    assert code_of(await api.send(user, "system", divider("新会话", en_US="New topic"))) == (200, 0)
    assert code_of(await api.send(user, "system", divider("x" * 20))) == (200, 0)
    assert code_of(await api.send(user, "system", divider("字" * 10))) == (200, 0)
    for bad in (
        divider("x" * 21),
        divider("字" * 11),
        divider("ok", en_US="y" * 21),
        divider("ok", en_US=3),  # type: ignore[arg-type]
        dumps({"type": "banner", "params": {"divider_text": {"text": "x"}}}),
        dumps({"type": "divider", "params": {}}),
    ):
        assert code_of(await api.send(user, "system", bad)) == (400, 230001), bad
    chat = im.add_chat()
    result = await api.send(chat, "system", divider("hi"), id_type="chat_id")
    assert code_of(result) == (400, 230001) and "p2p" in ext_of(result)

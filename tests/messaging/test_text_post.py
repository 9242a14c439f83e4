"""Text formatting helpers and the rich text (post) builder (no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.errors import InvalidParameter
from lark_async.messaging import (
    At,
    Emotion,
    Img,
    Link,
    Md,
    MessageContent,
    RichText,
    Text,
    bold,
    italic,
    link,
    mention,
    mention_all,
    strikethrough,
    underline,
)


def test_text_helpers_produce_feishu_markup() -> None:
    assert mention("ou_1", "Ann") == '<at user_id="ou_1">Ann</at>'
    assert mention_all() == '<at user_id="all"></at>'
    assert bold("b") == "**b**"
    assert italic("i") == "<i>i</i>"
    assert underline("u") == "<u>u</u>"
    assert strikethrough("s") == "<s>s</s>"
    assert link("docs", "https://example.com/a?b=1") == "[docs](https://example.com/a?b=1)"
    nested = bold(italic("x"))
    assert nested == "**<i>x</i>**"


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: mention(""), "user_id"),
        (lambda: mention("all"), "user_id"),
        (lambda: mention('ou_1"x'), "user_id"),
        (lambda: mention("ou_1", "<b>"), "name"),
        (lambda: bold(""), "text"),
        (lambda: link("x", "javascript:alert(1)"), "url"),
        (lambda: link("x", "example.com"), "url"),
        (lambda: link("x", "https://exa mple.com"), "url"),
        (lambda: link("a]b", "https://example.com"), "text"),
    ],
)
def test_text_helpers_refuse_markup_breaking_input(call: object, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        call()  # type: ignore[operator]
    assert exc.value.details["parameter"] == parameter
    assert exc.value.hint


def test_post_builder_emits_every_tag_in_two_locales() -> None:
    post = RichText("Release")
    post.paragraph(
        "Shipped by ",
        At("ou_1", "Ann"),
        Text(" all green", style=["bold", "italic"]),
        Link("notes", "https://example.com/n", style=["underline"]),
        Emotion("SMILE"),
    )
    post.image("img_v2_1").media("file_v2_1", "img_v2_2").code_block("print(1)", "python")
    post.hr().markdown("**done**")
    post.locale("en_us", "Release EN").paragraph(Text("plain", un_escape=True), At("all"))
    content = post.to_content()
    assert list(content) == ["zh_cn", "en_us"]
    zh = content["zh_cn"]
    assert zh["title"] == "Release"
    tags = [[n["tag"] for n in p] for p in zh["content"]]
    assert tags == [
        ["text", "at", "text", "a", "emotion"],
        ["img"],
        ["media"],
        ["code_block"],
        ["hr"],
        ["md"],
    ]
    assert zh["content"][0][2] == {"tag": "text", "text": " all green", "style": ["bold", "italic"]}
    assert zh["content"][0][1] == {"tag": "at", "user_id": "ou_1", "user_name": "Ann"}
    assert zh["content"][3][0] == {"tag": "code_block", "text": "print(1)", "language": "PYTHON"}
    assert content["en_us"]["content"][0][0] == {"tag": "text", "text": "plain", "un_escape": True}
    msg = MessageContent.post(post)
    assert msg.msg_type == "post"
    assert json.loads(msg.content) == content


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda p: p.paragraph(), "is empty"),
        (lambda p: p.paragraph("x", Img("img_1")), "mixes img"),
        (lambda p: p.paragraph(Md("x"), "y"), "mixes md"),
        (lambda p: p.paragraph(Text("x", style=["blink"])), "not a post style"),  # type: ignore[list-item]
        (lambda p: p.paragraph(Link("x", "ftp://x")), "http(s)"),
        (lambda p: p.paragraph(Img("file_1")), "img_"),
        (lambda p: p.paragraph(Text("")), "non-empty"),
        (lambda p: p.paragraph(42), "not a post node"),
        (lambda p: p.locale("EN"), "locale code"),
    ],
)
def test_post_builder_refuses_bad_paragraphs(build: object, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        build(RichText("t"))  # type: ignore[operator]


def test_empty_post_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="no locale with paragraphs"):
        RichText("title only").to_content()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ({}, "no locale"),
        ({"zh": {"content": [[{"tag": "text", "text": "x"}]]}}, "locale code"),
        ({"zh_cn": {"content": []}}, "non-empty list of paragraphs"),
        ({"zh_cn": {"content": [[{"tag": "bogus"}]]}}, "unknown node"),
        ({"zh_cn": {"content": [[{"tag": "a", "text": "x"}]]}}, "'href'"),
        ({"zh_cn": {"title": 3, "content": [[{"tag": "hr"}]]}}, "title"),
        ({"zh_cn": {"content": [[{"tag": "text", "text": "x", "style": "bold"}]]}}, "list"),
    ],
)
def test_hand_written_posts_are_checked(content: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        MessageContent.post(content)


def test_size_limits_text_150kb_post_30kb() -> None:
    MessageContent.text("x" * 140_000)
    with pytest.raises(InvalidParameter) as exc:
        MessageContent.text("x" * 151 * 1024)
    assert "150 KB" in (exc.value.hint or "")
    with pytest.raises(InvalidParameter) as exc:
        MessageContent.post(RichText("t").paragraph("é" * 16_000))  # 32 KB of UTF-8
    assert "30 KB" in (exc.value.hint or "")
    with pytest.raises(InvalidParameter, match="non-empty"):
        MessageContent.text("   ")


def test_other_content_types_and_batch_bodies() -> None:
    assert MessageContent.media("file_1", "img_1").data == {
        "file_key": "file_1",
        "image_key": "img_1",
    }
    assert MessageContent.share_user("ou_1").data == {"user_id": "ou_1"}
    assert MessageContent.share_chat("oc_1").batch_body() == {
        "msg_type": "share_chat",
        "content": {"share_chat_id": "oc_1"},
    }
    post = MessageContent.post(RichText("t").paragraph("x"))
    assert post.batch_body()["content"] == {"post": dict(post.data)}
    with pytest.raises(InvalidParameter, match="md"):
        MessageContent.post(RichText("t").markdown("**x**")).batch_body()
    with pytest.raises(InvalidParameter, match="cannot send file"):
        MessageContent.file("file_1").batch_body()
    divider = MessageContent.system_divider("新会话", i18n={"en_US": "New"})
    assert divider.data["params"]["divider_text"]["i18n_text"] == {"en_US": "New"}
    with pytest.raises(InvalidParameter, match="divider"):
        MessageContent.system_divider("一二三四五六七八九十十一")  # 11 CJK = 22 wide
    with pytest.raises(InvalidParameter, match="ou_"):
        MessageContent.share_user("on_1")
    with pytest.raises(InvalidParameter, match="oc_"):
        MessageContent.share_chat("ou_1")


_node = st.dictionaries(
    st.sampled_from(
        ["tag", "text", "href", "user_id", "image_key", "file_key", "style", "emoji_type"]
    ),
    st.none()
    | st.text(max_size=6)
    | st.sampled_from(["text", "a", "img", "md", "hr", "https://x.io"])
    | st.lists(st.text(max_size=4), max_size=2),
    max_size=4,
)


@given(
    st.dictionaries(
        st.sampled_from(["zh_cn", "en_us", "EN", "x"]),
        st.none()
        | st.fixed_dictionaries(
            {
                "title": st.text(max_size=4),
                "content": st.lists(st.lists(_node, max_size=3) | st.none(), max_size=3),
            }
        ),
        max_size=2,
    )
)
def test_any_post_shaped_input_is_accepted_or_refused_cleanly(content: dict[str, Any]) -> None:
    try:
        msg = MessageContent.post(content)
    except InvalidParameter as err:
        assert err.hint  # refused with an explanation, never another exception
    else:
        assert json.loads(msg.content) == msg.data and msg.msg_type == "post"

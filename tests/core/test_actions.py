"""``lark_async.core.actions``: handler names and the stamping of card JSON 1.0 and 2.0."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lark_async.core.actions import (
    CARD_ACTION_KEY,
    CardActionRef,
    action_name,
    route_card,
    routed_name,
)
from lark_async.core.errors import InvalidParameter

KEY = CARD_ACTION_KEY


def _button(text: str, **extra: Any) -> dict[str, Any]:
    return {"tag": "button", "text": {"tag": "plain_text", "content": text}, **extra}


def card_v1() -> dict[str, Any]:
    """A JSON 1.0 card: action module, a div's extra, a column set, a select, a link."""
    return {
        "config": {"update_multi": True},
        "elements": [
            {"tag": "div", "text": {"tag": "lark_md", "content": "hi"}, "extra": _button("Go")},
            {
                "tag": "action",
                "actions": [
                    _button("Approve", value={"action": "approve", "id": 7}),
                    _button("Docs", url="https://open.feishu.cn"),
                    {
                        "tag": "select_static",
                        "options": [{"text": {"tag": "plain_text", "content": "A"}, "value": "a"}],
                    },
                ],
            },
            {
                "tag": "column_set",
                "columns": [{"tag": "column", "elements": [_button("Deep", value={})]}],
            },
        ],
    }


def card_v2() -> dict[str, Any]:
    """A JSON 2.0 card: behaviours, a form, a collapsible panel, columns, a link button."""
    return {
        "schema": "2.0",
        "body": {
            "elements": [
                _button("Approve", behaviors=[{"type": "callback", "value": {"id": 1}}]),
                _button("Open", behaviors=[{"type": "open_url", "default_url": "https://x.cn"}]),
                _button("Bare"),
                {
                    "tag": "form",
                    "name": "f",
                    "elements": [
                        {"tag": "input", "name": "reason"},
                        _button("Submit", name="submit", form_action_type="submit"),
                    ],
                },
                {
                    "tag": "collapsible_panel",
                    "elements": [
                        {
                            "tag": "column_set",
                            "columns": [
                                {
                                    "tag": "column",
                                    "elements": [
                                        _button(
                                            "Nested",
                                            behaviors=[{"type": "callback", "value": {"n": 2}}],
                                        )
                                    ],
                                }
                            ],
                        }
                    ],
                },
            ]
        },
    }


class Named:
    card_action_name = "from.object"


def test_action_name_accepts_a_name_or_an_object_naming_one() -> None:
    assert action_name("expense.approve") == "expense.approve"
    assert action_name(Named()) == "from.object"
    assert isinstance(Named(), CardActionRef)


@pytest.mark.parametrize(
    "bad", [None, 3, b"x", "", "   ", "a\nb", "x" * 201, object(), ["x"], "\ud800"]
)
def test_action_name_refuses_bad_input_naming_the_argument(bad: Any) -> None:
    with pytest.raises(InvalidParameter, match="on_action") as caught:
        action_name(bad)
    assert caught.value.details["argument"] == "on_action"


def test_an_object_with_a_bad_name_is_refused() -> None:
    class Empty:
        card_action_name = ""

    class Broken:
        @property
        def card_action_name(self) -> str:
            raise RuntimeError("boom")

    for bad in (Empty(), Broken()):
        with pytest.raises(InvalidParameter, match="on_action"):
            action_name(bad)


def test_schema_1_every_callback_value_is_stamped() -> None:
    card = card_v1()
    out = route_card(card, "approve.flow")
    elements = out["elements"]
    assert elements[0]["extra"]["value"] == {KEY: "approve.flow"}  # created
    actions = elements[1]["actions"]
    assert actions[0]["value"] == {"action": "approve", "id": 7, KEY: "approve.flow"}
    assert "value" not in actions[1]  # a link button calls nothing back
    assert actions[2]["value"] == {KEY: "approve.flow"}
    assert actions[2]["options"][0]["value"] == "a"  # option values are left alone
    deep = elements[2]["columns"][0]["elements"][0]
    assert deep["value"] == {KEY: "approve.flow"}


def test_schema_2_behaviours_are_stamped_nested_and_in_forms() -> None:
    out = route_card(card_v2(), "flow")
    els = out["body"]["elements"]
    assert els[0]["behaviors"] == [{"type": "callback", "value": {"id": 1, KEY: "flow"}}]
    assert els[1]["behaviors"] == [{"type": "open_url", "default_url": "https://x.cn"}]
    assert els[2]["behaviors"] == [{"type": "callback", "value": {KEY: "flow"}}]
    form = els[3]["elements"]
    assert "behaviors" not in form[0] and "value" not in form[0]  # a form field
    assert form[1]["behaviors"] == [{"type": "callback", "value": {KEY: "flow"}}]
    nested = els[4]["elements"][0]["columns"][0]["elements"][0]
    assert nested["behaviors"][0]["value"] == {"n": 2, KEY: "flow"}


def test_i18n_elements_and_legacy_value_in_schema_2() -> None:
    v1 = {"i18n_elements": {"zh_cn": [_button("好")], "en_us": [_button("OK")]}}
    out = route_card(v1, "x")
    assert out["i18n_elements"]["zh_cn"][0]["value"] == {KEY: "x"}
    assert out["i18n_elements"]["en_us"][0]["value"] == {KEY: "x"}
    v2 = {"schema": "2.0", "body": {"elements": [_button("B", value={"a": 1})]}}
    assert route_card(v2, "x")["body"]["elements"][0]["value"] == {"a": 1, KEY: "x"}


def test_the_callers_card_is_not_changed() -> None:
    for make in (card_v1, card_v2):
        card = make()
        before = copy.deepcopy(card)
        out = route_card(card, "n")
        assert card == before
        assert out != before


def test_the_same_name_twice_is_fine_another_is_refused() -> None:
    once = route_card(card_v2(), "a")
    assert route_card(once, "a") == once
    with pytest.raises(InvalidParameter, match="already routes to 'a'") as caught:
        route_card(once, "b")
    assert "on_action" in str(caught.value)
    assert caught.value.details["argument"] == "on_action"
    wrong = {"elements": [_button("B", value={KEY: 5})]}
    with pytest.raises(InvalidParameter, match="on_action"):
        route_card(wrong, "b")


def test_a_string_value_cannot_carry_the_name() -> None:
    card = {"schema": "2.0", "body": {"elements": [_button("B", value="approve")]}}
    with pytest.raises(InvalidParameter, match=r"on_action.*str, not an object"):
        route_card(card, "n")


def test_templates_and_cards_without_buttons_are_refused() -> None:
    template = {"type": "template", "data": {"template_id": "AAq1"}}
    with pytest.raises(InvalidParameter, match=r"on_action.*template"):
        route_card(template, "n")
    text_only = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "x"}]}}
    with pytest.raises(InvalidParameter, match=r"on_action.*calls back"):
        route_card(text_only, "n")
    links = {"elements": [_button("Docs", url="https://open.feishu.cn")]}
    with pytest.raises(InvalidParameter, match="on_action"):
        route_card(links, "n")


def test_a_card_nested_too_deeply_is_refused_not_a_recursion_error() -> None:
    node: Any = _button("B")
    for _ in range(200):
        node = {"tag": "column", "elements": [node]}
    with pytest.raises(InvalidParameter, match="on_action"):
        route_card({"elements": [node]}, "n")


def test_routed_name_reads_the_key_back() -> None:
    assert routed_name({KEY: "n", "id": 1}) == "n"
    assert routed_name({KEY: 5}) is None
    assert routed_name("n") is None
    assert routed_name(None) is None

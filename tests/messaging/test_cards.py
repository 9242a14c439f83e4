"""Card builder output (JSON 2.0), templates and pre-send validation (no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.errors import InvalidParameter
from lark_async.messaging import (
    Button,
    ButtonRow,
    Card,
    CardTemplate,
    Column,
    Columns,
    Div,
    Divider,
    Form,
    Header,
    Image,
    Input,
    Markdown,
    MessageContent,
    Note,
    Select,
    card_json,
    validate_card,
)


def test_builder_makes_a_shared_schema_2_card() -> None:
    card = Card(
        Markdown("**Leave** request", text_align="left"),
        Div("plain text"),
        Div("**md**", markdown=True),
        Image("img_v2_1", alt="chart", title="Q3", scale_type="crop_center", preview=False),
        Divider(),
        Columns([Column([Markdown("left")], weight=2), Column([Markdown("right")])]),
        ButtonRow(
            Button("Approve", value={"action": "approve", "id": 42}, type="primary"),
            Button("Docs", url="https://example.com/docs"),
        ),
        Form(
            "leave",
            [
                Input("reason", placeholder="why?", label="Reason", required=True, max_length=200),
                Select("days", [("One", "1"), ("Two", "2")], initial="1"),
                Select("who", [("A", "a"), ("B", "b")], multi=True, initial=["a", "b"]),
                Button("Submit", name="submit", form_action="submit", type="primary"),
            ],
        ),
        Note("sent by the HR bot"),
        header=Header("Approval", subtitle="HR", template="green"),
        summary="leave request",
    )
    d = json.loads(card_json(card))
    assert d["schema"] == "2.0"
    assert d["config"] == {"update_multi": True, "summary": {"content": "leave request"}}
    assert d["header"] == {
        "title": {"tag": "plain_text", "content": "Approval"},
        "template": "green",
        "subtitle": {"tag": "plain_text", "content": "HR"},
    }
    tags = [e["tag"] for e in d["body"]["elements"]]
    assert tags == [
        "markdown",
        "div",
        "div",
        "img",
        "hr",
        "column_set",
        "column_set",
        "form",
        "markdown",
    ]
    row = d["body"]["elements"][6]
    approve = row["columns"][0]["elements"][0]
    assert approve["behaviors"] == [{"type": "callback", "value": {"action": "approve", "id": 42}}]
    assert row["columns"][1]["elements"][0]["behaviors"][0]["type"] == "open_url"
    form = d["body"]["elements"][7]
    assert [e["tag"] for e in form["elements"]] == [
        "input",
        "select_static",
        "multi_select_static",
        "button",
    ]
    assert form["elements"][1]["initial_option"] == "1"
    assert form["elements"][2]["selected_values"] == ["a", "b"]
    assert d["body"]["elements"][8] == {
        "tag": "markdown",
        "content": "sent by the HR bot",
        "text_size": "notation",
    }


def test_template_card() -> None:
    t = CardTemplate("AAqkz9", {"name": "Ann"}, version_name="1.0.2")
    assert t.to_dict() == {
        "type": "template",
        "data": {
            "template_id": "AAqkz9",
            "template_version_name": "1.0.2",
            "template_variable": {"name": "Ann"},
        },
    }
    assert MessageContent.card(t).msg_type == "interactive"


def _v2(*elements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schema": "2.0", "body": {"elements": list(elements)}, **extra}


_SUBMIT = {"tag": "button", "name": "go", "form_action_type": "submit", "text": {}}


@pytest.mark.parametrize(
    ("card", "fragment"),
    [
        (_v2({"tag": "note", "elements": []}), "does not exist in schema 2.0"),
        (_v2({"tag": "action", "actions": []}), "does not exist in schema 2.0"),
        (_v2(), "missing or empty"),
        (_v2({"content": "no tag"}), "no tag"),
        (_v2({"tag": "form", "elements": [{"tag": "input", "name": "a"}]}), "needs a name"),
        (
            _v2({"tag": "form", "name": "f", "elements": [{"tag": "input", "name": "a"}]}),
            "no submit",
        ),
        (
            _v2({"tag": "form", "name": "f", "elements": [{"tag": "input"}, _SUBMIT]}),
            "needs a name",
        ),
        (
            _v2(
                {"tag": "form", "name": "f", "elements": [{"tag": "input", "name": "go"}, _SUBMIT]}
            ),
            "used twice",
        ),
        (
            _v2(
                {
                    "tag": "form",
                    "name": "f",
                    "elements": [{"tag": "form", "name": "g", "elements": [_SUBMIT]}, _SUBMIT],
                }
            ),
            "inside a form",
        ),
        (_v2({"tag": "hr"}, config={"update_multi": False}), "update_multi"),
        (_v2(*[{"tag": "hr"}] * 201), "at most 200"),
        ({"type": "template", "data": {}}, "template_id"),
        ({"type": "template", "data": {"template_id": "x", "template_variable": []}}, "object"),
        ({"type": "card", "data": {}}, "card_id"),
        ({"header": {}}, "neither"),
    ],
)
def test_structure_is_checked_before_sending(card: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        validate_card(card)


def test_nested_columns_are_counted_and_walked() -> None:
    inner = {"tag": "column_set", "columns": [{"tag": "column", "elements": [{"tag": "note"}]}]}
    with pytest.raises(InvalidParameter, match=r"columns\[0\]\.elements\[0\]"):
        validate_card(_v2(inner))


def test_size_limit_is_30_kb_of_utf8() -> None:
    card_json(Card(Markdown("a" * 29_000)))
    with pytest.raises(InvalidParameter) as exc:
        card_json(Card(Markdown("中" * 11_000)))  # 33 KB
    assert "30 KB" in (exc.value.hint or "")


def _send(element: Any) -> str:
    return card_json(Card(element))


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: _send(Button("x", value=["a"])), "mapping"),  # type: ignore[arg-type]
        (lambda: _send(Button("x", url="nope")), "http"),
        (lambda: _send(Button("x", value={"f": object()})), "JSON-serialisable"),
        (lambda: _send(Select("s", [])), "at least one"),
        (lambda: _send(Select("s", [("a", "1"), ("b", "1")])), "duplicate"),
        (lambda: _send(Select("s", [("a", "1")], initial="2")), "not option values"),
        (lambda: _send(Input("i", max_length=0)), "out of range"),
        (lambda: _send(Input("bad name")), "not a valid id"),
        (lambda: _send(Image("file_1")), "img_"),
        (lambda: _send(Columns([])), "at least one"),
        (lambda: _send(Markdown("x", element_id="has space")), "not a valid id"),
        (lambda: _send(42), "not a card element"),
        (ButtonRow, "at least one"),
        (lambda: card_json(Card(Markdown("x"), header=Header(""))), "header.title"),
        (lambda: card_json(42), "not a card"),  # type: ignore[arg-type]
    ],
)
def test_builders_refuse_bad_arguments(build: Any, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        build()


def test_update_multi_is_required_for_updates_of_1_0_cards() -> None:
    v1 = {"config": {"wide_screen_mode": True}, "elements": [{"tag": "div"}]}
    card_json(v1)  # sending a non-shared card is fine
    with pytest.raises(InvalidParameter, match="update_multi"):
        card_json(v1, require_update_multi=True)
    shared = {"config": {"update_multi": True}, "elements": [{"tag": "div"}]}
    assert card_json(shared, require_update_multi=True)
    assert card_json(Card(Markdown("x")), require_update_multi=True)
    assert card_json(CardTemplate("t1"), require_update_multi=True)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "tag",
                    "name",
                    "elements",
                    "columns",
                    "form_action_type",
                    "schema",
                    "body",
                    "type",
                    "data",
                    "config",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@given(
    st.dictionaries(
        st.sampled_from(["schema", "body", "type", "data", "config", "elements", "header"]),
        _json,
        max_size=5,
    )
)
def test_any_card_shaped_input_is_accepted_or_refused_cleanly(card: dict[str, Any]) -> None:
    for variant in (card, {**card, "schema": "2.0"}):
        try:
            text = card_json(variant)
        except InvalidParameter as err:
            assert err.hint  # refused with an explanation, never another exception
        else:
            assert isinstance(json.loads(text), dict) and len(text.encode()) <= 30 * 1024

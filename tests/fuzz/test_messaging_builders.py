"""Messaging's builders and helpers: every export, one bad argument at a time.

Cards, card elements, rich text, ``MessageContent``, the text helpers and the
receiver helpers are found from ``lark_async.messaging.__all__`` (constructors,
class methods, and methods on a valid instance). Each result is then used the
way a send uses it (serialised as card or post JSON, resolved as a receiver),
since builders check some arguments lazily. Either step may only raise a
``LarkError`` naming the bad argument.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given

import lark_async.messaging as messaging
from lark_async.messaging import (
    At,
    Button,
    Card,
    CardElement,
    CardTemplate,
    CodeBlock,
    Column,
    Columns,
    Div,
    Divider,
    Emotion,
    Form,
    Header,
    Hr,
    Image,
    Img,
    Input,
    Link,
    Markdown,
    Md,
    Media,
    MessageContent,
    Note,
    Option,
    PostLocale,
    Receiver,
    RichText,
    Select,
    Text,
    card_json,
    resolve_receiver,
)
from lark_async.messaging.post import PostNode
from tests.fuzz.service_surface import (
    NASTIES,
    Target,
    bad_values,
    exported_targets,
    invoke,
    target_cases,
    target_missing,
    typed_or_works,
)

#: Exports that are not built by callers: response models, reports, the service, aliases.
NOT_BUILDERS = {
    "BatchChunk",
    "BatchSendData",
    "BatchSendReport",
    "CardElement",  # the abstract base of the elements
    "Mention",
    "Message",
    "MessageBody",
    "Messaging",  # fuzzed in test_messaging.py
    "ReceiveIdType",
    "RecipientResult",
    "SendReport",
    "Sender",
    "UploadedFile",
    "UploadedImage",
}

#: A valid instance of each builder class, for fuzzing its methods.
INSTANCES: dict[str, Any] = {
    "At": lambda: At("ou_1"),
    "Button": lambda: Button("Go"),
    "ButtonRow": lambda: messaging.ButtonRow(Button("Go")),
    "Card": lambda: Card(Markdown("hi")),
    "CardTemplate": lambda: CardTemplate("AAqk1234"),
    "CodeBlock": lambda: CodeBlock("print(1)"),
    "Column": lambda: Column([Markdown("hi")]),
    "Columns": lambda: Columns([Column([Markdown("hi")])]),
    "Div": lambda: Div("hi"),
    "Divider": Divider,
    "Emotion": lambda: Emotion("SMILE"),
    "Form": lambda: Form("form", OVERRIDES["Form"]["elements"]),
    "Header": lambda: Header("Title"),
    "Hr": Hr,
    "Image": lambda: Image("img_v2_1"),
    "Img": lambda: Img("img_v2_1"),
    "Input": lambda: Input("field"),
    "Link": lambda: Link("docs", "https://example.com"),
    "Markdown": lambda: Markdown("hi"),
    "Md": lambda: Md("**hi**"),
    "Media": lambda: Media("file_v2_1"),
    "MessageContent": lambda: MessageContent.text("hi"),
    "Note": lambda: Note("small"),
    "Option": lambda: Option("High", "p1"),
    "PostLocale": lambda: PostLocale("Title"),
    "Receiver": lambda: Receiver("ou_1", "open_id"),
    "RichText": lambda: RichText("Title"),
    "Select": lambda: Select("level", [("High", "p1")]),
    "Text": lambda: Text("hi"),
}

#: A valid value for each argument name.
BASES: dict[str, Any] = {
    "text": "hello",
    "content": '{"text":"hello"}',
    "title": "Title",
    "img_key": "img_v2_1",
    "image_key": "img_v2_1",
    "file_key": "file_v2_1",
    "user_id": "ou_1",
    "name": "field",
    "options": [("High", "p1")],
    "elements": [Markdown("hi")],
    "columns": [Column([Markdown("hi")])],
    "buttons": [Button("Go")],
    "emoji_type": "SMILE",
    "href": "https://example.com",
    "url": "https://example.com",
    "template_id": "AAqk1234",
    "card": Card(Markdown("hi")),
    "post": RichText("Title").paragraph("body"),
    "chat_id": "oc_1",
    "open_id": "ou_1",
    "receive_id": "ou_1",
    "id": "ou_1",
    "id_type": "open_id",
    "code": "en_us",
    "nodes": ["hello"],
    "label": "High",
    "value": "p1",
    "msg_type": "text",
    "data": {"text": "hello"},
}

#: Where one target needs another valid value than the name gives.
OVERRIDES: dict[str, dict[str, Any]] = {
    "Form": {
        "name": "form",
        "elements": [Input("field"), Button("Go", name="go", form_action="submit")],
    },
}

TARGETS = exported_targets(
    [n for n in messaging.__all__ if n not in NOT_BUILDERS],
    lambda name: getattr(messaging, name),
    INSTANCES,
)


def use(result: Any) -> None:
    """What a send does with a built value, so that lazy checks run too."""
    if isinstance(result, Card | CardTemplate):
        card_json(result)
    elif isinstance(result, CardElement):
        card_json(Card(result))
    elif isinstance(result, Column):
        card_json(Card(Columns([result])))
    elif isinstance(result, Option):
        card_json(Card(Select("level", [result])))
    elif isinstance(result, Header):
        card_json(Card(Markdown("hi"), header=result))
    elif isinstance(result, PostNode):
        MessageContent.post(RichText("Title").paragraph(result))
    elif isinstance(result, RichText):
        MessageContent.post(result)
    elif isinstance(result, PostLocale):
        result.to_dict()
    elif isinstance(result, Receiver):
        resolve_receiver(result)
    elif isinstance(result, str):
        MessageContent.text(result)


def test_every_export_is_classified_and_has_bases() -> None:
    unknown = set(messaging.__all__) - NOT_BUILDERS - {t.label for t in TARGETS}
    assert unknown == set()
    missing = target_missing(TARGETS, BASES)
    assert missing == []


def _nasty_examples(test: Any) -> Any:
    for value in reversed(NASTIES):
        test = example(bad=value)(test)
    return test


@pytest.mark.parametrize(
    ("target", "arg"), target_cases(TARGETS), ids=lambda v: v.label if isinstance(v, Target) else v
)
@_nasty_examples
@given(bad=bad_values)
def test_bad_argument_gets_a_typed_error(target: Target, arg: str, bad: Any) -> None:
    bases = {**BASES, **OVERRIDES.get(target.label, {})}
    typed_or_works(lambda: use(invoke(target.make(), bases, arg, bad)), arg)


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: card_json(Card(Markdown("hi"), header=5)), "header"),  # was AttributeError
        (lambda: card_json(Card(Markdown("hi"), header=Header(["x"]))), "title"),
        (lambda: MessageContent.text("a\ud800b"), "text"),  # was UnicodeEncodeError
        (lambda: MessageContent.post({"zh_cn": {"content": [[{"tag": ["text"]}]]}}), "post"),
        (
            lambda: MessageContent.card(
                {"schema": "2.0", "body": {"elements": [{"tag": "x", "v": {1, 2}}]}}
            ),
            "card",
        ),
        (lambda: Button("Go", value={"n": float("nan")}).to_dict(), "value"),
    ],
)
def test_reproduced_gaps_are_typed(build: Any, arg: str) -> None:
    """The untyped exceptions issue #10 reproduced, now refused with the argument named."""
    from lark_async.core.errors import InvalidParameter

    with pytest.raises(InvalidParameter, match=arg):
        build()

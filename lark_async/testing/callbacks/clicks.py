"""Click a button of a card the IM emulator stored: the callback carries that button's value.

    sent = await lark.messaging.send_interactive_card(chat_id, card, on_action="approve")
    delivery = await click_button(fake, "cli_x", message_id=sent.data.message_id,
                                  open_id="ou_…", button="Approve", url=ingress_url)

The value is read from the stored card exactly as Feishu echoes it: a schema 2.0
``{"type": "callback"}`` behaviour's ``value``, else the component's ``value``
(JSON 1.0). ``button`` is the component's visible text, its ``name`` or
``element_id``, or its index among the card's components that call back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lark_async.testing.callbacks.sender import Delivery
from lark_async.testing.callbacks.subscriptions import click

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark

# Components that call back when used (JSON 1.0 and 2.0).
_INTERACTIVE = frozenset(
    {
        "button",
        "select_static",
        "multi_select_static",
        "select_person",
        "multi_select_person",
        "select_img",
        "overflow",
        "date_picker",
        "picker_time",
        "picker_datetime",
        "checker",
        "input",
        "interactive_container",
    }
)
_MAX_DEPTH = 64


@dataclass(frozen=True)
class CardButton:
    """A component of a card that calls back, and what its callback carries."""

    index: int
    tag: str
    path: str
    text: str | None
    name: str | None
    element_id: str | None
    value: dict[str, Any] | str = field(repr=False)
    form: str | None = None  # the name of the form it submits, if any


def card_buttons(card: Mapping[str, Any]) -> list[CardButton]:
    """Every component of card JSON that calls back, in document order."""
    found: list[CardButton] = []
    for node, path, form in _components(card, "card", None, 0):
        value = _callback_value(node)
        if value is None:
            continue
        found.append(
            CardButton(
                index=len(found),
                tag=str(node["tag"]),
                path=path,
                text=_text(node),
                name=node.get("name") if isinstance(node.get("name"), str) else None,
                element_id=(
                    node.get("element_id") if isinstance(node.get("element_id"), str) else None
                ),
                value=value,
                form=form,
            )
        )
    return found


def find_button(card: Mapping[str, Any], button: str | int = 0) -> CardButton:
    """The component ``button`` names (text, name, element_id, or index); LookupError if none."""
    buttons = card_buttons(card)
    if isinstance(button, int) and not isinstance(button, bool):
        if 0 <= button < len(buttons):
            return buttons[button]
    else:
        for candidate in buttons:
            if button in (candidate.text, candidate.name, candidate.element_id):
                return candidate
    shown = [b.text or b.name or b.path for b in buttons]
    raise LookupError(f"no button {button!r} in the card; it has {shown}")


def stored_card(fake: FakeLark, message_id: str) -> dict[str, Any]:
    """The card JSON of a card message the IM emulator stored (after any update)."""
    from lark_async.testing.im import ImEmulator

    message = ImEmulator.of(fake).message(message_id)
    if message.get("msg_type") != "interactive":
        raise ValueError(f"{message_id} is a {message.get('msg_type')} message, not a card")
    card = json.loads(message["body"]["content"])
    if not isinstance(card, dict):
        raise ValueError(f"{message_id} holds no card JSON")
    return card


async def click_button(
    fake: FakeLark,
    app_id: str,
    *,
    message_id: str,
    open_id: str,
    button: str | int = 0,
    url: str | None = None,
    form_value: dict[str, Any] | None = None,
    legacy: bool = False,
) -> Delivery:
    """A user clicks ``button`` on the stored card ``message_id``; one signed POST.

    Goes to ``url`` if given, else to the app's subscribed ``cards_url``. The
    callback carries the button's value, tag and name, the message's chat, and a
    card token from the IM emulator.
    """
    from lark_async.testing.im import ImEmulator

    target = find_button(stored_card(fake, message_id), button)
    chat_id = ImEmulator.of(fake).message(message_id).get("chat_id")
    kwargs: dict[str, Any] = {"tag": target.tag, "url": url}
    if not legacy:
        kwargs["name"] = target.name
        kwargs["form_value"] = form_value
    return await click(
        fake,
        app_id,
        message_id=message_id,
        open_id=open_id,
        value=target.value,
        chat_id=chat_id if isinstance(chat_id, str) else None,
        legacy=legacy,
        **kwargs,
    )


def _components(
    node: Any, path: str, form: str | None, depth: int
) -> Iterator[tuple[Mapping[str, Any], str, str | None]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _components(item, f"{path}[{i}]", form, depth + 1)
        return
    if not isinstance(node, Mapping):
        return
    tag = node.get("tag")
    if isinstance(tag, str):
        if tag in _INTERACTIVE:
            yield node, path, form
        if tag == "form" and isinstance(node.get("name"), str):
            form = node["name"]
    for key, item in node.items():
        if key not in ("value", "behaviors", "text", "options"):
            yield from _components(item, f"{path}.{key}", form, depth + 1)


def _callback_value(node: Mapping[str, Any]) -> dict[str, Any] | str | None:
    behaviors = node.get("behaviors")
    if isinstance(behaviors, list):
        for behavior in behaviors:
            if isinstance(behavior, Mapping) and behavior.get("type") == "callback":
                value = behavior.get("value")
                return value if isinstance(value, dict | str) else {}
    value = node.get("value")
    if isinstance(value, dict | str):
        return value
    if node.get("tag") == "button" and not (behaviors or "url" in node or "multi_url" in node):
        return {}  # a JSON 1.0 button without a value still calls back
    return None


def _text(node: Mapping[str, Any]) -> str | None:
    text = node.get("text")
    if isinstance(text, Mapping) and isinstance(text.get("content"), str):
        return str(text["content"])
    if isinstance(text, str):
        return text
    return None

"""``on_action=``: send a card whose clicks go to a handler registered by name.

    await lark.messaging.send_interactive_card("ou_...", card, on_action="expense.approve")

Every callback value of the card gets ``{"__lark_async_action": "expense.approve"}``
(:func:`lark_async.core.actions.route_card`); the callback side runs the handler
registered under that name, in whichever process consumes the click. Messaging
never imports the callback side: ``on_action`` is the name, or any object with a
``card_action_name`` (what ``@callbacks.card_action(name)`` returns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lark_async.core.actions import ActionTarget, action_name, route_card
from lark_async.core.errors import InvalidParameter
from lark_async.messaging.cards import Card, CardLike, CardTemplate, card_dict
from lark_async.messaging.content import MessageContent, as_content
from lark_async.messaging.post import RichText

PARAMETER = "on_action"


def routed_card(
    card: CardLike, on_action: ActionTarget | None, *, parameter: str = "card"
) -> CardLike:
    """``card`` as given when ``on_action`` is None, else a stamped copy (a dict)."""
    if on_action is None:
        return card
    name = action_name(on_action, PARAMETER)
    return route_card(card_dict(card, parameter=parameter), name, parameter=PARAMETER)


def routed_content(
    content: MessageContent | str | RichText | CardLike,
    on_action: ActionTarget | None,
    *,
    parameter: str = "content",
) -> MessageContent:
    """:func:`as_content`, with the card's clicks routed to ``on_action`` when given."""
    if on_action is None:
        return as_content(content, parameter)
    name = action_name(on_action, PARAMETER)
    card: Mapping[str, Any]
    if isinstance(content, MessageContent):
        if content.msg_type != "interactive":
            raise _not_a_card(content.msg_type)
        card = content.data
    elif isinstance(content, Card | CardTemplate | Mapping):
        card = card_dict(content, parameter=parameter)
    elif isinstance(content, str | RichText):
        raise _not_a_card("text" if isinstance(content, str) else "post")
    else:
        return as_content(content, parameter)  # raises, naming the content
    return MessageContent._card(route_card(card, name, parameter=PARAMETER), parameter)


def _not_a_card(msg_type: str) -> InvalidParameter:
    return InvalidParameter(
        f"{PARAMETER} is for cards; this is a {msg_type} message",
        hint="send a Card (or card JSON) with on_action=, or drop on_action",
        details={"argument": PARAMETER},
    )

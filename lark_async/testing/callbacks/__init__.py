"""Feishu's side of webhooks: signed requests, the callback sender, and its FakeLark wiring.

Modules: ``signing`` (building encrypted, signed requests exactly as Feishu sends
them), ``sender`` (``CallbackSender``: POSTs events and card callbacks, retries
events on Feishu's schedule), ``clicks`` (``click_button``: a click on a button
of a card the IM emulator stored, carrying that button's value) and
``subscriptions`` (an app's callback URLs and keys inside a ``FakeLark``,
``click()``, and the emulator-only routes).
"""

from lark_async.testing.callbacks import signing
from lark_async.testing.callbacks.clicks import (
    CardButton,
    card_buttons,
    click_button,
    find_button,
    stored_card,
)
from lark_async.testing.callbacks.sender import (
    DEADLINE,
    EVENT_RETRY_SCHEDULE,
    CallbackSender,
    Delivery,
    EventDelivery,
    Sleep,
)
from lark_async.testing.callbacks.subscriptions import (
    INVALID_PARAM,
    PREFIX,
    CallbacksState,
    Subscription,
    click,
    issue_card_token,
    routes,
    sender_for,
    subscribe,
)

__all__ = [
    "DEADLINE",
    "EVENT_RETRY_SCHEDULE",
    "INVALID_PARAM",
    "PREFIX",
    "CallbackSender",
    "CallbacksState",
    "CardButton",
    "Delivery",
    "EventDelivery",
    "Sleep",
    "Subscription",
    "card_buttons",
    "click",
    "click_button",
    "find_button",
    "issue_card_token",
    "routes",
    "sender_for",
    "signing",
    "stored_card",
    "subscribe",
]

"""The authorisation card: a JSON 2.0 card with one button that opens the authorisation page."""

from __future__ import annotations

import json
from typing import Any


def receive_id_type(user_id: str) -> str:
    """Which kind of id ``user_id`` is, by its shape (open_id ``ou_``, union_id ``on_`` ...)."""
    if user_id.startswith("ou_"):
        return "open_id"
    if user_id.startswith("on_"):
        return "union_id"
    if "@" in user_id:
        return "email"
    return "user_id"


def authorisation_card(url: str, *, app_name: str = "", minutes: int = 10) -> dict[str, Any]:
    who = app_name or "this app"
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {
            "title": {"tag": "plain_text", "content": f"Authorise {who}"},
            "template": "blue",
        },
        "body": {
            "elements": [
                {
                    "tag": "markdown",
                    "content": f"{who} asks to act on your behalf. The link is valid for "
                    f"{minutes} minutes and can be used once.",
                },
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": "Authorise"},
                    "type": "primary",
                    "behaviors": [{"type": "open_url", "default_url": url}],
                },
            ]
        },
    }


def card_content(url: str, *, app_name: str = "") -> str:
    return json.dumps(authorisation_card(url, app_name=app_name), ensure_ascii=False)


def card_url(content: str) -> str | None:
    """The authorisation URL inside a sent card's ``content`` (for tests and demos)."""
    try:
        card = json.loads(content)
        for element in card["body"]["elements"]:
            for behavior in element.get("behaviors", ()):
                if behavior.get("type") == "open_url":
                    return str(behavior["default_url"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None

"""Cards that carry their handler: the name, the reserved key, and the stamping.

A card sent with ``on_action="expense.approve"`` carries that *name* in the
callback value of each of its buttons, under one reserved key::

    {"tag": "button", "value": {"id": 42, "__lark_async_action": "expense.approve"}}

When a user clicks, Feishu echoes the value back, and whichever process consumes
the callback runs the handler registered under that name
(``@callbacks.card_action("expense.approve")``). Routing is by name, not by
in-memory identity, so the card may be sent by one process and its clicks handled
by another, days later. Messaging and callbacks share only this module: messaging
stamps the card (it never imports callbacks), callbacks read the key back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from lark_async.core.checks import bad_argument, check_str
from lark_async.core.errors import InvalidParameter

__all__ = [
    "CARD_ACTION_KEY",
    "MAX_ACTION_NAME",
    "ActionTarget",
    "CardActionRef",
    "action_name",
    "route_card",
    "routed_name",
]

#: The reserved key of a button's callback value that names the card's handler.
CARD_ACTION_KEY = "__lark_async_action"
MAX_ACTION_NAME = 200
# Far deeper than any card Feishu renders; keeps the walk off the recursion limit.
_MAX_DEPTH = 64

# Components whose callback value is their ``value`` (JSON 1.0, and 2.0's legacy field).
_VALUE_TAGS = frozenset(
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
    }
)
# Form fields send their input with the form's submit button, not on their own.
_FORM_FIELDS = _VALUE_TAGS - {"button"}


@runtime_checkable
class CardActionRef(Protocol):
    """Anything that names a card handler; what ``@callbacks.card_action(name)`` returns."""

    @property
    def card_action_name(self) -> str: ...


#: What ``on_action=`` accepts: a handler's registered name, or an object naming it.
ActionTarget = str | CardActionRef


def action_name(target: object, parameter: str = "on_action") -> str:
    """The handler name ``target`` stands for; ``InvalidParameter`` naming ``parameter``.

    A name is 1..200 printable characters, not blank.
    """
    if isinstance(target, str):
        name: object = target
    else:
        try:
            name = getattr(target, "card_action_name", None)
        except Exception:  # a property that fails: still the caller's bad argument
            name = None
        if name is None:
            raise bad_argument(
                parameter,
                f"must be a handler name (str) or have card_action_name, "
                f"not {type(target).__name__}",
                hint='on_action="expense.approve", or the object @callbacks.card_action('
                '"expense.approve") returned',
            )
    text = check_str(name, parameter, max_len=MAX_ACTION_NAME, printable=True)
    if not text.strip():
        raise bad_argument(parameter, "is a blank handler name")
    return text


def routed_name(value: object) -> str | None:
    """The handler name a callback ``value`` carries (None when it carries none)."""
    if isinstance(value, Mapping):
        name = value.get(CARD_ACTION_KEY)
        if isinstance(name, str) and name:
            return name
    return None


def route_card(
    card: Mapping[str, Any], name: str, *, parameter: str = "on_action"
) -> dict[str, Any]:
    """A copy of card JSON whose every callback value carries ``name``; ``card`` is untouched.

    Walks JSON 1.0 (``elements``, ``i18n_elements``, ``action`` modules, ``extra``)
    and 2.0 (``body.elements``, columns, forms, collapsible panels, interactive
    containers) alike: every ``{"type": "callback"}`` behaviour and every ``value``
    object of an interactive component gets ``{CARD_ACTION_KEY: name}``. A button
    with no callback at all gets one (a link button is left alone); form fields are
    left to the form's submit button. Raises ``InvalidParameter`` naming
    ``parameter`` when a value already names another handler, when a value is not
    an object, when ``card`` is a template (its buttons live in the card builder),
    or when nothing in the card calls back.
    """
    if not isinstance(card, Mapping):
        raise bad_argument(parameter, f"needs card JSON, not {type(card).__name__}")
    if card.get("type") in ("template", "card"):
        raise bad_argument(
            parameter,
            "cannot reach the buttons of a template card",
            hint=f'put "{CARD_ACTION_KEY}": "<handler name>" in the buttons\' callback '
            "values in the card builder, or send card JSON",
        )
    walk = _Stamp(name, parameter, schema2=card.get("schema") == "2.0")
    out = walk.node(card, "card", 0, in_form=False)
    if not walk.stamped:
        raise bad_argument(
            parameter,
            "is set but the card has no button or other component that calls back",
            hint="add a Button (without url=) to the card, or drop on_action",
        )
    assert isinstance(out, dict)
    return out


class _Stamp:
    def __init__(self, name: str, parameter: str, *, schema2: bool) -> None:
        self.name = name
        self.parameter = parameter
        self.schema2 = schema2
        self.stamped = 0

    def node(self, node: Any, path: str, depth: int, *, in_form: bool) -> Any:
        if depth > _MAX_DEPTH:
            raise bad_argument(self.parameter, f"cannot route a card nested this deeply ({path})")
        if isinstance(node, list):
            return [
                self.node(item, f"{path}[{i}]", depth + 1, in_form=in_form)
                for i, item in enumerate(node)
            ]
        if not isinstance(node, Mapping):
            return node
        tag = node.get("tag")
        if not isinstance(tag, str):
            return {
                k: self.node(v, f"{path}.{k}", depth + 1, in_form=in_form) for k, v in node.items()
            }
        inner_form = in_form or tag == "form"
        out: dict[str, Any] = {}
        for key, item in node.items():
            if key in ("value", "behaviors"):
                out[key] = self.copy(item, depth)  # the caller's data: never walked for tags
            else:
                out[key] = self.node(item, f"{path}.{key}", depth + 1, in_form=inner_form)
        self._component(out, tag, path, in_form=in_form)
        return out

    def _component(self, out: dict[str, Any], tag: str, path: str, *, in_form: bool) -> None:
        calls_back = False
        behaviors = out.get("behaviors")
        if isinstance(behaviors, list):
            for i, behavior in enumerate(behaviors):
                if isinstance(behavior, dict) and behavior.get("type") == "callback":
                    behavior["value"] = self._value(
                        behavior.get("value"), f"{path}.behaviors[{i}].value"
                    )
                    calls_back = True
        if tag not in _VALUE_TAGS:
            return
        if "value" in out:
            out["value"] = self._value(out["value"], f"{path}.value")
            return
        if calls_back or (in_form and tag in _FORM_FIELDS):
            return
        if tag == "button" and (
            "url" in out or "multi_url" in out or (isinstance(behaviors, list) and behaviors)
        ):
            return  # a link button: clicking it calls nothing back
        if self.schema2:
            if not isinstance(behaviors, list):
                out["behaviors"] = behaviors = []
            behaviors.append({"type": "callback", "value": self._value(None, path)})
        else:
            out["value"] = self._value(None, path)

    def _value(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise InvalidParameter(
                f"on_action cannot be carried by {path}: its value is a "
                f"{type(value).__name__}, not an object",
                hint='use an object value, e.g. {"id": 42}',
                details={"argument": self.parameter},
            )
        existing = value.get(CARD_ACTION_KEY)
        if existing is not None and existing != self.name:
            shown = existing if isinstance(existing, str) else type(existing).__name__
            raise InvalidParameter(
                f"{self.parameter}={self.name!r:.60} but {path} already routes to {shown!r:.60}",
                hint=f"one card, one handler: drop {CARD_ACTION_KEY} from the card, "
                "or send it with the same on_action",
                details={"argument": self.parameter},
            )
        value[CARD_ACTION_KEY] = self.name
        self.stamped += 1
        return value

    def copy(self, value: Any, depth: int) -> Any:
        """A copy of JSON-like data (dicts and lists copied, leaves shared)."""
        if depth > _MAX_DEPTH:
            raise bad_argument(self.parameter, "cannot route a card nested this deeply")
        if isinstance(value, Mapping):
            return {k: self.copy(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, depth + 1) for v in value]
        return value

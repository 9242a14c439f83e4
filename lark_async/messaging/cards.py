"""Interactive cards: typed builders for card JSON 2.0, templates, and validation.

    card = Card(
        Markdown("**Leave request** from <at id=ou_1></at>"),
        ButtonRow(
            Button("Approve", value={"action": "approve", "id": 42}, type="primary"),
            Button("Reject", value={"action": "reject", "id": 42}, type="danger"),
        ),
        header=Header("Approval", template="blue"),
    )
    await lark.messaging.send_interactive_card("ou_...", card)

Schema 2.0 cards are always shared (``config.update_multi = true``), so a card
sent from the builder can be updated later with ``update_card`` or through a
callback token. Everything is checked before sending: structure (known tags,
forms with named fields and a submit button, at most 200 elements) and size
(30 KB, Feishu IM docs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Self, get_args

from lark_async.messaging._checks import (
    KB,
    check_size,
    dumps,
    invalid,
    optional_str,
    require_bool,
    require_choice,
    require_str,
    require_text,
    require_token,
)
from lark_async.messaging.text import check_url

MAX_CARD_BYTES = 30 * KB
MAX_CARD_ELEMENTS = 200  # JSON 2.0 (230099 sub-code 11310)
# Far deeper than any card Feishu renders; keeps the structure walk off the recursion limit.
_MAX_NESTING = 30

HeaderColor = Literal[
    "blue",
    "wathet",
    "turquoise",
    "green",
    "yellow",
    "orange",
    "red",
    "carmine",
    "violet",
    "purple",
    "indigo",
    "grey",
    "default",
]
ButtonType = Literal[
    "default",
    "primary",
    "danger",
    "text",
    "primary_text",
    "danger_text",
    "primary_filled",
    "danger_filled",
    "laser",
]
TextAlign = Literal["left", "center", "right"]
ScaleType = Literal["crop_center", "fit_horizontal", "crop_top"]
VerticalAlign = Literal["top", "center", "bottom"]
FlexMode = Literal["none", "stretch", "flow", "bisect", "trisect"]
WidthMode = Literal["compact", "fill"]


def plain(text: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": text}


@dataclass(frozen=True)
class CardElement:
    """Base of the element builders; ``element_id`` names it for partial updates."""

    element_id: str | None = field(default=None, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        node = self._build()
        if self.element_id is not None:
            require_token("element_id", self.element_id)
            node["element_id"] = self.element_id
        return node

    def _build(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Header:
    """The coloured title bar."""

    title: str
    subtitle: str | None = None
    template: HeaderColor = "blue"

    def to_dict(self) -> dict[str, Any]:
        require_text("header.title", self.title, max_bytes=MAX_CARD_BYTES)
        optional_str("header.subtitle", self.subtitle, max_bytes=MAX_CARD_BYTES)
        require_choice("header.template", self.template, get_args(HeaderColor))
        head: dict[str, Any] = {"title": plain(self.title), "template": self.template}
        if self.subtitle:
            head["subtitle"] = plain(self.subtitle)
        return head


@dataclass(frozen=True)
class Markdown(CardElement):
    """Card Markdown: ``**bold**``, links, lists, ``<at id=ou_...></at>``, ``<at id=all></at>``."""

    content: str
    text_align: TextAlign | None = None
    text_size: str | None = None

    def _build(self) -> dict[str, Any]:
        require_text("content", self.content, max_bytes=MAX_CARD_BYTES)
        require_choice("text_align", self.text_align, get_args(TextAlign), optional=True)
        if self.text_size is not None:
            require_token("text_size", self.text_size, example="normal, heading, notation")
        node: dict[str, Any] = {"tag": "markdown", "content": self.content}
        if self.text_align:
            node["text_align"] = self.text_align
        if self.text_size:
            node["text_size"] = self.text_size
        return node


@dataclass(frozen=True)
class Note(CardElement):
    """Small grey footnote text.

    Schema 2.0 dropped the 1.0 ``note`` tag (Feishu answers 200861), so this is
    Markdown at the ``notation`` size, which renders the same way.
    """

    content: str

    def _build(self) -> dict[str, Any]:
        require_text("content", self.content, max_bytes=MAX_CARD_BYTES)
        return {"tag": "markdown", "content": self.content, "text_size": "notation"}


@dataclass(frozen=True)
class Div(CardElement):
    """A text block; ``markdown=True`` renders ``lark_md``."""

    text: str
    markdown: bool = False

    def _build(self) -> dict[str, Any]:
        require_text("text", self.text, max_bytes=MAX_CARD_BYTES)
        tag = "lark_md" if require_bool("markdown", self.markdown) else "plain_text"
        return {"tag": "div", "text": {"tag": tag, "content": self.text}}


@dataclass(frozen=True)
class Divider(CardElement):
    """A horizontal rule."""

    def _build(self) -> dict[str, Any]:
        return {"tag": "hr"}


@dataclass(frozen=True)
class Image(CardElement):
    """An image uploaded with ``upload_image``."""

    img_key: str
    alt: str = ""
    title: str | None = None
    scale_type: ScaleType | None = None
    preview: bool = True

    def _build(self) -> dict[str, Any]:
        require_token("img_key", self.img_key, prefix="img_", example="img_v2_...")
        require_str("alt", self.alt, max_bytes=MAX_CARD_BYTES)
        optional_str("title", self.title, max_bytes=MAX_CARD_BYTES)
        require_choice("scale_type", self.scale_type, get_args(ScaleType), optional=True)
        require_bool("preview", self.preview)
        node: dict[str, Any] = {"tag": "img", "img_key": self.img_key, "alt": plain(self.alt)}
        if self.title:
            node["title"] = plain(self.title)
        if self.scale_type:
            node["scale_type"] = self.scale_type
        if not self.preview:
            node["preview"] = False
        return node


@dataclass(frozen=True)
class Button(CardElement):
    """A button.

    ``value`` is what the callback receives in ``event.action.value`` (any
    JSON object); ``url`` opens a link instead. Inside a :class:`Form`, pass
    ``form_action="submit"`` (and a ``name``) to submit the form.
    """

    text: str
    value: Mapping[str, Any] | None = None
    type: ButtonType = "default"
    url: str | None = None
    name: str | None = None
    form_action: Literal["submit", "reset"] | None = None
    confirm: tuple[str, str] | None = None  # (title, text) of a confirmation dialog
    disabled: bool = False

    def _build(self) -> dict[str, Any]:
        require_text("text", self.text, max_bytes=MAX_CARD_BYTES)
        require_choice("type", self.type, get_args(ButtonType))
        require_bool("disabled", self.disabled)
        node: dict[str, Any] = {"tag": "button", "text": plain(self.text), "type": self.type}
        behaviors: list[dict[str, Any]] = []
        if self.url is not None:
            behaviors.append({"type": "open_url", "default_url": check_url("url", self.url)})
        if self.value is not None:
            if not isinstance(self.value, Mapping):
                raise invalid(
                    "value",
                    f"must be a mapping, got {type(self.value).__name__}",
                    'pass a JSON object, e.g. {"action": "approve", "id": 42}',
                )
            value = dict(self.value)
            dumps(value, "value")  # the callback gets it back as JSON
            behaviors.append({"type": "callback", "value": value})
        if behaviors:
            node["behaviors"] = behaviors
        if self.name is not None:
            node["name"] = require_token("name", self.name)
        if self.form_action is not None:
            node["form_action_type"] = require_choice(
                "form_action", self.form_action, ("submit", "reset")
            )
        if self.confirm is not None:
            if (
                isinstance(self.confirm, str)
                or not isinstance(self.confirm, Sequence)
                or len(self.confirm) != 2
            ):
                raise invalid(
                    "confirm",
                    f"must be a (title, text) pair, got {type(self.confirm).__name__}",
                    'e.g. confirm=("Delete?", "This cannot be undone")',
                )
            title, text = (
                require_text("confirm", part, max_bytes=MAX_CARD_BYTES) for part in self.confirm
            )
            node["confirm"] = {"title": plain(title), "text": plain(text)}
        if self.disabled:
            node["disabled"] = True
        return node


@dataclass(frozen=True)
class Column:
    """One column of :class:`Columns`; ``weight`` shares the width when ``width='weighted'``."""

    elements: Sequence[CardElement | Mapping[str, Any]]
    width: str = "weighted"
    weight: int = 1
    vertical_align: VerticalAlign = "top"

    def to_dict(self) -> dict[str, Any]:
        require_token("width", self.width, example="weighted, auto or 100px")
        require_choice("vertical_align", self.vertical_align, get_args(VerticalAlign))
        node: dict[str, Any] = {
            "tag": "column",
            "width": self.width,
            "vertical_align": self.vertical_align,
            "elements": _elements("elements", self.elements),
        }
        if self.width == "weighted":
            if isinstance(self.weight, bool) or not isinstance(self.weight, int):
                raise invalid("weight", f"must be an int, got {self.weight!r:.40}", "use 1..5")
            if not 1 <= self.weight <= 5:
                raise invalid("weight", f"{self.weight} is out of range", "use 1..5")
            node["weight"] = self.weight
        return node


@dataclass(frozen=True)
class Columns(CardElement):
    """Side-by-side columns (``column_set``)."""

    columns: Sequence[Column]
    flex_mode: FlexMode = "none"

    def _build(self) -> dict[str, Any]:
        columns = _sequence("columns", self.columns)
        if not columns:
            raise invalid("columns", "is empty", "give at least one Column")
        for column in columns:
            if not isinstance(column, Column):
                raise invalid(
                    "columns", f"{type(column).__name__} is not a Column", "use Column([...])"
                )
        require_choice("flex_mode", self.flex_mode, get_args(FlexMode))
        return {
            "tag": "column_set",
            "flex_mode": self.flex_mode,
            "columns": [c.to_dict() for c in columns],
        }


class ButtonRow(Columns):
    """Buttons next to each other (schema 2.0 has no ``action`` container)."""

    def __init__(self, *buttons: Button, element_id: str | None = None) -> None:
        if not buttons:
            raise invalid("buttons", "is empty", "give at least one Button")
        for button in buttons:
            if not isinstance(button, Button):
                raise invalid("buttons", f"{type(button).__name__} is not a Button", "Button(...)")
        super().__init__(
            [Column([b], width="auto") for b in buttons], flex_mode="flow", element_id=element_id
        )


@dataclass(frozen=True)
class Input(CardElement):
    """A text field; inside a :class:`Form` its ``name`` keys ``form_value``."""

    name: str
    placeholder: str | None = None
    label: str | None = None
    default_value: str | None = None
    required: bool = False
    max_length: int | None = None
    multiline: bool = False

    def _build(self) -> dict[str, Any]:
        node: dict[str, Any] = {"tag": "input", "name": require_token("name", self.name)}
        optional_str("placeholder", self.placeholder, max_bytes=MAX_CARD_BYTES)
        optional_str("label", self.label, max_bytes=MAX_CARD_BYTES)
        optional_str("default_value", self.default_value, max_bytes=MAX_CARD_BYTES)
        require_bool("required", self.required)
        require_bool("multiline", self.multiline)
        if self.placeholder:
            node["placeholder"] = plain(self.placeholder)
        if self.label:
            node["label"] = plain(self.label)
        if self.default_value is not None:
            node["default_value"] = self.default_value
        if self.required:
            node["required"] = True
        if self.max_length is not None:
            if isinstance(self.max_length, bool) or not isinstance(self.max_length, int):
                raise invalid(
                    "max_length", f"must be an int, got {self.max_length!r:.40}", "use 1..1000"
                )
            if not 1 <= self.max_length <= 1000:
                raise invalid("max_length", f"{self.max_length} is out of range", "use 1..1000")
            node["max_length"] = self.max_length
        if self.multiline:
            node["input_type"] = "multiline_text"
        return node


@dataclass(frozen=True)
class Option:
    label: str
    value: str

    def _checked(self, where: str = "") -> Option:
        """Checked; ``where`` names the argument it came in (``options[2]``) if not built."""
        require_text(where or "label", self.label, max_bytes=MAX_CARD_BYTES)
        require_token(where or "value", self.value)
        return self


@dataclass(frozen=True)
class Select(CardElement):
    """A drop-down of fixed options (``multi=True`` for several choices)."""

    name: str
    options: Sequence[Option | tuple[str, str]]
    placeholder: str | None = None
    initial: str | Sequence[str] | None = None
    multi: bool = False
    required: bool = False

    def _build(self) -> dict[str, Any]:
        opts = [_option(o, i) for i, o in enumerate(_sequence("options", self.options))]
        optional_str("placeholder", self.placeholder, max_bytes=MAX_CARD_BYTES)
        require_bool("multi", self.multi)
        require_bool("required", self.required)
        if not opts:
            raise invalid("options", "is empty", "give at least one (label, value) option")
        values = [o.value for o in opts]
        if len(set(values)) != len(values):
            raise invalid("options", "has duplicate values", "option values must be unique")
        node: dict[str, Any] = {
            "tag": "multi_select_static" if self.multi else "select_static",
            "name": require_token("name", self.name),
            "options": [{"text": plain(o.label), "value": o.value} for o in opts],
        }
        if self.placeholder:
            node["placeholder"] = plain(self.placeholder)
        if self.initial is not None:
            if isinstance(self.initial, str):
                initial = [self.initial]
            else:
                initial = list(_sequence("initial", self.initial))
            if not initial:
                raise invalid("initial", "is empty", f"use None, or values from {values}")
            unknown = [v for v in initial if not isinstance(v, str) or v not in values]
            if unknown:
                raise invalid("initial", f"{unknown} are not option values", f"use {values}")
            if self.multi:
                node["selected_values"] = initial
            else:
                node["initial_option"] = initial[0]
        if self.required:
            node["required"] = True
        return node


@dataclass(frozen=True)
class Form(CardElement):
    """A form: its fields are sent together when a ``form_action='submit'`` button is clicked."""

    name: str
    elements: Sequence[CardElement | Mapping[str, Any]]

    def _build(self) -> dict[str, Any]:
        return {
            "tag": "form",
            "name": require_token("name", self.name),
            "elements": _elements("elements", self.elements),
        }


def _sequence(parameter: str, value: Any) -> Sequence[Any]:
    """A list or tuple (a str or a mapping is one value, not a sequence of them)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise invalid(
            parameter, f"must be a list, got {type(value).__name__}", f"pass {parameter}=[...]"
        )
    return value


def _option(value: Any, index: int) -> Option:
    if isinstance(value, Option):
        return value._checked()
    if isinstance(value, tuple) and len(value) == 2:
        return Option(*value)._checked(f"options[{index}]")
    raise invalid(
        f"options[{index}]",
        f"{type(value).__name__} is not an option",
        'give Option(label, value) or (label, value) pairs, e.g. ("High", "p1")',
    )


def _elements(parameter: str, elements: Any) -> list[dict[str, Any]]:
    return [_element(e, parameter) for e in _sequence(parameter, elements)]


def _element(e: CardElement | Mapping[str, Any], parameter: str = "elements") -> dict[str, Any]:
    if isinstance(e, CardElement):
        return e.to_dict()
    if isinstance(e, Mapping) and isinstance(e.get("tag"), str):
        node = dict(e)  # a hand-written element: its structure is checked with the whole card
        dumps(node, parameter)
        return node
    raise invalid(
        parameter,
        f"{type(e).__name__} is not a card element",
        "use the builders (Markdown, Div, Button, Columns, Image, Form, ...) or a dict with a tag",
    )


class Card:
    """A card JSON 2.0 message."""

    def __init__(
        self,
        *elements: CardElement | Mapping[str, Any],
        header: Header | str | None = None,
        summary: str | None = None,
        width_mode: WidthMode | None = None,
    ) -> None:
        if header is not None and not isinstance(header, Header | str):
            raise invalid(
                "header",
                f"must be a Header or a str, got {type(header).__name__}",
                'e.g. header="Approval" or header=Header("Approval", template="green")',
            )
        self.header = (
            Header(require_text("header", header, max_bytes=MAX_CARD_BYTES))
            if isinstance(header, str)
            else header
        )
        self.summary = optional_str("summary", summary, max_bytes=MAX_CARD_BYTES)
        self.width_mode = require_choice(
            "width_mode", width_mode, get_args(WidthMode), optional=True
        )
        self.elements: list[CardElement | Mapping[str, Any]] = list(elements)

    def add(self, *elements: CardElement | Mapping[str, Any]) -> Self:
        self.elements.extend(elements)
        return self

    def to_dict(self) -> dict[str, Any]:
        # JSON 2.0 supports shared cards only: update_multi is always on.
        config: dict[str, Any] = {"update_multi": True}
        if self.width_mode:
            config["width_mode"] = self.width_mode
        if self.summary:
            config["summary"] = {"content": self.summary}
        card: dict[str, Any] = {"schema": "2.0", "config": config}
        if self.header is not None:
            card["header"] = self.header.to_dict()
        card["body"] = {"elements": _elements("elements", self.elements)}
        return card


@dataclass(frozen=True)
class CardTemplate:
    """A card built in the card builder tool: ``template_id`` plus its variables."""

    template_id: str
    variables: Mapping[str, Any] | None = None
    version_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        require_token("template_id", self.template_id, example="AAqk...")
        data: dict[str, Any] = {"template_id": self.template_id}
        if self.version_name is not None:
            require_token("version_name", self.version_name, example="1.0.0")
            data["template_version_name"] = self.version_name
        if self.variables is not None:
            if not isinstance(self.variables, Mapping):
                raise invalid(
                    "variables",
                    f"must be a mapping, got {type(self.variables).__name__}",
                    'pass a dict of the template\'s variables, e.g. {"name": "Ann"}',
                )
            if self.variables:
                variables = dict(self.variables)
                dumps(variables, "variables")
                data["template_variable"] = variables
        return {"type": "template", "data": data}


CardLike = Card | CardTemplate | Mapping[str, Any]


def card_dict(card: CardLike, *, parameter: str = "card") -> dict[str, Any]:
    """The checked card object (structure only; size is checked on serialising)."""
    if isinstance(card, Card | CardTemplate):
        obj = card.to_dict()
    elif isinstance(card, Mapping):
        obj = dict(card)
    else:
        raise invalid(
            parameter,
            f"{type(card).__name__} is not a card",
            "pass a Card, a CardTemplate or a card JSON dict",
        )
    check_card(obj, parameter)
    return obj


def card_json(card: CardLike, *, require_update_multi: bool = False) -> str:
    """The card as the JSON string Feishu wants, checked for structure and 30 KB."""
    return checked_card_json(card, require_update_multi=require_update_multi)


def checked_card_json(
    card: CardLike, *, require_update_multi: bool = False, parameter: str = "card"
) -> str:
    """:func:`card_json`, with errors naming ``parameter`` (the caller's argument)."""
    require_bool("require_update_multi", require_update_multi)
    obj = card_dict(card, parameter=parameter)
    if require_update_multi and not is_shared(obj):
        raise invalid(
            parameter,
            "does not set config.update_multi = true",
            "only shared cards can be updated: the card must declare "
            '"config": {"update_multi": true} when sent and in the update (schema 2.0 '
            "cards and templates always are)",
        )
    text = dumps(obj, parameter)
    check_size(parameter, len(text.encode()), MAX_CARD_BYTES, "a card")
    return text


def is_shared(card: Mapping[str, Any]) -> bool:
    """Whether updates reach everyone (``update_multi``); 2.0 cards and templates always do."""
    if card.get("type") in ("template", "card") or card.get("schema") == "2.0":
        return True
    config = card.get("config")
    return isinstance(config, Mapping) and config.get("update_multi") is True


# -- validation --------------------------------------------------------------------
_REMOVED_IN_2 = {
    "note": "use Note(...) (markdown at notation size)",
    "action": "put buttons directly in the body, or in ButtonRow/Columns",
}
_CONTAINERS = {"form", "column", "collapsible_panel", "interactive_container"}
_NAMED = {
    "input",
    "select_static",
    "multi_select_static",
    "select_person",
    "multi_select_person",
    "date_picker",
    "picker_time",
    "picker_datetime",
    "checker",
}


def validate_card(card: Mapping[str, Any]) -> None:
    """Structure checks Feishu would otherwise answer with 230099 / 11310 / 200861."""
    check_card(card, "card")


def check_card(card: Mapping[str, Any], parameter: str) -> None:
    """:func:`validate_card`, with errors naming ``parameter`` (the caller's argument)."""
    if not isinstance(card, Mapping):
        raise invalid(
            parameter, f"{type(card).__name__} is not a card object", "pass the card as a dict"
        )
    kind = card.get("type")
    if kind == "template":
        data = card.get("data")
        if not isinstance(data, Mapping) or not isinstance(data.get("template_id"), str):
            raise invalid(
                parameter, "template cards need data.template_id", "use CardTemplate(template_id)"
            )
        variables = data.get("template_variable")
        if variables is not None and not isinstance(variables, Mapping):
            raise invalid(parameter, "template_variable must be an object", "pass a dict")
        return
    if kind == "card":
        data = card.get("data")
        if not isinstance(data, Mapping) or not isinstance(data.get("card_id"), str):
            raise invalid(parameter, "card entities need data.card_id", "pass the card_id")
        return
    if card.get("schema") == "2.0":
        _validate_v2(card, parameter)
        return
    elements = card.get("elements", card.get("i18n_elements"))
    if not isinstance(elements, list | Mapping):
        raise invalid(
            parameter,
            "has neither schema 2.0 body.elements nor 1.0 elements",
            'build it with Card(...), or give {"schema": "2.0", "body": {"elements": [...]}}',
        )


def _validate_v2(card: Mapping[str, Any], parameter: str) -> None:
    config = card.get("config")
    if isinstance(config, Mapping) and config.get("update_multi") is False:
        raise invalid(
            parameter,
            "schema 2.0 cards cannot set update_multi = false",
            "JSON 2.0 supports shared cards only; drop update_multi or set it true",
        )
    body = card.get("body")
    elements = body.get("elements") if isinstance(body, Mapping) else None
    if not isinstance(elements, list) or not elements:
        raise invalid(parameter, "body.elements is missing or empty", "add at least one element")
    count = 0
    names: set[str] = set()
    for node, path, form in _walk(elements, "body.elements", None, parameter):
        count += 1
        tag = node["tag"]
        if tag in _REMOVED_IN_2:
            raise invalid(
                parameter, f"{path}: tag {tag!r} does not exist in schema 2.0", _REMOVED_IN_2[tag]
            )
        name = node.get("name")
        needs_name = tag in _NAMED or (tag == "button" and node.get("form_action_type"))
        named = isinstance(name, str) and bool(name)
        if (tag == "form" or (form is not None and needs_name)) and not named:
            raise invalid(
                parameter, f"{path}: {tag} needs a name", "name every form and form field"
            )
        if tag == "form" and form is not None:
            raise invalid(parameter, f"{path}: a form inside a form", "forms cannot be nested")
        if isinstance(name, str) and name:
            if name in names:
                raise invalid(
                    parameter, f"{path}: name {name!r} is used twice", "component names are unique"
                )
            names.add(name)
        if tag == "form":
            _check_form(node, path, parameter)
    if count > MAX_CARD_ELEMENTS:
        raise invalid(
            parameter,
            f"has {count} elements",
            f"schema 2.0 cards hold at most {MAX_CARD_ELEMENTS} elements; split the card",
        )


def _check_form(form: Mapping[str, Any], path: str, parameter: str) -> None:
    submits = [
        n
        for n, _, _ in _walk(form.get("elements") or [], path, form, parameter)
        if n["tag"] == "button" and n.get("form_action_type") == "submit"
    ]
    if not submits:
        raise invalid(
            parameter,
            f"{path}: form {form.get('name')!r} has no submit button",
            'add Button("Submit", name="submit", form_action="submit") to the form',
        )


def _walk(
    elements: Iterable[Any],
    path: str,
    form: Mapping[str, Any] | None,
    parameter: str,
    depth: int = 0,
) -> Iterator[tuple[Mapping[str, Any], str, Mapping[str, Any] | None]]:
    if depth > _MAX_NESTING:
        raise invalid(
            parameter, f"{path} is nested too deeply", f"cards nest at most {_MAX_NESTING} levels"
        )
    if not isinstance(elements, list):
        raise invalid(parameter, f"{path} must be a list", "elements are a JSON array")
    for i, node in enumerate(elements):
        where = f"{path}[{i}]"
        if not isinstance(node, Mapping) or not isinstance(node.get("tag"), str):
            raise invalid(
                parameter, f"{where} is not an element (no tag)", "every element has a tag"
            )
        yield node, where, form
        inner_form = node if node["tag"] == "form" else form
        if node["tag"] == "column_set":
            yield from _walk(
                node.get("columns") or [], f"{where}.columns", inner_form, parameter, depth + 1
            )
        elif node["tag"] in _CONTAINERS:
            yield from _walk(
                node.get("elements") or [], f"{where}.elements", inner_form, parameter, depth + 1
            )

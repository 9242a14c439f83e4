"""Builders for docx blocks (Feishu docx docs): text with styles, links, mentions and
equations; headings 1-9; bullet, ordered and todo lists; code, quote, callout,
divider, image, file and table.

Each builder turns into the API's own block dict (``.block()``); what cannot be
sent in the same call travels separately: ``children`` (a list item's sub-items,
a callout's paragraphs) are created under the new block in follow-up calls, a
table's cell contents go into the cells Feishu creates with the table, and an
image's or file's bytes are uploaded to the new block and bound to it.

    from lark_async.docs import Heading, Text, Bullet, Code, Table, bold, link

    blocks = [
        Heading(1, "Release notes"),
        Text("Read the ", link("changelog", "https://example.com"), " first."),
        Bullet("fast", children=[Bullet("really")]),
        Code("print('hi')", language="Python"),
        Table([["name", "qty"], ["apple", "3"]], header_row=True),
    ]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from lark_async.core.errors import InvalidParameter

# block_type -> payload key (Feishu docx docs)
BLOCK_KEYS: dict[int, str] = {
    1: "page",
    2: "text",
    **{2 + level: f"heading{level}" for level in range(1, 10)},
    12: "bullet",
    13: "ordered",
    14: "code",
    15: "quote",
    17: "todo",
    18: "bitable",
    19: "callout",
    20: "chat_card",
    21: "diagram",
    22: "divider",
    23: "file",
    24: "grid",
    25: "grid_column",
    26: "iframe",
    27: "image",
    28: "isv",
    29: "mindnote",
    30: "sheet",
    31: "table",
    32: "table_cell",
    33: "view",
    34: "quote_container",
    35: "task",
}
TEXT_TYPES = frozenset({1, 2, *range(3, 12), 12, 13, 14, 15, 17})
TEXT, BULLET, ORDERED, CODE, QUOTE, TODO = 2, 12, 13, 14, 15, 17
CALLOUT, DIVIDER, FILE, IMAGE, TABLE, TABLE_CELL, VIEW = 19, 22, 23, 27, 31, 32, 33

#: Code block languages by name (Feishu docx docs); an int 1..75 is accepted too.
LANGUAGES: dict[str, int] = {
    "plaintext": 1,
    "go": 22,
    "json": 28,
    "java": 29,
    "javascript": 30,
    "python": 49,
    "rust": 53,
    "sql": 56,
    "shell": 60,
    "typescript": 63,
    "yaml": 67,
    "toml": 75,
}

MediaSource = bytes | Path | str | IO[bytes]


# --- inline elements ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Run:
    """A run of text with one style (``text_run``)."""

    content: str
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    underline: bool = False
    inline_code: bool = False
    link: str | None = None
    text_color: int | None = None
    background_color: int | None = None

    def element(self) -> dict[str, Any]:
        if not isinstance(self.content, str):
            raise InvalidParameter(f"text must be a str, not {type(self.content).__name__}")
        style: dict[str, Any] = {
            name: True
            for name in ("bold", "italic", "strikethrough", "underline", "inline_code")
            if getattr(self, name)
        }
        if self.link is not None:
            if not isinstance(self.link, str) or not self.link.startswith(("http://", "https://")):
                raise InvalidParameter(f"link must be an http(s) URL, not {self.link!r}")
            style["link"] = {"url": quote(self.link, safe="")}  # the API wants it URL-encoded
        for name, top in (("text_color", 7), ("background_color", 15)):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                    raise InvalidParameter(f"{name} must be an int 1..{top}, not {value!r}")
                style[name] = value
        return {"text_run": {"content": self.content, "text_element_style": style}}


@dataclass(frozen=True, slots=True)
class Element:
    """An inline element in the API's own format (mention, equation, reminder)."""

    raw: Mapping[str, Any]

    def element(self) -> dict[str, Any]:
        return dict(self.raw)


Inline = str | Run | Element | Mapping[str, Any]


def text(content: str, **style: Any) -> Run:
    """A styled run: ``text("x", bold=True, link="https://...")``."""
    return Run(content, **style)


def bold(content: str) -> Run:
    return Run(content, bold=True)


def italic(content: str) -> Run:
    return Run(content, italic=True)


def code_span(content: str) -> Run:
    return Run(content, inline_code=True)


def link(content: str, url: str) -> Run:
    return Run(content, link=url)


def mention_user(user_id: str) -> Element:
    """@someone by open id (``ou_...``)."""
    if not isinstance(user_id, str) or not user_id:
        raise InvalidParameter(f"user_id must be a non-empty str, not {user_id!r}")
    return Element({"mention_user": {"user_id": user_id, "text_element_style": {}}})


def mention_doc(token: str, obj_type: int = 22, url: str | None = None) -> Element:
    """A link to another document (``obj_type`` 22 = docx)."""
    if not isinstance(token, str) or not token:
        raise InvalidParameter(f"token must be a non-empty str, not {token!r}")
    body: dict[str, Any] = {"token": token, "obj_type": obj_type, "text_element_style": {}}
    if url:
        body["url"] = quote(url, safe="")
    return Element({"mention_doc": body})


def equation(latex: str) -> Element:
    """An inline equation (LaTeX)."""
    if not isinstance(latex, str) or not latex:
        raise InvalidParameter(f"equation must be a non-empty str, not {latex!r}")
    return Element({"equation": {"content": latex, "text_element_style": {}}})


def elements(inlines: Iterable[Inline]) -> list[dict[str, Any]]:
    """Inline items as API ``elements``; a bare str is an unstyled run."""
    out: list[dict[str, Any]] = []
    for item in inlines:
        if isinstance(item, str):
            out.append(Run(item).element())
        elif isinstance(item, Run | Element):
            out.append(item.element())
        elif isinstance(item, Mapping):
            out.append(dict(item))
        else:
            raise InvalidParameter(
                f"text content must be str, Run or an element dict, not {type(item).__name__}"
            )
    if not out:
        out.append(Run("").element())
    return out


# --- blocks --------------------------------------------------------------------------
class BlockBuilder:
    """Base of the block builders: ``block()`` is the API dict, ``children`` follow."""

    children: tuple[BlockLike, ...] = ()

    def block(self) -> dict[str, Any]:
        raise NotImplementedError


BlockLike = BlockBuilder | Mapping[str, Any] | str


def _children(children: Iterable[BlockLike] | None) -> tuple[BlockLike, ...]:
    return tuple(children or ())


class _TextBlock(BlockBuilder):
    block_type = TEXT

    def __init__(
        self,
        *content: Inline,
        align: int | None = None,
        children: Iterable[BlockLike] | None = None,
    ) -> None:
        self.content = content
        self.align = align
        self.children = _children(children)

    def _style(self) -> dict[str, Any]:
        style: dict[str, Any] = {}
        if self.align is not None:
            if self.align not in (1, 2, 3):
                raise InvalidParameter(
                    f"align must be 1 (left), 2 (center) or 3 (right), not {self.align!r}"
                )
            style["align"] = self.align
        return style

    def block(self) -> dict[str, Any]:
        key = BLOCK_KEYS[self.block_type]
        payload: dict[str, Any] = {"elements": elements(self.content)}
        style = self._style()
        if style:
            payload["style"] = style
        return {"block_type": self.block_type, key: payload}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.content!r})"


class Text(_TextBlock):
    """A paragraph: ``Text("plain ", bold("bold"), link("here", url))``."""


class Heading(_TextBlock):
    """A heading, level 1-9: ``Heading(2, "Usage")``."""

    def __init__(self, level: int, *content: Inline, align: int | None = None) -> None:
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 9:
            raise InvalidParameter(f"heading level must be an int 1..9, not {level!r}")
        super().__init__(*content, align=align)
        self.block_type = 2 + level


class Bullet(_TextBlock):
    """A bullet-list item; ``children`` are its nested items or paragraphs."""

    block_type = BULLET


class Ordered(_TextBlock):
    """A numbered-list item."""

    block_type = ORDERED


class Quote(_TextBlock):
    """A quote paragraph."""

    block_type = QUOTE


class Todo(_TextBlock):
    """A to-do item, ``done`` or not."""

    block_type = TODO

    def __init__(
        self,
        *content: Inline,
        done: bool = False,
        children: Iterable[BlockLike] | None = None,
    ) -> None:
        super().__init__(*content, children=children)
        self.done = bool(done)

    def _style(self) -> dict[str, Any]:
        return {"done": self.done}


class Code(_TextBlock):
    """A code block: ``Code("print(1)", language="Python")``."""

    block_type = CODE

    def __init__(self, code: str, *, language: str | int = "PlainText", wrap: bool = False):
        if not isinstance(code, str):
            raise InvalidParameter(f"code must be a str, not {type(code).__name__}")
        super().__init__(code)
        self.language = language_id(language)
        self.wrap = bool(wrap)

    def _style(self) -> dict[str, Any]:
        return {"language": self.language, "wrap": self.wrap}


def language_id(language: str | int) -> int:
    if isinstance(language, int) and not isinstance(language, bool) and 1 <= language <= 75:
        return language
    if isinstance(language, str) and language.lower() in LANGUAGES:
        return LANGUAGES[language.lower()]
    raise InvalidParameter(
        f"language must be one of {', '.join(sorted(LANGUAGES))} or an int 1..75, not {language!r}"
    )


class Callout(BlockBuilder):
    """A highlighted box; its content (paragraphs, lists) goes in as children."""

    def __init__(
        self,
        *content: BlockLike,
        emoji: str = "bulb",
        background_color: int | None = None,
    ) -> None:
        self.children = tuple(content)
        self.emoji = emoji
        self.background_color = background_color

    def block(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"emoji_id": self.emoji}
        if self.background_color is not None:
            if not isinstance(self.background_color, int) or not 1 <= self.background_color <= 15:
                raise InvalidParameter(
                    f"background_color must be an int 1..15, not {self.background_color!r}"
                )
            payload["background_color"] = self.background_color
        return {"block_type": CALLOUT, "callout": payload}


class Divider(BlockBuilder):
    """A horizontal rule."""

    def block(self) -> dict[str, Any]:
        return {"block_type": DIVIDER, "divider": {}}


class Image(BlockBuilder):
    """An image: created empty, then ``source`` (bytes, a path or a binary file) is
    uploaded to it and bound (Feishu docx docs)."""

    def __init__(
        self,
        source: MediaSource,
        *,
        file_name: str | None = None,
        width: int | None = None,
        height: int | None = None,
        align: int | None = None,
    ) -> None:
        self.source = source
        self.file_name = file_name
        self.width = width
        self.height = height
        self.align = align

    def block(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in ("width", "height", "align"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise InvalidParameter(f"image {name} must be a positive int, not {value!r}")
                payload[name] = value
        return {"block_type": IMAGE, "image": payload}


class File(BlockBuilder):
    """An attached file; Feishu wraps it in a view block. ``source`` as for :class:`Image`."""

    def __init__(self, source: MediaSource, *, file_name: str | None = None) -> None:
        self.source = source
        self.file_name = file_name

    def block(self) -> dict[str, Any]:
        return {"block_type": FILE, "file": {}}


Cell = str | BlockBuilder | Sequence[BlockLike] | None


@dataclass
class Table(BlockBuilder):
    """A table of ``rows`` (each a list of cells: a str, a block, a list of blocks or None).

    Feishu creates the cells with the table, each holding one empty paragraph:
    a str cell fills that paragraph; blocks are added to the cell.
    """

    rows: Sequence[Sequence[Cell]]
    header_row: bool = False
    header_column: bool = False
    column_width: Sequence[int] | None = None
    children: tuple[BlockLike, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        rows = (
            [list(r) for r in self.rows]
            if isinstance(self.rows, Sequence)
            and not isinstance(self.rows, str)
            and all(isinstance(r, Sequence) and not isinstance(r, str) for r in self.rows)
            else None
        )
        if not rows or not all(rows) or len({len(r) for r in rows}) != 1:
            raise InvalidParameter("table rows must be a non-empty list of equally long rows")
        self.rows = rows

    @property
    def size(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    def cells(self) -> list[Cell]:
        """Cell contents, row by row (the order of the table's cell blocks)."""
        return [cell for row in self.rows for cell in row]

    def block(self) -> dict[str, Any]:
        n_rows, n_cols = self.size
        prop: dict[str, Any] = {"row_size": n_rows, "column_size": n_cols}
        if self.header_row:
            prop["header_row"] = True
        if self.header_column:
            prop["header_column"] = True
        if self.column_width is not None:
            widths = list(self.column_width)
            if len(widths) != n_cols or not all(isinstance(w, int) and w > 0 for w in widths):
                raise InvalidParameter(f"column_width needs {n_cols} positive ints")
            prop["column_width"] = widths
        return {"block_type": TABLE, "table": {"property": prop}}


def as_builder(item: BlockLike) -> BlockBuilder | Mapping[str, Any]:
    """A str becomes a paragraph; builders and API dicts pass through (checked)."""
    if isinstance(item, str):
        return Text(item)
    if isinstance(item, BlockBuilder):
        return item
    if isinstance(item, Mapping):
        block_type = item.get("block_type")
        if isinstance(block_type, bool) or not isinstance(block_type, int):
            raise InvalidParameter("blocks: a block dict needs an int block_type")
        return item
    raise InvalidParameter(
        f"blocks: each item must be a block builder, a block dict or a str, "
        f"not {type(item).__name__}"
    )

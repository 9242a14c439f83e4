"""Rich text (``post``) messages: a small builder for every tag in the Feishu IM docs.

    post = RichText("Release 1.4")                       # zh_cn unless told
    post.paragraph("Shipped by ", At("ou_1"), ": ", Text("all green", style=["bold"]))
    post.paragraph(Link("changelog", "https://example.com/changes"))
    post.code_block("pip install -U app", language="shell")
    post.locale("en_us", "Release 1.4").paragraph("Shipped.")

``img``, ``media`` and ``md`` must be alone in their paragraph (Feishu's rule);
the builder puts them there and refuses a mixed paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Self, get_args

from lark_async.core.errors import InvalidParameter
from lark_async.messaging._checks import (
    KB,
    invalid,
    optional_str,
    require_bool,
    require_str,
    require_text,
    require_token,
)
from lark_async.messaging.text import check_url

PostStyle = Literal["bold", "underline", "lineThrough", "italic"]
POST_STYLES: tuple[str, ...] = get_args(PostStyle)
POST_TAGS = ("text", "a", "at", "img", "media", "emotion", "code_block", "hr", "md")
# Tags Feishu renders only as a paragraph of their own.
BLOCK_TAGS = frozenset({"img", "media", "md"})
_LOCALE = re.compile(r"^[a-z]{2}_[a-z]{2}\Z")
# A whole post is at most 30 KB (content.MAX_POST_BYTES): a longer field can never fit.
_MAX_FIELD_BYTES = 30 * KB


def _styles(style: Iterable[str]) -> tuple[PostStyle, ...]:
    if isinstance(style, str | bytes | Mapping) or not isinstance(style, Iterable):
        raise invalid(
            "style",
            f"must be a list of styles, got {type(style).__name__}",
            f'e.g. style=["bold"]; styles: {", ".join(POST_STYLES)}',
        )
    out: list[PostStyle] = []
    for s in style:
        if not isinstance(s, str) or s not in POST_STYLES:
            raise invalid("style", f"{s!r} is not a post style", f"use {', '.join(POST_STYLES)}")
        out.append(s)  # type: ignore[arg-type]
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text; ``style`` ⊆ bold, underline, lineThrough, italic."""

    text: str
    style: Sequence[PostStyle] = ()
    un_escape: bool = False

    def to_dict(self) -> dict[str, Any]:
        if not isinstance(self.text, str) or not self.text:
            raise invalid("text", "must be a non-empty string", "a text node needs some text")
        require_str("text", self.text, max_bytes=_MAX_FIELD_BYTES)
        node: dict[str, Any] = {"tag": "text", "text": self.text}
        if self.style:
            node["style"] = list(_styles(self.style))
        if require_bool("un_escape", self.un_escape):
            node["un_escape"] = True
        return node


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink (``a``); ``href`` must be an absolute http(s) URL."""

    text: str
    href: str
    style: Sequence[PostStyle] = ()

    def to_dict(self) -> dict[str, Any]:
        require_text("text", self.text, max_bytes=_MAX_FIELD_BYTES)
        node: dict[str, Any] = {"tag": "a", "text": self.text, "href": check_url("href", self.href)}
        if self.style:
            node["style"] = list(_styles(self.style))
        return node


@dataclass(frozen=True, slots=True)
class At:
    """@-mention: ``user_id`` is an open_id/union_id/user_id, or ``"all"``."""

    user_id: str
    user_name: str | None = None
    style: Sequence[PostStyle] = ()

    def to_dict(self) -> dict[str, Any]:
        require_token("user_id", self.user_id, example="ou_... or 'all'")
        optional_str("user_name", self.user_name, max_bytes=_MAX_FIELD_BYTES)
        node: dict[str, Any] = {"tag": "at", "user_id": self.user_id}
        if self.user_name:
            node["user_name"] = self.user_name
        if self.style:
            node["style"] = list(_styles(self.style))
        return node


@dataclass(frozen=True, slots=True)
class Img:
    """An uploaded image (``upload_image``); a paragraph of its own."""

    image_key: str

    def to_dict(self) -> dict[str, Any]:
        require_token("image_key", self.image_key, prefix="img_", example="img_v2_...")
        return {"tag": "img", "image_key": self.image_key}


@dataclass(frozen=True, slots=True)
class Media:
    """An uploaded mp4 (``upload_file``) with an optional cover image; its own paragraph."""

    file_key: str
    image_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        require_token("file_key", self.file_key, example="file_v2_...")
        node: dict[str, Any] = {"tag": "media", "file_key": self.file_key}
        if self.image_key is not None:
            require_token("image_key", self.image_key, prefix="img_", example="img_v2_...")
            node["image_key"] = self.image_key
        return node


@dataclass(frozen=True, slots=True)
class Emotion:
    """An emoji by Feishu's ``emoji_type`` name, e.g. ``SMILE``, ``THUMBSUP``."""

    emoji_type: str

    def to_dict(self) -> dict[str, Any]:
        require_token("emoji_type", self.emoji_type, example="SMILE")
        return {"tag": "emotion", "emoji_type": self.emoji_type}


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """Code; ``language`` is case-insensitive (PYTHON, GO, JSON, ...)."""

    text: str
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        require_text("text", self.text, max_bytes=_MAX_FIELD_BYTES)
        if self.language is not None:
            require_token("language", self.language, example="PYTHON")
        node: dict[str, Any] = {"tag": "code_block", "text": self.text}
        if self.language:
            node["language"] = self.language.upper()
        return node


@dataclass(frozen=True, slots=True)
class Hr:
    """A horizontal rule."""

    def to_dict(self) -> dict[str, Any]:
        return {"tag": "hr"}


@dataclass(frozen=True, slots=True)
class Md:
    """A Markdown paragraph (not accepted by ``batch_send``); its own paragraph."""

    text: str

    def to_dict(self) -> dict[str, Any]:
        require_text("text", self.text, max_bytes=_MAX_FIELD_BYTES)
        return {"tag": "md", "text": self.text}


PostNode = Text | Link | At | Img | Media | Emotion | CodeBlock | Hr | Md


def _node(value: PostNode | str, index: int) -> dict[str, Any]:
    if isinstance(value, str):
        if not value:
            raise invalid("nodes", f"node {index} of the paragraph is empty", "give some text")
        return Text(require_str("nodes", value, max_bytes=_MAX_FIELD_BYTES)).to_dict()
    if isinstance(value, PostNode):
        return value.to_dict()
    raise invalid(
        "nodes",
        f"node {index} of the paragraph: {type(value).__name__} is not a post node",
        "use str, Text, Link, At, Img, Media, Emotion, CodeBlock, Hr or Md",
    )


@dataclass
class PostLocale:
    """One language version of a post: a title and paragraphs of nodes."""

    title: str = ""
    paragraphs: list[list[dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        require_str("title", self.title, max_bytes=_MAX_FIELD_BYTES)
        if not isinstance(self.paragraphs, list):
            raise invalid(
                "paragraphs",
                f"must be a list, got {type(self.paragraphs).__name__}",
                "add paragraphs with paragraph(...)",
            )
        # Hand-given paragraphs get the same checks as a hand-written post.
        check_paragraphs(self.paragraphs, "paragraphs", "paragraphs")

    def paragraph(self, *nodes: PostNode | str) -> Self:
        """Add a paragraph; strings become plain ``Text``."""
        if not nodes:
            raise invalid("nodes", "the paragraph is empty", "give at least one node")
        built = [_node(n, i) for i, n in enumerate(nodes)]
        _check_paragraph(built, len(self.paragraphs), "nodes")
        self.paragraphs.append(built)
        return self

    def image(self, image_key: str) -> Self:
        return self.paragraph(Img(image_key))

    def media(self, file_key: str, image_key: str | None = None) -> Self:
        return self.paragraph(Media(file_key, image_key))

    def code_block(self, text: str, language: str | None = None) -> Self:
        return self.paragraph(CodeBlock(text, language))

    def hr(self) -> Self:
        return self.paragraph(Hr())

    def markdown(self, text: str) -> Self:
        return self.paragraph(Md(text))

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "content": [list(p) for p in self.paragraphs]}


class RichText:
    """A ``post`` message in one or more locales.

    ``RichText(title)`` starts a ``zh_cn`` version (``locale=`` for another);
    ``paragraph``/``image``/... add to it. ``locale(code, title)`` adds or
    returns another language version.
    """

    def __init__(self, title: str = "", *, locale: str = "zh_cn") -> None:
        self._locales: dict[str, PostLocale] = {}
        self._default = self._locale(locale, title, "locale")

    def locale(self, code: str, title: str | None = None) -> PostLocale:
        """The version for ``code`` (e.g. ``en_us``), created on first use."""
        return self._locale(code, title, "code")

    def _locale(self, code: str, title: str | None, parameter: str) -> PostLocale:
        if not isinstance(code, str) or not _LOCALE.match(code):
            raise invalid(
                parameter,
                f"{code!r} is not a locale code",
                "use lower-case language_region codes such as zh_cn, en_us, ja_jp",
            )
        optional_str("title", title, max_bytes=_MAX_FIELD_BYTES)
        loc = self._locales.get(code)
        if loc is None:
            loc = self._locales[code] = PostLocale(title or "")
        elif title is not None:
            loc.title = title
        return loc

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._locales)

    def paragraph(self, *nodes: PostNode | str) -> Self:
        self._default.paragraph(*nodes)
        return self

    def image(self, image_key: str) -> Self:
        self._default.image(image_key)
        return self

    def media(self, file_key: str, image_key: str | None = None) -> Self:
        self._default.media(file_key, image_key)
        return self

    def code_block(self, text: str, language: str | None = None) -> Self:
        self._default.code_block(text, language)
        return self

    def hr(self) -> Self:
        self._default.hr()
        return self

    def markdown(self, text: str) -> Self:
        self._default.markdown(text)
        return self

    def to_content(self) -> dict[str, Any]:
        """The ``content`` object (``{"zh_cn": {"title", "content"}, ...}``), validated."""
        return validate_post(self._raw_content())

    def _raw_content(self) -> dict[str, Any]:
        """The ``content`` object as built, before :func:`validate_post`."""
        return {code: loc.to_dict() for code, loc in self._locales.items() if loc.paragraphs}


def validate_post(content: Mapping[str, Any], *, parameter: str = "post") -> dict[str, Any]:
    """Check a post content object (from the builder or hand-written); returns a plain dict."""
    if not isinstance(content, Mapping) or not content:
        raise invalid(
            parameter,
            "has no locale with paragraphs",
            "add at least one paragraph, e.g. RichText('title').paragraph('text')",
        )
    out: dict[str, Any] = {}
    for code, body in content.items():
        if not isinstance(code, str) or not _LOCALE.match(code):
            raise invalid(parameter, f"{code!r} is not a locale code", "use zh_cn, en_us, ...")
        if not isinstance(body, Mapping):
            raise invalid(
                parameter, f"{code} must be an object", 'use {"title": ..., "content": [...]}'
            )
        paragraphs = body.get("content")
        if not isinstance(paragraphs, list) or not paragraphs:
            raise invalid(
                parameter,
                f"{code}.content must be a non-empty list of paragraphs",
                "add a paragraph",
            )
        title = body.get("title", "")
        if not isinstance(title, str):
            raise invalid(parameter, f"{code}.title must be a string", "give a text title or none")
        check_paragraphs(paragraphs, f"{code}.content", parameter)
        out[code] = {"title": title, "content": paragraphs}
    return out


def check_paragraphs(paragraphs: Any, where: str, parameter: str) -> None:
    """A list of paragraphs, each a non-empty list of well-formed nodes."""
    if not isinstance(paragraphs, list):
        raise invalid(parameter, f"{where} must be a list of paragraphs", "fix it")
    for index, para in enumerate(paragraphs):
        if not isinstance(para, list) or not para:
            raise invalid(
                parameter, f"{where}[{index}] must be a non-empty list of nodes", "fix it"
            )
        for node in para:
            _check_node(node, f"{where}[{index}]", parameter)
        _check_paragraph(para, index, parameter)


_REQUIRED: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "a": ("text", "href"),
    "at": ("user_id",),
    "img": ("image_key",),
    "media": ("file_key",),
    "emotion": ("emoji_type",),
    "code_block": ("text",),
    "hr": (),
    "md": ("text",),
}


def _check_node(node: Any, where: str, parameter: str) -> None:
    tag = node.get("tag") if isinstance(node, Mapping) else None
    # A tag that is not a string (a list, say) cannot be looked up: unknown too.
    if not isinstance(tag, str) or tag not in _REQUIRED:
        raise invalid(
            parameter, f"{where}: unknown node {node!r}"[:160], f"tags: {', '.join(POST_TAGS)}"
        )
    for key in _REQUIRED[tag]:
        value = node.get(key)
        if not isinstance(value, str) or not value:
            raise invalid(parameter, f"{where}: {tag} node needs a non-empty {key!r}", "fill it in")
    if tag == "a":
        try:
            check_url("href", node["href"])
        except InvalidParameter as err:
            raise invalid(parameter, f"{where}: {err.message}", err.hint or "") from None
    style = node.get("style")
    if style is not None and (
        not isinstance(style, list)
        or not all(isinstance(s, str) and s in POST_STYLES for s in style)
    ):
        raise invalid(parameter, f"{where}: style must be a list of styles", f"use {POST_STYLES}")


def _check_paragraph(nodes: Sequence[Mapping[str, Any]], index: int, parameter: str) -> None:
    blocks = [n["tag"] for n in nodes if n.get("tag") in BLOCK_TAGS]
    if blocks and len(nodes) > 1:
        raise invalid(
            parameter,
            f"paragraph {index} mixes {blocks[0]} with other nodes",
            "img, media and md must each be alone in their paragraph",
        )

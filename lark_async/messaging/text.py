"""Inline formatting for ``text`` messages (Feishu IM docs).

Each helper returns a plain string, so they compose with f-strings::

    f"{mention('ou_1', 'Ann')} your build {bold('failed')}: {link('logs', url)}"

Feishu renders malformed tags as raw text, so the helpers refuse input that
would break the markup instead of sending something unreadable. Styles and
links are not rendered by ``batch_send`` (they arrive as typed).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lark_async.messaging._checks import invalid, require_str

_ALL = "all"
MAX_URL_CHARS = 8192  # far beyond any real link; keeps a stray blob out of a message


def mention(user_id: str, name: str = "") -> str:
    """``<at user_id="ou_...">Name</at>``: @-mention one user (open_id, union_id or user_id)."""
    if not isinstance(user_id, str) or not user_id or user_id == _ALL:
        raise invalid(
            "user_id",
            f"{user_id!r} is not a user to mention",
            "pass an open_id/union_id/user_id; use mention_all() for everyone",
        )
    if not user_id.isprintable() or any(c.isspace() or c in "\"'<>" for c in user_id):
        raise invalid("user_id", f"{user_id[:60]!r} is not a valid id", "ids have no spaces/quotes")
    _no_tags("name", name)
    return f'<at user_id="{user_id}">{name}</at>'


def mention_all() -> str:
    """``<at user_id="all"></at>``: @everyone (the group must allow it)."""
    return '<at user_id="all"></at>'


def bold(text: str) -> str:
    return f"**{_styled('text', text)}**"


def italic(text: str) -> str:
    return f"<i>{_styled('text', text)}</i>"


def underline(text: str) -> str:
    return f"<u>{_styled('text', text)}</u>"


def strikethrough(text: str) -> str:
    return f"<s>{_styled('text', text)}</s>"


def link(text: str, url: str) -> str:
    """``[text](url)``; the url must be http(s)."""
    _styled("text", text)
    if any(c in text for c in "[]"):
        raise invalid("text", "link text cannot contain [ or ]", "remove the brackets")
    return f"[{text}]({check_url('url', url)})"


def check_url(parameter: str, url: str) -> str:
    """An absolute http(s) URL without spaces or parentheses, else ``InvalidParameter``."""
    try:
        usable = isinstance(url, str) and url.isprintable() and len(url) <= MAX_URL_CHARS
        parts = urlsplit(url) if usable else None
    except ValueError:  # e.g. a malformed IPv6 host
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() or c in "()" for c in url)
    ):
        shown = repr(url)[:80] if isinstance(url, str) else type(url).__name__
        raise invalid(
            parameter,
            f"{shown} is not an absolute http(s) URL",
            "links need a full URL such as https://example.com/path (spaces and parentheses "
            f"percent-encoded), at most {MAX_URL_CHARS} characters",
        )
    return url


def _styled(parameter: str, text: str) -> str:
    if not isinstance(text, str) or not text:
        raise invalid(parameter, "must be a non-empty string", "style some text, not nothing")
    return require_str(parameter, text)


def _no_tags(parameter: str, text: str) -> None:
    require_str(parameter, text)
    if "<" in text or ">" in text:
        raise invalid(
            parameter, f"{text[:60]!r} contains < or >", "names are plain text without tags"
        )

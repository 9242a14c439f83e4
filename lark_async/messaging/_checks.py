"""Small helpers that turn bad input into a clear ``InvalidParameter`` before any I/O."""

from __future__ import annotations

from typing import Any

from lark_async.core.errors import InvalidParameter

KB = 1024
MB = 1024 * 1024


def invalid(parameter: str, problem: str, hint: str) -> InvalidParameter:
    """An ``InvalidParameter`` naming the parameter, what is wrong, and what is allowed."""
    return InvalidParameter(f"{parameter}: {problem}", hint=hint, details={"parameter": parameter})


def require_text(parameter: str, value: Any, *, max_len: int | None = None) -> str:
    """A non-blank string (optionally at most ``max_len`` characters)."""
    if not isinstance(value, str):
        raise invalid(parameter, f"must be a string, got {type(value).__name__}", "pass a str")
    if not value.strip():
        raise invalid(parameter, "must not be empty", f"give a non-blank {parameter}")
    if max_len is not None and len(value) > max_len:
        raise invalid(
            parameter,
            f"is {len(value)} characters long",
            f"{parameter} may be at most {max_len} characters",
        )
    return value


def require_token(
    parameter: str, value: Any, *, prefix: str = "", example: str = "", secret: bool = False
) -> str:
    """An id/key: non-empty, no whitespace or quotes, optionally with a known prefix.

    ``secret=True`` (card update tokens) keeps the value out of the error message.
    """
    shown = "the value" if secret else repr(value)[:60]
    if not isinstance(value, str) or not value:
        raise invalid(
            parameter,
            f"must be a non-empty string, got {shown}",
            f"pass the {parameter} as returned by Feishu"
            + (f", e.g. {example}" if example else ""),
        )
    # "/?#%" would change the URL when the id is put in a path.
    if any(c.isspace() or c in "\"'<>/?#%" for c in value) or len(value) > 256:
        raise invalid(
            parameter,
            f"{shown} is not a valid id",
            "ids contain no spaces, quotes, <, >, /, ?, # or % and are at most 256 characters",
        )
    if prefix and not value.startswith(prefix):
        raise invalid(
            parameter,
            f"{shown} does not start with {prefix!r}",
            f"a {parameter} looks like {example or prefix + '...'}",
        )
    return value


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def check_size(parameter: str, size: int, limit: int, what: str) -> None:
    if size > limit:
        raise invalid(
            parameter,
            f"{what} is {size / KB:.1f} KB",
            f"Feishu accepts at most {limit // KB} KB for {what}; shorten it or split it "
            "into several messages",
        )

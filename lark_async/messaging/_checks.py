"""Small helpers that turn bad input into a clear ``InvalidParameter`` before any I/O.

The generic checks (types, ranges, lone surrogates, JSON) are
:mod:`lark_async.core.checks`; these are messaging's own: ids, sizes, and the
``"<parameter>: <problem>"`` errors with a hint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from lark_async.core.checks import check_json, has_surrogates
from lark_async.core.errors import InvalidParameter

KB = 1024
MB = 1024 * 1024


def invalid(parameter: str, problem: str, hint: str) -> InvalidParameter:
    """An ``InvalidParameter`` naming the parameter, what is wrong, and what is allowed."""
    return InvalidParameter(f"{parameter}: {problem}", hint=hint, details={"parameter": parameter})


def require_str(parameter: str, value: Any, *, max_bytes: int | None = None) -> str:
    """A string (may be empty) that can be sent: no lone surrogates.

    ``max_bytes``: the size of the message it goes in, so a field that could
    never fit is named rather than the whole card or post.
    """
    if not isinstance(value, str):
        raise invalid(parameter, f"must be a string, got {type(value).__name__}", "pass a str")
    if has_surrogates(value):
        raise invalid(
            parameter,
            "contains a lone surrogate, which is not valid Unicode",
            "decode bytes with errors='replace', or remove the broken character",
        )
    if max_bytes is not None and len(value) * 4 > max_bytes and utf8_size(value) > max_bytes:
        raise invalid(
            parameter,
            f"is {utf8_size(value) / KB:.1f} KB",
            f"the whole message may be at most {max_bytes // KB} KB; shorten it",
        )
    return value


def optional_str(parameter: str, value: Any, *, max_bytes: int | None = None) -> str | None:
    """``None``, or a string as :func:`require_str` wants it."""
    return None if value is None else require_str(parameter, value, max_bytes=max_bytes)


def require_text(
    parameter: str, value: Any, *, max_len: int | None = None, max_bytes: int | None = None
) -> str:
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
    require_str(parameter, value, max_bytes=max_bytes)
    return value


def require_bool(parameter: str, value: Any) -> bool:
    """True or False; a truthy stand-in (``"no"``, ``1``) is refused rather than guessed."""
    if not isinstance(value, bool):
        raise invalid(parameter, f"must be True or False, got {type(value).__name__}", "a bool")
    return value


def require_choice(
    parameter: str, value: Any, choices: Iterable[str], *, optional: bool = False
) -> Any:
    """One of ``choices`` (strings); ``None`` too if optional."""
    allowed = tuple(choices)
    if value is None and optional:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise invalid(
            parameter, f"{value!r:.60} is not allowed", f"use one of {', '.join(allowed)}"
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
    # "/?#%" would change the URL when the id is put in a path; control characters
    # and lone surrogates cannot be sent at all.
    if (
        len(value) > 256
        or not value.isprintable()
        or any(c.isspace() or c in "\"'<>/?#%" for c in value)
    ):
        raise invalid(
            parameter,
            f"{shown} is not a valid id",
            "ids contain no spaces, control characters, quotes, <, >, /, ?, # or % and are "
            "at most 256 characters",
        )
    if prefix and not value.startswith(prefix):
        raise invalid(
            parameter,
            f"{shown} does not start with {prefix!r}",
            f"a {parameter} looks like {example or prefix + '...'}",
        )
    return value


def dumps(obj: Any, parameter: str) -> str:
    """Compact JSON text of ``obj``, or ``InvalidParameter`` naming ``parameter``.

    Both encoders' rules apply: the transport's (no lone surrogates, 64-bit ints,
    string keys) and the standard library's (no NaN or infinity, plain types only).
    """
    try:
        check_json(obj, parameter)
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except InvalidParameter as exc:
        problem = exc.message.removeprefix(parameter).strip()
    except (TypeError, ValueError, RecursionError) as exc:
        problem = f"is not JSON-serialisable ({str(exc)[:120]})"
    raise invalid(parameter, problem, "use str/int/float/bool/list/dict only") from None


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

"""Argument checks shared by every public function: one typed error, naming the argument.

Bad input must fail where it is given, as the library's own error, and never
later as a ``TypeError`` from deep inside aiohttp, orjson or sqlite. Each
``check_*`` returns the value (normalised where said) or raises
``InvalidParameter`` (pass ``error=ConfigError`` for client or store
configuration). The message starts with the argument's name and never shows the
value itself, which may be a secret; ``err.details["argument"]`` holds the name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lark_async.core.errors import InvalidParameter, LarkError

try:  # the same encoder the transport uses, so "serialisable" means the same thing
    import orjson

    def _dumps(value: Any) -> object:
        return orjson.dumps(value)

except ImportError:  # pragma: no cover - orjson is an optional speed-up
    import json as _json

    def _dumps(value: Any) -> object:
        return _json.dumps(value)


__all__ = [
    "bad_argument",
    "check_bool",
    "check_callable",
    "check_has",
    "check_int",
    "check_json",
    "check_number",
    "check_str",
    "check_text",
    "has_surrogates",
]

ErrorType = type[LarkError]


def bad_argument(
    name: str, problem: str, *, error: ErrorType = InvalidParameter, hint: str | None = None
) -> LarkError:
    """The error for argument ``name``: ``"<name> <problem>"``, with ``details["argument"]``."""
    return error(f"{name} {problem}", hint=hint, details={"argument": name})


def _kind(value: object) -> str:
    return type(value).__name__


def has_surrogates(text: str) -> bool:
    """A lone surrogate (e.g. from a bad decode) cannot be encoded for the wire."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_str(
    value: object,
    name: str,
    *,
    empty_ok: bool = False,
    max_len: int | None = None,
    printable: bool = False,
    error: ErrorType = InvalidParameter,
) -> str:
    """A ``str`` without lone surrogates; non-empty unless ``empty_ok``.

    ``printable=True`` also refuses control characters (newlines, NUL, ...), for
    values that end up in a header, a URL or an identifier.
    """
    if not isinstance(value, str):
        raise bad_argument(name, f"must be a str, not {_kind(value)}", error=error)
    if not value and not empty_ok:
        raise bad_argument(name, "must not be empty", error=error)
    if max_len is not None and len(value) > max_len:
        raise bad_argument(name, f"is longer than {max_len} characters", error=error)
    if printable and not value.isprintable():
        raise bad_argument(name, "contains control or unprintable characters", error=error)
    if has_surrogates(value):
        raise bad_argument(name, "contains a lone surrogate (not valid Unicode)", error=error)
    return value


def check_text(
    value: object, name: str, *, max_len: int | None = None, error: ErrorType = InvalidParameter
) -> str:
    """Free text (may be empty, may hold newlines): a ``str`` that can be encoded as UTF-8."""
    return check_str(value, name, empty_ok=True, max_len=max_len, error=error)


def check_int(
    value: object,
    name: str,
    *,
    min: int | None = None,
    max: int | None = None,
    error: ErrorType = InvalidParameter,
) -> int:
    """An ``int`` (not a bool, not a float) within ``[min, max]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_argument(name, f"must be an int, not {_kind(value)}", error=error)
    if min is not None and value < min:
        raise bad_argument(name, f"must be >= {min}", error=error)
    if max is not None and value > max:
        raise bad_argument(name, f"must be <= {max}", error=error)
    return value


def check_number(
    value: object,
    name: str,
    *,
    min: float | None = None,
    max: float | None = None,
    positive: bool = False,
    error: ErrorType = InvalidParameter,
) -> float:
    """A finite int or float (not a bool, never NaN or infinite) within bounds, as a float.

    ``positive=True`` means strictly greater than 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_argument(name, f"must be a number, not {_kind(value)}", error=error)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise bad_argument(name, "must be a finite number", error=error)
    if positive and not number > 0:
        raise bad_argument(name, "must be positive", error=error)
    if min is not None and number < min:
        raise bad_argument(name, f"must be >= {min:g}", error=error)
    if max is not None and number > max:
        raise bad_argument(name, f"must be <= {max:g}", error=error)
    return number


def check_bool(value: object, name: str, *, error: ErrorType = InvalidParameter) -> bool:
    """``True`` or ``False``; no truthy stand-ins (a ``"false"`` string is true)."""
    if not isinstance(value, bool):
        raise bad_argument(name, f"must be True or False, not {_kind(value)}", error=error)
    return value


def check_json(value: object, name: str, *, error: ErrorType = InvalidParameter) -> None:
    """Refuse what the JSON encoder would refuse at send time.

    Sets, bytes, arbitrary objects, non-str dict keys, ints beyond 64 bits,
    lone surrogates, cycles and very deep nesting.
    """
    try:
        _dumps(value)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise bad_argument(name, f"is not JSON-serialisable: {_reason(exc)}", error=error) from None


def _reason(exc: BaseException) -> str:
    # Encoders name the type or the rule broken, never the value; keep it short.
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def check_callable(
    value: object, name: str, *, error: ErrorType = InvalidParameter
) -> Callable[..., Any]:
    """Something that can be called (a handler, a clock function)."""
    if not callable(value):
        raise bad_argument(name, f"must be callable, not {_kind(value)}", error=error)
    return value


def check_has(
    value: object,
    name: str,
    methods: tuple[str, ...],
    what: str,
    *,
    error: ErrorType = InvalidParameter,
) -> None:
    """Duck-typed protocol check: ``value`` has each of ``methods``, callable."""
    missing = [m for m in methods if not callable(getattr(value, m, None))]
    if missing:
        raise bad_argument(
            name, f"must be {what} (a {_kind(value)} has no {', '.join(missing)})", error=error
        )

"""Input checks run before any request: a bad argument is a typed ``InvalidParameter``
naming the argument, and nothing is sent."""

from __future__ import annotations

import re
from typing import Any

from lark_async.core.errors import InvalidParameter

# docx document and block ids are 27 characters ("doxcn..." for older ones),
# drive tokens and file tokens a few dozen: letters, digits, '_' and '-'.
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def doc_id(value: Any, arg: str) -> str:
    """A document id, block id or drive token: it goes into a URL path, so it is checked."""
    if not isinstance(value, str):
        raise InvalidParameter(f"{arg} must be a str, not {type(value).__name__}")
    if not _ID.fullmatch(value):
        shown = value[:40]
        raise InvalidParameter(
            f"{arg} must be 1-128 letters, digits, '_' or '-', not {shown!r}",
            hint="pass the id itself (e.g. doxcn... from the document URL), not a URL",
        )
    return value


def optional_id(value: Any, arg: str) -> str | None:
    return None if value is None else doc_id(value, arg)


def index(value: Any, arg: str = "index") -> int:
    """An insert position: 0-based, or -1 for the end."""
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise InvalidParameter(f"{arg} must be an int >= -1 (-1 = at the end), not {value!r}")
    return value


def revision(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise InvalidParameter(
            f"document_revision_id must be an int >= -1 (-1 = the latest), not {value!r}"
        )
    return value


def title(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"title must be a str, not {type(value).__name__}")
    if len(value) > 800:
        raise InvalidParameter(f"title must be at most 800 characters, not {len(value)}")
    return value


def choice(value: Any, arg: str, allowed: tuple[str, ...], hint: str | None = None) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidParameter(
            f"{arg} must be one of {', '.join(allowed)}, not {value!r}", hint=hint
        )
    return value

"""What every fuzz test asserts about a call with bad input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from lark_async.core.errors import LarkError


def typed_or_ok(call: Callable[[], Any], arg: str | None = None) -> Any:
    """Run ``call``: it may succeed, or raise a LarkError (naming ``arg`` if given).

    Anything else (TypeError, AttributeError, UnicodeEncodeError …) fails the test.
    """
    try:
        return call()
    except LarkError as err:
        if arg is not None:
            assert arg in str(err), f"the error does not name {arg!r}: {err}"
        return err


async def typed_or_ok_async(call: Callable[[], Awaitable[Any]], arg: str | None = None) -> Any:
    try:
        return await call()
    except LarkError as err:
        if arg is not None:
            assert arg in str(err), f"the error does not name {arg!r}: {err}"
        return err

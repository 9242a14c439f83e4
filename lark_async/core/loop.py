"""Run a coroutine on the fastest event loop available.

uvloop (the ``fast`` extra) roughly halves the event-loop cost of a busy
server such as the callback ingress; without it, plain asyncio is used.
``LARK_ASYNC_UVLOOP=0`` turns it off.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when installed and not disabled, else None (asyncio's)."""
    if os.environ.get("LARK_ASYNC_UVLOOP", "1") == "0":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coro)

"""Run a coroutine on the fastest event loop available.

uvloop (the ``fast`` extra) roughly halves the event-loop cost of a busy
server such as the callback ingress; without it, plain asyncio is used.
``LARK_ASYNC_UVLOOP=0`` turns it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator, Callable, Coroutine
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


# -- resources that belong to one event loop -------------------------------------

_ShutdownHook = Callable[[], Coroutine[Any, Any, None]]
_guards: dict[asyncio.AbstractEventLoop, list[AsyncGenerator[None, None]]] = {}


def at_loop_shutdown(hook: _ShutdownHook) -> None:
    """Run ``hook()`` on the running loop when it shuts down.

    A session or pool opened on a loop must be closed on that loop: once
    ``asyncio.run`` has closed it, its sockets can no longer be shut cleanly.
    ``asyncio.run`` (and ``Runner``, uvloop, pytest-asyncio) finalise the loop's
    async generators before closing it, so a started generator whose
    ``finally`` awaits ``hook`` runs at exactly the right moment. A loop closed
    by hand without ``shutdown_asyncgens()`` skips it; callers must still
    tolerate that.
    """
    loop = asyncio.get_running_loop()
    for dead in [lp for lp in _guards if lp.is_closed()]:
        del _guards[dead]
    guard = _guard(hook)
    # Step the generator to its first ``yield`` synchronously: that registers it
    # with the running loop's asyncgen hooks, without needing to await here.
    step = guard.__anext__()
    with contextlib.suppress(StopIteration):
        step.send(None)
    _guards.setdefault(loop, []).append(guard)


async def _guard(hook: _ShutdownHook) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await hook()

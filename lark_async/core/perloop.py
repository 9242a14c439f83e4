"""One resource per running event loop: :class:`PerLoop`.

Some objects work only on the event loop they were made on: an asyncpg pool,
an aiohttp session, an ``asyncio.Lock`` a task once waited on. An object that
may be used from several loops one after another (``asyncio.run`` twice in a
row: a sync wrapper, a CLI, a Celery task) keeps such things in a ``PerLoop``
and its data (settings, caches, tokens) on itself::

    self._pools: PerLoop[Pool] = PerLoop(self._create_pool, close=_close_pool)
    ...
    pool = await self._pools.get()  # this loop's pool, created on first use

* ``await get()`` returns the running loop's resource, made by ``await
  create()`` the first time that loop asks; tasks asking at once share one
  creation. A failed creation raises to its caller; the next ``get()`` tries
  again. ``peek()`` looks without creating.
* ``close(resource)`` is awaited on the resource's own loop, by ``aclose()``,
  by ``discard()``, or when that loop shuts down: ``asyncio.run`` and
  ``asyncio.Runner`` shut async generators down (``loop.shutdown_asyncgens()``)
  before closing the loop, and each resource is tied to a small async
  generator whose ``finally`` closes it. So the usual way of ending a loop
  leaves nothing behind.
* ``drop(resource)`` handles a resource whose loop was closed without that
  shutdown (a hand-made loop ended by ``loop.close()``). It is awaited on the
  running loop and must not touch the dead one; by default the resource is
  just forgotten. Dead loops are swept on the first ``get()`` of a new loop
  and by ``aclose()``.
* ``aclose()`` closes the running loop's resource, drops those of closed
  loops and forgets those of loops still alive (running in another thread,
  or paused), which close them themselves: at their shutdown, or earlier
  when asyncio's async-generator finalizer schedules the ``close`` there. A
  later ``get()`` creates afresh; whether the owner may be used after its
  own close is the owner's decision.

``create`` and ``close`` run in the calling task; errors of a ``close`` run at
loop shutdown go to the loop's exception handler, so make it quiet about
failures it can do nothing about. Several threads may each run their own loop
with one ``PerLoop``; each sees only its own loop's resource.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["PerLoop"]

T = TypeVar("T")


class _Slot(Generic[T]):
    """One loop's resource, or the promise of one while it is being made."""

    __slots__ = ("closer", "lock", "made", "value")

    value: T

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # made inside the loop it serves
        self.made = False
        self.closer: AsyncGenerator[None, None] | None = None


class PerLoop(Generic[T]):
    """A ``T`` for each event loop that asks for one (see the module docstring)."""

    __slots__ = ("_close", "_create", "_drop", "_slots")

    def __init__(
        self,
        create: Callable[[], Awaitable[T]],
        *,
        close: Callable[[T], Awaitable[object]] | None = None,
        drop: Callable[[T], Awaitable[object]] | None = None,
    ) -> None:
        self._create = create
        self._close = close
        self._drop = drop
        self._slots: dict[asyncio.AbstractEventLoop, _Slot[T]] = {}

    async def get(self) -> T:
        """The running loop's resource, created on its first use."""
        loop = asyncio.get_running_loop()
        slot = self._slots.get(loop)
        if slot is None:
            await self._drop_dead()
            slot = self._slots.setdefault(loop, _Slot())
        if not slot.made:
            async with slot.lock:
                if not slot.made:
                    value = await self._create()
                    if self._close is not None:
                        slot.closer = self._close_at_shutdown(loop, slot, value)
                        # The first step registers the generator with the loop.
                        await anext(slot.closer)
                    slot.value, slot.made = value, True
        return slot.value

    def peek(self) -> T | None:
        """The running loop's resource if it has one; never creates."""
        slot = self._slots.get(asyncio.get_running_loop())
        return slot.value if slot is not None and slot.made else None

    async def discard(self, value: T) -> None:
        """Close ``value`` if it is still the running loop's resource.

        For a resource found broken: the next ``get()`` makes a new one. If
        another task already replaced it, nothing happens.
        """
        loop = asyncio.get_running_loop()
        slot = self._slots.get(loop)
        if slot is None or not slot.made or slot.value is not value:
            return
        del self._slots[loop]
        if slot.closer is not None:
            await slot.closer.aclose()

    async def aclose(self) -> None:
        """Close the running loop's resource and drop those of closed loops."""
        running = asyncio.get_running_loop()
        await self._drop_dead()
        slot = self._slots.pop(running, None)
        # Loops still alive elsewhere: forgetting the slot lets the generator's
        # finalizer ask that loop to close its resource.
        self._slots.clear()
        if slot is not None and slot.closer is not None:
            await slot.closer.aclose()

    def __len__(self) -> int:
        """How many loops hold a resource (or are making one)."""
        return len(self._slots)

    async def _drop_dead(self) -> None:
        # list(): a loop in another thread may add its slot meanwhile.
        for loop in [loop for loop in list(self._slots) if loop.is_closed()]:
            slot = self._slots.pop(loop, None)
            # The slot's generator goes with it: finalizing it on a closed loop
            # does nothing, so nothing is awaited there.
            if slot is not None and slot.made and self._drop is not None:
                await self._drop(slot.value)

    async def _close_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, slot: _Slot[T], value: T
    ) -> AsyncGenerator[None, None]:
        """Suspended until closed by ``aclose``/``discard`` or the loop's shutdown."""
        assert self._close is not None
        try:
            yield
        finally:
            if self._slots.get(loop) is slot:
                del self._slots[loop]
            await self._close(value)

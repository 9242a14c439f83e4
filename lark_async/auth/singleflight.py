"""Single flight of an outcome: one running task per key, its result or error for every caller.

Callers that need the same thing at the same time (a token nobody holds yet)
join one task instead of queueing on a lock and redoing the work one after
another. The task's outcome, success or failure, reaches every caller waiting
on it at once; once it has finished, the next caller starts a new one.

A caller that is cancelled leaves the task running for the others (it waits
through ``asyncio.shield``). Tasks belong to an event loop, so each loop has
its own set (:class:`lark_async.core.perloop.PerLoop`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Hashable
from functools import partial
from typing import Any, Generic, TypeVar

from lark_async.core.errors import LarkError
from lark_async.core.logging import get_logger
from lark_async.core.perloop import PerLoop

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """At most one running task per key on each event loop."""

    __slots__ = ("_name", "_tasks")

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: PerLoop[dict[K, asyncio.Task[V]]] = PerLoop(_new_tasks)

    async def start(self, key: K, make: Callable[[], Coroutine[Any, Any, V]]) -> asyncio.Task[V]:
        """The task running for ``key``, started from ``make()`` if there is none."""
        tasks = await self._tasks.get()
        task = tasks.get(key)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(make(), name=f"{self._name}:{key}")
            tasks[key] = task
            task.add_done_callback(partial(_finished, tasks, key))
        return task

    async def join(self, key: K, make: Callable[[], Coroutine[Any, Any, V]]) -> V:
        """Wait for the task running for ``key`` (starting it if needed) and share its outcome.

        A :class:`LarkError` is raised as a copy per caller: the request path
        writes the caller's own request id into the error it returns.
        """
        task = await self.start(key, make)
        try:
            return await asyncio.shield(task)
        except LarkError as err:
            raise own_copy(err) from None

    def running(self) -> list[asyncio.Task[V]]:
        """The running loop's unfinished tasks."""
        tasks = self._tasks.peek()
        return [t for t in (tasks or {}).values() if not t.done()]

    async def aclose(self) -> None:
        """Cancel the running loop's tasks and wait for them to end."""
        tasks = self.running()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._tasks.aclose()


def own_copy(err: LarkError) -> LarkError:
    """A shallow copy of ``err``, made without calling its ``__init__``."""
    dup = BaseException.__new__(type(err), *err.args)
    dup.__dict__.update(err.__dict__)
    return dup


async def _new_tasks() -> dict[Any, Any]:
    return {}


def _finished(tasks: dict[Any, asyncio.Task[Any]], key: object, task: asyncio.Task[Any]) -> None:
    if tasks.get(key) is task:
        del tasks[key]
    if task.cancelled():
        return
    exc = task.exception()  # retrieved here, so a task nobody joined stays quiet
    if exc is not None and not isinstance(exc, LarkError):
        get_logger().error(
            "lark.singleflight",
            task=task.get_name(),
            error=f"{type(exc).__name__}: {exc}",
            hint="a bug: please report it with this log line",
        )

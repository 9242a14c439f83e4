"""The consumer: takes envelopes off a broker and runs their handlers.

``async with Worker(broker, dispatcher):`` consumes in the background until the
block ends; ``await worker.run()`` consumes in the foreground (``lark-async worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

from lark_async.callbacks.dispatch import Dispatcher
from lark_async.callbacks.queue import Broker, Decision, Envelope
from lark_async.core import telemetry as _tm
from lark_async.core.errors import InvalidParameter
from lark_async.core.logging import get_logger


class Worker:
    """Delivers each queued event to its handler; acks, retries or dead-letters it."""

    def __init__(self, broker: Broker, dispatcher: Dispatcher, *, concurrency: int = 16) -> None:
        if (
            isinstance(concurrency, bool)
            or not isinstance(concurrency, int)
            or not 1 <= concurrency <= 1000
        ):
            raise InvalidParameter(
                f"concurrency={concurrency!r}; allowed 1..1000",
                hint="how many handlers may run at once in this worker",
            )
        self.broker = broker
        self.dispatcher = dispatcher
        self.concurrency = concurrency
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Consume until cancelled (the broker reconnects by itself if it drops)."""
        get_logger().info(
            "lark.callback.worker_started",
            concurrency=self.concurrency,
            handlers=len(self.dispatcher.router),
        )
        await self.broker.consume(self._consume, concurrency=self.concurrency)

    async def _consume(self, envelope: Envelope) -> Decision:
        return await _tm.counted_handle(self.dispatcher.handle(envelope))

    async def start(self) -> None:
        """Start the broker and consume in a background task."""
        if self._task is not None:
            return
        await self.broker.start()
        self._task = asyncio.create_task(self.run())

    async def close(self, *, close_broker: bool = True) -> None:
        """Stop consuming (in-flight messages are redelivered) and close the broker."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if close_broker:
            await self.broker.close()

    async def __aenter__(self) -> Worker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

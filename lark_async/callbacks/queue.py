"""The queue between the ingress and the handlers: envelopes, decisions, brokers.

A :class:`Broker` carries :class:`Envelope` s (an event plus its delivery state).
:class:`MemoryBroker` is the embedded default, an in-process asyncio queue;
``RabbitBroker`` (``lark_async.callbacks.rabbit``) is the durable one. Both give
the consumer the same contract: each envelope is handed to a function returning a
:class:`Decision` (done, retry after a delay, or dead-letter), which the broker
carries out before it forgets the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from lark_async.callbacks.events import CallbackEvent
from lark_async.callbacks.replies import CardUpdate
from lark_async.core.checks import check_has, check_int
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ErrorKind, InvalidParameter, LarkError
from lark_async.core.logging import get_logger

try:  # orjson is optional and only makes this faster
    import orjson

    def _dumps(value: Any) -> bytes:
        return orjson.dumps(value)

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover

    def _dumps(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    _loads = json.loads

ENVELOPE_VERSION = 1
MAX_ERROR_CHARS = 500


class QueueUnavailable(LarkError):
    """The broker could not take the message (down, timed out, or refused it)."""

    default_kind = ErrorKind.NETWORK

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, retryable=True, hint=hint)


class PublishUnconfirmed(QueueUnavailable):
    """Sent, but not confirmed in time: the message may still have landed.

    Whoever keeps it to send again must expect a second copy in the queue; the
    copies share the event id (the AMQP ``message_id``), and consumers dedupe on it.
    """


@dataclass(frozen=True, slots=True)
class Envelope:
    """An event and where it is in its delivery.

    ``attempt`` counts failed tries so far. ``pending`` is a card update still to
    apply: the handler already succeeded, so a retry applies it without running the
    handler again. ``token_uses`` counts uses of the event's card-update token.
    """

    event: CallbackEvent
    attempt: int = 0
    pending: CardUpdate | None = None
    token_uses: int = 0
    last_error: str | None = None

    @property
    def event_id(self) -> str:
        return self.event.event_id

    def failed(self, error: str, *, pending: CardUpdate | None = None) -> Envelope:
        """The envelope for the next try after a failure."""
        return replace(
            self, attempt=self.attempt + 1, pending=pending, last_error=error[:MAX_ERROR_CHARS]
        )

    def to_bytes(self) -> bytes:
        return _dumps(
            {
                "v": ENVELOPE_VERSION,
                "event": self.event.to_dict(),
                "attempt": self.attempt,
                "pending": self.pending.to_dict() if self.pending is not None else None,
                "token_uses": self.token_uses,
                "last_error": self.last_error,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse :meth:`to_bytes`; ``InvalidParameter`` for anything else."""
        try:
            data = _loads(raw)
        except ValueError:
            raise InvalidParameter("queue message is not JSON") from None
        if not isinstance(data, dict) or data.get("v") != ENVELOPE_VERSION:
            raise InvalidParameter(
                "queue message is not a lark-async callback envelope (version 1)"
            )
        event = data.get("event")
        if not isinstance(event, dict):
            raise InvalidParameter("queue message has no event object")
        pending = data.get("pending")
        try:
            attempt, uses = int(data.get("attempt") or 0), int(data.get("token_uses") or 0)
            card = CardUpdate.from_dict(pending) if isinstance(pending, dict) else None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidParameter(f"queue message has a bad field: {exc}") from None
        last_error = data.get("last_error")
        return cls(
            event=CallbackEvent.from_dict(event),
            attempt=max(0, attempt),
            pending=card,
            token_uses=max(0, uses),
            last_error=last_error if isinstance(last_error, str) else None,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a consumed envelope."""

    action: Literal["ack", "retry", "dead"]
    envelope: Envelope
    delay: float = 0.0
    reason: str | None = None

    @classmethod
    def ack(cls, envelope: Envelope) -> Decision:
        return cls("ack", envelope)

    @classmethod
    def retry(cls, envelope: Envelope, delay: float) -> Decision:
        return cls("retry", envelope, delay=delay)

    @classmethod
    def dead(cls, envelope: Envelope, reason: str) -> Decision:
        return cls("dead", envelope, reason=reason)


ConsumeFn = Callable[[Envelope], Awaitable[Decision]]


#: What ``broker=`` must have (checked where one is given).
BROKER_METHODS = ("on_available", "start", "close", "publish", "dead_letter", "consume")


class Broker(Protocol):
    """Where accepted callbacks wait for a handler."""

    @property
    def available(self) -> bool:
        """True while a publish is expected to succeed."""

    def on_available(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the broker becomes available (again)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
        """Store the envelope durably (confirmed); ``delay`` > 0 delivers it later.

        Raises :class:`QueueUnavailable` if it cannot.
        """

    async def dead_letter(self, envelope: Envelope, reason: str, *, timeout: float) -> None:
        """Park the envelope for an operator; raises :class:`QueueUnavailable` if it cannot."""

    async def consume(self, fn: ConsumeFn, *, concurrency: int) -> None:
        """Hand envelopes to ``fn`` until closed or cancelled; act on its decisions."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    envelope: Envelope
    reason: str


@dataclass
class _MemoryState:
    queue: asyncio.Queue[Envelope]
    in_flight: int = 0
    scheduled: set[asyncio.Task[None]] = field(default_factory=set)
    idle: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryBroker:
    """The embedded default: an in-process asyncio queue with the Broker contract.

    Not durable: use it when losing queued callbacks on a crash is acceptable, or
    in tests. Retries wait on ``clock`` (inject a fake one in tests); dead letters
    are kept in :attr:`dead` (the newest ``max_dead``).
    """

    def __init__(
        self, *, clock: Clock = SYSTEM_CLOCK, maxsize: int = 10_000, max_dead: int = 10_000
    ) -> None:
        check_has(clock, "clock", ("time", "monotonic", "sleep"), "a Clock")
        check_int(maxsize, "maxsize", min=1, max=10**9)
        check_int(max_dead, "max_dead", min=1, max=10**9)  # a deque's maxlen is a C size
        self._clock = clock
        self._maxsize = maxsize
        self._state: _MemoryState | None = None
        self._closed = False
        self.dead: deque[DeadLetter] = deque(maxlen=max_dead)
        self._listeners: list[Callable[[], None]] = []

    def _st(self) -> _MemoryState:
        # Created lazily so the asyncio objects bind to the running loop.
        if self._state is None:
            self._state = _MemoryState(queue=asyncio.Queue(self._maxsize))
            self._state.idle.set()
        return self._state

    @property
    def available(self) -> bool:
        return not self._closed and not self._st().queue.full()

    def on_available(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    async def start(self) -> None:
        self._closed = False
        self._st()

    async def close(self) -> None:
        self._closed = True
        for task in list(self._st().scheduled):
            task.cancel()

    async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
        if self._closed:
            raise QueueUnavailable("the in-process queue is closed")
        state = self._st()
        if delay > 0:
            task = asyncio.create_task(self._later(envelope, delay))
            state.scheduled.add(task)
            state.idle.clear()
            task.add_done_callback(self._forget)
            return
        try:
            state.queue.put_nowait(envelope)
        except asyncio.QueueFull:
            raise QueueUnavailable(
                f"the in-process queue is full ({self._maxsize} callbacks waiting)",
                hint="handlers are slower than callbacks arrive; add workers or use RabbitMQ",
            ) from None
        state.idle.clear()

    async def dead_letter(self, envelope: Envelope, reason: str, *, timeout: float) -> None:
        self.dead.append(DeadLetter(envelope, reason))

    async def consume(self, fn: ConsumeFn, *, concurrency: int) -> None:
        workers = [asyncio.create_task(self._work(fn)) for _ in range(max(1, concurrency))]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def drain(self) -> None:
        """Wait until nothing is queued, running, or scheduled for retry."""
        await self._st().idle.wait()

    def __len__(self) -> int:
        return self._st().queue.qsize()

    # -- internals --------------------------------------------------------------------

    async def _later(self, envelope: Envelope, delay: float) -> None:
        await self._clock.sleep(delay)
        state = self._st()
        # A retry must not be lost to a full queue: wait for room instead.
        await state.queue.put(envelope)

    def _forget(self, task: asyncio.Task[None]) -> None:
        state = self._st()
        state.scheduled.discard(task)
        self._maybe_idle()

    def _maybe_idle(self) -> None:
        state = self._st()
        if state.queue.empty() and state.in_flight == 0 and not state.scheduled:
            state.idle.set()

    async def _work(self, fn: ConsumeFn) -> None:
        log = get_logger()
        state = self._st()
        while True:
            envelope = await state.queue.get()
            state.in_flight += 1
            was_full = state.queue.qsize() + 1 >= self._maxsize
            try:
                decision = await fn(envelope)
                if decision.action == "retry":
                    await self.publish(decision.envelope, timeout=0, delay=decision.delay)
                elif decision.action == "dead":
                    await self.dead_letter(decision.envelope, decision.reason or "?", timeout=0)
            except asyncio.CancelledError:
                with contextlib.suppress(asyncio.QueueFull):
                    state.queue.put_nowait(envelope)  # not lost on shutdown mid-handler
                raise
            except Exception as exc:  # a bug in the consume function: keep the event
                log.error(
                    "lark.callback.consumer_error",
                    event_id=envelope.event_id,
                    error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS],
                )
                self.dead.append(DeadLetter(envelope, "consumer_error"))
            finally:
                state.in_flight -= 1
                state.queue.task_done()
                self._maybe_idle()
            if was_full:
                for callback in self._listeners:
                    callback()

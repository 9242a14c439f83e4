"""Run the handler for one envelope and apply its card update; decide what happens next.

Shared by the queue consumer (:class:`~lark_async.callbacks.worker.Worker`) and by
the ingress when it handles a callback in-process (synchronous handlers, degraded
mode). The steps, and what each outcome becomes:

1. No handler registered → dead-letter ``no_handler`` (nothing is dropped silently).
2. Event id already handled or being handled → done (a duplicate).
3. Handler raises → retry after a backoff, dead-letter ``handler_failed`` after
   ``max_attempts`` tries.
4. Handler returns something that isn't a reply → dead-letter ``bad_reply``
   (retrying would repeat its side effects for the same bug).
5. Card update (routed to the same handler when the clicked card was sent with
   ``on_action=``, see :func:`~lark_async.callbacks.replies.keep_handler`): applied
   after the callback was answered. A retryable failure is
   retried *without* running the handler again (the update travels in the
   envelope); a permanent one is dead-lettered ``card_update_failed``.
"""

from __future__ import annotations

import asyncio
import math
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lark_async.callbacks.cards import CardClient, CardUpdater
from lark_async.callbacks.dedupe import (
    ClaimHeld,
    MemoryProcessedStore,
    ProcessedMemoryFull,
    ProcessedStore,
    reclaimed,
)
from lark_async.callbacks.queue import MAX_ERROR_CHARS, Decision, Envelope
from lark_async.callbacks.replies import CardUpdate, Reply, as_reply, keep_handler
from lark_async.callbacks.router import CallbackRouter
from lark_async.core.checks import bad_argument, check_has, check_int, check_number
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.core.logging import get_logger
from lark_async.core.retry import backoff

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
DEFAULT_MAX_ATTEMPTS = 5
# After publishing, the ingress answers Feishu within milliseconds; a token update
# sent before that answer arrives is refused or reverted (Feishu callback docs).
DEFAULT_ANSWER_GRACE = 0.5

# Called with the handler's reply as soon as it is known; returns True when the
# caller sent the reply inline (then its card is not applied again through the API).
ReplySink = Callable[[Reply], bool]


@dataclass(frozen=True, slots=True)
class HandlerRetry:
    """How the worker retries a failed handler or card update.

    ``max_attempts`` tries in all; the n-th retry waits ``delays[n-1]`` (the last
    one repeats), spread by ± ``jitter`` (a fraction; 0 keeps the delays exact).
    Delays come from :func:`lark_async.core.retry.backoff`, the library's one
    backoff formula. Not to be confused with the client's
    :class:`~lark_async.core.retry.RetryPolicy` (HTTP calls). Keep ``jitter`` 0
    with RabbitMQ, which declares one retry queue per distinct delay.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    delays: Sequence[float] = DEFAULT_RETRY_DELAYS
    jitter: float = 0.0

    def __post_init__(self) -> None:
        check_int(self.max_attempts, "max_attempts", min=1)
        delays = self.delays
        if (
            isinstance(delays, str | bytes)
            or not isinstance(delays, Sequence)
            or not delays
            or not all(
                not isinstance(d, bool) and isinstance(d, int | float) and 0 <= d < math.inf
                for d in delays
            )
        ):
            raise InvalidParameter(
                "retry delays must be a non-empty list of seconds >= 0",
                hint="e.g. delays=(1, 5, 30, 120)",
                details={"argument": "delays"},
            )
        jitter = check_number(self.jitter, "jitter", min=0)
        if not jitter < 1:
            raise InvalidParameter("jitter must be a fraction in [0, 1)")
        object.__setattr__(self, "delays", tuple(float(d) for d in self.delays))

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Wait before the try that follows ``attempt`` failures (attempt >= 1)."""
        return backoff(attempt - 1, schedule=self.delays, jitter=self.jitter, rng=rng)


class Dispatcher:
    """Handler + card update for one envelope at a time; see the module docstring."""

    def __init__(
        self,
        router: CallbackRouter,
        *,
        lark: CardClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
        processed: ProcessedStore | None = None,
        retry: HandlerRetry | None = None,
        answer_grace: float = DEFAULT_ANSWER_GRACE,
    ) -> None:
        if not isinstance(router, CallbackRouter):
            raise bad_argument("router", f"must be a CallbackRouter, not {type(router).__name__}")
        if lark is not None:
            check_has(lark, "lark", ("app",), "a LarkClient")
        check_has(clock, "clock", ("time", "monotonic", "sleep"), "a Clock")
        if processed is not None:
            check_has(processed, "processed", ("claim", "done", "release"), "a ProcessedStore")
        if retry is not None and not isinstance(retry, HandlerRetry):
            raise bad_argument("retry", f"must be a HandlerRetry, not {type(retry).__name__}")
        check_number(answer_grace, "answer_grace", min=0)
        self.router = router
        self._clock = clock
        self._updater = CardUpdater(lark, clock=clock) if lark is not None else None
        self._processed = (
            processed if processed is not None else MemoryProcessedStore(now=clock.time)
        )
        self.retry = retry if retry is not None else HandlerRetry()
        self._grace = answer_grace

    async def handle(
        self,
        envelope: Envelope,
        *,
        answered: asyncio.Event | None = None,
        on_reply: ReplySink | None = None,
    ) -> Decision:
        """Process one envelope. Never raises except on cancellation.

        ``answered``: set by the ingress once Feishu has its HTTP answer; card
        updates wait for it. Without it (the queue consumer), they wait until
        ``answer_grace`` seconds after the callback was received.
        """
        log = get_logger()
        event = envelope.event
        update = envelope.pending
        if update is None:
            registration = self.router.resolve(event)
            if registration is None:
                routed = event.action.routed_to if event.action is not None else None
                if routed is not None:  # the card names a handler this worker lacks
                    log.warning(
                        "lark.callback.unknown_action",
                        event_id=event.event_id,
                        app_id=event.app_id,
                        action=routed[:200],
                        answered="dead_letter",
                    )
                    return Decision.dead(envelope, "no_handler")
                log.warning(
                    "lark.callback.no_handler",
                    event_id=event.event_id,
                    app_id=event.app_id,
                    event_type=event.event_type,
                    action=event.action_name,
                )
                return Decision.dead(envelope, "no_handler")
            try:
                claimed = await self._processed.claim(event.event_id)
            except ClaimHeld as held:  # running (or died running) in another worker
                log.info(
                    "lark.callback.claimed_elsewhere",
                    event_id=event.event_id,
                    app_id=event.app_id,
                    retry_after=held.retry_after,
                )
                return Decision.retry(envelope, held.retry_after)
            except ProcessedMemoryFull as full:  # never forget a live id: come back later
                delay = self.retry.delay(1)
                log.error(
                    "lark.callback.processed_memory_full",
                    event_id=event.event_id,
                    app_id=event.app_id,
                    cap=full.cap,
                    retry_after=delay,
                    hint="raise the processed store's max_entries, or keep it in "
                    "PostgreSQL (--state, docs/scaling.md)",
                )
                return Decision.retry(envelope, delay)
            except Exception as exc:  # a shared store that is down: try again later
                return self._failed(
                    envelope, "processed_store_unavailable", _describe(exc), registration.name
                )
            if not claimed:
                log.info(
                    "lark.callback.duplicate",
                    event_id=event.event_id,
                    app_id=event.app_id,
                    event_type=event.event_type,
                )
                return Decision.ack(envelope)
            if reclaimed(self._processed, event.event_id):
                event = replace(event, redelivered=True)
            try:
                result = await registration.handler(event)
            except asyncio.CancelledError:
                await self._processed.release(event.event_id)
                raise
            except Exception as exc:
                await self._processed.release(event.event_id)
                return self._failed(envelope, "handler_failed", _describe(exc), registration.name)
            try:
                reply = keep_handler(
                    as_reply(result), event.action.routed_to if event.action else None
                )
            except InvalidParameter as exc:
                await self._processed.done(event.event_id)
                log.error(
                    "lark.callback.bad_reply",
                    event_id=event.event_id,
                    handler=registration.name,
                    error=exc.message,
                )
                return Decision.dead(envelope.failed(exc.message), "bad_reply")
            await self._processed.done(event.event_id)
            sent_inline = on_reply(reply) if on_reply is not None else False
            if reply.toast is not None and not sent_inline:
                log.info(
                    "lark.callback.toast_dropped",
                    event_id=event.event_id,
                    handler=registration.name,
                    reason="the callback was already answered; register the handler "
                    "with sync=True to show toasts",
                )
            update = None if sent_inline else reply.card
            log.info(
                "lark.callback.handled",
                event_id=event.event_id,
                app_id=event.app_id,
                event_type=event.event_type,
                handler=registration.name,
                attempt=envelope.attempt + 1,
                card_update=update is not None,
            )
        if update is None:
            return Decision.ack(envelope)
        return await self._apply(envelope, update, answered)

    async def _apply(
        self, envelope: Envelope, update: CardUpdate, answered: asyncio.Event | None
    ) -> Decision:
        log = get_logger()
        event = envelope.event
        if self._updater is None:
            log.error(
                "lark.callback.card_update_failed",
                event_id=event.event_id,
                error="no client to send card updates with",
                hint="pass lark=<LarkClient> to Callbacks / Worker",
            )
            return Decision.dead(envelope.failed("no card client", pending=update), "no_client")
        if answered is not None:
            await answered.wait()
        else:
            wait = event.received_at + self._grace - self._clock.time()
            if wait > 0:
                await self._clock.sleep(wait)
        result = await self._updater.apply(event, update, token_uses=envelope.token_uses)
        if result.ok:
            log.info(
                "lark.callback.card_updated",
                event_id=event.event_id,
                app_id=event.app_id,
                via=result.via,
            )
            return Decision.ack(envelope)
        error = result.error or LarkError("card update failed")
        progressed = Envelope(
            event=event,
            attempt=envelope.attempt,
            pending=update,
            token_uses=result.token_uses,
        )
        if result.retryable:
            return self._failed(progressed, "card_update_failed", str(error), "card update", update)
        log.error(
            "lark.callback.card_update_failed",
            event_id=event.event_id,
            app_id=event.app_id,
            via=result.via,
            error=str(error),
        )
        return Decision.dead(progressed.failed(str(error), pending=update), "card_update_failed")

    def _failed(
        self,
        envelope: Envelope,
        reason: str,
        error: str,
        where: str,
        pending: CardUpdate | None = None,
    ) -> Decision:
        """Retry with backoff, or dead-letter once the attempts are used up."""
        log = get_logger()
        nxt = envelope.failed(error, pending=pending)
        if nxt.attempt >= self.retry.max_attempts:
            log.error(
                "lark.callback.dead_lettered",
                event_id=envelope.event_id,
                app_id=envelope.event.app_id,
                reason=reason,
                where=where,
                attempts=nxt.attempt,
                error=error,
            )
            return Decision.dead(nxt, reason)
        delay = self.retry.delay(nxt.attempt)
        log.warning(
            "lark.callback.retry",
            event_id=envelope.event_id,
            app_id=envelope.event.app_id,
            reason=reason,
            where=where,
            attempt=nxt.attempt,
            delay=delay,
            error=error,
        )
        return Decision.retry(nxt, delay)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


# The worker's policy was called RetryPolicy, like the client's; the old name
# still works, with a DeprecationWarning (add, never rename).
def deprecated_retry_policy(module: str) -> type[HandlerRetry]:
    """``HandlerRetry``, warning the code that asked for ``<module>.RetryPolicy``."""
    warnings.warn(
        f"{module}.RetryPolicy is deprecated; use HandlerRetry "
        "(RetryPolicy is the name of the client's HTTP retry policy)",
        DeprecationWarning,
        stacklevel=3,  # past this helper and the module's __getattr__
    )
    return HandlerRetry


if TYPE_CHECKING:
    RetryPolicy = HandlerRetry
else:

    def __getattr__(name: str) -> object:
        if name == "RetryPolicy":
            return deprecated_retry_policy(__name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

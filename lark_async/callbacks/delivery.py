"""The delivery side of the ingress: queue, spool, in-process run, settle, replay.

A verified callback (:class:`~lark_async.callbacks.inbound.InboundCallback`) is
published to the broker (RabbitMQ: confirmed) and only then answered. If the broker
can't take it (degraded mode), it goes to the local spool and, when a handler is
registered here, runs in-process: its toast and card go back inline when it
finishes in time. A synchronous handler always runs in-process. Something that
neither the queue, the spool nor an in-process run within the deadline can accept
is answered 503. What the spool holds is published again once the broker is back,
which for RabbitMQ means a publish was confirmed again (and at every
``replay_interval`` while it is available), never on a timer into a dead link.

Each spool row is claimed before it is replayed (see ``spool``), so it is never in
flight twice; it is deleted only after its publish is confirmed. A publish that
timed out may still land: its row is held back a claim lease, then sent again.
The queue may so hold one event twice, with one event id; the workers' dedupe
(``processed=``, shared across processes with ``--state``) runs it once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

from lark_async.callbacks.dispatch import Dispatcher
from lark_async.callbacks.inbound import Answer, InboundCallback, IngressStats
from lark_async.callbacks.queue import (
    Broker,
    Decision,
    Envelope,
    PublishUnconfirmed,
    QueueUnavailable,
)
from lark_async.callbacks.replies import Reply
from lark_async.callbacks.router import UNKNOWN_ACTION_TOAST, Registration, unknown_action
from lark_async.callbacks.spool import Spool, SpooledItem, SpoolUnavailable
from lark_async.core import telemetry as _tm
from lark_async.core.clock import Clock
from lark_async.core.logging import RateLimitedLog, get_logger

DEFAULT_PUBLISH_TIMEOUT = 1.0
# A spooled callback handled in this process stays claimed this long (a handler
# that outlives it, or a crash, lets a replay take it; the workers dedupe).
IN_PROCESS_CLAIM = 300.0


class Delivery:
    """Where verified callbacks go; see the module docstring.

    Owned by :class:`~lark_async.callbacks.http.CallbackIngress`, which validates the
    settings, starts and closes it, and counts into the same ``stats``.
    """

    def __init__(
        self,
        *,
        broker: Broker,
        dispatcher: Dispatcher | None,
        spool: Spool | None,
        clock: Clock,
        stats: IngressStats,
        publish_timeout: float,
        replay_interval: float,
    ) -> None:
        self.broker = broker
        self.dispatcher = dispatcher
        self.spool = spool
        self.stats = stats
        self._clock = clock
        self._publish_timeout = publish_timeout
        self._replay_interval = replay_interval
        # A replay claims rows this long (far longer than one publish may take), and
        # a row whose publish timed out waits this long before it is sent again.
        self.claim_lease = max(5.0, 5 * publish_timeout)
        self.replay_unconfirmed = 0  # replays that timed out (may have landed twice)
        self._claimed: set[str] = set()  # spooled event ids being handled in this process
        self._tasks: set[asyncio.Task[Any]] = set()
        self._replayer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._log_limit = RateLimitedLog(30.0)
        broker.on_available(self._wake_replayer)

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the broker, open the spool, and replay what it holds."""
        await self.broker.start()
        if self.spool is not None:
            await self.spool.open()
        self._wake = asyncio.Event()
        self._wake.set()  # replay anything left from a previous run at once
        self._replayer = asyncio.create_task(self._replay_loop())

    async def close(self, timeout: float, *, close_broker: bool) -> None:
        """Let in-process handlers finish (up to ``timeout`` s), cancel the rest, stop."""
        replayer, self._replayer = self._replayer, None
        if replayer is not None:
            replayer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await replayer
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if close_broker:
            await self.broker.close()
        if self.spool is not None:
            await self.spool.close()

    # -- one callback -----------------------------------------------------------------

    async def deliver(self, inbound: InboundCallback) -> Answer:
        """Hand the callback on; return how to answer Feishu."""
        dispatcher = self.dispatcher
        registration = dispatcher.router.resolve(inbound.event) if dispatcher else None
        inbound.registration = registration
        if registration is None and dispatcher is not None:
            name = unknown_action(dispatcher.router, inbound.event)
            if name is not None:  # nothing here or in a worker would run it: say so now
                self._log_unknown(inbound, name)
                return Answer({"toast": UNKNOWN_ACTION_TOAST.to_json()})
        if registration is not None and registration.sync:
            return await self._run_in_process(inbound, registration, spooled=False)
        return await self._enqueue(inbound, registration)

    async def _enqueue(self, inbound: InboundCallback, registration: Registration | None) -> Answer:
        event = inbound.event
        timeout = min(self._publish_timeout, inbound.remaining(self._clock.monotonic()))
        try:
            await self.broker.publish(inbound.envelope, timeout=timeout)
        except QueueUnavailable as exc:
            self.stats.degraded += 1
            self._log_rate_limited(
                "degraded",
                "lark.callback.degraded",
                app_id=event.app_id,
                event_id=event.event_id,
                error=exc.message,
            )
            unconfirmed = isinstance(exc, PublishUnconfirmed)
            return await self._degraded(inbound, registration, unconfirmed=unconfirmed)
        self.stats.published += 1
        _tm.recorder.callback_published(event.event_type)
        self._log_accepted(inbound, "queue")
        return inbound.ack()

    async def _degraded(
        self, inbound: InboundCallback, registration: Registration | None, *, unconfirmed: bool
    ) -> Answer:
        """The queue is down: spool it, and run it here if a handler is registered."""
        here = registration is not None and self.dispatcher is not None
        # A publish that timed out may still land: held a lease, like a replay's.
        claim = IN_PROCESS_CLAIM if here else self.claim_lease if unconfirmed else 0.0
        spooled = await self._try_spool(inbound.envelope, claim=claim, unconfirmed=unconfirmed)
        if registration is not None and self.dispatcher is not None:
            return await self._run_in_process(inbound, registration, spooled=spooled)
        if not spooled:
            return self._unavailable(inbound, "queue_and_spool")
        self._log_accepted(inbound, "spool")
        return inbound.ack()

    async def _run_in_process(
        self, inbound: InboundCallback, registration: Registration, *, spooled: bool
    ) -> Answer:
        """Run the handler now; answer with its reply if it is ready in time.

        Used for synchronous handlers (``spooled`` False) and in degraded mode.
        """
        assert self.dispatcher is not None
        event, envelope = inbound.event, inbound.envelope
        degraded = not registration.sync
        self.stats.in_process += 1
        loop = asyncio.get_running_loop()
        reply_box: asyncio.Future[Reply] = loop.create_future()
        late = False

        def on_reply(reply: Reply) -> bool:
            # Inline only while the caller is still waiting; afterwards the card
            # update goes through the API.
            if late or reply_box.done():
                return False
            reply_box.set_result(reply)
            return True

        if spooled:
            self._claimed.add(event.event_id)
        task = asyncio.create_task(
            _tm.counted_handle(
                self.dispatcher.handle(envelope, answered=inbound.answered, on_reply=on_reply)
            )
        )
        budget = inbound.remaining(self._clock.monotonic())
        if registration.sync:
            budget = min(budget, registration.budget)
        await self._wait_any(budget, reply_box, task)

        if reply_box.done():
            self.stats.inline += 1
            self._track(self._settle_later(task, spooled, event.event_id))
            self._log_accepted(inbound, "inline")
            return Answer(reply_box.result().inline_body(legacy=event.legacy), flush=True)
        if task.done():  # finished without a reply: failed, duplicate, or no handler
            decision = task.result()
            if not await self._settle(decision, spooled):
                self._claimed.discard(event.event_id)
                return self._unavailable(inbound, "settle_failed")
            self._claimed.discard(event.event_id)
            self._log_accepted(inbound, f"in_process:{decision.action}")
            return replace(inbound.ack(), flush=True)
        late = True
        if not spooled:
            spooled = await self._try_spool(envelope, claim=IN_PROCESS_CLAIM)
            if spooled:
                self._claimed.add(event.event_id)
        if not spooled and degraded:
            # Neither the queue, the spool, nor the deadline: refuse it explicitly.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return self._unavailable(inbound, "deadline")
        if not spooled:
            get_logger().warning(
                "lark.callback.not_durable",
                event_id=event.event_id,
                handler=registration.name,
                reason="a synchronous handler overran its budget and no spool is configured",
            )
        get_logger().warning(
            "lark.callback.handler_overran",
            event_id=event.event_id,
            handler=registration.name,
            budget=round(budget, 3),
        )
        self._track(self._settle_later(task, spooled, event.event_id))
        self._log_accepted(inbound, "in_process:late")
        return replace(inbound.ack(), flush=True)

    # -- settling in-process decisions ------------------------------------------------

    async def _settle_later(
        self, task: asyncio.Task[Decision], spooled: bool, event_id: str
    ) -> None:
        try:
            decision = await task
            await self._settle(decision, spooled)
        except asyncio.CancelledError:
            if not task.done():
                task.cancel()
            if spooled and self.spool is not None:
                # Shutdown: the row stays for the next start, free to replay at once.
                with contextlib.suppress(SpoolUnavailable):
                    await self.spool.release(event_id)
            raise
        finally:
            self._claimed.discard(event_id)

    async def _settle(self, decision: Decision, spooled: bool) -> bool:
        """Carry out an in-process decision; False if nothing durable could take it."""
        envelope = decision.envelope
        try:
            if decision.action == "ack":
                if spooled and self.spool is not None:
                    await self.spool.remove(envelope.event_id)
                return True
            try:
                if decision.action == "retry":
                    await self.broker.publish(
                        envelope, timeout=self._publish_timeout, delay=decision.delay
                    )
                else:
                    await self.broker.dead_letter(
                        envelope, decision.reason or "?", timeout=self._publish_timeout
                    )
            except QueueUnavailable:
                if self.spool is None:
                    get_logger().error(
                        "lark.callback.not_durable",
                        event_id=envelope.event_id,
                        decision=decision.action,
                        reason="queue down and no spool configured",
                    )
                    return False
                await self.spool.put(
                    envelope, dead_reason=decision.reason if decision.action == "dead" else None
                )
                return True
            if spooled and self.spool is not None:
                await self.spool.remove(envelope.event_id)
            return True
        except SpoolUnavailable as exc:
            get_logger().error(
                "lark.callback.spool_failed", event_id=envelope.event_id, error=exc.message
            )
            return False

    # -- spool replay -----------------------------------------------------------------

    async def replay_spool(self, batch: int = 100) -> int:
        """Publish what the spool holds while the broker takes it; returns how many."""
        if self.spool is None:
            return 0
        replayed = 0
        while self.broker.available:
            items = await self.spool.claim(batch, lease=self.claim_lease)
            if not items:
                break
            mine: list[SpooledItem] = []
            for item in items:
                if item.envelope.event_id in self._claimed:
                    # Its in-process handler outlived the claim: hold it again.
                    await self.spool.release(item.envelope.event_id, hold=IN_PROCESS_CLAIM)
                else:
                    mine.append(item)
            done = sum(await asyncio.gather(*(self._replay_one(item) for item in mine)))
            replayed += done
            if done < len(mine):
                break
        if replayed:
            get_logger().info("lark.callback.spool_replayed", count=replayed)
        return replayed

    async def _replay_one(self, item: SpooledItem) -> bool:
        """Publish one claimed row; delete it once confirmed, else give it back."""
        assert self.spool is not None
        envelope, dead_reason = item.envelope, item.dead_reason
        try:
            if dead_reason is not None:
                await self.broker.dead_letter(envelope, dead_reason, timeout=self._publish_timeout)
            else:
                await self.broker.publish(envelope, timeout=self._publish_timeout)
        except PublishUnconfirmed:
            # It may still land: keep it claimed a lease longer, so this copy is
            # settled (confirmed, or its connection gone) before another is sent.
            self.replay_unconfirmed += 1
            await self.spool.release(envelope.event_id, hold=self.claim_lease, unconfirmed=True)
            return False
        except QueueUnavailable:  # not sent: free to replay as soon as the broker is back
            await self.spool.release(envelope.event_id)
            return False
        await self.spool.remove(envelope.event_id)
        if dead_reason is None:
            _tm.recorder.callback_published(envelope.event.event_type)
        # Counted as each leaves the spool, so the stats never lag the spool.
        self.stats.replayed += 1
        return True

    def _wake_replayer(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _replay_loop(self) -> None:
        assert self._wake is not None
        while True:
            # asyncio.timeout, not wait_for: on 3.11, wait_for swallows a cancel
            # that lands just as the event is set, and close() then waits forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._replay_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.replay_spool()
            except SpoolUnavailable as exc:
                self._log_rate_limited("replay", "lark.callback.spool_failed", error=exc.message)

    # -- helpers ----------------------------------------------------------------------

    async def _try_spool(
        self, envelope: Envelope, *, claim: float = 0.0, unconfirmed: bool = False
    ) -> bool:
        if self.spool is None:
            return False
        try:
            await self.spool.put(envelope, claim=claim, unconfirmed=unconfirmed)
        except SpoolUnavailable as exc:
            get_logger().error(
                "lark.callback.spool_failed", event_id=envelope.event_id, error=exc.message
            )
            return False
        self.stats.spooled += 1
        return True

    async def _wait_any(self, seconds: float, *waitables: asyncio.Future[Any]) -> None:
        """Wait until one of ``waitables`` is done or ``seconds`` pass on the clock."""
        timer = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({timer, *waitables}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()

    def _track(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _unavailable(self, inbound: InboundCallback, reason: str) -> Answer:
        """HTTP 503: accepted by nothing. Forget the ids so Feishu's retry gets through."""
        inbound.forget()
        self.stats.unavailable += 1
        get_logger().error("lark.callback.unavailable", app_id=inbound.app_id, reason=reason)
        return Answer.unavailable()

    def _log_accepted(self, inbound: InboundCallback, route: str) -> None:
        event = inbound.event
        get_logger().info(
            "lark.callback.accepted",
            app_id=event.app_id,
            event_id=event.event_id,
            event_type=event.event_type,
            action=event.action_name,
            route=route,
            latency_ms=round((self._clock.monotonic() - inbound.started) * 1000, 2),
        )

    def _log_unknown(self, inbound: InboundCallback, name: str) -> None:
        event = inbound.event
        get_logger().warning(
            "lark.callback.unknown_action",
            app_id=event.app_id,
            event_id=event.event_id,
            action=name[:200],
            answered="toast",
        )

    def _log_rate_limited(self, key: str, message: str, **fields: Any) -> None:
        if self._log_limit.should_log(key, self._clock.monotonic()):
            suppressed = self._log_limit.take_suppressed(key)
            get_logger().warning(message, suppressed=suppressed, **fields)

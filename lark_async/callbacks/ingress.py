"""The HTTP side: receive, verify, queue, answer Feishu within its 3-second deadline.

Routes (POST), for any number of apps, each verified with its own keys:

- ``{prefix}/{app_id}/events``: events (``im.message.receive_v1`` …) and url_verification;
- ``{prefix}/{app_id}/cards``: card callbacks, new (``card.action.trigger``, SHA-256,
  encrypted) and legacy (``card.action.trigger_v1``, SHA-1, plain) alike;
- with ``default_app_id``, also ``{prefix}/events`` and ``{prefix}/cards`` for that app.

A verified callback is published to the broker (RabbitMQ: confirmed) and only then
answered. If the broker can't take it (degraded mode), it goes to the local spool
and, when a handler is registered here, runs in-process: its toast and card go back
inline when it finishes in time. Something that neither the queue, the spool nor an
in-process run within the deadline can accept gets an explicit HTTP 503. Every
rejection answers a bare status and is logged with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from lark_async.callbacks.dispatch import Dispatcher
from lark_async.callbacks.events import LEGACY_CARD_TYPE, CallbackEvent, from_verified
from lark_async.callbacks.keys import (
    APP_ID_RE,
    AppKeys,
    AppLookup,
    KeySource,
    VerifierPool,
    check_app_id,
    key_source,
)
from lark_async.callbacks.queue import Broker, Decision, Envelope, QueueUnavailable
from lark_async.callbacks.replies import Reply
from lark_async.callbacks.router import Registration
from lark_async.callbacks.security import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_REPLAY_ENTRIES,
    DEFAULT_WINDOW,
    TIMESTAMP_HEADER,
    CallbackRejected,
    CallbackVerifier,
    VerifiedCallback,
)
from lark_async.callbacks.spool import Spool, SpoolUnavailable
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ConfigError, InvalidParameter
from lark_async.core.logging import RateLimitedLog, get_logger

FEISHU_DEADLINE = 3.0
DEFAULT_ANSWER_BUDGET = 2.5
DEFAULT_PUBLISH_TIMEOUT = 1.0
DEFAULT_EVENT_ID_TTL = 8 * 3600.0  # Feishu retries for ~7 h (CONTRACT §4.1)
DEFAULT_PREFIX = "/lark"
# Event-scheme failures that may just mean "this is a legacy (SHA-1) card callback".
_LEGACY_FALLBACK = frozenset(
    {"bad_signature", "missing_headers", "unknown_envelope", "encryption_required"}
)
_UNAUTHENTICATED = frozenset(
    {
        "missing_headers",
        "bad_timestamp",
        "stale_timestamp",
        "future_timestamp",
        "bad_signature",
        "replayed_nonce",
    }
)
_PUBLIC_MESSAGE = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    413: "payload too large",
}
DEGRADED_BODY = {"code": 503, "msg": "service degraded: callback not accepted, retry later"}


@dataclass
class IngressStats:
    """Counters since start (for tests, metrics and the benchmark)."""

    received: int = 0
    url_verifications: int = 0
    duplicates: int = 0
    published: int = 0
    spooled: int = 0
    in_process: int = 0
    inline: int = 0
    degraded: int = 0
    unavailable: int = 0
    replayed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


class CallbackIngress:
    """The aiohttp callback receiver; see the module docstring."""

    def __init__(
        self,
        keys: KeySource | AppLookup | Mapping[str, AppKeys],
        *,
        broker: Broker,
        dispatcher: Dispatcher | None = None,
        spool: Spool | None = None,
        clock: Clock = SYSTEM_CLOCK,
        window: float = DEFAULT_WINDOW,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        event_id_ttl: float = DEFAULT_EVENT_ID_TTL,
        max_replay_entries: int = DEFAULT_MAX_REPLAY_ENTRIES,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        answer_budget: float = DEFAULT_ANSWER_BUDGET,
        default_app_id: str | None = None,
        replay_interval: float = 1.0,
    ) -> None:
        if not 0 < answer_budget < FEISHU_DEADLINE:
            raise InvalidParameter(
                f"answer_budget={answer_budget}; it must be within (0, {FEISHU_DEADLINE}) s",
                hint="Feishu waits 3 s for an answer; keep room for the network",
            )
        if not 0 < publish_timeout <= answer_budget:
            raise InvalidParameter(
                f"publish_timeout={publish_timeout}; it must be within (0, answer_budget]"
            )
        if replay_interval <= 0:
            raise InvalidParameter("replay_interval must be positive")
        if default_app_id is not None:
            check_app_id(default_app_id)
        self._keys = key_source(keys)
        self._pool = VerifierPool(
            self._keys,
            now=clock.time,
            window=window,
            max_body_bytes=max_body_bytes,
            event_id_ttl=event_id_ttl,
            max_replay_entries=max_replay_entries,
        )
        self.broker = broker
        self.dispatcher = dispatcher
        self.spool = spool
        self._clock = clock
        self.max_body_bytes = max_body_bytes
        self._publish_timeout = publish_timeout
        self._budget = answer_budget
        self._default_app_id = default_app_id
        self._replay_interval = replay_interval
        self.stats = IngressStats()
        self._claimed: set[str] = set()  # spooled event ids being handled in this process
        self._tasks: set[asyncio.Task[Any]] = set()
        self._replayer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._started = False
        self._log_limit = RateLimitedLog(30.0)
        broker.on_available(self._wake_replayer)

    def __repr__(self) -> str:
        return f"CallbackIngress(keys={self._keys!r}, broker={self.broker!r}, spool={self.spool!r})"

    # -- mounting ---------------------------------------------------------------------

    def add_routes(self, app: web.Application, prefix: str = DEFAULT_PREFIX) -> None:
        """Add the callback routes to an existing aiohttp application."""
        prefix = _check_prefix(prefix)
        app.router.add_post(f"{prefix}/{{app_id}}/events", self._events)
        app.router.add_post(f"{prefix}/{{app_id}}/cards", self._cards)
        if self._default_app_id is not None:
            app.router.add_post(f"{prefix}/events", self._events)
            app.router.add_post(f"{prefix}/cards", self._cards)

    def web_app(self, prefix: str = DEFAULT_PREFIX) -> web.Application:
        """A standalone application (or sub-application) that starts and stops the ingress."""
        # The ingress reads bodies itself with its own limit; this only covers
        # anything else mounted on the same application.
        app = web.Application(client_max_size=self.max_body_bytes)
        self.add_routes(app, prefix)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _: web.Application) -> None:
        await self.start()

    async def _on_cleanup(self, _: web.Application) -> None:
        await self.close()

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the broker, open the spool, and replay what it holds (idempotent)."""
        if self._started:
            return
        self._started = True
        await self.broker.start()
        if self.spool is not None:
            await self.spool.open()
        self._wake = asyncio.Event()
        self._wake.set()  # replay anything left from a previous run at once
        self._replayer = asyncio.create_task(self._replay_loop())

    async def close(self, timeout: float = 5.0, *, close_broker: bool = True) -> None:
        """Let in-process handlers finish (up to ``timeout`` s), then stop.

        Handlers still running after that are cancelled; their callbacks stay in the
        spool and are replayed by the next start. ``close_broker=False`` leaves a
        broker shared with a worker open.
        """
        if not self._started:
            return
        self._started = False
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

    async def __aenter__(self) -> CallbackIngress:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- request handling -------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "events")

    async def _cards(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "cards")

    async def _serve(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        started = self._clock.monotonic()
        self.stats.received += 1
        app_id = request.match_info.get("app_id") or self._default_app_id or ""
        if not APP_ID_RE.fullmatch(app_id):
            return self._reject(request, None, endpoint, "unknown_app", 404)
        length = request.content_length
        if length is not None and length > self.max_body_bytes:
            return self._reject(request, app_id, endpoint, "too_large", 413)
        body = await _read_limited(request, self.max_body_bytes)
        if body is None:
            return self._reject(request, app_id, endpoint, "too_large", 413)
        try:
            verifier = await self._pool.get(app_id)
        except Exception as exc:  # the key source (a registry) is broken: not the sender's fault
            self._log_rate_limited(
                "keys", "lark.callback.keys_unavailable", app_id=app_id, error=type(exc).__name__
            )
            return self._unavailable(None, None, app_id, "keys_unavailable")
        if verifier is None:
            return self._reject(request, app_id, endpoint, "unknown_app", 404)
        try:
            callback = self._verify(verifier, request, body, endpoint)
        except CallbackRejected as rejected:
            if rejected.reason == "replayed_event":
                self.stats.duplicates += 1
                get_logger().info(
                    "lark.callback.duplicate", app_id=app_id, endpoint=endpoint, stage="ingress"
                )
                return web.json_response({})
            return self._reject(request, app_id, endpoint, rejected.reason, rejected.status)
        if callback.app_id is not None and callback.app_id != app_id:
            verifier.release(callback)
            return self._reject(request, app_id, endpoint, "app_mismatch", 400)
        if callback.kind == "url_verification":
            self.stats.url_verifications += 1
            get_logger().info("lark.callback.url_verification", app_id=app_id, endpoint=endpoint)
            return web.json_response({"challenge": callback.challenge})
        event_type = callback.event_type
        event = from_verified(
            callback,
            app_id=app_id,
            received_at=self._clock.time(),
            signed=verifier.signed("card_v1" if event_type == LEGACY_CARD_TYPE else "event"),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
        )
        registration = self.dispatcher.router.resolve(event) if self.dispatcher else None
        if registration is not None and registration.sync:
            return await self._run_in_process(
                request, verifier, callback, Envelope(event), registration, started, spooled=False
            )
        return await self._enqueue(request, verifier, callback, event, registration, started)

    def _verify(
        self, verifier: CallbackVerifier, request: web.Request, body: bytes, endpoint: str
    ) -> VerifiedCallback:
        headers = request.headers
        if endpoint == "events":
            return verifier.verify(headers, body, scheme="event")
        try:
            return verifier.verify(headers, body, scheme="event")
        except CallbackRejected as first:
            if first.reason not in _LEGACY_FALLBACK or not verifier.accepts_legacy_cards:
                raise
            try:
                return verifier.verify(headers, body, scheme="card_v1")
            except CallbackRejected as second:
                # Report the legacy reason only if the request authenticated as legacy.
                raise (first if second.reason in _UNAUTHENTICATED else second) from None

    async def _enqueue(
        self,
        request: web.Request,
        verifier: CallbackVerifier,
        callback: VerifiedCallback,
        event: CallbackEvent,
        registration: Registration | None,
        started: float,
    ) -> web.StreamResponse:
        envelope = Envelope(event)
        timeout = min(self._publish_timeout, self._remaining(started))
        try:
            await self.broker.publish(envelope, timeout=timeout)
        except QueueUnavailable as exc:
            self.stats.degraded += 1
            self._log_rate_limited(
                "degraded",
                "lark.callback.degraded",
                app_id=event.app_id,
                event_id=event.event_id,
                error=exc.message,
            )
            return await self._degraded(
                request, verifier, callback, envelope, registration, started
            )
        self.stats.published += 1
        self._log_accepted(event, "queue", started)
        return web.json_response(_ack_body(registration))

    async def _degraded(
        self,
        request: web.Request,
        verifier: CallbackVerifier,
        callback: VerifiedCallback,
        envelope: Envelope,
        registration: Registration | None,
        started: float,
    ) -> web.StreamResponse:
        """The queue is down: spool it, and run it here if a handler is registered."""
        spooled = await self._try_spool(envelope)
        runnable = registration is not None and self.dispatcher is not None
        if runnable and registration is not None:
            return await self._run_in_process(
                request, verifier, callback, envelope, registration, started, spooled=spooled
            )
        if not spooled:
            return self._unavailable(verifier, callback, envelope.event.app_id, "queue_and_spool")
        self._log_accepted(envelope.event, "spool", started)
        return web.json_response(_ack_body(registration))

    async def _run_in_process(
        self,
        request: web.Request,
        verifier: CallbackVerifier,
        callback: VerifiedCallback,
        envelope: Envelope,
        registration: Registration,
        started: float,
        *,
        spooled: bool,
    ) -> web.StreamResponse:
        """Run the handler now; answer with its reply if it is ready in time.

        Used for synchronous handlers (``spooled`` False) and in degraded mode.
        """
        assert self.dispatcher is not None
        event = envelope.event
        degraded = not registration.sync
        self.stats.in_process += 1
        loop = asyncio.get_running_loop()
        reply_box: asyncio.Future[Reply] = loop.create_future()
        answered = asyncio.Event()
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
            self.dispatcher.handle(envelope, answered=answered, on_reply=on_reply)
        )
        budget = self._remaining(started)
        if registration.sync:
            budget = min(budget, registration.budget)
        await self._wait_any(budget, reply_box, task)

        if reply_box.done():
            self.stats.inline += 1
            self._track(self._settle_later(task, spooled))
            self._log_accepted(event, "inline", started)
            body = reply_box.result().inline_body(legacy=event.legacy)
            return await self._answer(request, body, answered)
        if task.done():  # finished without a reply: failed, duplicate, or no handler
            decision = task.result()
            if not await self._settle(decision, spooled):
                self._claimed.discard(event.event_id)
                return self._unavailable(verifier, callback, event.app_id, "settle_failed")
            self._claimed.discard(event.event_id)
            self._log_accepted(event, f"in_process:{decision.action}", started)
            return await self._answer(request, _ack_body(registration), answered)
        late = True
        if not spooled:
            spooled = await self._try_spool(envelope)
            if spooled:
                self._claimed.add(event.event_id)
        if not spooled and degraded:
            # Neither the queue, the spool, nor the deadline: refuse it explicitly.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return self._unavailable(verifier, callback, event.app_id, "deadline")
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
        self._track(self._settle_later(task, spooled))
        self._log_accepted(event, "in_process:late", started)
        return await self._answer(request, _ack_body(registration), answered)

    async def _answer(
        self, request: web.Request, body: dict[str, Any], answered: asyncio.Event
    ) -> web.StreamResponse:
        """Send the answer now, then let waiting card updates go (CONTRACT §4.8)."""
        response = web.json_response(body)
        try:
            await response.prepare(request)
            await response.write_eof()
        finally:
            answered.set()
        return response

    async def _settle_later(self, task: asyncio.Task[Decision], spooled: bool) -> None:
        event_id: str | None = None
        try:
            decision = await task
            event_id = decision.envelope.event_id
            await self._settle(decision, spooled)
        except asyncio.CancelledError:
            if not task.done():
                task.cancel()
            raise  # shutdown: a spooled callback stays in the spool for the next start
        finally:
            if event_id is not None:
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
            items = [
                item
                for item in await self.spool.pending(batch + len(self._claimed))
                if item.envelope.event_id not in self._claimed
            ][:batch]
            if not items:
                break
            results = await asyncio.gather(
                *(self._replay_one(item.envelope, item.dead_reason) for item in items)
            )
            done = sum(results)
            replayed += done
            if done < len(items):
                break
        if replayed:
            get_logger().info("lark.callback.spool_replayed", count=replayed)
        return replayed

    async def _replay_one(self, envelope: Envelope, dead_reason: str | None) -> bool:
        assert self.spool is not None
        try:
            if dead_reason is not None:
                await self.broker.dead_letter(envelope, dead_reason, timeout=self._publish_timeout)
            else:
                await self.broker.publish(envelope, timeout=self._publish_timeout)
        except QueueUnavailable:
            return False
        await self.spool.remove(envelope.event_id)
        # Counted as each leaves the spool, so the stats never lag the spool.
        self.stats.replayed += 1
        return True

    def _wake_replayer(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _replay_loop(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._replay_interval)
            self._wake.clear()
            try:
                await self.replay_spool()
            except SpoolUnavailable as exc:
                self._log_rate_limited("replay", "lark.callback.spool_failed", error=exc.message)

    # -- helpers ----------------------------------------------------------------------

    async def _try_spool(self, envelope: Envelope) -> bool:
        if self.spool is None:
            return False
        try:
            await self.spool.put(envelope)
        except SpoolUnavailable as exc:
            get_logger().error(
                "lark.callback.spool_failed", event_id=envelope.event_id, error=exc.message
            )
            return False
        self.stats.spooled += 1
        return True

    def _remaining(self, started: float) -> float:
        return max(0.0, self._budget - (self._clock.monotonic() - started))

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

    def _reject(
        self, request: web.Request, app_id: str | None, endpoint: str, reason: str, status: int
    ) -> web.Response:
        self.stats.rejected[reason] += 1
        get_logger().warning(
            "lark.callback.rejected",
            app_id=app_id,
            endpoint=endpoint,
            reason=reason,
            status=status,
            remote=request.remote,
        )
        return web.json_response({"msg": _PUBLIC_MESSAGE.get(status, "rejected")}, status=status)

    def _unavailable(
        self,
        verifier: CallbackVerifier | None,
        callback: VerifiedCallback | None,
        app_id: str,
        reason: str,
    ) -> web.Response:
        """HTTP 503: accepted by nothing. Forget the ids so Feishu's retry gets through."""
        if verifier is not None and callback is not None:
            verifier.release(callback)
        self.stats.unavailable += 1
        get_logger().error("lark.callback.unavailable", app_id=app_id, reason=reason)
        return web.json_response(DEGRADED_BODY, status=503)

    def _log_accepted(self, event: CallbackEvent, route: str, started: float) -> None:
        get_logger().info(
            "lark.callback.accepted",
            app_id=event.app_id,
            event_id=event.event_id,
            event_type=event.event_type,
            action=event.action_name,
            route=route,
            latency_ms=round((self._clock.monotonic() - started) * 1000, 2),
        )

    def _log_rate_limited(self, key: str, message: str, **fields: Any) -> None:
        if self._log_limit.should_log(key, self._clock.monotonic()):
            suppressed = self._log_limit.take_suppressed(key)
            get_logger().warning(message, suppressed=suppressed, **fields)


def _ack_body(registration: Registration | None) -> dict[str, Any]:
    if registration is not None and registration.ack is not None:
        return {"toast": registration.ack.to_json()}
    return {}


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise ConfigError(f"prefix must be empty or start with '/', not {prefix!r}")
    return prefix.rstrip("/")


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds ``limit`` (without reading the rest)."""
    length = request.content_length
    if length is not None and length <= limit:
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # a short body: the signature check will refuse it
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

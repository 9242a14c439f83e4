"""The HTTP side of the ingress: receive, verify, hand on, answer within Feishu's 3 s.

Routes (POST), for any number of apps, each verified with its own keys:

- ``{prefix}/{app_id}/events``: events (``im.message.receive_v1`` …) and url_verification;
- ``{prefix}/{app_id}/cards``: card callbacks, new (``card.action.trigger``, SHA-256,
  encrypted) and legacy (``card.action.trigger_v1``, SHA-1, plain) alike;
- with ``default_app_id``, also ``{prefix}/events`` and ``{prefix}/cards`` for that app.

A request is read (up to ``max_body_bytes``), verified (:mod:`.verify`), and, unless
it is a url_verification or a duplicate, becomes an
:class:`~lark_async.callbacks.inbound.InboundCallback` that the delivery side
(:mod:`.delivery`: queue, spool, in-process handler) takes and says how to answer.
Every rejection answers a bare status and is logged with its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from lark_async.callbacks.dedupe import SharedReplay
from lark_async.callbacks.delivery import DEFAULT_PUBLISH_TIMEOUT, Delivery
from lark_async.callbacks.dispatch import Dispatcher
from lark_async.callbacks.inbound import (
    DEGRADED_BODY,
    Answer,
    InboundCallback,
    IngressStats,
)
from lark_async.callbacks.keys import (
    APP_ID_RE,
    AppKeys,
    AppLookup,
    KeySource,
    VerifierPool,
    check_app_id,
    key_source,
)
from lark_async.callbacks.queue import BROKER_METHODS, Broker
from lark_async.callbacks.security import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_REPLAY_ENTRIES,
    DEFAULT_WINDOW,
    CallbackRejected,
    CallbackVerifier,
    ReplayMemoryFull,
    VerifiedCallback,
)
from lark_async.callbacks.spool import SPOOL_METHODS, Spool
from lark_async.callbacks.verify import event_of, verify_request
from lark_async.core.checks import bad_argument, check_has, check_int, check_number
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ConfigError, InvalidParameter
from lark_async.core.logging import RateLimitedLog, get_logger

FEISHU_DEADLINE = 3.0
DEFAULT_ANSWER_BUDGET = 2.5
DEFAULT_EVENT_ID_TTL = 8 * 3600.0  # Feishu retries for ~7 h (Feishu callback docs)
DEFAULT_PREFIX = "/lark"
_PUBLIC_MESSAGE = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    413: "payload too large",
}


class CallbackIngress:
    """The aiohttp callback receiver; see the module docstring.

    ``broker``, ``dispatcher`` and ``spool`` belong to its delivery side
    (:class:`~lark_async.callbacks.delivery.Delivery`, as ``self.delivery``).
    """

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
        max_replay_entries: int | None = DEFAULT_MAX_REPLAY_ENTRIES,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        answer_budget: float = DEFAULT_ANSWER_BUDGET,
        default_app_id: str | None = None,
        replay_interval: float = 1.0,
        shared_replay: SharedReplay | None = None,
    ) -> None:
        check_has(broker, "broker", BROKER_METHODS, "a Broker")
        if dispatcher is not None and not isinstance(dispatcher, Dispatcher):
            raise bad_argument(
                "dispatcher", f"must be a Dispatcher, not {type(dispatcher).__name__}"
            )
        if spool is not None:
            check_has(spool, "spool", SPOOL_METHODS, "a Spool")
        check_has(clock, "clock", ("time", "monotonic", "sleep"), "a Clock")
        check_number(window, "window", positive=True)
        check_int(max_body_bytes, "max_body_bytes", min=1)
        check_number(answer_budget, "answer_budget")
        check_number(publish_timeout, "publish_timeout")
        check_number(replay_interval, "replay_interval")
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
            check_app_id(default_app_id, "default_app_id")
        self._keys = key_source(keys)
        self._pool = VerifierPool(
            self._keys,
            now=clock.time,
            window=window,
            max_body_bytes=max_body_bytes,
            event_id_ttl=event_id_ttl,
            max_replay_entries=max_replay_entries,
        )
        self.stats = IngressStats()
        self.delivery = Delivery(
            broker=broker,
            dispatcher=dispatcher,
            spool=spool,
            clock=clock,
            stats=self.stats,
            publish_timeout=publish_timeout,
            replay_interval=replay_interval,
        )
        self._clock = clock
        self.max_body_bytes = max_body_bytes
        self._budget = answer_budget
        self._default_app_id = default_app_id
        self._started = False
        self._log_limit = RateLimitedLog(30.0)
        self._shared_replay = shared_replay
        self._forgetting: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"CallbackIngress(keys={self._keys!r}, broker={self.broker!r}, spool={self.spool!r})"

    @property
    def broker(self) -> Broker:
        return self.delivery.broker

    @property
    def dispatcher(self) -> Dispatcher | None:
        return self.delivery.dispatcher

    @property
    def spool(self) -> Spool | None:
        return self.delivery.spool

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
        await self.delivery.start()

    async def close(self, timeout: float = 5.0, *, close_broker: bool = True) -> None:
        """Let in-process handlers finish (up to ``timeout`` s), then stop.

        Handlers still running after that are cancelled; their callbacks stay in the
        spool and are replayed by the next start. ``close_broker=False`` leaves a
        broker shared with a worker open.
        """
        if not self._started:
            return
        self._started = False
        await self.delivery.close(timeout, close_broker=close_broker)

    async def replay_spool(self, batch: int = 100) -> int:
        """Publish what the spool holds while the broker takes it; returns how many."""
        return await self.delivery.replay_spool(batch)

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
            return self._keys_unavailable(app_id)
        if verifier is None:
            return self._reject(request, app_id, endpoint, "unknown_app", 404)
        headers = request.headers
        try:
            callback = verify_request(verifier, headers, body, endpoint=endpoint, app_id=app_id)
        except CallbackRejected as rejected:
            if rejected.reason == "replayed_event":
                self.stats.duplicates += 1
                get_logger().info(
                    "lark.callback.duplicate", app_id=app_id, endpoint=endpoint, stage="ingress"
                )
                return web.json_response({})
            return self._reject(request, app_id, endpoint, rejected.reason, rejected.status)
        except ReplayMemoryFull as full:
            # Never forget a live entry to make room: a replay would get in.
            self.stats.unavailable += 1
            get_logger().error(
                "lark.callback.unavailable",
                app_id=app_id,
                reason="replay_memory_full",
                cap=full.cap,
                hint="raise max_replay_entries, or keep the replay memory in PostgreSQL "
                "(--state, docs/scaling.md)",
            )
            return web.json_response(DEGRADED_BODY, status=503)
        shared_keys = self._shared_keys(app_id, verifier, callback)
        if shared_keys:
            assert self._shared_replay is not None
            seen = await self._shared_replay.add(shared_keys)
            if seen:
                if any(":nonce:" in key for key in seen):
                    return self._reject(request, app_id, endpoint, "replayed_nonce", 401)
                self.stats.duplicates += 1
                get_logger().info(
                    "lark.callback.duplicate", app_id=app_id, endpoint=endpoint, stage="shared"
                )
                return web.json_response({})
        if callback.kind == "url_verification":
            self.stats.url_verifications += 1
            get_logger().info("lark.callback.url_verification", app_id=app_id, endpoint=endpoint)
            return web.json_response({"challenge": callback.challenge})
        inbound = InboundCallback(
            app_id=app_id,
            endpoint=endpoint,
            body=body,
            headers=headers,
            verified=callback,
            verifier=verifier,
            event=event_of(
                callback, verifier, headers, app_id=app_id, received_at=self._clock.time()
            ),
            started=started,
            budget=self._budget,
            on_forget=(lambda: self._forget_shared(shared_keys)) if shared_keys else None,
        )
        return await _answer(request, inbound, await self.delivery.deliver(inbound))

    # -- helpers ----------------------------------------------------------------------
    def _shared_keys(
        self, app_id: str, verifier: CallbackVerifier, callback: VerifiedCallback
    ) -> dict[str, float]:
        """The callback's nonce and event id as keys of the shared replay memory."""
        if self._shared_replay is None:
            return {}
        nonce_ttl, event_ttl = verifier.replay_ttls
        keys: dict[str, float] = {}
        if callback.nonce is not None:
            keys[f"{app_id}:nonce:{callback.nonce}"] = nonce_ttl
        if callback.event_id is not None:
            keys[f"{app_id}:event:{callback.event_id}"] = event_ttl
        return keys

    def _forget_shared(self, keys: Mapping[str, float]) -> None:
        assert self._shared_replay is not None
        task = asyncio.ensure_future(self._shared_replay.discard(list(keys)))
        self._forgetting.add(task)  # referenced until done; Feishu retries seconds later
        task.add_done_callback(self._forgetting.discard)

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

    def _keys_unavailable(self, app_id: str) -> web.Response:
        """HTTP 503, as when nothing could take the callback: Feishu retries it."""
        self.stats.unavailable += 1
        get_logger().error("lark.callback.unavailable", app_id=app_id, reason="keys_unavailable")
        return web.json_response(DEGRADED_BODY, status=503)

    def _log_rate_limited(self, key: str, message: str, **fields: Any) -> None:
        if self._log_limit.should_log(key, self._clock.monotonic()):
            suppressed = self._log_limit.take_suppressed(key)
            get_logger().warning(message, suppressed=suppressed, **fields)


async def _answer(
    request: web.Request, inbound: InboundCallback, answer: Answer
) -> web.StreamResponse:
    """The HTTP answer; a flushed one is sent before card updates may go (Feishu callback docs)."""
    response = web.json_response(answer.body, status=answer.status)
    if not answer.flush:
        return response
    try:
        await response.prepare(request)
        await response.write_eof()
    finally:
        inbound.answered.set()
    return response


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

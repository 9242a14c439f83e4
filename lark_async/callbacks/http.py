"""The HTTP side of the ingress: receive, verify, hand on, answer within Feishu's 3 s.

Routes (POST), for any number of apps, each verified with its own keys:

- ``{prefix}/{app_id}/events``: events (``im.message.receive_v1`` …) and url_verification;
- ``{prefix}/{app_id}/cards``: card callbacks, new (``card.action.trigger``, SHA-256,
  encrypted) and legacy (``card.action.trigger_v1``, SHA-1, plain) alike;
- with ``default_app_id``, also ``{prefix}/events`` and ``{prefix}/cards`` for that app.

A request is read (up to ``max_body_bytes``, within ``body_timeout``), verified
(:mod:`.verify`), and, unless it is a url_verification or a duplicate, becomes an
:class:`~lark_async.callbacks.inbound.InboundCallback` that the delivery side
(:mod:`.delivery`: queue, spool, in-process handler) takes and says how to answer.
Every rejection answers a bare status and is logged with its reason.

:meth:`CallbackIngress.answer` does all of that on bytes and headers, for any
server: the aiohttp routes here and the ASGI app (:mod:`.asgi`) are thin
adapters around it. Connection limits of the aiohttp server are in :mod:`.limits`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from lark_async.callbacks.dedupe import SharedReplay
from lark_async.callbacks.delivery import DEFAULT_PUBLISH_TIMEOUT, Delivery
from lark_async.callbacks.dispatch import Dispatcher
from lark_async.callbacks.inbound import (
    DEGRADED_BODY,
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
from lark_async.callbacks.limits import Phase, set_phase
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
# Feishu sends a callback's few KB at once; a body still coming after 1 s is a
# slow or stuck client, and the rest of the budget is for verifying and queueing.
DEFAULT_BODY_TIMEOUT = 1.0
DEFAULT_EVENT_ID_TTL = 8 * 3600.0  # Feishu retries for ~7 h (Feishu callback docs)
DEFAULT_PREFIX = "/lark"
_PUBLIC_MESSAGE = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    408: "request timeout",
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
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
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
        check_number(body_timeout, "body_timeout")
        if not 0 < answer_budget < FEISHU_DEADLINE:
            raise InvalidParameter(
                f"answer_budget={answer_budget}; it must be within (0, {FEISHU_DEADLINE}) s",
                hint="Feishu waits 3 s for an answer; keep room for the network",
            )
        if not 0 < publish_timeout <= answer_budget:
            raise InvalidParameter(
                f"publish_timeout={publish_timeout}; it must be within (0, answer_budget]"
            )
        if not 0 < body_timeout < answer_budget:
            raise InvalidParameter(
                f"body_timeout={body_timeout}; it must be within (0, answer_budget)",
                hint="reading the body counts in Feishu's 3 s answer budget",
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
        self.body_timeout = body_timeout
        self._budget = answer_budget
        self._default_app_id = default_app_id
        self._started = False
        self._log_limit = RateLimitedLog(30.0)
        self._shared_replay = shared_replay
        self._forgetting: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"CallbackIngress(keys={self._keys!r}, broker={self.broker!r}, spool={self.spool!r})"

    @property
    def default_app_id(self) -> str | None:
        return self._default_app_id

    @property
    def started(self) -> bool:
        return self._started

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
        app = web.Application(
            client_max_size=self.max_body_bytes, middlewares=[bare_routing_errors]
        )
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

    # -- request handling: one path for every server ------------------------------------

    async def answer(
        self,
        endpoint: str,
        app_id: str | None,
        headers: Mapping[str, str],
        read: ReadBody,
        *,
        content_length: int | None = None,
        remote: str | None = None,
    ) -> HttpAnswer:
        """Read, verify and hand on one request; what to answer (any server, any framework).

        ``endpoint`` is ``"events"`` or ``"cards"``, ``app_id`` the one in the URL
        (None on the default app's routes), ``read(limit)`` the body (None once it is
        over ``limit``; :class:`ClientGone` when the client went away). The aiohttp
        routes and the ASGI app (:mod:`.asgi`) both come here, so there is one
        verification path.
        """
        if not self._started:
            # Routes added to an app whose startup never starts the ingress: a 200
            # here would queue into a broker nobody consumes. 503: Feishu retries.
            get_logger().error(
                "lark.callback.not_started",
                hint="start the callbacks with the application (docs/callbacks.md)",
            )
            return NOT_STARTED
        started = self._clock.monotonic()
        self.stats.received += 1
        app_id = app_id or self._default_app_id or ""
        if not APP_ID_RE.fullmatch(app_id):
            return self._reject(remote, None, endpoint, "unknown_app", 404)
        if content_length is not None and content_length > self.max_body_bytes:
            return self._reject(remote, app_id, endpoint, "too_large", 413, close=True)
        try:
            # The body's time counts in the answer budget (``started`` is before it).
            async with asyncio.timeout(self.body_timeout):
                body = await read(self.max_body_bytes)
        except TimeoutError:
            # A slow-client flood would write one line per connection: rate-limited.
            self.stats.rejected["body_timeout"] += 1
            self._log_rate_limited(
                "body_timeout",
                "lark.callback.rejected",
                app_id=app_id,
                endpoint=endpoint,
                reason="body_timeout",
                status=408,
                remote=remote,
            )
            return HttpAnswer.json({"msg": _PUBLIC_MESSAGE[408]}, 408, close=True)
        except ClientGone as gone:
            self.stats.client_gone += 1
            get_logger().debug(
                "lark.callback.client_gone",
                app_id=app_id,
                endpoint=endpoint,
                remote=remote,
                error=gone.error,
            )
            return HttpAnswer.json({"msg": _PUBLIC_MESSAGE[400]}, 400, close=True)
        if body is None:
            return self._reject(remote, app_id, endpoint, "too_large", 413, close=True)
        try:
            verifier = await self._pool.get(app_id)
        except Exception as exc:  # the key source (a registry) is broken: not the sender's fault
            self._log_rate_limited(
                "keys", "lark.callback.keys_unavailable", app_id=app_id, error=type(exc).__name__
            )
            return self._keys_unavailable(app_id)
        if verifier is None:
            return self._reject(remote, app_id, endpoint, "unknown_app", 404)
        try:
            callback = verify_request(verifier, headers, body, endpoint=endpoint, app_id=app_id)
        except CallbackRejected as rejected:
            if rejected.reason == "replayed_event":
                self.stats.duplicates += 1
                get_logger().info(
                    "lark.callback.duplicate", app_id=app_id, endpoint=endpoint, stage="ingress"
                )
                return HttpAnswer.json({})
            return self._reject(remote, app_id, endpoint, rejected.reason, rejected.status)
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
            return HttpAnswer.json(DEGRADED_BODY, 503)
        shared_keys = self._shared_keys(app_id, verifier, callback)
        if shared_keys:
            assert self._shared_replay is not None
            seen = await self._shared_replay.add(shared_keys)
            if seen:
                if any(":nonce:" in key for key in seen):
                    return self._reject(remote, app_id, endpoint, "replayed_nonce", 401)
                self.stats.duplicates += 1
                get_logger().info(
                    "lark.callback.duplicate", app_id=app_id, endpoint=endpoint, stage="shared"
                )
                return HttpAnswer.json({})
        if callback.kind == "url_verification":
            self.stats.url_verifications += 1
            get_logger().info("lark.callback.url_verification", app_id=app_id, endpoint=endpoint)
            return HttpAnswer.json({"challenge": callback.challenge})
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
        answer = await self.delivery.deliver(inbound)
        return HttpAnswer.json(
            answer.body, answer.status, inbound=inbound if answer.flush else None
        )

    # -- the aiohttp routes -----------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "events")

    async def _cards(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "cards")

    async def _serve(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        set_phase(request, Phase.READING)
        try:
            answer = await self.answer(
                endpoint,
                request.match_info.get("app_id"),
                request.headers,
                lambda limit: _read_limited(request, limit),
                content_length=request.content_length,
                remote=request.remote,
            )
            set_phase(request, Phase.ANSWERING)
            return await _write(request, answer)
        finally:
            set_phase(request, Phase.IDLE)

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
        self,
        remote: str | None,
        app_id: str | None,
        endpoint: str,
        reason: str,
        status: int,
        *,
        close: bool = False,
    ) -> HttpAnswer:
        self.stats.rejected[reason] += 1
        get_logger().warning(
            "lark.callback.rejected",
            app_id=app_id,
            endpoint=endpoint,
            reason=reason,
            status=status,
            remote=remote,
        )
        return HttpAnswer.json(
            {"msg": _PUBLIC_MESSAGE.get(status, "rejected")}, status, close=close
        )

    def _keys_unavailable(self, app_id: str) -> HttpAnswer:
        """HTTP 503, as when nothing could take the callback: Feishu retries it."""
        self.stats.unavailable += 1
        get_logger().error("lark.callback.unavailable", app_id=app_id, reason="keys_unavailable")
        return HttpAnswer.json(DEGRADED_BODY, 503)

    def _log_rate_limited(self, key: str, message: str, **fields: Any) -> None:
        if self._log_limit.should_log(key, self._clock.monotonic()):
            suppressed = self._log_limit.take_suppressed(key)
            get_logger().warning(message, suppressed=suppressed, **fields)


class ClientGone(Exception):
    """The client went away before its body was read: nothing to answer, nothing to log loudly."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# ``read(limit)``: the body, or None once it is over ``limit``; raises ClientGone.
ReadBody = Callable[[int], Awaitable[bytes | None]]


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What to send back, whatever the server: a status and a JSON body.

    ``close``: close the connection after it (the request's body was not read, or
    took too long). ``inbound``: an answer that must be written before anything
    else happens (an in-process card update waits for it); call :meth:`sent` once
    it is written, or failed to be.
    """

    status: int
    body: bytes
    close: bool = False
    inbound: InboundCallback | None = None

    content_type: ClassVar[str] = "application/json; charset=utf-8"

    @classmethod
    def json(
        cls,
        body: Mapping[str, Any],
        status: int = 200,
        *,
        close: bool = False,
        inbound: InboundCallback | None = None,
    ) -> HttpAnswer:
        return cls(status, json.dumps(body).encode(), close, inbound)

    def sent(self) -> None:
        if self.inbound is not None:
            self.inbound.answered.set()


async def _write(request: web.Request, answer: HttpAnswer) -> web.StreamResponse:
    """Write the answer now, so a card update made after it finds Feishu answered.

    Written here rather than after the handler returns, so the answer is in the
    socket's buffer before the connection counts as idle (see :mod:`.limits`).
    """
    response = web.Response(
        body=answer.body, status=answer.status, headers={"Content-Type": answer.content_type}
    )
    if answer.close:
        response.force_close()
    try:
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:
        pass  # the client is gone; aiohttp closes the connection
    finally:
        answer.sent()
    if answer.close and request.protocol is not None:
        # Close now (after the buffered answer): aiohttp would otherwise keep
        # reading an unread body for up to 10 s (its lingering time).
        request.protocol.force_close()
    return response


@web.middleware
async def bare_routing_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """aiohttp's own "404: Not Found" / "405: Method Not Allowed" pages, answered with
    the bare JSON body the ingress (and its ASGI app) gives, so both servers agree."""
    error = getattr(request.match_info, "http_exception", None)
    if isinstance(error, web.HTTPNotFound | web.HTTPMethodNotAllowed):
        headers = {"Content-Type": HttpAnswer.content_type}
        if "Allow" in error.headers:
            headers["Allow"] = error.headers["Allow"]
        body = {"msg": "not found" if error.status == 404 else "method not allowed"}
        return web.Response(body=json.dumps(body).encode(), status=error.status, headers=headers)
    response: web.StreamResponse = await handler(request)
    return response


NOT_STARTED = HttpAnswer.json({"code": 503, "msg": "callbacks not started"}, 503)


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise ConfigError(f"prefix must be empty or start with '/', not {prefix!r}")
    return prefix.rstrip("/")


# What aiohttp raises from a body whose client went away: a reset, a closed
# connection, a payload cut short (its parser raises RequestPayloadError).
_GONE = (ConnectionError, asyncio.IncompleteReadError, web.RequestPayloadError)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds ``limit`` (without reading the rest)."""
    length = request.content_length
    try:
        if length is not None and length <= limit:
            return await request.content.readexactly(length)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except _GONE as exc:
        raise ClientGone(type(exc).__name__) from None
    except RuntimeError:
        # aiohttp's stream says "Connection closed." when the transport went first.
        if request.transport is None:
            raise ClientGone("ConnectionClosed") from None
        raise
    return b"".join(chunks)

"""``LongConnection``: receive events and card callbacks over Feishu's WebSocket.

    conn = callbacks.long_connection(lark)       # the Callbacks' handlers, queue, spool
    async with conn:                             # or: await conn.run() until cancelled
        ...

What it does, as the official SDKs do (lark-oapi ``ws/client.py``, oapi-sdk-go ``ws``):
asks ``/callback/ws/endpoint`` for a URL with the app's id and secret (no token),
opens the WebSocket, pings every ``PingInterval`` seconds (each pong may carry new
settings), joins payloads split over several data frames, and answers each data
frame with a frame carrying ``{"code": …, "data": base64(answer JSON)}``. Payloads
go to the same place as the HTTP ingress's (``Delivery.deliver``: the queue, the
spool, an in-process handler), so a card callback is answered with the handler's
answer within the same budget. A payload seen before (Feishu re-sends what was not
acknowledged) gets the first answer again and is not handled twice.

When the connection drops it reconnects: first after a random wait up to the
server's ``ReconnectNonce``, then with doubling waits (jittered) up to its
``ReconnectInterval``, ``ReconnectCount`` times (forever if negative).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import secrets
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from lark_async.callbacks.delivery import Delivery
from lark_async.callbacks.events import from_verified
from lark_async.callbacks.inbound import Answer, InboundCallback, IngressStats
from lark_async.callbacks.keys import check_app_id
from lark_async.callbacks.longconn import frame as wire
from lark_async.callbacks.longconn.endpoint import (
    ClientConfig,
    Endpoint,
    LongConnectionRefused,
    Requester,
    fetch_endpoint,
)
from lark_async.callbacks.longconn.parts import Reassembler
from lark_async.callbacks.security import CallbackVerifier, VerifiedCallback, parse_create_time
from lark_async.core.checks import bad_argument, check_callable, check_int, check_number
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ConfigError, LarkError, NetworkError
from lark_async.core.logging import RateLimitedLog, get_logger

if TYPE_CHECKING:
    from lark_async.callbacks.app import Callbacks

DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
DEFAULT_REMEMBERED = 100_000  # event ids kept to recognise re-sent payloads
CONNECT_TIMEOUT = 10.0
FORBIDDEN = 403
AUTH_FAILED = 514
EXCEED_CONN_LIMIT = 1000040350


class LongConnectionClient(Protocol):
    """What the long connection needs of ``LarkClient``: ``lark.app(app_id).request``."""

    def app(self, app_id: str) -> Any: ...


class LongConnectionFailed(NetworkError):
    """The server's ``ReconnectCount`` tries to reconnect all failed."""


@dataclass
class LongConnectionStats:
    """Counters since construction (for tests and metrics)."""

    connects: int = 0
    disconnects: int = 0
    failed_attempts: int = 0
    received: int = 0  # whole payloads (after joining parts)
    duplicates: int = 0
    answered: int = 0
    bad_frames: int = 0
    pings: int = 0
    pongs: int = 0


def classify(payload: Mapping[str, Any]) -> VerifiedCallback | None:
    """An event or card callback payload as the HTTP ingress classifies it, or None.

    The connection itself authenticated the sender (it was opened with the app's
    secret), so there is no signature or token to check.
    """
    header = payload.get("header")
    if payload.get("schema") == "2.0" and isinstance(header, Mapping):
        event_type, event_id = header.get("event_type"), header.get("event_id")
        if not (isinstance(event_type, str) and event_type and isinstance(event_id, str)):
            return None
        app_id = header.get("app_id")
        return VerifiedCallback(
            kind="card_action" if event_type == "card.action.trigger" else "event",
            event_type=event_type,
            event_id=event_id or None,
            app_id=app_id if isinstance(app_id, str) and app_id else None,
            payload=dict(payload),
            create_time=parse_create_time(header.get("create_time")),
        )
    event, uuid = payload.get("event"), payload.get("uuid")
    if isinstance(uuid, str) and uuid and isinstance(event, Mapping):
        event_type = event.get("type")
        if isinstance(event_type, str) and event_type:
            return VerifiedCallback(
                kind="event",
                event_type=event_type,
                event_id=uuid,
                app_id=None,
                payload=dict(payload),
                create_time=parse_create_time(payload.get("ts")),
            )
    return None


class LongConnection:
    """One app's long connection, feeding a :class:`~lark_async.callbacks.Callbacks`.

    Built by ``callbacks.long_connection(lark)``; see the module docstring.
    ``worker``: also run the handlers' consumer in this process (default: when
    handlers are registered). ``rng``: returns floats in [0, 1) for the jitter.
    """

    def __init__(
        self,
        callbacks: Callbacks,
        lark: LongConnectionClient,
        *,
        app_id: str | None = None,
        worker: bool | None = None,
        clock: Clock = SYSTEM_CLOCK,
        answer_budget: float = 2.5,
        publish_timeout: float = 1.0,
        replay_interval: float = 1.0,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        rng: Callable[[], float] = random.random,
        app_secret: Callable[[str], Any] | None = None,
    ) -> None:
        for attribute in ("router", "broker", "dispatcher", "start", "close"):
            if not hasattr(callbacks, attribute):
                raise bad_argument(
                    "callbacks", f"must be a Callbacks, not {type(callbacks).__name__}"
                )
        app = getattr(lark, "app", None)
        if not callable(app):
            raise bad_argument(
                "lark", f"must be a LarkClient (with .app()), not {type(lark).__name__}"
            )
        if app_id is None:
            default = getattr(lark, "default_app", None)
            app_id = getattr(default, "app_id", None) if default is not None else None
            if app_id is None:
                raise ConfigError(
                    "the client has no default app, so the long connection needs app_id=",
                    details={"argument": "app_id"},
                )
        check_app_id(app_id, "app_id")
        if worker is not None and not isinstance(worker, bool):
            raise bad_argument("worker", f"must be a bool or None, not {type(worker).__name__}")
        check_number(answer_budget, "answer_budget", positive=True)
        check_number(publish_timeout, "publish_timeout", positive=True)
        check_number(replay_interval, "replay_interval", positive=True)
        check_int(max_payload_bytes, "max_payload_bytes", min=1)
        check_callable(rng, "rng")
        if app_secret is not None:
            check_callable(app_secret, "app_secret")
        self.app_id = app_id
        self._callbacks = callbacks
        self._lark = lark
        self._worker = worker
        self._clock = clock
        self._budget = min(answer_budget, 2.9)
        self._rng = rng
        self._secret_of = app_secret
        self._max_payload = max_payload_bytes
        ingress = callbacks.ingress
        sharing = _sharing_of(callbacks)
        if sharing.delivery is None and ingress is None:
            sharing.delivery = Delivery(
                broker=callbacks.broker,
                dispatcher=callbacks.dispatcher,
                spool=callbacks.spool,
                clock=clock,
                stats=IngressStats(),
                publish_timeout=min(publish_timeout, self._budget),
                replay_interval=replay_interval,
            )
        self._sharing = sharing
        self._joined = False
        self._owned: Delivery | None = sharing.delivery
        if ingress is not None:
            self.delivery = ingress.delivery
        else:
            assert sharing.delivery is not None  # made just above
            self.delivery = sharing.delivery
        self.config = ClientConfig()
        self.stats = LongConnectionStats()
        # Never verifies: the connection authenticated the sender. It is what
        # InboundCallback.forget() releases; the replay memory here is _seen.
        self._verifier = CallbackVerifier(verification_token=secrets.token_hex(16))
        self._seen: OrderedDict[str, asyncio.Future[tuple[int, Any]]] = OrderedDict()
        self._parts = Reassembler(max_bytes=max_payload_bytes * 4)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._send_lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[None]] = set()
        self._first: asyncio.Future[None] | None = None
        self._log_limit = RateLimitedLog(30.0)
        self.state = "stopped"

    def __repr__(self) -> str:
        return f"LongConnection(app_id={self.app_id!r}, state={self.state!r})"

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the delivery side and connect; returns after the first attempt.

        Raises :class:`LongConnectionRefused` when Feishu refuses the app (bad
        secret …), ``ConfigError`` when there is no secret to connect with; a
        transient failure is retried in the background.
        """
        if self._task is not None:
            return
        sharing = self._sharing
        async with sharing.lock:
            # The first connection of these callbacks (one per app) starts what they
            # share; the last one to stop closes it.
            if sharing.users == 0:
                try:
                    await self._start_shared(sharing.parts)
                except BaseException:
                    await self._stop_shared(sharing.parts)
                    raise
            sharing.users += 1
            self._joined = True
        self._session = aiohttp.ClientSession()
        self._send_lock = asyncio.Lock()
        self._first = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._loop())
        try:
            await asyncio.wait({self._first, self._task}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self.stop()  # cancelled while connecting: leave nothing running
            raise
        if self._task.done() and self._task.exception() is not None:
            error = self._task.exception()
            await self.stop()
            assert error is not None
            raise error

    async def stop(self) -> None:
        """Close the connection, let payloads in hand finish (5 s), stop what start() began."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._close_ws()
        if self._handling:
            _, late = await asyncio.wait(set(self._handling), timeout=5.0)
            for pending in late:
                pending.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._joined:
            self._joined = False
            async with self._sharing.lock:
                self._sharing.users -= 1
                if self._sharing.users == 0:
                    await self._stop_shared(self._sharing.parts)
        if self.state != "stopped":
            self._set_state("stopped")

    async def _start_shared(self, parts: list[str]) -> None:
        run_worker = len(self._callbacks.router) > 0 if self._worker is None else self._worker
        if self._owned is None:
            # Already started by its owner (serving HTTP too): theirs to close, not ours.
            mine = not self._callbacks.running
            await self._callbacks.start(worker=run_worker)
            if mine:
                parts.append("callbacks")
        else:
            await self._owned.start()
            parts.append("delivery")
            if run_worker and not self._callbacks.running:
                await self._callbacks.start(ingress=False, worker=True)
                parts.append("callbacks")

    async def _stop_shared(self, parts: list[str]) -> None:
        started = list(parts)
        parts.clear()
        if "delivery" in started and self._owned is not None:
            # A running Callbacks (ours, closed next, or its owner's) closes the broker.
            await self._owned.close(5.0, close_broker=not self._callbacks.running)
        if "callbacks" in started:
            await self._callbacks.close()

    async def run(self) -> None:
        """Run until cancelled (or until reconnecting is given up: the error is raised)."""
        try:
            await self.start()
            assert self._task is not None
            await asyncio.shield(self._task)
        finally:
            await self.stop()

    async def __aenter__(self) -> LongConnection:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    # -- the connection loop ----------------------------------------------------------

    async def _loop(self) -> None:
        failures = 0
        while True:
            try:
                ws, endpoint = await self._open()
            except ConfigError as exc:
                # LongConnectionRefused, or no app secret to connect with: asking
                # again won't change it, so fail rather than retry forever.
                self._set_state("refused", error=exc.message, code=exc.code)
                raise
            except (LarkError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                failures += 1
                self.stats.failed_attempts += 1
                self._settle_first()
                limit = self.config.reconnect_count
                if 0 <= limit < failures:
                    self._set_state("failed", attempts=failures)
                    raise LongConnectionFailed(
                        f"could not reconnect after {failures} tries", retryable=True
                    ) from exc
                delay = self._backoff(failures)
                self._set_state(
                    "reconnecting", error=_describe(exc), attempt=failures, delay_s=round(delay, 3)
                )
                await self._clock.sleep(delay)
                continue
            failures = 0
            self.stats.connects += 1
            self._set_state("connected", device_id=endpoint.device_id)
            self._settle_first()
            reason = await self._serve(ws, endpoint)
            self.stats.disconnects += 1
            delay = self._rng() * self.config.reconnect_nonce
            self._set_state("disconnected", reason=reason, delay_s=round(delay, 3))
            await self._clock.sleep(delay)

    def _backoff(self, failures: int) -> float:
        """Doubling from 1 s up to the server's interval, half of it random."""
        ceiling = max(self.config.reconnect_interval, 0.0)
        base = min(ceiling, 2.0 ** (failures - 1))
        return base / 2 + self._rng() * base / 2

    def _settle_first(self) -> None:
        if self._first is not None and not self._first.done():
            self._first.set_result(None)

    async def _open(self) -> tuple[aiohttp.ClientWebSocketResponse, Endpoint]:
        secret = await self._app_secret()
        endpoint = await fetch_endpoint(self._requester(), self.app_id, secret, self.config)
        self.config = endpoint.config
        assert self._session is not None
        try:
            # A host that takes the TCP connection but never answers the upgrade
            # would otherwise hold this attempt for aiohttp's 5-minute default.
            async with asyncio.timeout(CONNECT_TIMEOUT):
                ws = await self._session.ws_connect(
                    endpoint.url,
                    autoping=True,
                    max_msg_size=self._max_payload + 65536,
                    timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                    proxy=None,
                )
        except aiohttp.WSServerHandshakeError as exc:
            raise _handshake_error(exc) from None
        self._ws = ws
        return ws, endpoint

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse, endpoint: Endpoint) -> str:
        """Read frames until the connection ends; the reason it ended."""
        pinger = asyncio.create_task(self._ping_loop(ws, endpoint.service_id))
        try:
            while True:
                # Feishu answers every ping; silence for three intervals is a dead link.
                idle = max(3 * self.config.ping_interval, 10.0)
                try:
                    msg = await ws.receive(timeout=idle)
                except TimeoutError:
                    return "idle"
                if msg.type == aiohttp.WSMsgType.BINARY:
                    self._on_frame(ws, msg.data)
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING):
                    return f"closed by server ({ws.close_code})"
                elif msg.type == aiohttp.WSMsgType.CLOSED:
                    return "connection lost"
                elif msg.type == aiohttp.WSMsgType.ERROR:
                    return f"error: {type(ws.exception()).__name__}"
                # text frames are not part of the protocol: ignored
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
            await self._close_ws()

    async def _close_ws(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()

    async def _ping_loop(self, ws: aiohttp.ClientWebSocketResponse, service: int) -> None:
        ping = wire.encode(wire.Frame(service=_int32(service), headers=((wire.TYPE, "ping"),)))
        while not ws.closed:
            try:
                await self._send(ws, ping)
                self.stats.pings += 1
            except (ConnectionError, aiohttp.ClientError, RuntimeError):
                return  # the reader notices the drop
            await self._clock.sleep(self.config.ping_interval)

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, data: bytes) -> None:
        assert self._send_lock is not None
        async with self._send_lock:
            await ws.send_bytes(data)

    # -- frames -----------------------------------------------------------------------

    def _on_frame(self, ws: aiohttp.ClientWebSocketResponse, raw: bytes) -> None:
        try:
            frame = wire.decode(raw)
        except wire.FrameError as exc:
            self._bad_frame("malformed", error=exc.message)
            return
        kind = frame.header(wire.TYPE)
        if frame.method == wire.METHOD_CONTROL:
            if kind == "pong":
                self.stats.pongs += 1
                if frame.payload:
                    with contextlib.suppress(ValueError):
                        self.config = self.config.updated(json.loads(frame.payload))
            return
        if frame.method != wire.METHOD_DATA or kind not in ("event", "card"):
            return  # other frames: nothing the SDKs answer either
        payload = frame.payload or b""
        total = frame.int_header(wire.SUM, 1)
        if total > 1:
            message_id = frame.header(wire.MESSAGE_ID) or ""
            try:
                joined = self._parts.add(
                    message_id,
                    total,
                    frame.int_header(wire.SEQ, -1),
                    payload,
                    self._clock.monotonic(),
                )
            except ValueError as exc:
                self._bad_frame("bad_part", error=str(exc))
                return
            if joined is None:
                return  # the last part is the one answered
            payload = joined
        if len(payload) > self._max_payload:
            self._bad_frame("too_large", size=len(payload))
            return
        task = asyncio.create_task(self._handle(ws, frame, payload))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _handle(
        self, ws: aiohttp.ClientWebSocketResponse, frame: wire.Frame, payload: bytes
    ) -> None:
        started = self._clock.monotonic()
        self.stats.received += 1
        inbound: InboundCallback | None = None
        try:
            status, body, inbound = await self._process(payload, started)
        except Exception as exc:  # a bug below must not kill the connection
            get_logger().error("lark.long_connection.handle_failed", error=_describe(exc))
            status, body = 500, None
        response: dict[str, Any] = {"code": status}
        if body:
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            response["data"] = base64.b64encode(raw).decode("ascii")
        elapsed_ms = int((self._clock.monotonic() - started) * 1000)
        answer = replace(
            frame,
            headers=(*frame.headers, (wire.BIZ_RT, str(elapsed_ms))),
            payload=json.dumps(response, separators=(",", ":")).encode(),
        )
        try:
            await self._send(ws, wire.encode(answer))
            self.stats.answered += 1
        except (ConnectionError, aiohttp.ClientError, RuntimeError):
            pass  # not acknowledged: Feishu sends it again on the next connection
        finally:
            if inbound is not None:
                inbound.answered.set()

    async def _process(
        self, payload: bytes, started: float
    ) -> tuple[int, Any, InboundCallback | None]:
        try:
            obj = json.loads(payload)
        except (ValueError, RecursionError):
            obj = None
        verified = classify(obj) if isinstance(obj, dict) else None
        if verified is None or verified.event_id is None:
            self._bad_frame("unknown_envelope")
            return 400, None, None
        if verified.app_id is not None and verified.app_id != self.app_id:
            self._bad_frame("app_mismatch")
            return 400, None, None
        event_id = verified.event_id
        seen = self._seen.get(event_id)
        if seen is not None:
            self.stats.duplicates += 1
            get_logger().info(
                "lark.callback.duplicate", app_id=self.app_id, event_id=event_id, stage="long_conn"
            )
            status, body = await asyncio.shield(seen)
            return status, body, None
        outcome: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        self._remember(event_id, outcome)
        event = from_verified(
            verified, app_id=self.app_id, received_at=self._clock.time(), signed=True
        )
        inbound = InboundCallback(
            app_id=self.app_id,
            endpoint="cards" if verified.kind == "card_action" else "events",
            body=payload,
            headers={},
            verified=verified,
            verifier=self._verifier,
            event=replace(event, verified_by="connection"),
            started=started,
            budget=self._budget,
            on_forget=lambda: self._forget(event_id, outcome),
        )
        try:
            answer: Answer = await self.delivery.deliver(inbound)
        except BaseException:
            self._forget(event_id, outcome)
            outcome.set_result((500, None))
            raise
        outcome.set_result((answer.status, answer.body))
        return answer.status, answer.body, inbound

    def _remember(self, event_id: str, outcome: asyncio.Future[tuple[int, Any]]) -> None:
        self._seen[event_id] = outcome
        while len(self._seen) > DEFAULT_REMEMBERED:
            self._seen.popitem(last=False)

    def _forget(self, event_id: str, outcome: asyncio.Future[tuple[int, Any]]) -> None:
        # Accepted by nothing (answered 503): Feishu's re-send must get through.
        if self._seen.get(event_id) is outcome:
            del self._seen[event_id]

    # -- helpers ----------------------------------------------------------------------

    def _requester(self) -> Requester:
        request: Requester = self._lark.app(self.app_id).request
        return request

    async def _app_secret(self) -> str:
        if self._secret_of is not None:
            value = self._secret_of(self.app_id)
            if asyncio.iscoroutine(value):
                value = await value
        else:
            # LarkClient: apps given in code, or its registry (what the token manager uses).
            apps = getattr(getattr(self._lark, "tokens", None), "apps", None)
            current = getattr(apps, "current", None)
            if current is None:
                raise ConfigError(
                    "cannot find the app secret on this client",
                    hint="pass a LarkClient, or app_secret=<function of app_id>",
                )
            config = await current(self.app_id)
            value = getattr(config, "app_secret", None)
        getter = getattr(value, "get_secret_value", None)
        secret = getter() if callable(getter) else value
        if not isinstance(secret, str) or not secret:
            raise ConfigError(f"no app secret for {self.app_id}")
        return secret

    def _set_state(self, state: str, **fields: Any) -> None:
        self.state = state
        level = "warning" if state in ("reconnecting", "disconnected", "failed") else "info"
        if state == "refused":
            level = "error"
        getattr(get_logger(), level)(f"lark.long_connection.{state}", app_id=self.app_id, **fields)

    def _bad_frame(self, reason: str, **fields: Any) -> None:
        self.stats.bad_frames += 1
        if self._log_limit.should_log(reason, self._clock.monotonic()):
            suppressed = self._log_limit.take_suppressed(reason)
            get_logger().warning(
                "lark.long_connection.bad_frame",
                app_id=self.app_id,
                reason=reason,
                suppressed=suppressed,
                **fields,
            )


@dataclass
class _Sharing:
    """What the long connections of one Callbacks share (see ``LongConnection.start``)."""

    delivery: Delivery | None = None  # theirs when the Callbacks has no HTTP side
    users: int = 0
    parts: list[str] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_SHARING: weakref.WeakKeyDictionary[Any, _Sharing] = weakref.WeakKeyDictionary()


def _sharing_of(callbacks: Any) -> _Sharing:
    try:
        return _SHARING.setdefault(callbacks, _Sharing())
    except TypeError:  # not weakly referenceable: nothing to share with
        return _Sharing()


def _int32(value: int) -> int:
    return value if -(1 << 31) <= value < 1 << 31 else 0


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    return f"{type(exc).__name__}: {message}" if isinstance(message, str) else type(exc).__name__


def _handshake_error(exc: aiohttp.WSServerHandshakeError) -> LarkError:
    """A refused upgrade: fatal for the reasons the SDKs treat as the client's fault."""
    headers: Mapping[str, str] = exc.headers or {}
    status = headers.get("handshake-status", "")
    message = headers.get("handshake-msg", "") or exc.message
    auth_code = headers.get("handshake-autherrcode", "")
    code = int(status) if status.isdigit() else exc.status
    if code == FORBIDDEN or (code == AUTH_FAILED and auth_code == str(EXCEED_CONN_LIMIT)):
        return LongConnectionRefused(
            f"Feishu refused the WebSocket ({code}): {message}",
            code=code,
            hint="too many connections for this app, or the app may not use the long connection",
        )
    return NetworkError(f"WebSocket handshake failed ({code}): {message}", retryable=True)

"""Slow clients and too many connections: the limits of the aiohttp callback server.

Feishu opens a connection, sends a few KB at once and waits at most 3 s for the
answer. A client that connects and sends nothing, or half a request, costs a file
descriptor for as long as it likes; a thousand of them used to starve the server.
:class:`CallbackRunner` (an ``aiohttp.web.AppRunner``; ``Callbacks.runner()``)
applies :class:`ServerLimits`:

- ``header_timeout``: a new connection must bring a complete request head within
  this time, or it is closed (aiohttp itself has no such timer); so must a later
  request on a kept-alive connection, counted from its first byte;
- ``keepalive_timeout``: an answered connection may stay idle this long (aiohttp's
  own timer);
- ``max_connections``: open at once. At the cap, a new connection evicts the
  oldest one that is not being answered: first those still waiting for their head
  or their body, then idle keep-alive ones (closed gracefully), then requests to
  other routes. Only when every connection is being answered is the new one closed.
  So a flood of slow clients can hold at most the cap, and each valid callback
  still gets in.

The body's own deadline is the ingress's ``body_timeout`` (it applies behind any
server, ASGI too). The runner also answers aiohttp's own errors (a malformed
request line or header) with the ingress's bare JSON body, where aiohttp's page
would echo the request's bytes, and logs one line instead of a traceback.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from lark_async.core.checks import check_int, check_number
from lark_async.core.errors import InvalidParameter
from lark_async.core.logging import RateLimitedLog, get_logger

__all__ = ["CallbackRunner", "ConnectionGuard", "Phase", "ServerLimits", "set_phase"]

DEFAULT_HEADER_TIMEOUT = 5.0
DEFAULT_KEEPALIVE_TIMEOUT = 75.0
# File descriptors kept for everything but client connections (broker, database,
# spool, outgoing API calls) when the cap is derived from RLIMIT_NOFILE.
_FD_RESERVE = 256
_DEFAULT_CAP = 1000
_MAX_DEFAULT_CAP = 10_000
_BARE = {400: "bad request", 408: "request timeout", 413: "payload too large"}


class Phase(enum.Enum):
    """Where a connection is; the guard evicts NEW and READING first, then IDLE, then REQUEST."""

    NEW = "new"  # no complete request head yet
    REQUEST = "request"  # a request is with a handler (routes other than the ingress's)
    READING = "reading"  # the ingress is reading its body
    ANSWERING = "answering"  # verified, being queued and answered
    IDLE = "idle"  # answered; waiting for the next request on the connection


def default_max_connections() -> int:
    """What the open-file limit leaves for client connections (1000 where unknown)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return _DEFAULT_CAP
    if soft == resource.RLIM_INFINITY:
        return _MAX_DEFAULT_CAP
    return max(64, min(_MAX_DEFAULT_CAP, soft - _FD_RESERVE))


@dataclass(frozen=True)
class ServerLimits:
    """Timeouts and the connection cap of :class:`CallbackRunner`; see the module docstring.

    ``max_connections`` None: the open-file limit (``RLIMIT_NOFILE``) less 256 kept
    for everything else, at most 10,000.
    """

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT
    max_connections: int | None = None

    def __post_init__(self) -> None:
        check_number(self.header_timeout, "header_timeout", positive=True)
        check_number(self.keepalive_timeout, "keepalive_timeout", positive=True)
        if self.max_connections is not None:
            check_int(self.max_connections, "max_connections", min=1)

    @property
    def connection_cap(self) -> int:
        return (
            self.max_connections if self.max_connections is not None else default_max_connections()
        )


def set_phase(request: web.BaseRequest, phase: Phase) -> None:
    """Note where the request's connection is (a no-op outside :class:`CallbackRunner`)."""
    protocol = request.protocol
    if isinstance(protocol, _GuardedHandler):
        protocol.phase = phase


class ConnectionGuard:
    """The open connections of one server, by age: header timers, the cap, eviction."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self.cap = limits.connection_cap
        self._open: dict[_GuardedHandler, asyncio.Transport] = {}  # oldest first
        self._timers: dict[_GuardedHandler, asyncio.TimerHandle] = {}
        self._log_limit = RateLimitedLog(30.0)
        self.evicted = 0  # closed to make room for a new connection
        self.refused = 0  # closed at once: every open connection was being answered
        self.timed_out = 0  # no complete request head within header_timeout

    def __len__(self) -> int:
        return len(self._open)

    def phases(self) -> dict[str, int]:
        """How many open connections are in each phase (for tests and metrics)."""
        counts: dict[str, int] = {}
        for handler in self._open:
            counts[handler.phase.value] = counts.get(handler.phase.value, 0) + 1
        return counts

    def opened(self, handler: _GuardedHandler, transport: asyncio.Transport) -> None:
        handler.phase = Phase.NEW
        if len(self._open) >= self.cap:
            victim = self._victim()
            if victim is None:
                self.refused += 1
                self._warn_full()
                transport.abort()
                return
            self._evict(victim)
        self._open[handler] = transport
        self.head_started(handler)

    def head_started(self, handler: _GuardedHandler) -> None:
        """A request head is due (a new connection, or a later request on a kept-alive
        one): it has ``header_timeout`` to arrive whole."""
        if handler not in self._open:
            return
        self.head_done(handler)
        self._timers[handler] = asyncio.get_running_loop().call_later(
            self.limits.header_timeout, self._head_overdue, handler
        )

    def head_done(self, handler: _GuardedHandler) -> None:
        timer = self._timers.pop(handler, None)
        if timer is not None:
            timer.cancel()

    def closed(self, handler: _GuardedHandler) -> None:
        self._open.pop(handler, None)
        timer = self._timers.pop(handler, None)
        if timer is not None:
            timer.cancel()

    def _victim(self) -> _GuardedHandler | None:
        """The oldest slow connection; else the oldest idle one; else the oldest request
        outside the ingress's answering (e.g. a 404 whose unread body aiohttp lingers on)."""
        idle: _GuardedHandler | None = None
        other: _GuardedHandler | None = None
        for handler in self._open:  # oldest first
            if handler.phase in (Phase.NEW, Phase.READING):
                return handler
            if idle is None and handler.phase is Phase.IDLE:
                idle = handler
            elif other is None and handler.phase is Phase.REQUEST:
                other = handler
        return idle or other

    def _evict(self, handler: _GuardedHandler) -> None:
        transport = self._open[handler]
        phase = handler.phase
        self.closed(handler)
        self.evicted += 1
        self._warn_full()
        if phase is Phase.IDLE:
            transport.close()  # its last answer may still be in the buffer
        else:
            transport.abort()

    def _head_overdue(self, handler: _GuardedHandler) -> None:
        self._timers.pop(handler, None)
        transport = self._open.get(handler)
        if transport is not None and handler.phase is Phase.NEW:
            self.closed(handler)
            self.timed_out += 1
            get_logger().debug("lark.callback.header_timeout", after=self.limits.header_timeout)
            transport.abort()

    def _warn_full(self) -> None:
        if self._log_limit.should_log("full", asyncio.get_running_loop().time()):
            get_logger().warning(
                "lark.callback.connections_full",
                cap=self.cap,
                evicted=self.evicted,
                refused=self.refused,
                suppressed=self._log_limit.take_suppressed("full"),
                hint="slow or idle clients are being closed; raise max_connections "
                "(and the open-file limit) if these are real senders",
            )


class _GuardedHandler(web.RequestHandler):
    """aiohttp's connection handler, with a phase and a bare error answer."""

    phase: Phase = Phase.NEW
    _tail: bytes = b""

    def data_received(self, data: bytes) -> None:
        # A request whose head is complete is no longer evictable as "slow": a
        # valid callback arrives whole in its first segment, so it is safe from
        # eviction at once, even while many new connections are being accepted.
        if self.phase in (Phase.NEW, Phase.IDLE):
            was_idle = self.phase is Phase.IDLE
            probe = self._tail + data
            if b"\r\n\r\n" in probe:
                self.phase, self._tail = Phase.REQUEST, b""
                self._guard(lambda guard: guard.head_done(self))
            else:
                self.phase, self._tail = Phase.NEW, probe[-3:]
                if was_idle:  # a later request's head began: its own header timeout
                    self._guard(lambda guard: guard.head_started(self))
        super().data_received(data)

    def _guard(self, action: Callable[[ConnectionGuard], None]) -> None:
        server = getattr(self, "_manager", None)
        if isinstance(server, _GuardedServer):
            action(server.guard)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's page echoes what it could not parse and it logs a traceback;
        # a malformed request is the sender's problem: one line, a bare answer.
        if status >= 500:
            self.log_exception("Error handling request", exc_info=exc)
        else:
            get_logger().info(
                "lark.callback.bad_http",
                status=status,
                error=type(exc).__name__ if exc is not None else None,
                remote=request.remote,
            )
        if request.writer.output_size > 0:
            raise ConnectionError("the answer was already being sent")
        body = {"msg": _BARE.get(status, "error")}
        response = web.Response(
            body=json.dumps(body).encode(),
            status=status,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        response.force_close()
        return response


RequestFactory = Callable[..., web.BaseRequest]


class _GuardedServer(web.Server):
    """aiohttp's protocol factory, making guarded handlers and telling the guard."""

    def __init__(
        self,
        handler: Any,
        *,
        request_factory: RequestFactory,
        handler_cancellation: bool,
        guard: ConnectionGuard,
        **kwargs: Any,
    ) -> None:
        def make_request(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            # A complete head: no longer NEW (nor IDLE, on a keep-alive connection).
            if isinstance(protocol, _GuardedHandler) and protocol.phase in (Phase.NEW, Phase.IDLE):
                protocol.phase = Phase.REQUEST
            return request_factory(message, payload, protocol, writer, task)

        super().__init__(
            handler,
            request_factory=make_request,
            handler_cancellation=handler_cancellation,
            **kwargs,
        )
        self.guard = guard
        self._handler_loop = asyncio.get_running_loop()
        self._handler_kwargs = kwargs

    def __call__(self) -> web.RequestHandler:
        return _GuardedHandler(self, loop=self._handler_loop, **self._handler_kwargs)

    def connection_made(self, handler: web.RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        if isinstance(handler, _GuardedHandler):
            self.guard.opened(handler, transport)

    def connection_lost(
        self, handler: web.RequestHandler, exc: BaseException | None = None
    ) -> None:
        super().connection_lost(handler, exc)
        if isinstance(handler, _GuardedHandler):
            self.guard.closed(handler)


# AppRunner arguments that configure the runner, not each connection.
_RUNNER_ONLY = ("handle_signals", "shutdown_timeout", "handler_cancellation")


class CallbackRunner(web.AppRunner):
    """``aiohttp.web.AppRunner`` with :class:`ServerLimits` (see the module docstring).

    Used like an AppRunner: ``await runner.setup()``, then a ``web.TCPSite``.
    Other keyword arguments go to aiohttp as usual (``access_log=None`` …);
    ``keepalive_timeout`` comes from ``limits``.
    """

    def __init__(
        self, app: web.Application, *, limits: ServerLimits | None = None, **kwargs: Any
    ) -> None:
        if limits is None:
            limits = ServerLimits()
        elif not isinstance(limits, ServerLimits):
            raise InvalidParameter(
                f"limits must be a ServerLimits, not {type(limits).__name__}",
                details={"argument": "limits"},
            )
        if "keepalive_timeout" in kwargs:
            raise InvalidParameter("pass keepalive_timeout in limits=ServerLimits(...)")
        kwargs["keepalive_timeout"] = limits.keepalive_timeout
        super().__init__(app, **kwargs)
        self.limits = limits
        self.guard = ConnectionGuard(limits)
        self._handler_kwargs = {
            key: value for key, value in kwargs.items() if key not in _RUNNER_ONLY
        }

    async def _make_server(self) -> web.Server:
        # aiohttp has no public hook for the connection handler's class: take the
        # application's request handler and factory from the server it would run.
        plain = await super()._make_server()
        return _GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            guard=self.guard,
            **self._handler_kwargs,
        )

"""``Callbacks``: the ingress, the handlers and the consumer, wired together.

    callbacks = Callbacks({"cli_x": AppKeys(encrypt_key=..., verification_token=...)}, lark=lark)

    @callbacks.card_action("approve")
    async def approve(event: CallbackEvent) -> CardUpdate: ...

    async with callbacks:                      # embedded: in-process queue and worker
        app = callbacks.web_app()              # or callbacks.add_routes(existing_app)

With ``amqp_url=`` the queue is RabbitMQ; the same object then runs as the HTTP
side (``start(worker=False)``, what ``lark-async serve`` does), as a consumer
(``start(ingress=False)``, ``lark-async worker``), or as both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, overload

from aiohttp import web

from lark_async.callbacks.asgi import CallbackAsgi
from lark_async.callbacks.cards import CardClient
from lark_async.callbacks.dedupe import ProcessedStore, SharedReplay
from lark_async.callbacks.delivery import DEFAULT_PUBLISH_TIMEOUT
from lark_async.callbacks.dispatch import DEFAULT_ANSWER_GRACE, Dispatcher, HandlerRetry
from lark_async.callbacks.http import (
    DEFAULT_ANSWER_BUDGET,
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_EVENT_ID_TTL,
    DEFAULT_PREFIX,
    CallbackIngress,
    bare_routing_errors,
)
from lark_async.callbacks.keys import AppKeys, AppLookup, KeySource
from lark_async.callbacks.limits import CallbackRunner, ServerLimits
from lark_async.callbacks.longconn.client import LongConnection, LongConnectionClient
from lark_async.callbacks.queue import BROKER_METHODS, Broker, MemoryBroker
from lark_async.callbacks.rabbit import RabbitBroker
from lark_async.callbacks.replies import Toast
from lark_async.callbacks.router import (
    DEFAULT_SYNC_BUDGET,
    CallbackRouter,
    CardActionHandler,
    F,
    P,
    R,
)
from lark_async.callbacks.security import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_REPLAY_ENTRIES,
    DEFAULT_WINDOW,
)
from lark_async.callbacks.spool import SPOOL_METHODS, Spool, SqliteSpool
from lark_async.callbacks.worker import Worker
from lark_async.core.checks import bad_argument, check_has
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ConfigError, InvalidParameter


class Callbacks:
    """Everything for events and card callbacks; see the module docstring.

    ``keys``: a mapping ``{app_id: AppKeys}``, a :class:`KeySource`, or an app
    registry (anything with async ``current(app_id)``). None for a consumer only.
    ``lark``: the client card updates are sent with (``LarkClient``).
    ``broker`` / ``amqp_url``: the queue; default an in-process one.
    ``spool``: a :class:`Spool` or a SQLite path, where callbacks wait while the
    queue is down. ``window`` … ``replay_interval`` configure the HTTP side; see
    :class:`CallbackIngress` and docs/callbacks.md. ``processed`` and
    ``shared_replay``: the memories shared by every worker and ingress
    (``lark_async.shared.callback_state("postgresql://...")``, docs/scaling.md).
    """

    def __init__(
        self,
        keys: KeySource | AppLookup | Mapping[str, AppKeys] | None = None,
        *,
        lark: CardClient | None = None,
        broker: Broker | None = None,
        amqp_url: str | None = None,
        queue: str = "lark.callbacks",
        spool: Spool | str | os.PathLike[str] | None = None,
        router: CallbackRouter | None = None,
        clock: Clock = SYSTEM_CLOCK,
        retry: HandlerRetry | None = None,
        processed: ProcessedStore | None = None,
        concurrency: int = 16,
        answer_grace: float = DEFAULT_ANSWER_GRACE,
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
        if broker is not None and amqp_url is not None:
            raise ConfigError("pass broker= or amqp_url=, not both")
        if broker is not None:
            check_has(broker, "broker", BROKER_METHODS, "a Broker")
        check_has(clock, "clock", ("time", "monotonic", "sleep"), "a Clock")
        if retry is not None and not isinstance(retry, HandlerRetry):
            raise bad_argument("retry", f"must be a HandlerRetry, not {type(retry).__name__}")
        if router is not None and not isinstance(router, CallbackRouter):
            raise bad_argument("router", f"must be a CallbackRouter, not {type(router).__name__}")
        if spool is not None and not isinstance(spool, str | os.PathLike):
            check_has(spool, "spool", SPOOL_METHODS, "a Spool or a SQLite path")
        if amqp_url is not None:
            if not isinstance(amqp_url, str) or not amqp_url.startswith(("amqp://", "amqps://")):
                raise ConfigError(
                    "amqp_url must start with amqp:// or amqps://",
                    hint="e.g. amqp://guest:guest@127.0.0.1:5672/",
                    details={"argument": "amqp_url"},
                )
            broker = RabbitBroker(amqp_url, queue=queue)
        self.broker: Broker = broker if broker is not None else MemoryBroker(clock=clock)
        if retry is not None and retry.jitter and isinstance(self.broker, RabbitBroker):
            # RabbitMQ waits out a delay in a queue of its own per distinct delay.
            raise ConfigError(
                "HandlerRetry(jitter=...) with RabbitMQ would declare a retry queue per delay",
                hint="keep jitter=0 with RabbitMQ; spread retries with the delays instead",
            )
        self.router = router if router is not None else CallbackRouter()
        self.dispatcher = Dispatcher(
            self.router,
            lark=lark,
            clock=clock,
            processed=processed,
            retry=retry,
            answer_grace=answer_grace,
        )
        if isinstance(spool, str | os.PathLike):
            try:
                spool = SqliteSpool(spool)
            except ConfigError as exc:  # name the argument as the caller spelled it
                raise ConfigError(
                    f"spool: {exc.message}", hint=exc.hint, details={"argument": "spool"}
                ) from None
        self.spool = spool
        self.worker = Worker(self.broker, self.dispatcher, concurrency=concurrency)
        self.ingress: CallbackIngress | None = None
        if keys is not None:
            self.ingress = CallbackIngress(
                keys,
                broker=self.broker,
                dispatcher=self.dispatcher,
                spool=spool,
                clock=clock,
                window=window,
                max_body_bytes=max_body_bytes,
                event_id_ttl=event_id_ttl,
                max_replay_entries=max_replay_entries,
                publish_timeout=publish_timeout,
                answer_budget=answer_budget,
                default_app_id=default_app_id,
                replay_interval=replay_interval,
                shared_replay=shared_replay,
                body_timeout=body_timeout,
            )
        elif default_app_id is not None:
            raise ConfigError(
                "default_app_id= belongs to the HTTP side, which needs keys",
                hint="pass keys= (a mapping of AppKeys, a KeySource or the app registry)",
            )
        self._running: list[str] = []
        # What long_connection() hands on (with keys, it shares the ingress's delivery).
        self._long_connection_options: dict[str, Any] = {
            "clock": clock,
            "answer_budget": answer_budget,
            "publish_timeout": publish_timeout,
            "replay_interval": replay_interval,
        }

    def __repr__(self) -> str:
        return f"Callbacks(broker={self.broker!r}, router={self.router!r})"

    # -- handler registration (see CallbackRouter) -------------------------------------

    def event(self, event_type: str | None = None) -> Callable[[F], F]:
        """Register an async handler for an event type; see :meth:`CallbackRouter.event`."""
        return self.router.event(event_type)

    @overload
    def card_action(
        self,
        action: str,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], CardActionHandler[P, R]]: ...

    @overload
    def card_action(
        self,
        action: None = None,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[F], F]: ...

    def card_action(
        self,
        action: str | None = None,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[Any], Any]:
        """Register an async card-action handler; see :meth:`CallbackRouter.card_action`.

        With a name it returns a :class:`CardActionHandler`, which
        ``send_interactive_card(..., on_action=handler)`` accepts.
        """
        return self.router.card_action(action, sync=sync, budget=budget, ack=ack)

    # -- HTTP -------------------------------------------------------------------------

    def _require_ingress(self) -> CallbackIngress:
        if self.ingress is None:
            raise ConfigError(
                "this Callbacks has no keys, so it cannot receive callbacks",
                hint="pass keys={app_id: AppKeys(...)} or an app registry",
            )
        return self.ingress

    def web_app(
        self, prefix: str = DEFAULT_PREFIX, *, worker: bool | None = None
    ) -> web.Application:
        """A standalone aiohttp application that starts and stops this object with it.

        ``worker``: also consume in this process (default: when handlers are registered).
        """
        ingress = self._require_ingress()
        app = web.Application(
            client_max_size=ingress.max_body_bytes, middlewares=[bare_routing_errors]
        )
        ingress.add_routes(app, prefix)

        async def on_startup(_: web.Application) -> None:
            await self.start(worker=self._run_worker(worker))

        async def on_cleanup(_: web.Application) -> None:
            await self.close()

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
        return app

    def add_routes(self, app: web.Application, prefix: str = DEFAULT_PREFIX) -> None:
        """Mount the callback routes on an existing application (start() this object)."""
        self._require_ingress().add_routes(app, prefix)

    # -- long connection --------------------------------------------------------------

    def long_connection(
        self, lark: LongConnectionClient, *, app_id: str | None = None, worker: bool | None = None
    ) -> LongConnection:
        """Receive this object's callbacks over Feishu's WebSocket instead of HTTP.

        ``lark``: the ``LarkClient`` whose app (``app_id``, default its default app)
        opens the connection. ``start()``/``stop()``/``run()`` or ``async with``;
        see :mod:`lark_async.callbacks.longconn.client`.
        """
        return LongConnection(
            self, lark, app_id=app_id, worker=worker, **self._long_connection_options
        )

    def runner(
        self,
        prefix: str = DEFAULT_PREFIX,
        *,
        worker: bool | None = None,
        limits: ServerLimits | None = None,
        **kwargs: Any,
    ) -> CallbackRunner:
        """An aiohttp runner for :meth:`web_app` with slow-client limits (``callbacks.limits``).

        ``await runner.setup()``, then ``await web.TCPSite(runner, host, port).start()``;
        ``runner.cleanup()`` closes this object. Other arguments go to aiohttp's AppRunner.
        """
        return CallbackRunner(self.web_app(prefix, worker=worker), limits=limits, **kwargs)

    def asgi(self, prefix: str = "", *, worker: bool | None = None) -> CallbackAsgi:
        """The same routes as a plain ASGI app: ``app.mount("/lark", callbacks.asgi())``.

        Mounted, start and close this object in the application's lifespan (see
        docs/callbacks.md); served alone, the ASGI app's own lifespan does it.
        ``worker``: also consume in this process (default: when handlers are registered).
        """
        ingress = self._require_ingress()

        async def start() -> None:
            await self.start(worker=self._run_worker(worker))

        return CallbackAsgi(
            ingress,
            prefix=_asgi_prefix(prefix),
            start=start,
            stop=self.close,
            started=lambda: ingress.started,
        )

    def _run_worker(self, worker: bool | None) -> bool:
        # Decided at start, not when the app is built: the handlers' decorators
        # often come after `app = callbacks.asgi()` in the module.
        return len(self.router) > 0 if worker is None else worker

    # -- lifecycle --------------------------------------------------------------------

    async def start(self, *, ingress: bool = True, worker: bool = True) -> None:
        """Start the parts this process runs (both by default)."""
        if not ingress and not worker:
            raise InvalidParameter("start at least one of ingress and worker")
        if ingress and self.ingress is not None and "ingress" not in self._running:
            await self.ingress.start()
            self._running.append("ingress")
        if worker and "worker" not in self._running:
            if not len(self.router):
                raise ConfigError(
                    "no handlers are registered, so a worker has nothing to do",
                    hint="decorate async functions with @callbacks.card_action(...) / .event(...)",
                )
            await self.worker.start()
            self._running.append("worker")

    @property
    def running(self) -> bool:
        """True between start() and close()."""
        return bool(self._running)

    async def close(self) -> None:
        """Stop the ingress (letting in-process handlers finish), the worker, the broker."""
        if not self._running:
            return
        if "ingress" in self._running and self.ingress is not None:
            await self.ingress.close(close_broker=False)
        if "worker" in self._running:
            await self.worker.close(close_broker=False)
        self._running.clear()
        await self.broker.close()

    async def drain(self) -> None:
        """Wait until the in-process queue is empty (embedded mode only; for tests/demos)."""
        if not isinstance(self.broker, MemoryBroker):
            raise ConfigError("drain() only works with the in-process queue")
        await self.broker.drain()

    async def __aenter__(self) -> Callbacks:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _asgi_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise ConfigError(f"prefix must be empty or start with '/', not {prefix!r}")
    return prefix.rstrip("/")

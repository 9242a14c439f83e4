"""``lark-async serve`` (the callback HTTP side) and ``lark-async worker`` (the consumer).

    lark-async serve --port 8080 --amqp amqp://… --spool /var/lib/lark/spool.sqlite3
    lark-async serve --long-connection --handlers myapp.callbacks:callbacks
    lark-async worker --amqp amqp://… --handlers myapp.callbacks:callbacks

Keys come from the app registry (``--registry`` / ``LARK_ASYNC_REGISTRY_PATH`` with
``LARK_ASYNC_SECRET_KEY``), or, for one app, from ``LARK_ASYNC_APP_ID`` with
``LARK_ASYNC_ENCRYPT_KEY`` and/or ``LARK_ASYNC_VERIFICATION_TOKEN``. Handlers are
a ``module:attribute`` naming a ``Callbacks`` or a ``CallbackRouter``. Card updates
are sent with ``LarkClient.from_env()``. Both commands stop cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer

from lark_async.callbacks import (
    AppKeys,
    CallbackRouter,
    Callbacks,
    HandlerRetry,
    RegistryKeys,
    StaticKeys,
)
from lark_async.callbacks.http import DEFAULT_BODY_TIMEOUT
from lark_async.callbacks.keys import KeySource
from lark_async.callbacks.limits import DEFAULT_HEADER_TIMEOUT, ServerLimits
from lark_async.cli import print_error, state
from lark_async.core.errors import ConfigError, LarkError
from lark_async.core.loop import run as run_fast

__all__ = ["load_handlers", "serve_app", "static_keys_from_env", "worker_app"]

AMQP_ENV = "LARK_ASYNC_AMQP_URL"
SPOOL_ENV = "LARK_ASYNC_CALLBACK_SPOOL"
APP_ID_ENV = "LARK_ASYNC_APP_ID"
ENCRYPT_KEY_ENV = "LARK_ASYNC_ENCRYPT_KEY"
TOKEN_ENV = "LARK_ASYNC_VERIFICATION_TOKEN"
STATE_ENV = "LARK_ASYNC_STATE_URL"
ERROR_EXIT_CODE = 2

serve_app = typer.Typer(
    name="serve",
    help="Receive Feishu events and card callbacks over HTTP.",
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals hold keys
)
worker_app = typer.Typer(
    name="worker",
    help="Consume queued callbacks from RabbitMQ and run their handlers.",
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

Amqp = Annotated[
    str | None,
    typer.Option(
        "--amqp",
        envvar=AMQP_ENV,
        metavar="URL",
        help="RabbitMQ, e.g. amqp://user:pass@host:5672/ (default: an in-process queue).",
        show_default=False,
    ),
]
Queue = Annotated[
    str, typer.Option("--queue", metavar="NAME", help="Exchange and queue name prefix.")
]
Handlers = Annotated[
    str | None,
    typer.Option(
        "--handlers",
        metavar="MODULE:ATTR",
        help="A Callbacks or CallbackRouter with your handlers, e.g. myapp.callbacks:callbacks.",
        show_default=False,
    ),
]
State = Annotated[
    str | None,
    typer.Option(
        "--state",
        envvar=STATE_ENV,
        metavar="URL",
        help="postgresql://... holding the replay and processed-event memory shared by "
        "every ingress and worker (default: in this process only).",
        show_default=False,
    ),
]


# -- helpers ----------------------------------------------------------------------------


def load_handlers(spec: str) -> CallbackRouter:
    """The router named by ``module:attribute`` (a Callbacks or a CallbackRouter)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(
            f"--handlers must look like module:attribute, not {spec!r}",
            hint="e.g. --handlers myapp.callbacks:callbacks",
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: the current project is importable
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"cannot import {module_name}: {exc}",
            hint="run from your project directory, or install it",
        ) from None
    target = getattr(module, attribute, None)
    if isinstance(target, Callbacks):
        return target.router
    if isinstance(target, CallbackRouter):
        return target
    raise ConfigError(
        f"{spec} is {type(target).__name__}, not a Callbacks or CallbackRouter",
        hint="point --handlers at the object your @card_action/@event decorators use",
    )


def static_keys_from_env(env: Mapping[str, str]) -> StaticKeys | None:
    """One app's keys from LARK_ASYNC_APP_ID / _ENCRYPT_KEY / _VERIFICATION_TOKEN, if set."""
    encrypt_key = env.get(ENCRYPT_KEY_ENV) or None
    token = env.get(TOKEN_ENV) or None
    if encrypt_key is None and token is None:
        return None
    app_id = env.get(APP_ID_ENV)
    if not app_id:
        raise ConfigError(
            f"{ENCRYPT_KEY_ENV}/{TOKEN_ENV} are set but {APP_ID_ENV} is not",
            hint="say which app these keys belong to",
        )
    return StaticKeys({app_id: AppKeys(encrypt_key=encrypt_key, verification_token=token)})


def _registry_path(registry_path: str | None) -> str:
    """The registry to read keys from; ConfigError if there is none."""
    from lark_async.auth.registry import DEFAULT_REGISTRY_PATH, REGISTRY_PATH_ENV

    path = registry_path or os.environ.get(REGISTRY_PATH_ENV) or DEFAULT_REGISTRY_PATH
    if not os.path.exists(path):
        raise ConfigError(
            f"no callback keys: {ENCRYPT_KEY_ENV}/{TOKEN_ENV} are unset and there is no "
            f"registry at {path}",
            hint="register apps with `lark-async apps add`, or set the variables for one app",
        )
    return path


@asynccontextmanager
async def _key_source(static: StaticKeys | None, path: str) -> AsyncIterator[KeySource]:
    """The one app's keys from the environment, else the registry."""
    if static is not None:
        yield static
        return
    from lark_async.auth.crypto import SecretBox
    from lark_async.auth.registry import AppRegistry

    async with AppRegistry(path, SecretBox.from_env()) as registry:
        # AppRegistry.current() is exactly what RegistryKeys reads, so no adapter is needed.
        yield RegistryKeys(registry)


def _client() -> Any:
    """The client card updates go through, or None when no app credentials are set."""
    from lark_async.cli import client_from_env

    try:
        return client_from_env(None)  # with the root --registry, as send and bitable
    except ConfigError:
        return None


def _sigterm_as_sigint() -> None:
    """Until :func:`_until_stopped` takes over: SIGTERM while starting stops the way
    SIGINT does (asyncio cancels the main task, so clean-up runs), not a bare kill."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):  # asyncio.Runner's: it cancels the main task
        with contextlib.suppress(ValueError):  # not the main thread (embedded use)
            signal.signal(signal.SIGTERM, handler)


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _run(coro: Any) -> None:
    try:
        run_fast(coro)
    except LarkError as err:
        print_error(err)
        raise typer.Exit(ERROR_EXIT_CODE) from None


def _retry(max_attempts: int, delays: str) -> HandlerRetry:
    try:
        parsed = [float(d) for d in delays.split(",") if d.strip()]
    except ValueError:
        raise ConfigError(
            f"--retry-delays must be comma-separated seconds, not {delays!r}"
        ) from None
    return HandlerRetry(max_attempts, parsed)


# -- commands ---------------------------------------------------------------------------


@serve_app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    prefix: Annotated[str, typer.Option("--prefix", help="URL prefix of the routes.")] = "/lark",
    max_connections: Annotated[
        int | None,
        typer.Option(
            "--max-connections",
            help="Open connections at most; at the cap the oldest slow one is closed "
            "(default: the open-file limit less 256).",
            show_default=False,
        ),
    ] = None,
    header_timeout: Annotated[
        float,
        typer.Option(
            "--header-timeout", help="Seconds a new connection has to send its request head."
        ),
    ] = DEFAULT_HEADER_TIMEOUT,
    body_timeout: Annotated[
        float,
        typer.Option("--body-timeout", help="Seconds a request has to send its body (else 408)."),
    ] = DEFAULT_BODY_TIMEOUT,
    amqp: Amqp = None,
    queue: Queue = "lark.callbacks",
    spool: Annotated[
        str | None,
        typer.Option(
            "--spool",
            envvar=SPOOL_ENV,
            metavar="PATH",
            help="SQLite file holding callbacks while RabbitMQ is down "
            "(default with --amqp: lark-callbacks-spool.sqlite3).",
            show_default=False,
        ),
    ] = None,
    handlers: Handlers = None,
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Also consume the queue in this process.")
    ] = False,
    state_url: State = None,
    long_connection: Annotated[
        bool,
        typer.Option(
            "--long-connection",
            help="Receive over Feishu's WebSocket instead of HTTP (no public URL; "
            "the app of LARK_ASYNC_APP_ID / _APP_SECRET connects).",
        ),
    ] = False,
) -> None:
    """Serve POST {prefix}/{app_id}/events and /cards (and {prefix}/events, /cards for
    LARK_ASYNC_APP_ID). Without --amqp, handlers run here on an in-process queue."""
    registry = state(ctx).registry
    router = load_handlers(handlers) if handlers else CallbackRouter()
    if amqp is None and not len(router):
        print_error(
            ConfigError(
                "without --amqp, serve needs --handlers to run the callbacks itself",
                hint="pass --handlers module:attr, or --amqp URL and run `lark-async worker`",
            )
        )
        raise typer.Exit(ERROR_EXIT_CODE)
    if amqp is not None and spool is None:
        from lark_async.callbacks.spool import DEFAULT_SPOOL_PATH

        spool = DEFAULT_SPOOL_PATH
    if long_connection:
        _run(_serve_long_connection(amqp, queue, spool, router, with_worker, state_url))
        return
    try:
        limits = ServerLimits(header_timeout=header_timeout, max_connections=max_connections)
        static = static_keys_from_env(os.environ)
        path = "" if static is not None else _registry_path(registry)
    except LarkError as err:
        print_error(err)
        raise typer.Exit(ERROR_EXIT_CODE) from None
    _run(
        _serve(
            static,
            path,
            host,
            port,
            prefix,
            amqp,
            queue,
            spool,
            router,
            with_worker,
            state_url,
            limits=limits,
            body_timeout=body_timeout,
        )
    )


async def _serve(
    static: StaticKeys | None,
    registry: str,
    host: str,
    port: int,
    prefix: str,
    amqp: str | None,
    queue: str,
    spool: str | None,
    router: CallbackRouter,
    with_worker: bool,
    state_url: str | None = None,
    *,
    limits: ServerLimits | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
) -> None:
    from aiohttp import web

    _sigterm_as_sigint()
    lark = _client() if len(router) else None
    try:
        async with _key_source(static, registry) as keys, _shared_state(state_url) as shared:
            callbacks = Callbacks(
                keys,
                lark=lark,
                amqp_url=amqp,
                queue=queue,
                spool=spool,
                router=router,
                default_app_id=os.environ.get(APP_ID_ENV) or None,
                body_timeout=body_timeout,
                **shared,
            )
            run_worker = (amqp is None or with_worker) and len(router) > 0
            # With the slow-client limits (docs/callbacks.md, "Slow clients").
            runner = callbacks.runner(prefix, worker=run_worker, limits=limits, access_log=None)
            await runner.setup()
            try:
                await web.TCPSite(runner, host, port).start()
                typer.echo(f"lark-async serve: listening on http://{host}:{port}{prefix}/")
                await _until_stopped()
            finally:
                await runner.cleanup()
    finally:
        if lark is not None:
            await lark.aclose()


async def _serve_long_connection(
    amqp: str | None,
    queue: str,
    spool: str | None,
    router: CallbackRouter,
    with_worker: bool,
    state_url: str | None,
) -> None:
    """``serve --long-connection``: the default app's WebSocket feeds the same queue."""
    from lark_async.client import LarkClient

    _sigterm_as_sigint()
    lark = LarkClient.from_env()  # the app's id and secret open the connection
    try:
        async with _shared_state(state_url) as shared:
            callbacks = Callbacks(
                lark=lark,
                amqp_url=amqp,
                queue=queue,
                spool=spool,
                router=router,
                processed=shared.get("processed"),
            )
            run_worker = (amqp is None or with_worker) and len(router) > 0
            connection = callbacks.long_connection(lark, worker=run_worker)
            await connection.start()
            typer.echo(f"lark-async serve: long connection for {connection.app_id}")
            running = asyncio.ensure_future(connection.run())
            stopped = asyncio.ensure_future(_until_stopped())
            try:
                await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopped.cancel()
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running  # raises LongConnectionFailed if it gave up
                await connection.stop()
    finally:
        await lark.aclose()


@worker_app.command()
def worker(
    handlers: Annotated[
        str,
        typer.Option(
            "--handlers",
            metavar="MODULE:ATTR",
            help="A Callbacks or CallbackRouter with your handlers.",
            show_default=False,
        ),
    ],
    amqp: Annotated[
        str,
        typer.Option("--amqp", envvar=AMQP_ENV, metavar="URL", help="RabbitMQ URL."),
    ],
    queue: Queue = "lark.callbacks",
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Handlers running at once.")
    ] = 16,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", help="Tries before a callback is dead-lettered.")
    ] = 5,
    retry_delays: Annotated[
        str, typer.Option("--retry-delays", help="Seconds before each retry, comma-separated.")
    ] = "1,5,30,120",
    state_url: State = None,
    claim_lease: Annotated[
        float,
        typer.Option(
            "--claim-lease",
            help="With --state: seconds a claimed event stays claimed; longer than a "
            "handler runs (a worker that dies frees its events after this).",
        ),
    ] = 300.0,
) -> None:
    """Consume callbacks from RabbitMQ; ack, retry with backoff, or dead-letter."""
    router = load_handlers(handlers)
    retry = _retry(max_attempts, retry_delays)
    _run(_work(router, amqp, queue, concurrency, retry, state_url, claim_lease))


async def _work(
    router: CallbackRouter,
    amqp: str,
    queue: str,
    concurrency: int,
    retry: HandlerRetry,
    state_url: str | None = None,
    claim_lease: float = 300.0,
) -> None:
    lark = _client()
    if lark is None:
        typer.echo("lark-async worker: no app credentials; card updates will be dead-lettered")
    try:
        async with _shared_state(state_url, claim_lease) as shared:
            callbacks = Callbacks(
                lark=lark,
                amqp_url=amqp,
                queue=queue,
                router=router,
                retry=retry,
                concurrency=concurrency,
                processed=shared.get("processed"),
            )
            await callbacks.start(ingress=False)
            typer.echo(f"lark-async worker: consuming {queue} ({len(router)} handlers)")
            try:
                await _until_stopped()
            finally:
                await callbacks.close()
    finally:
        if lark is not None:
            await lark.aclose()


@asynccontextmanager
async def _shared_state(
    url: str | None, claim_lease: float = 300.0
) -> AsyncIterator[dict[str, Any]]:
    """``Callbacks`` keyword arguments for ``--state`` (none without it)."""
    if not url:
        yield {}
        return
    from lark_async.shared import callback_state

    shared = callback_state(url, lease=claim_lease)
    try:
        yield {"shared_replay": shared.replay, "processed": shared.processed}
    finally:
        await shared.aclose()

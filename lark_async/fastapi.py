"""FastAPI integration: a lifespan that owns the client, a dependency, error handlers.

    from fastapi import FastAPI
    from lark_async.fastapi import Lark, add_exception_handlers, lifespan

    app = FastAPI(lifespan=lifespan())          # LarkClient.from_env(), closed on shutdown
    add_exception_handlers(app)                 # LarkError -> HTTP status + JSON body

    @app.post("/notify")
    async def notify(lark: Lark) -> dict[str, str]:
        ...

Needs the ``fastapi`` extra (``pip install 'lark-async[fastapi]'``); importing this
module without FastAPI is a ConfigError saying so. See docs/fastapi.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any

from lark_async.client import AppClient, LarkClient
from lark_async.core.errors import ConfigError, ErrorKind, LarkError

try:
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import JSONResponse
except ImportError:  # pragma: no cover - the test environment has FastAPI
    raise ConfigError(
        "lark_async.fastapi needs FastAPI, which is not installed",
        hint="pip install 'lark-async[fastapi]'",
        details={"extra": "fastapi"},
    ) from None

if TYPE_CHECKING:
    from lark_async.callbacks.app import Callbacks

__all__ = [
    "STATE_KEY",
    "STATUS_BY_KIND",
    "Lark",
    "LarkApp",
    "add_exception_handlers",
    "error_body",
    "get_lark",
    "get_lark_app",
    "lifespan",
    "status_for",
]

#: Where the lifespan keeps the client: ``app.state.lark``.
STATE_KEY = "lark"

#: The HTTP status each error kind is answered with (override per app, see
#: ``add_exception_handlers(statuses=...)``). Failures of Feishu itself or of the
#: way to it are the gateway's (502/504), not the caller's fault.
STATUS_BY_KIND: Mapping[ErrorKind, int] = MappingProxyType(
    {
        ErrorKind.INVALID_PARAMETER: 400,
        ErrorKind.PERMISSION_DENIED: 403,
        ErrorKind.NOT_FOUND: 404,
        ErrorKind.CONFLICT: 409,
        ErrorKind.RATE_LIMITED: 429,
        ErrorKind.QUOTA_EXCEEDED: 429,
        ErrorKind.CONFIG_ERROR: 500,
        ErrorKind.TOKEN_INVALID: 502,
        ErrorKind.SERVER: 502,
        ErrorKind.NETWORK: 502,
        ErrorKind.UNKNOWN: 502,
        ErrorKind.TIMEOUT: 504,
    }
)

ClientSource = LarkClient | AppClient | Callable[[], LarkClient | AppClient]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def lifespan(
    client: ClientSource | None = None,
    *,
    callbacks: Callbacks | None = None,
    close_client: bool = True,
    **client_options: Any,
) -> Lifespan:
    """A FastAPI lifespan that opens the client at startup and closes it at shutdown.

    ``client``: a ``LarkClient`` or ``AppClient``, or a function making one (called
    at startup, on the application's event loop); None: ``LarkClient.from_env``
    with ``client_options`` overriding the environment. ``close_client=False``
    leaves a client you passed open. ``callbacks``: a ``Callbacks`` started after
    the client and closed before it (mount its routes yourself). The client is
    ``app.state.lark``; :func:`get_lark` returns it.
    Compose it with your own lifespan: ``async with lark_lifespan(app): yield``.
    """
    if client is not None and client_options:
        raise ConfigError(
            "pass client= or LarkClient keyword arguments, not both",
            hint="build the client with those arguments, or drop client=",
            details={"argument": "client"},
        )
    unknown = sorted(set(client_options) - _client_arguments())
    if unknown:  # now, not when the application starts
        raise ConfigError(
            f"lifespan got unknown LarkClient argument(s): {', '.join(unknown[:5])}",
            hint="LarkClient's keyword arguments: app_id, app_secret, domain, ... "
            "(see docs/configuration.md)",
            details={"argument": unknown[0]},
        )
    if not isinstance(close_client, bool):
        raise ConfigError(
            f"close_client must be True or False, not {type(close_client).__name__}",
            details={"argument": "close_client"},
        )
    if (
        client is not None
        and not isinstance(client, LarkClient | AppClient)
        and not callable(client)
    ):
        raise ConfigError(
            f"client must be a LarkClient, an AppClient or a function making one, "
            f"not {type(client).__name__}",
            details={"argument": "client"},
        )
    if callbacks is not None:
        _check_callbacks(callbacks)

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        opened = _open(client, client_options)
        lark = opened if isinstance(opened, LarkClient) else _parent(opened)
        owned = client is None or not isinstance(client, LarkClient | AppClient) or close_client
        try:
            await lark.__aenter__()
            if callbacks is not None:
                await _start_callbacks(callbacks)
            try:
                app.state.lark = lark
                app.state.lark_app = opened if isinstance(opened, AppClient) else None
                yield
            finally:
                if callbacks is not None:
                    await callbacks.close()
        finally:
            if owned:
                await lark.aclose()

    return run


def _client_arguments() -> set[str]:
    import inspect

    return {
        name
        for name, p in inspect.signature(LarkClient.__init__).parameters.items()
        if name != "self" and p.kind is not p.VAR_KEYWORD
    }


def _open(client: ClientSource | None, options: Mapping[str, Any]) -> LarkClient | AppClient:
    if client is None:
        return LarkClient.from_env(**options)
    if isinstance(client, LarkClient | AppClient):
        return client
    made = client()
    if not isinstance(made, LarkClient | AppClient):
        raise ConfigError(
            f"the client function returned a {type(made).__name__}, "
            "not a LarkClient or an AppClient",
            details={"argument": "client"},
        )
    return made


def _parent(app_client: AppClient) -> LarkClient:
    # An AppClient is one app's view of a LarkClient: the lifespan owns the LarkClient.
    parent = app_client._client
    assert isinstance(parent, LarkClient)
    return parent


def _check_callbacks(callbacks: Any) -> None:
    if not all(callable(getattr(callbacks, m, None)) for m in ("start", "close")):
        raise ConfigError(
            f"callbacks must be a Callbacks, not {type(callbacks).__name__}",
            details={"argument": "callbacks"},
        )


async def _start_callbacks(callbacks: Callbacks) -> None:
    # Like Callbacks.web_app(): receive when it has keys, consume when it has handlers.
    ingress = getattr(callbacks, "ingress", None) is not None
    worker = len(callbacks.router) > 0
    if not ingress and not worker:
        raise ConfigError(
            "callbacks has no keys and no handlers, so there is nothing to start",
            hint="pass keys= to Callbacks, or register handlers with @callbacks.event(...)",
            details={"argument": "callbacks"},
        )
    await callbacks.start(ingress=ingress, worker=worker)


# --- dependencies -----------------------------------------------------------------------
def get_lark(request: Request) -> LarkClient:
    """The client the lifespan opened (a FastAPI dependency: ``Depends(get_lark)``)."""
    lark = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(lark, LarkClient):
        raise ConfigError(
            "no LarkClient on app.state: the application was not started with "
            "lark_async.fastapi.lifespan",
            hint="FastAPI(lifespan=lifespan(...)), or call it from your own lifespan",
        )
    return lark


def get_lark_app(request: Request) -> AppClient:
    """The AppClient given to the lifespan, else the client's default app."""
    lark = get_lark(request)
    given = getattr(request.app.state, "lark_app", None)
    return given if isinstance(given, AppClient) else lark.default_app


#: ``async def route(lark: Lark)``: the client, injected.
Lark = Annotated[LarkClient, Depends(get_lark)]
#: ``async def route(app: LarkApp)``: one app's client, injected.
LarkApp = Annotated[AppClient, Depends(get_lark_app)]


# --- errors -----------------------------------------------------------------------------
def status_for(err: LarkError, statuses: Mapping[ErrorKind, int] | None = None) -> int:
    """The HTTP status ``err`` is answered with (``statuses`` first, then the defaults)."""
    if statuses is not None and err.kind in statuses:
        return statuses[err.kind]
    return STATUS_BY_KIND.get(err.kind, 502)


def error_body(err: LarkError) -> dict[str, Any]:
    """The JSON body of an error answer: what the caller may see, never a secret.

    ``{"error": {"kind", "code", "message", "hint", "retryable", "log_id",
    "request_id"}}`` plus ``"outcome_unknown": true`` for a write that may have
    been applied. The messages of LarkError never carry tokens or secrets.
    """
    body: dict[str, Any] = {
        "kind": err.kind.value,
        "code": err.code,
        "message": err.message,
        "hint": err.hint,
        "retryable": err.retryable,
        "log_id": err.log_id,
        "request_id": err.request_id,
    }
    if getattr(err, "outcome_unknown", False):
        body["outcome_unknown"] = True
    return {"error": body}


def add_exception_handlers(
    app: FastAPI, *, statuses: Mapping[ErrorKind, int] | None = None
) -> None:
    """Answer every ``LarkError`` a route raises with its status and :func:`error_body`.

    ``statuses`` overrides :data:`STATUS_BY_KIND` for some kinds, e.g.
    ``{ErrorKind.TOKEN_INVALID: 401}`` when routes act as the signed-in user.
    """
    if not callable(getattr(app, "add_exception_handler", None)):
        raise ConfigError(
            f"app must be a FastAPI (or Starlette) application, not {type(app).__name__}",
            details={"argument": "app"},
        )
    overrides = dict(statuses or {})
    for kind, status in overrides.items():
        if not isinstance(kind, ErrorKind):
            raise ConfigError(
                f"statuses keys must be ErrorKind members, not {kind!r}",
                details={"argument": "statuses"},
            )
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise ConfigError(
                f"statuses[{kind.value}] must be an HTTP error status (400-599), not {status!r}",
                details={"argument": "statuses"},
            )

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LarkError)
        return JSONResponse(error_body(exc), status_code=status_for(exc, overrides))

    app.add_exception_handler(LarkError, handle)

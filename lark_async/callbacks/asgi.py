"""The callback routes as a plain ASGI application, to mount in FastAPI, Starlette, …

    app = FastAPI(lifespan=lifespan)          # the lifespan starts and closes `callbacks`
    app.mount("/lark", callbacks.asgi())      # POST /lark/{app_id}/cards, /lark/{app_id}/events

The routes, verification, queueing and answers are those of the aiohttp server:
both are thin adapters around :meth:`CallbackIngress.answer
<lark_async.callbacks.http.CallbackIngress.answer>`. Paths are taken relative to the
mount (``scope["root_path"]``, stripped from ``scope["path"]`` as Starlette's
``Mount`` expects). The body is read with the ingress's size cap and
``body_timeout``. Mounted, the application's lifespan must start and close the
callbacks; served on its own (``uvicorn module:app``), this app handles the
lifespan messages itself.

No framework is imported: the ASGI protocol is a few dicts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy

from lark_async.callbacks.http import NOT_STARTED, ClientGone, HttpAnswer
from lark_async.core.logging import get_logger

if TYPE_CHECKING:
    from lark_async.callbacks.http import CallbackIngress

__all__ = ["CallbackAsgi"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ENDPOINTS = ("events", "cards")
_NOT_FOUND = HttpAnswer.json({"msg": "not found"}, 404)


class CallbackAsgi:
    """An ASGI app serving ``{prefix}/{app_id}/events|cards`` (and the default app's routes).

    ``start`` / ``stop``: what the lifespan messages run when this app receives
    them itself (not mounted); ``started``: whether requests may be taken.
    """

    def __init__(
        self,
        ingress: CallbackIngress,
        *,
        prefix: str = "",
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
        started: Callable[[], bool],
    ) -> None:
        self.ingress = ingress
        self.prefix = prefix
        self._start = start
        self._stop = stop
        self._started = started

    def __repr__(self) -> str:
        return f"CallbackAsgi(prefix={self.prefix!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": type(exc).__name__})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self._stop()
                except Exception as exc:
                    await send({"type": "lifespan.shutdown.failed", "message": type(exc).__name__})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint, app_id = self._route(_route_path(scope))
        if endpoint is None:
            await _send(send, _NOT_FOUND)
            return
        if scope["method"] != "POST":
            await _send(send, HttpAnswer.json({"msg": "method not allowed"}, 405), allow=True)
            return
        if not self._started():
            get_logger().error(
                "lark.callback.not_started",
                hint="start the callbacks in the application's lifespan (docs/callbacks.md)",
            )
            await _send(send, NOT_STARTED)
            return
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in scope["headers"]:
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        client = scope.get("client")
        answer = await self.ingress.answer(
            endpoint,
            app_id,
            CIMultiDictProxy(headers),
            lambda limit: _read_body(receive, limit),
            content_length=_content_length(headers),
            remote=str(client[0]) if client else None,
        )
        try:
            await _send(send, answer)
        finally:
            answer.sent()

    def _route(self, path: str) -> tuple[str | None, str | None]:
        """(endpoint, app_id) for ``path`` relative to the mount, or (None, None).

        Whatever stands before ``/events`` or ``/cards`` is the app id, checked by
        the ingress (which rejects and logs a malformed one, as under aiohttp).
        """
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return None, None
            path = path[len(self.prefix) :]
        for endpoint in _ENDPOINTS:
            if path == f"/{endpoint}":
                if self.ingress.default_app_id is None:
                    return None, None
                return endpoint, None
            suffix = f"/{endpoint}"
            if path.startswith("/") and path.endswith(suffix) and len(path) > len(suffix) + 1:
                return endpoint, path[1 : -len(suffix)]
        return None, None


def _route_path(scope: Scope) -> str:
    """The path below the mount: ``path`` without ``root_path`` (as Starlette mounts do)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "") or ""
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :]
    return path


def _content_length(headers: CIMultiDict[str]) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.isdigit():
        return None
    return int(value)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The body, or None once it is over ``limit``; ClientGone if the client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone("disconnect")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, answer: HttpAnswer, *, allow: bool = False) -> None:
    headers = [
        (b"content-type", answer.content_type.encode()),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    if allow:
        headers.append((b"allow", b"POST"))
    if answer.close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})

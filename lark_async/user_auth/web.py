"""The redirect URL's handler: an aiohttp handler and its ASGI twin.

Both read ``code`` and ``state`` from the query, call ``complete`` and answer
a short HTML page. ``target`` is a ``LarkClient`` (the state names the app) or
one app's ``UserAuth``.

    app.router.add_get("/lark/oauth", aiohttp_redirect_handler(lark))
    fastapi_app.mount("/lark/oauth", RedirectASGI(lark))
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from lark_async.auth.oauth import peek_state
from lark_async.auth.user_models import AuthSessionInvalid
from lark_async.core.errors import LarkError
from lark_async.core.logging import get_logger

if TYPE_CHECKING:
    from aiohttp import web

    from lark_async.user_auth.service import UserAuth

_DONE = "You are signed in. You can close this page and go back to Feishu."
_AGAIN = "This authorisation link has expired or was already used. Please start again."
_DENIED = "The authorisation was declined. Nothing was shared."
_FAILED = "The authorisation could not be completed. Please try again in a moment."


def _page(title: str, text: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(text)}</p></body></html>"
    )


def _resolve(target: Any, state: str) -> UserAuth:
    if hasattr(target, "complete"):
        return target  # type: ignore[no-any-return]
    app_id = peek_state(state).app_id  # checked for real (signature) by complete()
    return target.app(app_id).user_auth  # type: ignore[no-any-return]


async def answer(target: Any, query: Mapping[str, str]) -> tuple[int, str]:
    """(HTTP status, HTML page) for one redirect."""
    state = query.get("state", "")
    if query.get("error"):
        return 400, _page("Not authorised", _DENIED)
    try:
        auth = _resolve(target, state)
        session = await auth.complete(query.get("code", ""), state)
    except AuthSessionInvalid:
        return 400, _page("Link expired", _AGAIN)
    except LarkError as err:
        get_logger().warning(
            "lark.user_auth.redirect", outcome="failed", error_kind=err.kind.value, code=err.code
        )
        return 502, _page("Try again", _FAILED)
    get_logger().info("lark.user_auth.redirect", outcome="completed", open_id=session.open_id)
    return 200, _page("Authorised", _DONE)


def aiohttp_redirect_handler(target: Any) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for the redirect URL (GET)."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        status, body = await answer(target, request.query)
        return web.Response(status=status, text=body, content_type="text/html")

    return handler


class RedirectASGI:
    """The same handler as an ASGI app (``fastapi_app.mount("/oauth", RedirectASGI(lark))``)."""

    def __init__(self, target: Any) -> None:
        self.target = target

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope.get("type") == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope.get("type") != "http":
            return
        if scope.get("method", "GET") not in ("GET", "HEAD"):
            status, body = 405, _page("Method not allowed", "Use GET.")
        else:
            raw = scope.get("query_string", b"").decode("latin-1")
            query = dict(parse_qsl(raw, keep_blank_values=True))
            status, body = await answer(self.target, query)
        data = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(data)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

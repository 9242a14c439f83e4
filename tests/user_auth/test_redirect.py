"""The redirect URL's handlers: aiohttp and ASGI call complete() and answer a short page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from lark_async.user_auth import RedirectASGI, aiohttp_redirect_handler
from tests.user_auth.conftest import REDIRECT, Env


async def _start(env: Env) -> str:
    session = await env.lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
    return env.fake.oauth.approve(session.url, env.user)


async def test_aiohttp_handler_completes_once(env: Env) -> None:
    app = web.Application()
    app.router.add_get("/lark/oauth", aiohttp_redirect_handler(env.lark))
    redirect = await _start(env)
    query = urlsplit(redirect).query
    async with TestClient(TestServer(app)) as http:
        resp = await http.get(f"/lark/oauth?{query}")
        assert resp.status == 200 and "Authorised" in await resp.text()
        again = await http.get(f"/lark/oauth?{query}")  # a replayed redirect
        assert again.status == 400 and "start again" in await again.text()
        denied = await http.get("/lark/oauth?error=access_denied&state=x")
        assert denied.status == 400 and "declined" in await denied.text()
    assert (await env.lark.user_auth.grant(env.user)) is not None


async def _asgi(app: RedirectASGI, query: str, method: str = "GET") -> tuple[int, str]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "query_string": query.encode(), "path": "/"}
    await app(scope, receive, send)
    return sent[0]["status"], sent[1]["body"].decode()


async def test_asgi_twin_answers_the_same(env: Env) -> None:
    app = RedirectASGI(env.lark.user_auth)  # one app's UserAuth works too
    query = urlsplit(await _start(env)).query
    status, body = await _asgi(app, query)
    assert status == 200 and "Authorised" in body
    assert (await _asgi(app, query))[0] == 400
    assert (await _asgi(app, "code=x&state=garbage"))[0] == 400
    assert (await _asgi(app, query, method="POST"))[0] == 405

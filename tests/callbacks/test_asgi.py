"""``callbacks.asgi()``: mounted in FastAPI, or served alone; paths, lifespan, body limits.

The verification, dedupe and answers are those of the aiohttp server (one code path,
``CallbackIngress.answer``); test_ingress.py runs its security and happy-path tests
through FastAPI + httpx and through uvicorn too. Here: what only the adapter does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
import pytest
from fastapi import FastAPI

from lark_async.callbacks import CallbackEvent, Callbacks
from lark_async.core.errors import ConfigError

from .asgi_servers import HttpxSender, fastapi_app, httpx_client, uvicorn_server
from .conftest import APP, EK, KEYS, VT


def _events(callbacks: Callbacks, seen: list[str]) -> None:
    @callbacks.event()
    async def anything(event: CallbackEvent) -> None:
        seen.append(event.event_type)


def _sender(client: httpx.AsyncClient, events_url: str) -> HttpxSender:
    return HttpxSender(
        APP,
        client=client,
        encrypt_key=EK,
        verification_token=VT,
        events_url=events_url,
        cards_url=events_url.replace("/events", "/cards"),
        retry_schedule=(),
    )


async def test_nested_mount_and_default_app_routes() -> None:
    callbacks = Callbacks(KEYS, default_app_id=APP)
    seen: list[str] = []
    _events(callbacks, seen)
    app = FastAPI()
    inner = FastAPI(lifespan=lambda _: _started(callbacks))
    inner.mount("/lark", callbacks.asgi())
    app.mount("/feishu", inner)
    async with inner.router.lifespan_context(inner), _client(app) as client:
        for path in (f"/feishu/lark/{APP}/events", "/feishu/lark/events"):
            sender = _sender(client, f"http://testserver{path}")
            delivery = await sender.event(sender.message_body("hi"))
            assert delivery.delivered, delivery
            challenge = await sender.url_verification(challenge="c-1")
            assert challenge.body == {"challenge": "c-1"}
        await callbacks.drain()
    assert seen == ["im.message.receive_v1", "im.message.receive_v1"]


async def test_paths_and_methods_outside_the_routes() -> None:
    callbacks = Callbacks(KEYS)  # no default app: /lark/events is not a route
    async with httpx_client(fastapi_app(callbacks, worker=False)) as client:
        for path in ("/lark/events", "/lark/", f"/lark/{APP}/other", f"/lark/{APP}"):
            resp = await client.post(path, content=b"{}")
            assert (resp.status_code, resp.json()) == (404, {"msg": "not found"}), path
        resp = await client.get(f"/lark/{APP}/cards")
        assert resp.status_code == 405 and resp.headers["allow"] == "POST"
        assert resp.json() == {"msg": "method not allowed"}
        assert (await client.get("/health")).json() == {"ok": True}  # the host app is intact
    assert callbacks.ingress is not None and callbacks.ingress.stats.received == 0


async def test_a_mount_whose_lifespan_did_not_start_the_callbacks_answers_503(
    log_lines: list[str],
) -> None:
    callbacks = Callbacks(KEYS)
    app = FastAPI()  # no lifespan: nothing starts the callbacks
    app.mount("/lark", callbacks.asgi())
    async with _client(app) as client:
        resp = await client.post(f"/lark/{APP}/events", content=b"{}")
    assert resp.status_code == 503
    assert any("lark.callback.not_started" in line for line in log_lines)


async def test_served_alone_its_lifespan_starts_and_closes_the_callbacks() -> None:
    callbacks = Callbacks(KEYS)
    seen: list[str] = []
    _events(callbacks, seen)
    asgi = callbacks.asgi(prefix="/lark")
    assert callbacks.ingress is not None
    async with uvicorn_server(asgi) as base:
        assert callbacks.ingress.started  # uvicorn sent lifespan.startup
        async with aiohttp.ClientSession() as http:
            from lark_async.testing.callbacks import CallbackSender

            async with CallbackSender(
                APP,
                encrypt_key=EK,
                verification_token=VT,
                events_url=f"{base}/lark/{APP}/events",
                retry_schedule=(),
                session=http,
            ) as sender:
                delivery = await sender.event(sender.message_body("hi"))
                assert delivery.delivered
                forged = await sender.post(
                    f"{base}/lark/{APP}/events", {"X-Lark-Signature": "0" * 64}, b"{}"
                )
                assert (forged.status, forged.body) == (401, {"msg": "unauthorized"})
        await callbacks.drain()
    assert not callbacks.ingress.started  # ... and lifespan.shutdown closed them
    assert seen == ["im.message.receive_v1"]


async def test_lifespan_failure_is_reported_to_the_server() -> None:
    callbacks = Callbacks(KEYS)  # no handlers: start(worker=True) refuses
    asgi = callbacks.asgi(worker=True)
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await asgi({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.failed", "message": "ConfigError"}]


# -- the body: size cap, deadline, a client that leaves ------------------------------


@asynccontextmanager
async def _running(**kwargs: Any) -> AsyncIterator[Callbacks]:
    callbacks = Callbacks(KEYS, **kwargs)
    await callbacks.start(worker=False)
    try:
        yield callbacks
    finally:
        await callbacks.close()


async def _call(
    callbacks: Callbacks, receive: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/lark/{APP}/events",
        "root_path": "/lark",
        "headers": headers or [],
        "client": ("127.0.0.1", 5000),
    }
    await callbacks.asgi()(scope, receive, send)
    return sent


async def test_a_body_that_stalls_is_answered_408_within_body_timeout(
    log_lines: list[str],
) -> None:
    async with _running(body_timeout=0.2) as callbacks:
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b'{"encrypt": ', "more_body": True}
            await asyncio.Event().wait()  # the rest never comes
            raise AssertionError("unreachable")

        loop = asyncio.get_running_loop()
        started = loop.time()
        sent = await asyncio.wait_for(_call(callbacks, receive), 5)
        assert loop.time() - started < 2.0
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"]) == {"msg": "request timeout"}
    assert (b"connection", b"close") in sent[0]["headers"]
    [line] = [json.loads(x) for x in log_lines if "lark.callback.rejected" in x]
    assert (line["reason"], line["status"]) == ("body_timeout", 408)


async def test_a_streamed_body_over_the_cap_is_answered_413_without_reading_on() -> None:
    async with _running(max_body_bytes=1000) as callbacks:
        reads = 0

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            return {"type": "http.request", "body": b"A" * 400, "more_body": True}

        sent = await _call(callbacks, receive)
        assert sent[0]["status"] == 413 and reads == 3
        declared = await _call(callbacks, receive, [(b"content-length", b"5000")])
        assert declared[0]["status"] == 413 and reads == 3  # refused on its header
        assert callbacks.ingress is not None
        assert callbacks.ingress.stats.rejected["too_large"] == 2


async def test_a_client_that_leaves_mid_body_is_counted_not_rejected(
    log_lines: list[str],
) -> None:
    async with _running() as callbacks:
        messages = iter(
            [
                {"type": "http.request", "body": b'{"enc', "more_body": True},
                {"type": "http.disconnect"},
            ]
        )

        async def receive() -> dict[str, Any]:
            return next(messages)

        await _call(callbacks, receive)
        assert callbacks.ingress is not None
        assert callbacks.ingress.stats.client_gone == 1
        assert not callbacks.ingress.stats.rejected
    assert not any("lark.callback.rejected" in line for line in log_lines)
    assert [json.loads(x)["event"] for x in log_lines if "client_gone" in x] == [
        "lark.callback.client_gone"
    ]


def test_asgi_needs_keys_and_a_valid_prefix() -> None:
    with pytest.raises(ConfigError, match="no keys"):
        Callbacks().asgi()
    with pytest.raises(ConfigError, match="prefix"):
        Callbacks(KEYS).asgi("lark")
    assert repr(Callbacks(KEYS).asgi("/lark/")) == "CallbackAsgi(prefix='/lark')"


# -- helpers -------------------------------------------------------------------------


@asynccontextmanager
async def _started(callbacks: Callbacks) -> AsyncIterator[None]:
    async with callbacks:
        yield


@asynccontextmanager
async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_handlers_registered_after_asgi_still_run_when_served_alone() -> None:
    # app = callbacks.asgi() at the top of a module, the decorators below it:
    # `uvicorn module:app` must still consume the in-process queue.
    callbacks = Callbacks(KEYS)
    asgi = callbacks.asgi(prefix="/lark")
    seen: list[str] = []
    _events(callbacks, seen)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.create_task(asgi({"type": "lifespan"}, inbox.get, sent.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await sent.get())["type"] == "lifespan.startup.complete"
    try:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            sender = _sender(client, f"http://testserver/lark/{APP}/events")
            assert (await sender.event(sender.message_body("hi"))).delivered
        async with asyncio.timeout(10):
            await callbacks.drain()
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await sent.get())["type"] == "lifespan.shutdown.complete"
        await lifespan
    assert seen == ["im.message.receive_v1"]


async def test_aiohttp_and_asgi_answer_paths_and_methods_alike() -> None:
    # The same request to `lark-async serve` (aiohttp) and to the mount gets the
    # same status and body: aiohttp's own "404: Not Found" text pages included.
    from aiohttp.test_utils import TestClient, TestServer

    callbacks = Callbacks(KEYS, default_app_id=APP)
    requests = [
        ("POST", "/lark/nope"),
        ("POST", f"/lark/{APP}/events/"),
        ("POST", f"/lark/a/{APP}/events"),
        ("POST", "/lark//events"),
        ("GET", f"/lark/{APP}/events"),
        ("PUT", f"/lark/{APP}/cards"),
        ("OPTIONS", "/lark/cards"),
        ("POST", f"/lark/{APP}/events"),
    ]
    aiohttp_answers = []
    async with TestClient(TestServer(callbacks.web_app(worker=False))) as client:
        for method, path in requests:
            resp = await client.request(method, path, data=b"{}")
            allow = resp.headers.get("Allow")
            aiohttp_answers.append((resp.status, await resp.read(), allow))
    asgi_answers = []
    async with httpx_client(fastapi_app(callbacks, worker=False)) as http:
        for method, path in requests:
            resp = await http.request(method, path, content=b"{}")
            asgi_answers.append((resp.status_code, resp.content, resp.headers.get("allow")))
    assert aiohttp_answers == asgi_answers
    assert aiohttp_answers[0][:2] == (404, b'{"msg": "not found"}')
    assert aiohttp_answers[4] == (405, b'{"msg": "method not allowed"}', "POST")

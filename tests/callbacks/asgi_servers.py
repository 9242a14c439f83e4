"""Serving ``callbacks.asgi()`` for tests: mounted in FastAPI, through httpx or uvicorn.

- ``fastapi_app(callbacks)``: a FastAPI app whose lifespan starts and closes the
  callbacks, with ``callbacks.asgi()`` mounted at ``/lark`` (as docs/callbacks.md shows);
- ``HttpxSender``: a ``CallbackSender`` that posts through an ``httpx.AsyncClient``
  (``ASGITransport``: no socket at all);
- ``uvicorn_server(app)``: a real uvicorn server on 127.0.0.1; yields its base URL.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from lark_async.callbacks import Callbacks
from lark_async.testing.callbacks import CallbackSender
from lark_async.testing.callbacks.sender import Delivery


def fastapi_app(callbacks: Callbacks, *, worker: bool | None = None, mount: str = "/lark") -> Any:
    """FastAPI with the callbacks mounted and started by the application's lifespan."""
    run_worker = len(callbacks.router) > 0 if worker is None else worker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await callbacks.start(worker=run_worker)
        try:
            yield
        finally:
            await callbacks.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    app.mount(mount, callbacks.asgi(worker=worker))
    return app


@asynccontextmanager
async def httpx_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``app`` in-process, inside the app's lifespan."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


class HttpxSender(CallbackSender):
    """A CallbackSender whose requests go through an httpx client (ASGITransport)."""

    def __init__(self, *args: Any, client: httpx.AsyncClient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    async def post(
        self,
        url: str,
        headers: dict[str, str],
        raw: Any,
        *,
        kind: str = "raw",
        payload: dict[str, Any] | None = None,
    ) -> Delivery:
        at = time.time()
        started = time.perf_counter()
        resp = await self.client.post(url, content=raw, headers=headers, timeout=3.0)
        try:
            answer = resp.json() if resp.content else None
        except ValueError:
            answer = resp.text
        delivery = Delivery(
            url=url,
            kind=kind,
            status=resp.status_code,
            body=answer,
            elapsed=time.perf_counter() - started,
            at=at,
            payload=payload,
        )
        self.deliveries.append(delivery)
        return delivery


@asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn (lifespan on) on a free port; yields the base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()

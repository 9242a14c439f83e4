"""The whole picture for a test: emulator + IM + client + Callbacks served over HTTP + a sender."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from lark_async import LarkClient
from lark_async.callbacks import (
    Callbacks,
    Decision,
    Envelope,
    MemoryBroker,
    QueueUnavailable,
)
from lark_async.testing import FakeLark
from lark_async.testing.callbacks import CallbackSender
from lark_async.testing.im import ImEmulator

from .asgi_servers import HttpxSender, fastapi_app, httpx_client, uvicorn_server
from .conftest import APP, EK, KEYS, VT, card, serve

APP_SECRET = "cb-test-app-secret-0001"


class SwitchableBroker(MemoryBroker):
    """An in-process broker that a test can take down (publishes then fail)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.down = False
        self.published: list[Envelope] = []

    @property
    def available(self) -> bool:
        return not self.down and super().available

    def up(self) -> None:
        self.down = False
        for callback in self._listeners:
            callback()

    async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
        if self.down:
            raise QueueUnavailable("test broker is down")
        self.published.append(envelope)
        await super().publish(envelope, timeout=timeout, delay=delay)

    async def dead_letter(self, envelope: Envelope, reason: str, *, timeout: float) -> None:
        if self.down:
            raise QueueUnavailable("test broker is down")
        await super().dead_letter(envelope, reason, timeout=timeout)


@dataclass
class Stack:
    fake: FakeLark
    im: ImEmulator
    lark: LarkClient
    callbacks: Callbacks
    base: str
    sender: CallbackSender
    chat_id: str
    calls: list[str] = field(default_factory=list)  # event ids handlers saw

    async def send_card(self, state: str = "审批中") -> str:
        resp = await self.lark.request(
            "POST",
            "/open-apis/im/v1/messages",
            params={"receive_id_type": "chat_id"},
            json={
                "receive_id": self.chat_id,
                "msg_type": "interactive",
                "content": json.dumps(card(state), ensure_ascii=False),
            },
        )
        return str(resp.unwrap()["message_id"])

    def card_state(self, message_id: str) -> str:
        content = json.loads(self.im.message(message_id)["body"]["content"])
        return str(content["elements"][0]["text"]["content"])

    def token_for(self, message_id: str) -> str:
        return self.im.issue_card_token(message_id)


# How the callbacks are served: aiohttp (``web_app()``), or ``asgi()`` mounted in
# FastAPI and reached through httpx's ASGITransport or a real uvicorn server.
SERVERS = ("aiohttp", "fastapi", "uvicorn")


@asynccontextmanager
async def stack(
    *,
    register: Callable[[Callbacks, list[str]], None] | None = None,
    worker: bool | None = None,
    server: str = "aiohttp",
    **callbacks_kwargs: Any,
) -> AsyncIterator[Stack]:
    """Everything wired; ``register(callbacks, calls)`` adds handlers before start.

    ``worker=False`` leaves queued envelopes for the test (see ``consume_all``).
    ``server``: one of ``SERVERS``; every one serves ``{base}/lark/{app_id}/...``.
    """
    async with FakeLark() as fake:
        fake.add_app(APP, APP_SECRET)
        im = ImEmulator.of(fake)
        chat_id = im.add_chat(name="approvals")
        async with LarkClient(APP, APP_SECRET, domain=fake.url, client_rate_limit=False) as lark:
            callbacks_kwargs.setdefault("answer_grace", 0.0)
            keys = callbacks_kwargs.pop("keys", KEYS)
            callbacks = Callbacks(keys, lark=lark, **callbacks_kwargs)
            calls: list[str] = []
            if register is not None:
                register(callbacks, calls)
            assert callbacks.ingress is not None
            async with _served(callbacks, worker, server) as (base, client):
                options: dict[str, Any] = dict(
                    encrypt_key=EK,
                    verification_token=VT,
                    events_url=f"{base}/lark/{APP}/events",
                    cards_url=f"{base}/lark/{APP}/cards",
                    retry_schedule=(),  # Feishu's retries are tested in test_sender
                )
                sender = (
                    CallbackSender(APP, **options)
                    if client is None
                    else HttpxSender(APP, client=client, **options)
                )
                async with sender:
                    yield Stack(fake, im, lark, callbacks, base, sender, chat_id, calls)


@asynccontextmanager
async def _served(
    callbacks: Callbacks, worker: bool | None, server: str
) -> AsyncIterator[tuple[str, Any]]:
    """(base URL, httpx client or None) of the callbacks served by ``server``."""
    if server == "aiohttp":
        async with serve(callbacks.web_app(worker=worker)) as base:
            yield base, None
    elif server == "fastapi":
        async with httpx_client(fastapi_app(callbacks, worker=worker)) as client:
            yield str(client.base_url).rstrip("/"), client
    elif server == "uvicorn":
        async with uvicorn_server(fastapi_app(callbacks, worker=worker)) as base:
            yield base, None
    else:
        raise ValueError(server)


async def consume_all(callbacks: Callbacks) -> list[Decision]:
    """For brokers without a worker: run every queued envelope through the dispatcher."""
    broker = callbacks.broker
    assert isinstance(broker, MemoryBroker)
    decisions = []
    queue = broker._st().queue
    while not queue.empty():
        decisions.append(await callbacks.dispatcher.handle(queue.get_nowait()))
        queue.task_done()
    return decisions

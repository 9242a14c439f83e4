"""Fixtures for the callback tests: a served ingress, a gated clock, RabbitMQ names, a TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from lark_async.callbacks import AppKeys, RabbitBroker

APP = "cli_cbtest00000001"
OTHER_APP = "cli_cbtest00000002"
EK = "cb-test-encrypt-key-0001"
VT = "cb-test-verification-token-0001"
KEYS = {APP: AppKeys(encrypt_key=EK, verification_token=VT)}
OPEN_ID = "ou_" + "a1" * 16


def card(state: str) -> dict[str, Any]:
    """A shared JSON 1.0 approval card showing ``state``."""
    return {
        "config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": "报销审批"}},
        "elements": [
            {"tag": "div", "text": {"tag": "plain_text", "content": state}},
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": "通过"},
                        "value": {"action": "approve"},
                    }
                ],
            },
        ],
    }


def card_text(message: dict[str, Any]) -> str:
    """The state line of a stored card message (see ``card``)."""
    content = json.loads(message["body"]["content"])
    return str(content["elements"][0]["text"]["content"])


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run an aiohttp application on 127.0.0.1; yields its base URL."""
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class GatedClock:
    """Real time, except that ``sleep`` returns only when the test opens the gate.

    For deadline tests: a budget "expires" exactly when the test says so.
    """

    def __init__(self) -> None:
        import time

        self._time = time
        self.gate = asyncio.Event()
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self._time.time()

    def monotonic(self) -> float:
        return self._time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.gate.wait()


class TcpProxy:
    """A TCP forwarder to a target port that a test can stop and restart on the same port."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def reserve(self) -> int:
        """Pick a free port without listening on it (a dead port until start())."""
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        return self.port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every open connection, as a crashed broker would."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.transport.abort()

        for coro in (pipe(reader, up_writer), pipe(up_reader, writer)):
            task = asyncio.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


@pytest.fixture
def amqp_port(amqp_url: str) -> int:
    from yarl import URL

    return URL(amqp_url).port or 5672


@pytest.fixture
async def rabbit_names(amqp_url: str) -> AsyncIterator[Callable[..., RabbitBroker]]:
    """A factory of RabbitBrokers on one unique queue name; deletes what they declared."""
    name = f"lark.test.{uuid.uuid4().hex[:12]}"
    made: list[RabbitBroker] = []

    def make(
        url: str | None = None, *, cls: type[RabbitBroker] = RabbitBroker, **kwargs: Any
    ) -> RabbitBroker:
        kwargs.setdefault("reconnect_interval", 0.05)
        kwargs.setdefault("start_timeout", 3.0)
        broker = cls(url or amqp_url, queue=name, **kwargs)
        made.append(broker)
        return broker

    make.queue = name  # type: ignore[attr-defined]
    yield make
    import aio_pika

    for broker in made:
        await broker.close()
    queues = {name, f"{name}.dead"}
    for broker in made:
        queues.update(broker.declared_queues())
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in queues:
            with contextlib.suppress(Exception):
                await channel.queue_delete(queue)
        with contextlib.suppress(Exception):
            await channel.exchange_delete(name)

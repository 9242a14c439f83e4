"""With the real RabbitMQ on 127.0.0.1:5672: end to end, rejections, duplicates, outages.

Each test uses its own exchange and queues (deleted afterwards). Outages are made
with a TCP proxy the test stops and restarts; the real server is never stopped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from lark_async.callbacks import (
    CallbackEvent,
    Callbacks,
    CardUpdate,
    Envelope,
    HandlerRetry,
    RabbitBroker,
    SqliteSpool,
)
from lark_async.core.errors import ConfigError, InvalidParameter

from .conftest import KEYS, OPEN_ID, TcpProxy, card
from .stack import Stack, stack

pytestmark = pytest.mark.rabbitmq

Make = Callable[..., RabbitBroker]


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def spool_emptied(spool: SqliteSpool, timeout: float = 10.0) -> None:
    """Wait until the spool has deleted every row (its replay is confirmed, then deleted)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := await spool.count()) != 0:
        if loop.time() > deadline:
            raise AssertionError(f"{left} rows still in the spool")
        await asyncio.sleep(0.01)


async def queue_depth(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def get_one(amqp_url: str, queue: str) -> aio_pika.abc.AbstractIncomingMessage | None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        found = await (await channel.get_queue(queue)).get(fail=False, no_ack=True)
        return found


async def click(s: Stack, message_id: str) -> Any:
    return await s.sender.card_action(
        open_id=OPEN_ID,
        value={"action": "approve"},
        message_id=message_id,
        token=s.token_for(message_id),
    )


def approve(callbacks: Callbacks, calls: list[str]) -> None:
    @callbacks.card_action("approve")
    async def handler(event: CallbackEvent) -> CardUpdate:
        calls.append(event.event_id)
        return CardUpdate(card("已通过"))


async def test_click_verify_publish_consume_handle_update(rabbit_names: Make) -> None:
    broker = rabbit_names()
    async with stack(register=approve, broker=broker) as s:
        assert broker.available
        message_id = await s.send_card("审批中")
        delivery = await click(s, message_id)
        assert (delivery.status, delivery.body) == (200, {})
        await wait_for(lambda: bool(s.im.card_updates))
        assert s.card_state(message_id) == "已通过"
        assert len(s.calls) == 1
        assert s.callbacks.ingress is not None
        assert s.callbacks.ingress.stats.published == 1


async def test_published_message_is_durable_and_confirmed(
    rabbit_names: Make, amqp_url: str
) -> None:
    broker = rabbit_names()
    async with stack(register=approve, broker=broker, worker=False) as s:
        message_id = await s.send_card()
        delivery = await click(s, message_id)
        assert delivery.status == 200
        # The answer came after the confirm: the message is already in the queue.
        message = await get_one(amqp_url, rabbit_names.queue)  # type: ignore[attr-defined]
        assert message is not None
        envelope = Envelope.from_bytes(message.body)
        assert message.message_id == envelope.event_id
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.content_type == "application/json" and message.type == "card.action.trigger"
        assert envelope.event.message_id == message_id and envelope.event.card_token
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            # durable=True must match the declaration, or RabbitMQ refuses it
            await channel.declare_queue(rabbit_names.queue, durable=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "case", ["forged", "stale", "replay", "wrong_token", "bad_ciphertext", "oversized", "junk"]
)
async def test_rejected_callbacks_never_reach_the_queue(
    rabbit_names: Make, amqp_url: str, case: str
) -> None:
    broker = rabbit_names()
    async with stack(register=approve, broker=broker, worker=False, max_body_bytes=8192) as s:
        url = s.sender.cards_url or ""
        body = s.sender.card_action_body(open_id=OPEN_ID, value={"action": "approve"})
        headers, raw = s.sender.sign(body)
        if case == "forged":
            raw = raw.replace(b'"}', b'A"}')
        elif case == "stale":
            headers, raw = s.sender.sign(body, timestamp="1600000000")
        elif case == "replay":
            assert (await s.sender.post(url, headers, raw)).status == 200
            assert await queue_depth(amqp_url, broker.queue_name) == 1
        elif case == "wrong_token":
            body["header"]["token"] = "not-ours"
            headers, raw = s.sender.sign(body)
        elif case == "bad_ciphertext":
            raw = json.dumps({"encrypt": "!!!"}).encode()
        elif case == "oversized":
            raw = b"{" + b" " * 9000 + b"}"
        elif case == "junk":
            raw = b"\xff\xfe not json"
        delivery = await s.sender.post(url, headers, raw)
        assert delivery.status in (400, 401, 403, 413)
        expected = 1 if case == "replay" else 0
        assert await queue_depth(amqp_url, broker.queue_name) == expected


async def test_duplicates_reach_the_handler_once(rabbit_names: Make, amqp_url: str) -> None:
    broker = rabbit_names()
    seen: list[str] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.event("im.message.receive_v1")
        async def on_message(event: CallbackEvent) -> None:
            seen.append(event.event_id)

    async with stack(register=register, broker=broker) as s:
        body = s.sender.message_body("hello")
        assert (await s.sender.event(body)).delivered
        assert (await s.sender.event(body)).delivered  # Feishu's retry: 200, not queued
        await wait_for(lambda: len(seen) == 1)
        # A redelivery that got past the ingress (e.g. an ack lost in a crash):
        again = await get_envelope_copy(broker, body["header"]["event_id"], s)
        await broker.publish(again, timeout=2)
        for _ in range(100):  # until the worker has consumed and acked it
            if await queue_depth(amqp_url, broker.queue_name) == 0:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)
        assert seen == [body["header"]["event_id"]]


async def get_envelope_copy(broker: RabbitBroker, event_id: str, s: Stack) -> Envelope:
    base = CallbackEvent(
        event_id=event_id,
        app_id=s.sender.app_id,
        kind="event",
        event_type="im.message.receive_v1",
        received_at=0.0,
        verified_by="signature",
        payload={"event": {}},
    )
    return Envelope(base)


async def test_handler_that_raises_is_retried_then_dead_lettered(
    rabbit_names: Make, amqp_url: str
) -> None:
    broker = rabbit_names()
    attempts: list[float] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve")
        async def failing(event: CallbackEvent) -> None:
            attempts.append(asyncio.get_running_loop().time())
            raise RuntimeError("cannot reach the approval service")

    retry = HandlerRetry(3, (0.02, 0.05))
    async with stack(register=register, broker=broker, retry=retry) as s:
        await click(s, await s.send_card())
        dead_queue = broker.dead_queue_name
        await wait_for(lambda: len(attempts) >= 3)
        await asyncio.sleep(0.1)
        assert len(attempts) == 3
        # the waits came from the retry queues' TTLs (20 ms, then 50 ms)
        assert attempts[1] - attempts[0] >= 0.015 and attempts[2] - attempts[1] >= 0.045
        assert broker.declared_queues() == sorted(
            [broker.queue_name, dead_queue, f"{broker.queue_name}.retry.20ms",
             f"{broker.queue_name}.retry.50ms"]
        )  # fmt: skip
        message = None
        for _ in range(100):
            message = await get_one(amqp_url, dead_queue)
            if message is not None:
                break
            await asyncio.sleep(0.02)
        assert message is not None
        assert message.headers["x-lark-dead-reason"] == "handler_failed"
        envelope = Envelope.from_bytes(message.body)
        assert envelope.attempt == 3
        assert envelope.last_error == "RuntimeError: cannot reach the approval service"


async def test_undecodable_message_is_parked(rabbit_names: Make, amqp_url: str) -> None:
    broker = rabbit_names()
    async with stack(register=approve, broker=broker):
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.default_exchange.publish(
                aio_pika.Message(b"garbage", message_id="x1"), routing_key=broker.queue_name
            )
        message = None
        for _ in range(100):
            message = await get_one(amqp_url, broker.dead_queue_name)
            if message is not None:
                break
            await asyncio.sleep(0.02)
        assert message is not None and message.body == b"garbage"
        assert message.headers["x-lark-dead-reason"] == "undecodable"


async def _worker(make: Make, seen: list[str]) -> Callbacks:
    """A separate consumer process, in effect: its own connection, straight to RabbitMQ."""
    worker = Callbacks(broker=make())

    @worker.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        seen.append(event.event_id)

    await worker.start(ingress=False)
    return worker


async def test_rabbitmq_lost_mid_run_loses_nothing(
    rabbit_names: Make, amqp_port: int, tmp_path: Path
) -> None:
    proxy = TcpProxy(amqp_port)
    await proxy.start()
    seen: list[str] = []
    worker = await _worker(rabbit_names, seen)
    ingress_broker = rabbit_names(proxy.url, connect_timeout=0.5)
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    try:
        # The HTTP side handles nothing itself (like `lark-async serve`): spool or queue.
        async with stack(broker=ingress_broker, spool=spool, publish_timeout=0.5) as s:
            assert ingress_broker.available
            sent: list[str] = []

            async def burst(n: int) -> None:
                async def one(i: int) -> None:
                    body = s.sender.message_body(f"message {i}")
                    sent.append(body["header"]["event_id"])
                    delivery = await s.sender.event(body)
                    assert delivery.attempts[0].status == 200, delivery.attempts[0].body

                await asyncio.gather(*(one(i) for i in range(n)))

            await burst(10)
            crash = asyncio.create_task(proxy.stop())  # RabbitMQ "crashes" mid-burst ...
            await burst(10)
            await crash
            await burst(10)  # ... stays down ...
            await proxy.start()  # ... and comes back on the same address
            await burst(10)  # while the ingress reconnects
            assert s.callbacks.ingress is not None
            stats = s.callbacks.ingress.stats
            # A spooled callback leaves the spool once its publish is confirmed,
            # which may be after the worker has already seen it.
            await wait_for(lambda: len(seen) >= 40 and stats.replayed == stats.spooled, timeout=15)
            assert sorted(seen) == sorted(sent)  # every one, each exactly once
            await spool_emptied(spool)
            assert stats.spooled >= 10 and stats.replayed == stats.spooled
            assert ingress_broker.connects >= 2
    finally:
        await worker.close()
        await proxy.stop()


async def test_dead_port_then_live(rabbit_names: Make, amqp_port: int, tmp_path: Path) -> None:
    proxy = TcpProxy(amqp_port)
    proxy.reserve()  # nothing listens there yet
    seen: list[str] = []
    worker = await _worker(rabbit_names, seen)
    ingress_broker = rabbit_names(proxy.url, start_timeout=0.2, connect_timeout=0.5)
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    try:
        async with stack(broker=ingress_broker, spool=spool) as s:
            assert not ingress_broker.available
            sent = []
            for n in range(5):
                body = s.sender.message_body(f"early {n}")
                sent.append(body["header"]["event_id"])
                assert (await s.sender.event(body)).attempts[0].status == 200
            assert await spool.count() == 5
            await proxy.start()
            assert s.callbacks.ingress is not None
            stats = s.callbacks.ingress.stats
            # Seen by the worker can come before the confirm that empties the spool.
            await wait_for(lambda: len(seen) == 5 and stats.replayed == 5, timeout=15)
            assert sorted(seen) == sorted(sent)
            await spool_emptied(spool)  # the count, not a proxy for it
    finally:
        await worker.close()
        await proxy.stop()


def test_broker_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="amqp://"):
        RabbitBroker("http://127.0.0.1")
    with pytest.raises(InvalidParameter):
        RabbitBroker("amqp://h/", queue="")
    with pytest.raises(InvalidParameter):
        RabbitBroker("amqp://h/", prefetch=0)
    broker = RabbitBroker("amqp://user:hunter2@127.0.0.1:5672/")
    assert "hunter2" not in repr(broker) and "***" in repr(broker)
    with pytest.raises(ConfigError, match="not both"):
        Callbacks(KEYS, broker=broker, amqp_url="amqp://127.0.0.1/")


async def test_a_bug_in_the_consume_path_parks_the_message(
    rabbit_names: Make, amqp_url: str
) -> None:
    broker = rabbit_names()
    await broker.start()

    async def broken(envelope: Envelope) -> Any:
        raise KeyError("bug")

    consuming = asyncio.create_task(broker.consume(broken, concurrency=2))
    try:
        event = CallbackEvent(
            event_id="ev-bug",
            app_id="cli_cbtest00000001",
            kind="event",
            event_type="im.message.receive_v1",
            received_at=0.0,
            verified_by="signature",
            payload={},
        )
        await broker.publish(Envelope(event), timeout=2)
        message = None
        for _ in range(100):
            message = await get_one(amqp_url, broker.dead_queue_name)
            if message is not None:
                break
            await asyncio.sleep(0.02)
        assert message is not None and message.message_id == "ev-bug"
        assert message.headers["x-lark-dead-reason"] == "consumer_error"
    finally:
        consuming.cancel()
        await asyncio.gather(consuming, return_exceptions=True)

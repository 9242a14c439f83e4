"""Guarantees of the callback path that each hang on one line of code.

- A legacy card callback has no event id: its nonce alone stops a replay, so the
  nonce is kept for two windows (its timestamp may be up to a window ahead).
- A RabbitMQ message is acked only once what it led to (a retry, a dead letter,
  a parked copy) is stored: when RabbitMQ refuses that publish, the original is
  left unacked and comes back. The refusal here is real: the target queue is
  deleted, so the mandatory publish is returned unroutable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aio_pika
import pytest

from lark_async.callbacks import (
    CallbackEvent,
    CallbackRejected,
    CallbackRouter,
    CallbackVerifier,
    Dispatcher,
    HandlerRetry,
    RabbitBroker,
    Worker,
)
from lark_async.callbacks.queue import Decision, Envelope
from lark_async.callbacks.security import DEFAULT_WINDOW
from lark_async.testing import signing

VT = "guards-verification-token"
OPEN_ID = "ou_" + "7" * 32
NOW = 1_700_000_000.0

Make = Callable[..., RabbitBroker]


# -- the legacy card nonce ------------------------------------------------------------


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def legacy_click(timestamp: float, nonce: str) -> tuple[dict[str, str], bytes]:
    body = signing.legacy_card_action(open_id=OPEN_ID, action_value="ok", token="c-tok")
    return signing.signed_request(
        body,
        verification_token=VT,
        scheme="card_v1",
        timestamp=str(int(timestamp)),
        nonce=nonce,
    )


@pytest.mark.parametrize("later", [1.0, 0.5 * DEFAULT_WINDOW, DEFAULT_WINDOW])
def test_future_dated_legacy_card_cannot_be_replayed_a_window_later(later: float) -> None:
    clock = Clock(NOW)
    verifier = CallbackVerifier(verification_token=VT, now=clock)
    # Stamped a full window ahead of our clock: still inside the window, accepted.
    headers, raw = legacy_click(NOW + DEFAULT_WINDOW, "n-ahead")
    assert verifier.verify(headers, raw, scheme="card_v1").event_id is None  # only the nonce
    # One window later the timestamp is still fresh (it was ahead), so only the
    # remembered nonce stops the copy.
    clock.t = NOW + DEFAULT_WINDOW + later
    with pytest.raises(CallbackRejected) as info:
        verifier.verify(headers, raw, scheme="card_v1")
    assert info.value.reason == "replayed_nonce"


def test_legacy_card_replay_past_both_windows_is_stale_not_accepted() -> None:
    clock = Clock(NOW)
    verifier = CallbackVerifier(verification_token=VT, now=clock)
    headers, raw = legacy_click(NOW + DEFAULT_WINDOW, "n-ahead")
    verifier.verify(headers, raw, scheme="card_v1")
    clock.t = NOW + 2 * DEFAULT_WINDOW + 1  # the nonce may be gone: the timestamp is too old
    with pytest.raises(CallbackRejected) as info:
        verifier.verify(headers, raw, scheme="card_v1")
    assert info.value.reason == "stale_timestamp"


# -- RabbitMQ: ack only after the follow-up publish ----------------------------------


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def admin(amqp_url: str, action: Callable[[Any], Any]) -> Any:
    """Run ``action(channel)`` on a connection of its own (what an operator would do)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        return await action(await connection.channel())


async def depth(amqp_url: str, queue: str) -> int:
    async def count(channel: Any) -> int:
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)

    return int(await admin(amqp_url, count))


async def take(amqp_url: str, queue: str) -> aio_pika.abc.AbstractIncomingMessage | None:
    async def get(channel: Any) -> Any:
        return await (await channel.get_queue(queue)).get(fail=False, no_ack=True)

    found: aio_pika.abc.AbstractIncomingMessage | None = await admin(amqp_url, get)
    return found


def event(event_id: str) -> CallbackEvent:
    return CallbackEvent(
        event_id=event_id,
        app_id="cli_cbtest00000001",
        kind="event",
        event_type="im.message.receive_v1",
        received_at=0.0,
        verified_by="signature",
        payload={},
    )


class Consumer:
    """Runs ``broker.consume`` with a scripted decision function; records what it saw."""

    def __init__(self, broker: RabbitBroker, decide: Callable[[Envelope], Any]) -> None:
        self.broker = broker
        self.decide = decide
        self.seen: list[Envelope] = []
        self.task: asyncio.Task[None] | None = None

    async def fn(self, envelope: Envelope) -> Decision:
        self.seen.append(envelope)
        decision: Decision = await self.decide(envelope)
        return decision

    async def __aenter__(self) -> Consumer:
        await self.broker.start()
        assert self.broker.available
        self.task = asyncio.create_task(self.broker.consume(self.fn, concurrency=1))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.mark.rabbitmq
async def test_message_is_not_acked_when_its_retry_publish_is_refused(
    rabbit_names: Make, amqp_url: str
) -> None:
    broker = rabbit_names()
    retry_queue = f"{rabbit_names.queue}.retry.20ms"  # type: ignore[attr-defined]

    async def decide(envelope: Envelope) -> Decision:
        n = len(consumer.seen)
        if n == 1:
            return Decision.retry(envelope.failed("first"), 0.02)  # stored: comes back
        if n == 2:
            # RabbitMQ loses the retry queue: the next retry publish has nowhere to go.
            await admin(amqp_url, lambda ch: ch.queue_delete(retry_queue))
            return Decision.retry(envelope.failed("second"), 0.02)
        return Decision.ack(envelope)

    consumer = Consumer(broker, decide)
    async with consumer:
        await broker.publish(Envelope(event("ev-retry")), timeout=2)
        await until(lambda: len(consumer.seen) >= 3)
        attempts = [e.attempt for e in consumer.seen]
        # The refused retry left the message unacked: RabbitMQ gave the same one back.
        assert attempts == [0, 1, 1], attempts
        await until_depth(amqp_url, rabbit_names.queue, 0)  # type: ignore[attr-defined]
        assert await take(amqp_url, broker.dead_queue_name) is None


@pytest.mark.rabbitmq
async def test_message_is_not_acked_when_its_dead_letter_publish_is_refused(
    rabbit_names: Make, amqp_url: str
) -> None:
    broker = rabbit_names()
    dead = f"{rabbit_names.queue}.dead"  # type: ignore[attr-defined]
    await broker.start()
    await admin(amqp_url, lambda ch: ch.queue_delete(dead))  # nowhere to dead-letter to

    restored = asyncio.Event()

    async def decide(envelope: Envelope) -> Decision:
        if len(consumer.seen) == 2:  # it came back: give the dead letters a queue again
            await admin(amqp_url, lambda ch: ch.declare_queue(dead, durable=True))
            restored.set()
        return Decision.dead(envelope.failed("boom"), "handler_failed")

    consumer = Consumer(broker, decide)
    async with consumer:
        await broker.publish(Envelope(event("ev-dead")), timeout=2)
        await asyncio.wait_for(restored.wait(), 10)  # reached only by a redelivery
        message = await until_message(amqp_url, dead)
        assert message.message_id == "ev-dead"
        assert message.headers["x-lark-dead-reason"] == "handler_failed"
        assert Envelope.from_bytes(message.body).last_error == "boom"
        await until_depth(amqp_url, rabbit_names.queue, 0)  # type: ignore[attr-defined]
        assert [e.event_id for e in consumer.seen[:2]] == ["ev-dead", "ev-dead"]


@pytest.mark.rabbitmq
async def test_worker_runs_a_failed_handler_again_when_its_dead_letter_is_refused(
    rabbit_names: Make, amqp_url: str
) -> None:
    # The same guarantee through the Worker and Dispatcher: the handler fails, its dead
    # letter is refused, and the redelivery runs it again (its claim was released).
    broker = rabbit_names()
    dead = f"{rabbit_names.queue}.dead"  # type: ignore[attr-defined]
    router = CallbackRouter()
    calls: list[str] = []
    restored = asyncio.Event()

    @router.event("im.message.receive_v1")
    async def on_message(ev: CallbackEvent) -> None:
        calls.append(ev.event_id)
        if len(calls) == 2:
            await admin(amqp_url, lambda ch: ch.declare_queue(dead, durable=True))
            restored.set()
        raise RuntimeError("downstream is down")

    worker = Worker(broker, Dispatcher(router, retry=HandlerRetry(1, (0.01,))), concurrency=1)
    await broker.start()
    await admin(amqp_url, lambda ch: ch.queue_delete(dead))
    async with worker:
        await broker.publish(Envelope(event("ev-worker")), timeout=2)
        await asyncio.wait_for(restored.wait(), 10)  # the refused dead letter left it unacked
        message = await until_message(amqp_url, dead)
        assert calls[:2] == ["ev-worker", "ev-worker"]
        assert message.headers["x-lark-dead-reason"] == "handler_failed"
        assert Envelope.from_bytes(message.body).last_error == "RuntimeError: downstream is down"
        await until_depth(amqp_url, rabbit_names.queue, 0)  # type: ignore[attr-defined]


@pytest.mark.rabbitmq
async def test_undecodable_message_is_not_acked_when_parking_is_refused(
    rabbit_names: Make, amqp_url: str, log_lines: list[str]
) -> None:
    broker = rabbit_names()
    main: str = rabbit_names.queue  # type: ignore[attr-defined]
    dead = f"{main}.dead"
    await broker.start()
    await admin(amqp_url, lambda ch: ch.queue_delete(dead))

    async def never(envelope: Envelope) -> Decision:
        raise AssertionError("an undecodable message never reaches the handler")

    def tries() -> int:
        return sum("lark.callback.undecodable" in line for line in log_lines)

    async with Consumer(broker, never):

        async def publish_garbage(channel: Any) -> None:
            await channel.default_exchange.publish(
                aio_pika.Message(b"garbage", message_id="raw-1"), routing_key=main
            )

        await admin(amqp_url, publish_garbage)
        await until(lambda: tries() >= 2)  # parking refused: it came back
        await admin(amqp_url, lambda ch: ch.declare_queue(dead, durable=True))
        message = await until_message(amqp_url, dead)
        assert message.body == b"garbage" and message.headers["x-lark-dead-reason"] == "undecodable"
        await until_depth(amqp_url, main, 0)


async def until_depth(amqp_url: str, queue: str, n: int, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while await depth(amqp_url, queue) != n:
            await asyncio.sleep(0.01)


async def until_message(
    amqp_url: str, queue: str, timeout: float = 10.0
) -> aio_pika.abc.AbstractIncomingMessage:
    async with asyncio.timeout(timeout):
        while (message := await take(amqp_url, queue)) is None:
            await asyncio.sleep(0.01)
    return message

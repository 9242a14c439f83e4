"""Degraded mode: the queue is down. Spool, run in-process, or refuse explicitly; never lose."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lark_async.callbacks import (
    CallbackEvent,
    Callbacks,
    CardUpdate,
    Envelope,
    SqliteSpool,
    Toast,
)
from lark_async.callbacks.ingress import DEGRADED_BODY
from lark_async.callbacks.spool import SpoolUnavailable

from .conftest import OPEN_ID, GatedClock, card
from .stack import Stack, SwitchableBroker, stack


async def click(s: Stack, message_id: str, action: str = "approve") -> Any:
    return await s.sender.card_action(
        open_id=OPEN_ID,
        value={"action": action},
        message_id=message_id,
        token=s.token_for(message_id),
    )


def handlers(callbacks: Callbacks, calls: list[str]) -> None:
    @callbacks.card_action("approve")
    async def approve(event: CallbackEvent) -> CardUpdate:
        calls.append(event.event_id)
        return CardUpdate(card("已通过"))

    @callbacks.card_action("toast")
    async def toast(event: CallbackEvent) -> Toast:
        calls.append(event.event_id)
        return Toast("已处理", "success")


async def test_queue_down_and_no_spool_answers_503_then_the_retry_gets_through() -> None:
    broker = SwitchableBroker()
    async with stack(register=handlers, broker=broker, worker=False) as s:
        broker.down = True
        body = s.sender.message_body("hello")  # an event nobody handles in-process
        answer = await s.sender.event(body)  # one attempt only: retries are tested elsewhere
        first = answer.attempts[0]
        assert (first.status, first.body) == (503, DEGRADED_BODY)
        broker.up()
        # Feishu retries the same event id; the 503 released it, so it is accepted now.
        headers, raw = s.sender.sign(body)
        retry = await s.sender.post(s.sender.events_url or "", headers, raw)
        assert (retry.status, retry.body) == (200, {})
        assert [e.event_id for e in broker.published] == [body["header"]["event_id"]]
        assert s.callbacks.ingress is not None
        assert s.callbacks.ingress.stats.unavailable >= 1


async def test_queue_down_runs_the_handler_in_process_and_answers_inline(
    tmp_path: Path,
) -> None:
    broker = SwitchableBroker()
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    async with stack(register=handlers, broker=broker, spool=spool) as s:
        broker.down = True
        message_id = await s.send_card()
        toast = await click(s, message_id, "toast")
        assert toast.body == {"toast": {"type": "success", "content": "已处理"}}
        approved = await click(s, message_id, "approve")
        # degraded but handled in time: the card goes back inline
        assert approved.body == {"card": {"type": "raw", "data": card("已通过")}}
        assert len(s.calls) == 2
        for _ in range(100):
            if await spool.count() == 0:
                break
            await asyncio.sleep(0.005)
        assert await spool.count() == 0  # handled: nothing left to replay
        assert broker.published == []


async def test_queue_down_without_local_handler_spools_and_replays(tmp_path: Path) -> None:
    broker = SwitchableBroker()
    spool = SqliteSpool(tmp_path / "spool.sqlite3")

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.event("im.message.receive_v1")
        async def on_message(event: CallbackEvent) -> None:
            calls.append(event.event_id)

    async with stack(register=register, broker=broker, spool=spool, worker=False) as s:
        assert s.callbacks.ingress is not None
        broker.down = True
        s.callbacks.router._events.clear()  # this process no longer handles it itself
        ids = []
        for n in range(3):
            body = s.sender.message_body(f"m{n}")
            ids.append(body["header"]["event_id"])
            delivery = await s.sender.event(body)
            assert delivery.attempts[0].status == 200  # accepted: it is durable
        assert await spool.count() == 3
        assert await s.callbacks.ingress.replay_spool() == 0  # still down: nothing moves
        broker.up()  # wakes the replayer
        for _ in range(200):
            if await spool.count() == 0:
                break
            await asyncio.sleep(0.005)
        assert [e.event_id for e in broker.published] == ids
        assert s.callbacks.ingress.stats.replayed == 3


async def test_slow_handler_in_degraded_mode_is_spooled_until_it_finishes(
    tmp_path: Path,
) -> None:
    broker = SwitchableBroker()
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    clock = GatedClock()
    release = asyncio.Event()

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve")
        async def approve(event: CallbackEvent) -> CardUpdate:
            await release.wait()
            calls.append(event.event_id)
            return CardUpdate(card("已通过"))

    async with stack(register=register, broker=broker, spool=spool, clock=clock) as s:
        broker.down = True
        message_id = await s.send_card()
        clicking = asyncio.create_task(click(s, message_id))
        while not clock.sleeps:
            await asyncio.sleep(0.001)
        clock.gate.set()  # the deadline passes with the handler still running
        delivery = await clicking
        assert (delivery.status, delivery.body) == (200, {})
        assert await spool.count() == 1  # durable while it runs ...
        assert s.callbacks.ingress is not None
        assert await s.callbacks.ingress.replay_spool() == 0  # ... and not replayed meanwhile
        release.set()
        for _ in range(200):
            if await spool.count() == 0 and s.im.card_updates:
                break
            await asyncio.sleep(0.005)
        assert await spool.count() == 0
        assert s.card_state(message_id) == "已通过"
        assert len(s.calls) == 1


async def test_slow_handler_without_spool_is_refused_explicitly() -> None:
    broker = SwitchableBroker()
    clock = GatedClock()
    cancelled = asyncio.Event()

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve")
        async def approve(event: CallbackEvent) -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    async with stack(register=register, broker=broker, clock=clock) as s:
        broker.down = True
        clicking = asyncio.create_task(click(s, await s.send_card()))
        while not clock.sleeps:
            await asyncio.sleep(0.001)
        clock.gate.set()
        delivery = await clicking
        assert (delivery.status, delivery.body) == (503, DEGRADED_BODY)
        assert cancelled.is_set()


async def test_handler_failure_in_degraded_mode_is_kept_for_retry(tmp_path: Path) -> None:
    broker = SwitchableBroker()
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    failures: list[str] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve")
        async def approve(event: CallbackEvent) -> None:
            failures.append(event.event_id)
            raise ConnectionError("downstream down")

    async with stack(register=register, broker=broker, spool=spool, worker=False) as s:
        broker.down = True
        delivery = await click(s, await s.send_card())
        assert delivery.status == 200
        [item] = await spool.pending()
        assert item.envelope.attempt == 1 and item.dead_reason is None
        assert item.envelope.last_error == "ConnectionError: downstream down"
        broker.up()
        for _ in range(200):
            if await spool.count() == 0:
                break
            await asyncio.sleep(0.005)
        assert [e.attempt for e in broker.published] == [1]


async def test_spool_failure_and_no_handler_answers_503(tmp_path: Path) -> None:
    class BrokenSpool(SqliteSpool):
        async def put(self, envelope: Envelope, **options: object) -> None:
            raise SpoolUnavailable("disk full")

    broker = SwitchableBroker()
    async with stack(
        register=handlers, broker=broker, spool=BrokenSpool(tmp_path / "s.sqlite3")
    ) as s:
        broker.down = True
        delivery = await s.sender.event(s.sender.message_body("x"))
        assert delivery.attempts[0].status == 503
        assert json.dumps(DEGRADED_BODY) == json.dumps(delivery.attempts[0].body)

"""A partition must not multiply messages: down on a timeout, replay after a confirm, one claim.

RabbitMQ is the real one on 127.0.0.1:5672, reached through ``tests/tcp_proxy.py``,
whose ``blackhole()`` drops every byte while connections stay open.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from lark_async.callbacks import (
    CallbackEvent,
    CallbackRouter,
    Decision,
    Dispatcher,
    Envelope,
    IngressStats,
    MemoryBroker,
    MemoryProcessedStore,
    QueueUnavailable,
    RabbitBroker,
    SqliteSpool,
    Worker,
)
from lark_async.callbacks.delivery import Delivery
from lark_async.callbacks.queue import PublishUnconfirmed
from lark_async.core.clock import SYSTEM_CLOCK
from tests.tcp_proxy import Proxy

from .conftest import APP
from .stack import stack
from .test_rabbit import queue_depth, spool_emptied, wait_for

Make = Callable[..., RabbitBroker]
ROOT = Path(__file__).resolve().parents[2]


def envelope(n: int) -> Envelope:
    return Envelope(
        CallbackEvent(
            event_id=f"ev-part-{n:04d}",
            app_id=APP,
            kind="event",
            event_type="im.message.receive_v1",
            received_at=1.0,
            verified_by="signature",
            payload={"event": {"n": n}},
        )
    )


class RecordingRabbit(RabbitBroker):
    """Notes each confirmed probe and each publish, in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[str] = []

    async def _probe(self) -> None:
        await super()._probe()
        self.log.append("probe")

    async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
        self.log.append(f"publish {envelope.event_id}")
        await super().publish(envelope, timeout=timeout, delay=delay)


@pytest.mark.rabbitmq
async def test_a_publish_timeout_marks_the_broker_down_until_a_probe_is_confirmed(
    rabbit_names: Make, amqp_port: int, amqp_url: str
) -> None:
    proxy = Proxy(amqp_port)
    await proxy.start()
    url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
    broker = rabbit_names(url, connect_timeout=0.5, probe_timeout=0.5)
    woken: list[int] = []
    broker.on_available(lambda: woken.append(broker.probes))
    loop = asyncio.get_running_loop()
    try:
        await broker.start()
        assert broker.available and woken == [1]  # available only after a confirmed probe
        await broker.publish(envelope(1), timeout=2)

        proxy.blackhole()
        with pytest.raises(PublishUnconfirmed):
            await broker.publish(envelope(2), timeout=0.3)
        assert not broker.available and broker.unconfirmed == 1
        started = loop.time()
        with pytest.raises(QueueUnavailable) as failed:
            await broker.publish(envelope(3), timeout=2)
        assert not isinstance(failed.value, PublishUnconfirmed)  # nothing was sent
        assert loop.time() - started < 0.25  # fast: not a second timeout

        # The probe on the old connection times out, then new connections do too.
        accepted = proxy.accepted
        await wait_for(lambda: proxy.accepted >= accepted + 2, timeout=15)
        assert not broker.available and woken == [1]

        proxy.heal()
        await wait_for(lambda: broker.available, timeout=15)
        assert len(woken) == 2 and woken[1] > woken[0]  # woken by a confirmed probe
        await broker.publish(envelope(4), timeout=2)
        # 1 and 4 are in the queue; 2 was dropped on the wire, 3 never sent.
        assert await queue_depth(amqp_url, broker.queue_name) == 2
    finally:
        await broker.close()
        await proxy.stop()


@pytest.mark.rabbitmq
async def test_the_spool_is_replayed_only_after_a_confirmed_publish(
    rabbit_names: Make, amqp_port: int, amqp_url: str, tmp_path: Path
) -> None:
    proxy = Proxy(amqp_port)
    await proxy.start()
    broker = rabbit_names(
        f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        cls=RecordingRabbit,
        connect_timeout=0.5,
        probe_timeout=0.5,
    )
    assert isinstance(broker, RecordingRabbit)
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    try:
        async with stack(
            broker=broker, spool=spool, worker=False, replay_interval=0.02, publish_timeout=0.3
        ) as s:
            assert broker.available and s.callbacks.ingress is not None
            s.callbacks.ingress.delivery.claim_lease = 0.5  # a timed-out row's hold
            proxy.blackhole()
            for n in range(5):
                delivery = await s.sender.event(s.sender.message_body(f"m{n}"))
                assert delivery.delivered
            items = await spool.pending()
            assert len(items) == 5
            # The first publish timed out (it may have landed); the others failed fast.
            assert [i.unconfirmed for i in items] == [1, 0, 0, 0, 0]
            sent = len(broker.log)
            accepted = proxy.accepted
            # Many replay intervals pass with reconnects failing: no replay is sent.
            await wait_for(lambda: proxy.accepted >= accepted + 3, timeout=15)
            assert broker.log[sent:] == []

            healed_at = len(broker.log)
            proxy.heal()
            await spool_emptied(spool, timeout=15)
            after = broker.log[healed_at:]
            first_publish = next(i for i, line in enumerate(after) if line.startswith("publish"))
            assert "probe" in after[:first_publish]
            replays = Counter(line for line in after if line.startswith("publish"))
            assert len(replays) == 5 and set(replays.values()) == {1}
            assert await queue_depth(amqp_url, broker.queue_name) == 5
    finally:
        await proxy.stop()


class SlowBroker(MemoryBroker):
    """Records every publish; each takes a moment, so replays overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[str] = []

    async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
        await asyncio.sleep(0.002)
        self.published.append(envelope.event_id)


def delivery(broker: Any, spool: SqliteSpool, *, replay_interval: float = 0.01) -> Delivery:
    return Delivery(
        broker=broker,
        dispatcher=None,
        spool=spool,
        clock=SYSTEM_CLOCK,
        stats=IngressStats(),
        publish_timeout=1.0,
        replay_interval=replay_interval,
    )


async def test_two_replay_loops_sharing_a_spool_send_each_row_once(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    async with SqliteSpool(path) as filler:
        for n in range(300):
            await filler.put(envelope(n))
    broker = SlowBroker()
    one, two = delivery(broker, SqliteSpool(path)), delivery(broker, SqliteSpool(path))
    await asyncio.gather(one.start(), two.start())
    try:
        async with SqliteSpool(path) as check:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while await check.count():
                assert loop.time() < deadline, "the spool was not emptied"
                await asyncio.sleep(0.01)
    finally:
        await asyncio.gather(one.close(1, close_broker=True), two.close(1, close_broker=False))
    counts = Counter(broker.published)
    assert len(counts) == 300 and set(counts.values()) == {1}
    assert one.stats.replayed + two.stats.replayed == 300


CLAIMER = textwrap.dedent(
    """
    import asyncio, json, sys
    from lark_async.callbacks import SqliteSpool

    async def main():
        taken = []
        async with SqliteSpool(sys.argv[1]) as spool:
            print("ready", flush=True)
            sys.stdin.readline()
            while batch := await spool.claim(3, lease=60):
                taken += [item.envelope.event_id for item in batch]
        print(json.dumps(taken), flush=True)

    asyncio.run(main())
    """
)


async def test_two_processes_never_claim_the_same_row(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    ids = {envelope(n).event_id for n in range(200)}
    async with SqliteSpool(path) as spool:
        for n in range(200):
            await spool.put(envelope(n))
        child = subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            assert await asyncio.to_thread(child.stdout.readline) == "ready\n"
            child.stdin.write("go\n")
            child.stdin.flush()
            mine: list[str] = []
            while batch := await spool.claim(2, lease=60):
                mine += [item.envelope.event_id for item in batch]
            theirs = json.loads(await asyncio.to_thread(child.stdout.readline))
        finally:
            child.stdin.close()
            await asyncio.to_thread(child.wait, 30)
    assert not set(mine) & set(theirs)
    assert len(mine) + len(theirs) == 200 and set(mine) | set(theirs) == ids


async def test_an_unconfirmed_replay_is_held_then_sent_again(tmp_path: Path) -> None:
    class Flaky(SlowBroker):
        async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
            if not self.published:
                self.published.append("timed out")
                raise PublishUnconfirmed("no confirm")
            await super().publish(envelope, timeout=timeout, delay=delay)

    async with SqliteSpool(tmp_path / "spool.sqlite3") as spool:
        await spool.put(envelope(1))
        broker = Flaky()
        d = delivery(broker, spool, replay_interval=3600)
        assert await d.replay_spool() == 0
        [item] = await spool.pending()
        assert item.unconfirmed == 1 and d.replay_unconfirmed == 1
        # Held for a claim lease: not sent again while that copy may be in flight.
        assert await d.replay_spool() == 0 and await spool.claim(10, lease=1) == []
        assert broker.published == ["timed out"]

        # The spool's own hold, shortened: claimable again once it runs out.
        await spool.put(envelope(2))
        [taken] = await spool.claim(10, lease=60)
        await spool.release(taken.envelope.event_id, hold=0.2, unconfirmed=True)
        assert await spool.claim(10, lease=60) == []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not (again := await spool.claim(10, lease=60)):
            assert loop.time() < deadline
            await asyncio.sleep(0.02)
        assert [i.envelope.event_id for i in again] == [envelope(2).event_id]
        assert again[0].unconfirmed == 1


async def test_an_old_spool_file_gains_the_claim_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the first release's table
        db.execute(
            "CREATE TABLE spool (event_id TEXT PRIMARY KEY, envelope BLOB NOT NULL,"
            " dead_reason TEXT, spooled_at REAL NOT NULL)"
        )
        db.execute(
            "INSERT INTO spool VALUES (?, ?, NULL, 0)", ("ev-part-0007", envelope(7).to_bytes())
        )
    db.close()
    async with SqliteSpool(path) as spool:
        [item] = await spool.claim(5, lease=30)
        assert item.envelope.event_id == "ev-part-0007" and item.unconfirmed == 0


class CountingDispatcher(Dispatcher):
    """Counts every delivery the worker hands over, duplicates included."""

    deliveries = 0

    async def handle(self, envelope: Envelope, **options: Any) -> Decision:
        self.deliveries += 1
        return await super().handle(envelope, **options)


@pytest.mark.rabbitmq
async def test_publishes_held_by_a_short_partition_land_late_and_run_once(
    rabbit_names: Make, amqp_port: int, amqp_url: str, tmp_path: Path
) -> None:
    """TCP delivers what was in flight once a short partition heals: the late copies and
    the spool's replays both reach the queue, at most one extra copy per timed-out
    publish, and the worker's dedupe on the event id runs each handler once."""
    proxy = Proxy(amqp_port)
    await proxy.start()
    queue = rabbit_names.queue  # type: ignore[attr-defined]
    broker = rabbit_names(
        f"amqp://guest:guest@127.0.0.1:{proxy.port}/", connect_timeout=0.5, probe_timeout=0.5
    )
    consumer = rabbit_names()  # the worker's own link is not partitioned
    router = CallbackRouter()
    seen: list[str] = []

    @router.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        seen.append(event.event_id)

    dispatcher = CountingDispatcher(router, processed=MemoryProcessedStore())
    admin = await aio_pika.connect(amqp_url)
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    try:
        channel = await admin.channel()
        exchange = await channel.declare_exchange(queue, aio_pika.ExchangeType.TOPIC, durable=True)
        audit = await channel.declare_queue(f"{queue}.audit", durable=True)
        await audit.bind(exchange, routing_key="#")
        await consumer.start()
        async with (
            Worker(consumer, dispatcher),
            stack(
                broker=broker, spool=spool, worker=False, publish_timeout=0.3, replay_interval=0.05
            ) as s,
        ):
            assert (await s.sender.event(s.sender.message_body("before"))).delivered
            assert s.callbacks.ingress is not None
            s.callbacks.ingress.delivery.claim_lease = 0.5  # a timed-out row's hold
            proxy.blackhole(hold=True)
            bodies = [s.sender.message_body(f"held {n}") for n in range(5)]
            # Sent together: all five publishes are on the wire when the link stops.
            deliveries = await asyncio.gather(*(s.sender.event(b) for b in bodies))
            assert all(d.delivered for d in deliveries)
            assert broker.unconfirmed >= 1 and await spool.count() == 5
            accepted = proxy.accepted
            await wait_for(lambda: proxy.accepted > accepted, timeout=15)  # gave up the link
            proxy.heal()
            await spool_emptied(spool, timeout=15)
            ids = {str(b["header"]["event_id"]) for b in bodies}
            await wait_for(lambda: set(seen) >= ids, timeout=15)
            copies = Counter[str]()
            while (message := await audit.get(fail=False, no_ack=True)) is not None:
                copies[str(message.message_id)] += 1
            await wait_for(lambda: dispatcher.deliveries == sum(copies.values()), timeout=15)
    finally:
        await admin.close()
        await proxy.stop()
    assert len(seen) == 6 and len(set(seen)) == 6  # each handler ran once
    extra = sum(n - 1 for n in copies.values())
    assert set(copies) == set(seen) and extra <= broker.unconfirmed
    assert max(copies.values()) <= 2


@pytest.mark.rabbitmq
async def test_a_consumer_resubscribes_after_a_probe_gave_the_link_up(
    rabbit_names: Make, amqp_port: int, amqp_url: str
) -> None:
    """RabbitMQ still counts the old, partitioned consumer until its heartbeats stop,
    and may hand it a message meanwhile; the heartbeat timeout sends that message back,
    to the new consumer. ``heartbeat=1`` keeps that wait short here."""
    proxy = Proxy(amqp_port)
    await proxy.start()
    broker = rabbit_names(
        f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        connect_timeout=0.5,
        probe_timeout=0.5,
        heartbeat=1,
    )
    direct = rabbit_names()  # publishes on an unpartitioned link
    got: list[str] = []

    async def consume(envelope: Envelope) -> Decision:
        got.append(envelope.event_id)
        return Decision.ack(envelope)

    try:
        await asyncio.gather(broker.start(), direct.start())
        consumer = asyncio.create_task(broker.consume(consume, concurrency=4))
        await direct.publish(envelope(1), timeout=2)
        await wait_for(lambda: got == [envelope(1).event_id])

        proxy.blackhole()
        with pytest.raises(PublishUnconfirmed):
            await broker.publish(envelope(2), timeout=0.3)
        accepted = proxy.accepted
        await wait_for(lambda: proxy.accepted > accepted, timeout=15)  # the probe gave up
        proxy.heal()
        await wait_for(lambda: broker.available, timeout=15)
        await direct.publish(envelope(3), timeout=2)
        await wait_for(lambda: envelope(3).event_id in got, timeout=15)
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
    finally:
        await proxy.stop()

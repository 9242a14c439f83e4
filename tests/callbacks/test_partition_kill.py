"""1,000 callbacks through a 10 s RabbitMQ blackhole and a worker SIGKILL: each handled once.

The ingress runs here and reaches RabbitMQ through ``tests/tcp_proxy.py``; two
``lark-async worker`` processes consume directly, sharing their handled-once memory
in PostgreSQL (``--state``). While the link is blackholed, the ingress spools;
after it heals, the spool is replayed, and one worker is SIGKILLed in the middle of
that replay, then restarted. An extra queue bound to the exchange counts every
copy the ingress published.
"""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import aio_pika
import asyncpg  # type: ignore[import-untyped]
import pytest

from lark_async.auth.migrations import upgrade
from lark_async.callbacks import Callbacks, RabbitBroker, SqliteSpool
from lark_async.testing.callbacks import CallbackSender
from tests.tcp_proxy import Proxy

from .conftest import APP, EK, KEYS, VT, serve
from .test_cli import _spawn, _stop

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.slow]

CALLBACKS = 1000
SENDERS = 10
PACE = 0.012  # s between callbacks: 1,000 take ~12 s, the blackhole 10 of them
CONCURRENCY = 8
HANDLERS = textwrap.dedent(
    """
    import asyncio
    import os
    from pathlib import Path
    from lark_async.callbacks import CallbackRouter

    router = CallbackRouter()
    LOG = Path(__file__).with_name("runs.txt")

    def note(line):
        with LOG.open("a") as f:  # one small O_APPEND write per line
            f.write(line + "\\n")

    @router.event("im.message.receive_v1")
    async def message(event):
        note(f"start {event.event_id} {os.getpid()} {int(event.redelivered)}")
        await asyncio.sleep(0.08)
        note(f"end {event.event_id} {os.getpid()}")
    """
)


def runs(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def ended(log: Path) -> set[str]:
    return {r[1] for r in runs(log) if len(r) >= 3 and r[0] == "end"}


async def wait_until(check: object, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_blackhole_and_worker_kill_during_1000_callbacks_handle_each_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    amqp_url: str,
    amqp_port: int,
    pg_dsn: str,
    pg_schema: str,
) -> None:
    module = f"cb_partition_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "runs.txt"
    await upgrade(pg_dsn, pg_schema)
    queue = f"lark.test.{uuid.uuid4().hex[:12]}"
    audit = f"{queue}.audit"
    args = ["worker", "--amqp", amqp_url, "--queue", queue, "--handlers", f"{module}:router"]
    args += ["--concurrency", str(CONCURRENCY), "--retry-delays", "1"]
    args += ["--state", f"{pg_dsn}?schema={pg_schema}", "--claim-lease", "2"]
    procs: list[asyncio.subprocess.Process] = []

    async def start_worker() -> asyncio.subprocess.Process:
        proc = await _spawn(args, tmp_path)
        procs.append(proc)
        assert proc.stdout is not None
        for _ in range(2):  # "no app credentials", then "consuming"
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"consuming" in line
        return proc

    admin = await aio_pika.connect(amqp_url)
    proxy = Proxy(amqp_port)
    await proxy.start()
    try:
        channel = await admin.channel()
        exchange = await channel.declare_exchange(queue, aio_pika.ExchangeType.TOPIC, durable=True)
        audit_queue = await channel.declare_queue(audit, durable=True)
        await audit_queue.bind(exchange, routing_key="#")

        first = await start_worker()
        await start_worker()

        broker = RabbitBroker(
            f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
            queue=queue,
            connect_timeout=0.5,
            probe_timeout=0.5,
            reconnect_interval=0.2,
        )
        spool = SqliteSpool(tmp_path / "spool.sqlite3")
        callbacks = Callbacks(KEYS, broker=broker, spool=spool, publish_timeout=0.5)
        async with (
            serve(callbacks.web_app(worker=False)) as base,
            CallbackSender(
                APP,
                encrypt_key=EK,
                verification_token=VT,
                events_url=f"{base}/lark/{APP}/events",
                retry_schedule=(),
            ) as sender,
        ):
            assert broker.available
            bodies = [sender.message_body(f"m{i}") for i in range(CALLBACKS)]
            ids = [str(b["header"]["event_id"]) for b in bodies]
            statuses: list[int | None] = []
            loop = asyncio.get_running_loop()
            t0 = loop.time()

            async def send(lane: int) -> None:
                for i in range(lane, CALLBACKS, SENDERS):
                    await asyncio.sleep(max(0.0, t0 + i * PACE - loop.time()))
                    delivery = await sender.event(bodies[i])
                    statuses.append(delivery.attempts[-1].status)

            sending = asyncio.gather(*(send(lane) for lane in range(SENDERS)))
            await asyncio.sleep(1.5)  # some callbacks go straight to the queue first
            proxy.blackhole()
            await asyncio.sleep(10)  # the partition
            before_heal = len(ended(log))
            proxy.heal()
            # Kill a worker in the middle of the replay burst, then restart it.
            await wait_until(lambda: len(ended(log)) >= before_heal + 150, timeout=60)
            first.kill()
            await first.wait()
            conn = await asyncpg.connect(pg_dsn)
            try:
                rows = await conn.fetch(
                    f'SELECT event_id FROM "{pg_schema}".lark_callback_events'
                    " WHERE state = 'claimed'"
                )
            finally:
                await conn.close()
            await start_worker()
            await sending
            await wait_until(lambda: ended(log) >= set(ids), timeout=60)
            await wait_until(lambda: broker.available, timeout=30)
            left = await spool.count()
            stats = callbacks.ingress.stats if callbacks.ingress else None
            replay_unconfirmed = callbacks.ingress.delivery.replay_unconfirmed  # type: ignore[union-attr]
        lines = runs(log)
        copies: Counter[str] = Counter()
        while (message := await audit_queue.get(fail=False, no_ack=True)) is not None:
            copies[str(message.message_id)] += 1
    finally:
        for proc in procs:
            if proc.returncode is None:
                await _stop(proc)
        await proxy.stop()
        channel = await admin.channel()
        for name in (queue, f"{queue}.dead", f"{queue}.retry.1000ms", audit):
            await channel.queue_delete(name)
        await channel.exchange_delete(queue)
        await admin.close()

    # Every callback was answered 200, and nothing was left in the spool.
    assert statuses == [200] * CALLBACKS
    assert stats is not None and left == 0
    # The partition was used: many spooled and replayed, few publishes timed out
    # (the first ones marked RabbitMQ down; the rest went straight to the spool).
    assert stats.spooled >= 300 and stats.replayed == stats.spooled
    timed_out = broker.unconfirmed
    assert timed_out <= SENDERS + 100  # in flight at the cut, plus one replay batch

    # Handled once: none lost; exactly once unless claimed when a worker died
    # (the claims then live include the surviving worker's own).
    claimed = {r["event_id"] for r in rows}
    assert 0 < len(claimed) <= 2 * CONCURRENCY  # the kill came mid-run
    starts = Counter(r[1] for r in lines if r[0] == "start")
    ends = Counter(r[1] for r in lines if r[0] == "end")
    for event_id in ids:
        assert ends[event_id] >= 1, event_id
        if event_id not in claimed:
            assert (starts[event_id], ends[event_id]) == (1, 1), event_id
    killed = str(first.pid)
    interrupted = {r[1] for r in lines if r[0] == "start" and r[2] == killed} - {
        r[1] for r in lines if r[0] == "end" and r[2] == killed
    }
    assert interrupted <= claimed
    for event_id in claimed:  # any second run was told it may have run before
        later = [r for r in lines if r[0] == "start" and r[1] == event_id][1:]
        assert all(r[3] == "1" for r in later), event_id
    for event_id in interrupted:
        assert [r for r in lines if r[0] == "start" and r[1] == event_id and r[3] == "1"]

    # Publishes: every callback at least once; a second copy only for a publish
    # that timed out (it may have landed), and none beyond that.
    assert set(copies) == set(ids)
    extra = sum(n - 1 for n in copies.values())
    assert extra <= timed_out
    assert replay_unconfirmed <= timed_out

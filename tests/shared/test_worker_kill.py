"""Handled once across worker processes: one SIGKILLed mid-run, restarted, and a second one."""

from __future__ import annotations

import asyncio
import os
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import aio_pika
import asyncpg  # type: ignore[import-untyped]
import pytest

from lark_async.auth.migrations import upgrade
from lark_async.callbacks import CallbackEvent, Envelope, RabbitBroker
from tests.callbacks.test_cli import _spawn, _stop

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.slow]

HANDLERS = textwrap.dedent(
    """
    import asyncio
    import os
    from pathlib import Path
    from lark_async.callbacks import CallbackRouter

    router = CallbackRouter()
    LOG = Path(__file__).with_name("runs.txt")
    STUCK = {"ev-kill-0050", "ev-kill-0051"}

    def note(line):
        with LOG.open("a") as f:  # one small O_APPEND write per line
            f.write(line + "\\n")

    @router.event("im.message.receive_v1")
    async def message(event):
        note(f"start {event.event_id} {os.getpid()} {int(event.redelivered)}")
        if event.event_id in STUCK and not event.redelivered:
            await asyncio.sleep(600)  # still running when its worker is killed
        await asyncio.sleep(0.02)
        note(f"end {event.event_id} {os.getpid()}")
    """
)
EVENTS = 300
STUCK = {"ev-kill-0050", "ev-kill-0051"}


def runs(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


async def wait_until(check: object, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_killed_worker_restarted_plus_another_handle_each_event_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    amqp_url: str,
    pg_dsn: str,
    pg_schema: str,
) -> None:
    module = f"cb_kill_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "runs.txt"
    await upgrade(pg_dsn, pg_schema)
    state = f"{pg_dsn}?schema={pg_schema}"
    queue = f"lark.test.{uuid.uuid4().hex[:12]}"
    args = [
        "worker",
        "--amqp",
        amqp_url,
        "--queue",
        queue,
        "--handlers",
        f"{module}:router",
        "--concurrency",
        "4",
        "--retry-delays",
        "1",
        "--state",
        state,
        "--claim-lease",
        "2",
    ]
    broker = RabbitBroker(amqp_url, queue=queue)
    procs: list[asyncio.subprocess.Process] = []

    async def start_worker() -> asyncio.subprocess.Process:
        proc = await _spawn(args, tmp_path)
        procs.append(proc)
        assert proc.stdout is not None
        for _ in range(2):  # "no app credentials", then "consuming"
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert b"consuming" in line
        return proc

    try:
        await broker.start()
        ids = [f"ev-kill-{i:04d}" for i in range(EVENTS)]
        for event_id in ids:
            event = CallbackEvent(
                event_id=event_id,
                app_id="cli_killtest0000001",
                kind="event",
                event_type="im.message.receive_v1",
                received_at=0.0,
                verified_by="signature",
                payload={"event": {}},
            )
            await broker.publish(Envelope(event), timeout=5)

        first = await start_worker()

        def stuck_and_busy() -> bool:
            lines = runs(log)
            started = {r[1] for r in lines if r[0] == "start"}
            return started >= STUCK and sum(r[0] == "end" for r in lines) >= 100

        await wait_until(stuck_and_busy)
        first.kill()  # SIGKILL: no cleanup, unacked messages go back to the queue
        await first.wait()
        conn = await asyncpg.connect(pg_dsn)
        try:
            rows = await conn.fetch(
                f"SELECT event_id FROM \"{pg_schema}\".lark_callback_events WHERE state = 'claimed'"
            )
        finally:
            await conn.close()
        running = {r["event_id"] for r in rows}  # claimed, not done: running at the kill
        assert running >= STUCK and len(running) <= 4  # --concurrency 4

        await start_worker()  # the killed one, restarted
        await start_worker()  # and a second one
        await wait_until(lambda: {r[1] for r in runs(log) if r[0] == "end"} >= set(ids))
        await asyncio.sleep(0)  # let nothing else run: counting now
        lines = runs(log)
    finally:
        for proc in procs:
            if proc.returncode is None:
                await _stop(proc)
        await broker.close()
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            for name in (queue, f"{queue}.dead", f"{queue}.retry.1000ms"):
                await channel.queue_delete(name)
            await channel.exchange_delete(queue)

    ends = Counter(r[1] for r in lines if r[0] == "end")
    starts = Counter(r[1] for r in lines if r[0] == "start")
    for event_id in ids:  # none lost
        assert ends[event_id] >= 1, event_id
        if event_id not in running:  # exactly once
            assert (starts[event_id], ends[event_id]) == (1, 1), event_id
    # A handler running at the kill ran again, told it may have run before.
    for event_id in running:
        again = [
            r for r in lines if r[0] == "start" and r[1] == event_id and r[2] != str(first.pid)
        ]
        assert again and all(r[3] == "1" for r in again), event_id
    assert os.getpid() not in {int(r[2]) for r in lines}

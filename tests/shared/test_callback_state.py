"""The callback memories in PostgreSQL: replay memory and handled-once claims, across processes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lark_async.auth.migrations import upgrade
from lark_async.callbacks.dedupe import ClaimHeld
from lark_async.shared import SharedDatabase, SharedUnavailable
from lark_async.shared.callbacks import PostgresProcessedStore, PostgresReplayStore
from lark_async.testing.callbacks import CallbackSender
from tests.callbacks.conftest import APP, EK, VT
from tests.callbacks.test_cli import HANDLERS, _spawn, _stop, free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
async def state(pg_dsn: str, pg_schema: str) -> str:
    await upgrade(pg_dsn, pg_schema)
    return f"{pg_dsn}?schema={pg_schema}"


@pytest.fixture
async def db(state: str) -> AsyncIterator[SharedDatabase]:
    database = SharedDatabase(state)
    yield database
    await database.aclose()


async def eventually(check: object, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_replay_memory_remembers_until_expiry(db: SharedDatabase, state: str) -> None:
    other = SharedDatabase(state)  # another ingress
    try:
        a, b = PostgresReplayStore(db), PostgresReplayStore(other)
        assert await a.add({"app:nonce:n1": 60.0, "app:event:e1": 60.0}) == set()
        assert await b.add({"app:nonce:n1": 60.0}) == {"app:nonce:n1"}
        assert await b.add({"app:nonce:n2": 60.0, "app:event:e1": 60.0}) == {"app:event:e1"}
        await b.discard(["app:event:e1"])  # answered 503: Feishu's retry must get in
        assert await a.add({"app:event:e1": 60.0}) == set()
        # Expiry by time, not by count.
        assert await a.add({"app:nonce:short": 0.05}) == set()

        async def expired() -> bool:
            return await b.add({"app:nonce:short": 0.05}) == set()

        await eventually(expired)
    finally:
        await other.aclose()


async def test_claims_done_release_and_expired_lease(db: SharedDatabase, state: str) -> None:
    other = SharedDatabase(state)
    try:
        one = PostgresProcessedStore(db, lease=60.0)
        two = PostgresProcessedStore(other, lease=60.0)
        assert await one.claim("ev1")
        with pytest.raises(ClaimHeld):  # running elsewhere: look again later
            await two.claim("ev1")
        await one.done("ev1")
        assert not await two.claim("ev1")  # done: acked without running
        assert await one.claim("ev2")
        await one.release("ev2")  # the handler failed: a retry may claim it
        assert await two.claim("ev2")
        assert not two.reclaimed("ev2")

        dying = PostgresProcessedStore(db, lease=0.05)
        assert await dying.claim("ev3")  # ... and its worker dies

        async def taken_over() -> bool:
            try:
                return await two.claim("ev3")
            except ClaimHeld:
                return False

        await eventually(taken_over)
        assert two.reclaimed("ev3")  # the handler sees redelivered=True
        assert not two.reclaimed("ev3")  # asked once
    finally:
        await other.aclose()


async def test_claim_raises_when_database_down() -> None:
    dead = SharedDatabase("postgresql://postgres@127.0.0.1:1/test")
    try:
        with pytest.raises(SharedUnavailable):
            await PostgresProcessedStore(dead).claim("ev")
        # The replay memory answers "nothing seen": the ingress's own memory still guards.
        assert await PostgresReplayStore(dead).add({"k": 1.0}) == set()
    finally:
        await dead.aclose()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    module = f"cb_handlers_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CB_MODULE", module)
    return tmp_path


@pytest.mark.slow
async def test_two_ingress_processes_share_the_replay_memory(project: Path, state: str) -> None:
    ports = [free_port(), free_port()]
    procs = [
        await _spawn(
            ["serve", "--port", str(port), "--handlers", f"{os.environ['CB_MODULE']}:router"],
            project,
            LARK_ASYNC_APP_ID=APP,
            LARK_ASYNC_ENCRYPT_KEY=EK,
            LARK_ASYNC_VERIFICATION_TOKEN=VT,
            LARK_ASYNC_STATE_URL=state,
        )
        for port in ports
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert b"listening on" in line
        urls = [f"http://127.0.0.1:{port}/lark/{APP}/events" for port in ports]
        async with CallbackSender(APP, encrypt_key=EK, verification_token=VT) as sender:
            body = sender.message_body("hello")
            headers, raw = sender.sign(body)
            first = await sender.post(urls[0], headers, raw)
            assert first.status == 200
            again = await sender.post(urls[1], headers, raw)  # the exact bytes, elsewhere
            assert again.status == 401
            # Feishu's retry (new nonce, same event id) at the other ingress: a duplicate.
            headers2, raw2 = sender.sign(body)
            retry = await sender.post(urls[1], headers2, raw2)
            assert (retry.status, retry.body) == (200, {})
        handled = project / "handled.txt"

        async def once() -> bool:
            return handled.exists() and len(handled.read_text().split()) == 1

        await eventually(once)
    finally:
        for proc in procs:
            code, err = await _stop(proc)
            assert code == 0, err
    assert handled.read_text().split() == [body["header"]["event_id"]]

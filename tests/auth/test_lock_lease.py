"""The cross-host token lock: a hung fetch in one process does not stall the others.

Two processes share a PostgreSQL token store. The first (a worker process)
takes the refresh lock and its token request hangs at the emulator. The
second (this test's process) must still get a token within its lock_timeout
plus its own fetch:

- the holder gives the lock up after its ``lock_lease``, so the second
  takes it well before its ``lock_timeout``;
- a holder that keeps the lock for its whole fetch (an older version, or a
  stuck process) only costs the second its ``lock_timeout``: it then re-reads
  the store and fetches by itself instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.auth.crypto import SecretBox
from lark_async.auth.migrations import upgrade
from lark_async.auth.registry import AppRegistry
from lark_async.auth.stores import PostgresTokenStore
from lark_async.testing import FakeLark

APP_ID, SECRET = "cli_leasetest00001", "lease-secret-0001"
ECHO = "/open-apis/emulator/v1/echo"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
HANG = 120.0  # the holder's token request: far longer than anything below

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


async def _until(condition: Any, what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def hung_holder(
    tmp_path: Path, fake: FakeLark, store_url: str, secret_key: str, lock_lease: float
) -> AsyncIterator[None]:
    """Another process holding the token lock while its token request hangs."""
    registry = tmp_path / "apps.db"
    async with AppRegistry(registry, SecretBox(secret_key)) as reg:
        await reg.add(APP_ID, SECRET, created_by="test")
    hang = fake.faults.delay(f"POST {TOKEN_PATH}", HANG, times=1)
    args = {
        "registry": str(registry),
        "secret_key": secret_key,
        "store": store_url,
        "url": fake.url,
        "apps": [APP_ID],
        "calls": 1,
        "lock_lease": lock_lease,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.auth.mp_worker",
        json.dumps(args),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.strip() == b"ready", line
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        # It took the lock, read the store and sent its fetch, which now hangs.
        await _until(lambda: hang.hits == 1, "the holder's token request")
        yield
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _second_process_call(
    fake: FakeLark, pg_dsn: str, schema: str, secret_key: str, lock_timeout: float
) -> float:
    """One call from this process; returns how long it took (seconds)."""
    store = PostgresTokenStore(pg_dsn, SecretBox(secret_key), schema=schema)
    lark = LarkClient(APP_ID, SECRET, domain=fake.url, token_store=store, lock_timeout=lock_timeout)
    async with lark:
        started = time.monotonic()
        resp = await lark.request("GET", ECHO)
        took = time.monotonic() - started
    assert resp.ok, str(resp.error)
    return took


async def test_holder_gives_the_lock_up_after_its_lease(
    tmp_path: Path, pg_dsn: str, pg_schema: str, secret_key: str, log_lines: list[str]
) -> None:
    await upgrade(pg_dsn, pg_schema)
    lock_timeout = 20.0
    async with FakeLark() as fake:
        fake.add_app(APP_ID, SECRET)
        store_url = f"{pg_dsn}?schema={pg_schema}"
        async with hung_holder(tmp_path, fake, store_url, secret_key, lock_lease=1.0):
            took = await _second_process_call(fake, pg_dsn, pg_schema, secret_key, lock_timeout)
        assert fake.token_fetches(APP_ID) == 1  # ours; the holder's never got through
    # It got the lock when the lease ended, long before its own lock_timeout.
    assert took < lock_timeout / 2, took
    assert not any("lark.token.lock_timeout" in line for line in log_lines)


async def test_waiter_that_times_out_on_the_lock_fetches_itself(
    tmp_path: Path, pg_dsn: str, pg_schema: str, secret_key: str, log_lines: list[str]
) -> None:
    await upgrade(pg_dsn, pg_schema)
    lock_timeout = 1.0
    async with FakeLark() as fake:
        fake.add_app(APP_ID, SECRET)
        store_url = f"{pg_dsn}?schema={pg_schema}"
        async with hung_holder(tmp_path, fake, store_url, secret_key, lock_lease=math.inf):
            took = await _second_process_call(fake, pg_dsn, pg_schema, secret_key, lock_timeout)
        assert fake.token_fetches(APP_ID) == 1
    # Waited out the lock, then fetched itself: lock_timeout plus its own fetch.
    assert lock_timeout <= took < lock_timeout + 10, took
    timeouts = [json.loads(x) for x in log_lines if "lark.token.lock_timeout" in x]
    assert len(timeouts) == 1 and timeouts[0]["level"] == "warning"

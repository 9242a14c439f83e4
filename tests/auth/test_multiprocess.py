"""4 processes x 250 concurrent calls on an expired token: one fetch per app."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from lark_async.auth.crypto import SecretBox
from lark_async.auth.migrations import upgrade
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.registry import AppRegistry
from lark_async.auth.stores.postgres import PostgresTokenStore
from lark_async.testing import FakeLark

APPS = {"cli_multiproc00001": "mp-secret-0001", "cli_multiproc00002": "mp-secret-0002"}
PROCESSES = 4
CALLS = 250

pytestmark = pytest.mark.slow


async def test_four_processes_fetch_each_token_exactly_once(
    tmp_path: Path, pg_dsn: str, pg_schema: str, secret_key: str
) -> None:
    box = SecretBox(secret_key)
    await upgrade(pg_dsn, schema=pg_schema)
    registry = tmp_path / "apps.db"
    async with AppRegistry(registry, box) as reg:
        for app_id, secret in APPS.items():
            await reg.add(app_id, secret, created_by="test")
    # Expired tokens already in the store: every process sees them at once.
    store = PostgresTokenStore(pg_dsn, box, schema=pg_schema)
    now = time.time()
    for app_id in APPS:
        await store.put(
            StoredToken(
                app_id, TokenKind.TENANT, "t-expired0000000000000000", now - 10, 7200, now - 7210
            )
        )
    await store.close()

    async with FakeLark() as fake:
        for app_id, secret in APPS.items():
            fake.add_app(app_id, secret)
        args = json.dumps(
            {
                "registry": str(registry),
                "secret_key": secret_key,
                "store": f"{pg_dsn}?schema={pg_schema}",
                "url": fake.url,
                "apps": list(APPS),
                "calls": CALLS,
            }
        )
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.auth.mp_worker",
                args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=str(Path(__file__).resolve().parents[2]),
            )
            for _ in range(PROCESSES)
        ]
        for p in procs:
            assert p.stdout is not None
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            assert line.strip() == b"ready", line
        for p in procs:  # release them together
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            await p.stdin.drain()
        outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
        summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
        assert all(s["ok"] == CALLS for s in summaries), summaries
        for app_id in APPS:
            assert fake.token_fetches(app_id) == 1, app_id

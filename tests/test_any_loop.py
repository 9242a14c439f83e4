"""One client, any event loop: the same client across consecutive ``asyncio.run`` calls.

A sync wrapper, a CLI or a Celery task runs each call on a new loop. The HTTP
session, the store's connections and every asyncio lock belong to a loop; the
tokens, settings and caches belong to the client and carry over.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
import warnings
from pathlib import Path

import pytest

from lark_async import LarkClient
from tests.helpers import APP_ID, APP_SECRET, ThreadedEmulator

ECHO = "/open-apis/emulator/v1/echo"


def _two_runs(client: LarkClient, emu: ThreadedEmulator) -> None:
    async def call() -> None:
        resp = await client.request("GET", ECHO)
        assert resp.ok, resp.error

    async def close() -> None:
        await client.aclose()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "unclosed session" or "loop is closed"
            asyncio.run(call())
            asyncio.run(call())
            asyncio.run(call())
            assert emu.token_fetches() == 1  # the token outlived the loops
    finally:
        asyncio.run(close())
        gc.collect()


def test_memory_store_across_runs() -> None:
    with ThreadedEmulator() as emu:
        client = LarkClient(APP_ID, APP_SECRET, domain=emu.url, client_rate_limit=False)
        _two_runs(client, emu)


def test_sqlite_store_across_runs(tmp_path: Path) -> None:
    with ThreadedEmulator() as emu:
        client = LarkClient(
            APP_ID,
            APP_SECRET,
            domain=emu.url,
            token_store=f"sqlite:///{tmp_path / 'tokens.db'}",
            secret_key=_key(),
        )
        _two_runs(client, emu)


@pytest.mark.postgres
def test_postgres_store_across_runs(pg_dsn: str) -> None:
    from lark_async.auth.migrations import upgrade

    schema = f"lark_loop_{uuid.uuid4().hex[:10]}"
    asyncio.run(_create_schema(pg_dsn, schema))
    asyncio.run(upgrade(pg_dsn, schema))
    with ThreadedEmulator() as emu:
        client = LarkClient(
            APP_ID,
            APP_SECRET,
            domain=emu.url,
            token_store=f"{pg_dsn}?schema={schema}",
            secret_key=_key(),
        )
        try:
            _two_runs(client, emu)
        finally:
            asyncio.run(_drop_schema(pg_dsn, schema))


def test_rate_limiter_across_runs() -> None:
    with ThreadedEmulator() as emu:
        client = LarkClient(APP_ID, APP_SECRET, domain=emu.url, client_rate_limit=True)
        _two_runs(client, emu)


def _key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


async def _create_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()


async def _drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()

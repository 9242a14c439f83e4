"""Fixtures for the contact tests: the emulator, a client, and the cache's store.

``env`` runs each test on the memory store; ``stored_env`` on memory, SQLite and
PostgreSQL (the client's ``token_store`` URL; the PostgreSQL schema is made
and migrated for the test, and dropped after it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import ContactEmulator, FakeLark
from tests.helpers import APP_ID, client_for, emulator


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    contact: ContactEmulator
    clock: FakeClock
    store_url: str | None = None
    secret_key: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def calls(self, path_part: str = "/open-apis/", app_id: str | None = APP_ID) -> int:
        """Requests the emulator answered whose path contains ``path_part``."""
        return sum(
            1
            for e in self.fake.journal.entries
            if path_part in e.path and (app_id is None or e.app_id == app_id)
        )

    def client(self, app_id: str = APP_ID, secret: str | None = None) -> LarkClient:
        """Another client on the same emulator and store (a second process, in effect)."""
        from tests.helpers import APP_SECRET

        kwargs: dict[str, object] = {}
        if self.store_url:
            kwargs.update(token_store=self.store_url, secret_key=self.secret_key)
        return LarkClient(
            app_id,
            secret or APP_SECRET,
            domain=self.fake.url,
            clock=self.clock,
            client_rate_limit=False,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def env(clock: FakeClock) -> AsyncIterator[Env]:
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        yield Env(fake, lark, ContactEmulator.of(fake), clock)
        assert fake.handler_errors == []


async def _pg_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    import asyncpg

    from lark_async.auth.migrations import upgrade

    dsn = request.getfixturevalue("pg_dsn")
    schema = f"lark_test_{uuid.uuid4().hex[:12]}"
    await upgrade(dsn, schema)
    try:
        yield f"{dsn}?schema={schema}"
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stored_env(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path, secret_key: str
) -> AsyncIterator[Env]:
    kind = request.param
    pg = None
    if kind == "memory":
        url = None
    elif kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        pg = _pg_url(request)
        url = await anext(pg)
    try:
        async with emulator(clock) as fake:
            kwargs = {"token_store": url, "secret_key": secret_key} if url else {}
            async with client_for(fake, clock, **kwargs) as lark:
                yield Env(fake, lark, ContactEmulator.of(fake), clock, url, secret_key)
                assert fake.handler_errors == []
    finally:
        if pg is not None:
            await pg.aclose()


def events(lines: list[str], event: str) -> list[dict[str, object]]:
    """The JSON log records of one event."""
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == event:
            out.append(record)
    return out

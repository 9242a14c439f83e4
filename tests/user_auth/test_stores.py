"""User grants in SQLite and PostgreSQL: encrypted at rest, shared, one refresh across processes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from lark_async import LarkClient
from lark_async.auth.migrations import upgrade
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark, ImEmulator
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator
from tests.user_auth.conftest import ECHO, REDIRECT, Env, authorise


async def _pg_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
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


@pytest.fixture(params=["sqlite", "postgres"])
async def stored(
    request: pytest.FixtureRequest, tmp_path: Path, secret_key: str
) -> AsyncIterator[tuple[Env, str]]:
    pg = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tokens.db'}"
    else:
        pg = _pg_url(request)  # a fresh, migrated schema
        url = await anext(pg)
    clock = FakeClock()
    try:
        async with emulator(clock) as fake:
            user = ImEmulator.of(fake).add_user(name="Ann")["open_id"]
            async with client_for(fake, clock, token_store=url, secret_key=secret_key) as lark:
                yield Env(fake, lark, clock, user), url
    finally:
        if pg is not None:
            await pg.aclose()


async def raw_rows(url: str) -> list[tuple[str, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///") :]) as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    "SELECT open_id, access_enc, refresh_enc FROM lark_user_tokens"
                )
            ]
    dsn, _, schema = url.partition("?schema=")
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            f'SELECT open_id, access_enc, refresh_enc FROM "{schema}".lark_user_tokens'
        )
    finally:
        await conn.close()
    return [tuple(r) for r in rows]


async def test_tokens_are_encrypted_at_rest(stored: tuple[Env, str], remember_secret) -> None:  # type: ignore[no-untyped-def]
    env, url = stored
    await authorise(env)
    grant = await env.lark.user_auth.grant(env.user)
    assert grant is not None
    remember_secret(grant.access_token)
    remember_secret(grant.refresh_token)
    ((open_id, access_enc, refresh_enc),) = await raw_rows(url)
    assert open_id == env.user
    for value in (access_enc, refresh_enc):
        assert value.startswith("gAAAA")  # Fernet
        assert grant.access_token not in value and grant.refresh_token not in value


async def test_a_new_client_on_the_same_store_refreshes_from_it(
    stored: tuple[Env, str], secret_key: str
) -> None:
    env, url = stored
    await authorise(env)
    env.clock.advance(7200)
    async with client_for(env.fake, env.clock, token_store=url, secret_key=secret_key) as other:
        assert (await other.request("GET", ECHO, as_user=env.user)).ok
    assert env.fake.oauth.refreshes() == 1
    # the first client reads the rotated grant from the store: no reuse
    assert (await env.lark.request("GET", ECHO, as_user=env.user)).ok
    assert env.fake.oauth.refreshes() == 1 and env.fake.oauth.reuses() == 0


async def test_replayed_state_is_refused_across_clients(
    stored: tuple[Env, str], secret_key: str
) -> None:
    from lark_async.user_auth import AuthSessionInvalid
    from tests.user_auth.conftest import REDIRECT, code_and_state

    env, url = stored
    session = await env.lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
    code, state = code_and_state(env.fake.oauth.approve(session.url, env.user))
    async with client_for(env.fake, env.clock, token_store=url, secret_key=secret_key) as other:
        await other.user_auth.complete(code, state)
    with pytest.raises(AuthSessionInvalid):
        await env.lark.user_auth.complete(code, state)


PROCESSES = 3
CALLS = 50


@pytest.mark.slow
async def test_processes_sharing_postgres_refresh_once(
    pg_dsn: str, pg_schema: str, secret_key: str
) -> None:
    await upgrade(pg_dsn, schema=pg_schema)
    url = f"{pg_dsn}?schema={pg_schema}"
    async with FakeLark() as fake:  # real time: the workers use the system clock
        fake.add_app(APP_ID, APP_SECRET)
        user = ImEmulator.of(fake).add_user(name="Ann")["open_id"]
        async with LarkClient(
            APP_ID, APP_SECRET, domain=fake.url, token_store=url, secret_key=secret_key
        ) as lark:
            await authorise(Env(fake, lark, FakeClock(), user))
            store = lark.user_tokens.store
            grant = await store.get_grant(APP_ID, user)
            assert grant is not None
            grant.expires_at = time.time() - 10  # expired for every process
            await store.put_grant(grant)
        args = json.dumps(
            {
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
                "secret_key": secret_key,
                "store": url,
                "url": fake.url,
                "user": user,
                "calls": CALLS,
            }
        )
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.user_auth.mp_worker",
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
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            await p.stdin.drain()
        outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
        summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
        assert all(s["ok"] == CALLS for s in summaries), summaries
        assert fake.oauth.refreshes() == 1
        assert fake.oauth.reuses() == 0


async def test_missing_tables_name_the_migration(
    pg_dsn: str, pg_schema: str, secret_key: str
) -> None:
    from lark_async.auth.stores import StoreMisconfigured

    clock = FakeClock()
    url = f"{pg_dsn}?schema={pg_schema}"  # a schema nobody migrated
    async with (
        emulator(clock) as fake,
        client_for(fake, clock, token_store=url, secret_key=secret_key) as lark,
    ):
        with pytest.raises(StoreMisconfigured) as err:
            await lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
        assert "lark_user_tokens" in str(err.value) and "db upgrade" in (err.value.hint or "")
        resp = await lark.request("GET", ECHO, as_user="ou_ann")
        assert isinstance(resp.error, StoreMisconfigured)

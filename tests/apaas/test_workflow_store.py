"""Workflow execution records live in the client's store: another client (and another
process) reads them back from SQLite or PostgreSQL; memory loses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lark_async import LarkClient
from lark_async.apaas import MemoryWorkflowStore, WorkflowExecution
from lark_async.apaas.store import store_for
from lark_async.core.clock import FakeClock
from lark_async.core.errors import ConfigError, NotFound
from lark_async.testing import ApaasEmulator, FakeLark
from tests.contact.conftest import _pg_url
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator

ROOT = Path(__file__).resolve().parents[2]

READER = textwrap.dedent(
    """
    import asyncio, json, sys
    from lark_async import LarkClient

    async def main(url, key, execution_id):
        async with LarkClient(sys.argv[4], sys.argv[5], domain="http://127.0.0.1:9",
                              token_store=url, secret_key=key) as lark:
            resp = await lark.apaas.get_workflow_status(execution_id)
            print(json.dumps(resp.unwrap().model_dump()))

    asyncio.run(main(*sys.argv[1:4]))
    """
)


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    pg = _pg_url(request)
    try:
        yield await anext(pg)
    finally:
        await pg.aclose()


async def trigger(fake: FakeLark, lark: LarkClient, **kwargs: object) -> WorkflowExecution:
    ApaasEmulator.of(fake).add_flow("app_ns", "flow_1", outputs={"approved": True})
    resp = await lark.apaas.trigger_workflow(
        "flow_1",
        {"amount": 5},
        namespace="app_ns",
        operator="ann@example.com",
        **kwargs,  # type: ignore[arg-type]
    )
    return resp.unwrap()


async def test_a_new_client_and_a_new_process_read_the_record(
    store_url: str, secret_key: str
) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake:
        async with client_for(fake, clock, token_store=store_url, secret_key=secret_key) as lark:
            run = await trigger(fake, lark)
            later = await trigger(fake, lark, is_async=True)
        # A new client instance on the same store.
        async with client_for(fake, clock, token_store=store_url, secret_key=secret_key) as again:
            assert (await again.apaas.get_workflow_status(run.execution_id)).unwrap() == run
            back = (await again.apaas.get_workflow_status(later.execution_id)).unwrap()
            assert back.is_async and back.status is None
            assert back.note and "no status query" in back.note
            # Records are per app: another app's client does not see them.
            fake.add_app("cli_other0000001", "other-secret")
            other = LarkClient(
                "cli_other0000001",
                "other-secret",
                domain=fake.url,
                clock=clock,
                token_store=store_url,
                secret_key=secret_key,
            )
            async with other:
                assert isinstance(
                    (await other.apaas.get_workflow_status(run.execution_id)).error, NotFound
                )
    # A new process, with no emulator at all: the record comes from the store alone.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", READER, store_url, secret_key, run.execution_id, APP_ID, APP_SECRET],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert WorkflowExecution.model_validate(json.loads(out.stdout)) == run


async def test_the_memory_store_loses_records_with_the_client() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake:
        async with client_for(fake, clock) as lark:
            run = await trigger(fake, lark)
            assert (await lark.apaas.get_workflow_status(run.execution_id)).ok
        async with client_for(fake, clock) as again:
            lost = await again.apaas.get_workflow_status(run.execution_id)
            assert isinstance(lost.error, NotFound)
            assert "memory store loses them on restart" in (lost.error.hint or "")


async def test_memory_store_keeps_the_newest() -> None:
    store = MemoryWorkflowStore(limit=2)
    for n in range(3):
        await store.put("cli_a", f"e{n}", f'"{n}"', float(n))
    assert len(store) == 2 and await store.get("cli_a", "e0") is None
    assert await store.get("cli_a", "e2") == '"2"' and await store.get("cli_b", "e2") is None


async def test_a_missing_postgres_table_says_how_to_create_it(pg_dsn: str) -> None:
    store = store_for(f"{pg_dsn}?schema=lark_no_such_schema")
    with pytest.raises(ConfigError, match="lark-async db upgrade"):
        await store.get("cli_a", "x")
    await store.close()


def test_unknown_or_malformed_urls_are_config_errors() -> None:
    for url in ("redis://x", "sqlite:///", "postgresql://h/db?schema=bad-name"):
        with pytest.raises(ConfigError):
            store_for(url)


async def test_closing_the_client_closes_the_services_stores(
    store_url: str, secret_key: str
) -> None:
    """A store's connections (SQLite) or pool (PostgreSQL) end with the client, not the loop."""
    clock = FakeClock()
    async with emulator(clock) as fake:
        lark = client_for(fake, clock, token_store=store_url, secret_key=secret_key)
        async with lark:
            await trigger(fake, lark)
            assert (await lark.contact.get_user_by_email("nobody@example.com")).ok
            executions = lark.apaas._executions
            cache_store = lark.contact._cache.store
            held = [
                getattr(store, attr)
                for store in (executions, cache_store)
                for attr in ("_file", "_pools")  # SQLite: the state file; PostgreSQL: the pools
                if hasattr(store, attr)
            ]
            assert [len(h) for h in held] == [1, 1]
        assert [len(h) for h in held] == [0, 0]

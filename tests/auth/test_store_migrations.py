"""Alembic migrations for the PostgreSQL tables, from code and from the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from lark_async.auth.migrations import current_revision, script_location, upgrade
from lark_async.auth.stores import StoreUnavailable
from lark_async.cli.db import db_app
from lark_async.core.errors import ConfigError

pytestmark = pytest.mark.postgres

DEAD_DSN = "postgresql://postgres:hunter2@127.0.0.1:1/test"


@pytest.fixture
async def admin(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_dsn)
    yield conn
    await conn.close()


async def tables_in(admin: asyncpg.Connection, schema: str) -> set[str]:
    rows = await admin.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    return {r["tablename"] for r in rows}


# The newest revision: 0005 added the aPaaS workflow execution records.
HEAD = "0005"


def test_scripts_found_in_the_checkout() -> None:
    location = script_location()
    assert (location / "env.py").is_file()
    assert (location / "versions" / "0001_lark_tokens.py").is_file()


async def test_upgrade_creates_the_table_and_is_idempotent(
    pg_dsn: str, pg_schema: str, admin: asyncpg.Connection
) -> None:
    assert await current_revision(pg_dsn, pg_schema) is None
    await upgrade(pg_dsn, pg_schema)
    assert await tables_in(admin, pg_schema) == {
        "lark_tokens",
        "lark_contact_users",
        "lark_user_tokens",
        "lark_user_auth_sessions",
        "lark_rate_lanes",
        "lark_callback_replay",
        "lark_callback_events",
        "lark_apaas_executions",
        "alembic_version",
    }
    assert await current_revision(pg_dsn, pg_schema) == HEAD
    await upgrade(pg_dsn, pg_schema)  # again: nothing to do, no error
    assert await current_revision(pg_dsn, pg_schema) == HEAD
    columns = await admin.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = $1 AND table_name = 'lark_tokens'",
        pg_schema,
    )
    assert {c["column_name"]: c["data_type"] for c in columns} == {
        "app_id": "text",
        "kind": "text",
        "value_enc": "text",
        "expires_at": "double precision",
        "lifetime": "double precision",
        "fetched_at": "double precision",
        "updated_at": "timestamp with time zone",
    }


async def test_upgrade_creates_a_missing_schema(
    pg_dsn: str, pg_schema: str, admin: asyncpg.Connection
) -> None:
    schema = f"{pg_schema}_new"
    try:
        await upgrade(pg_dsn, schema)
        assert "lark_tokens" in await tables_in(admin, schema)
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def test_concurrent_upgrades_of_one_schema(
    pg_dsn: str, pg_schema: str, admin: asyncpg.Connection
) -> None:
    await asyncio.gather(*(upgrade(pg_dsn, pg_schema) for _ in range(3)))
    assert await current_revision(pg_dsn, pg_schema) == HEAD


async def test_upgrade_refuses_unsafe_schema_names(pg_dsn: str) -> None:
    with pytest.raises(ConfigError):
        await upgrade(pg_dsn, 'x"; DROP SCHEMA public; --')


async def test_upgrade_against_a_dead_server() -> None:
    with pytest.raises(StoreUnavailable) as info:
        await upgrade(DEAD_DSN, "whatever")
    assert "hunter2" not in str(info.value)


# -- lark-async db ... ----------------------------------------------------------


async def invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    # The command runs its own event loop, so it runs in a thread here.
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, db_app, args, env=env)
    return result.exit_code, result.output


async def test_cli_upgrade(pg_dsn: str, pg_schema: str) -> None:
    code, out = await invoke(["current", "--dsn", pg_dsn, "--schema", pg_schema])
    assert (code, out.strip()) == (0, f"schema {pg_schema}: at revision none")
    code, out = await invoke(["upgrade", "--dsn", pg_dsn, "--schema", pg_schema])
    assert code == 0, out
    assert f"schema {pg_schema}: at revision {HEAD}" in out
    code, out = await invoke(["upgrade", "--dsn", pg_dsn, "--schema", pg_schema])
    assert code == 0, out  # idempotent


async def test_cli_reads_dsn_and_schema_from_the_environment(pg_dsn: str, pg_schema: str) -> None:
    env = {"LARK_ASYNC_PG_DSN": f"{pg_dsn}?schema={pg_schema}"}
    code, out = await invoke(["upgrade"], env=env)
    assert code == 0, out
    assert f"schema {pg_schema}: at revision {HEAD}" in out


async def test_cli_reports_a_dead_server_in_one_line() -> None:
    code, out = await invoke(["upgrade", "--dsn", DEAD_DSN])
    assert code == 2
    assert "error:" in out and "unavailable" in out
    assert "hunter2" not in out and "Traceback" not in out


async def test_cli_needs_a_dsn() -> None:
    code, out = await invoke(["upgrade"], env={"LARK_ASYNC_PG_DSN": ""})
    assert code != 0 and "--dsn" in out

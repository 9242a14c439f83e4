"""A failing token store never fails a call: for tenant/app tokens it is a miss.

Against real PostgreSQL: a read-only server (what a failover to a standby
looks like), a role without privileges, a missing table, a statement timeout.
Each call succeeds, exactly one ERROR line is logged, and nothing untyped
escapes. Rows whose expiry is NaN or infinite are corrupt: deleted, refetched.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from lark_async.auth.crypto import SecretBox
from lark_async.auth.migrations import upgrade
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores import (
    MemoryTokenStore,
    PostgresTokenStore,
    SQLiteTokenStore,
    StoreMisconfigured,
    StoreUnavailable,
)
from lark_async.core.errors import ConfigError
from tests.helpers import APP_ID, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
CALLS = 5


@pytest.fixture
def box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


@pytest.fixture
async def admin(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_dsn)
    yield conn
    await conn.close()


@pytest.fixture
async def role(admin: asyncpg.Connection, pg_schema: str) -> AsyncIterator[str]:
    """A login role of its own (the suite's user is a superuser, whom nothing refuses)."""
    name = f"lark_role_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE ROLE "{name}" LOGIN')
    await admin.execute(f'GRANT USAGE ON SCHEMA "{pg_schema}" TO "{name}"')
    try:
        yield name
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name
        )
        await admin.execute(f'DROP OWNED BY "{name}"')
        await admin.execute(f'DROP ROLE "{name}"')


def dsn_as(pg_dsn: str, user: str) -> str:
    return pg_dsn.replace("postgres@", f"{user}@", 1)


def errors_in(log_lines: list[str]) -> list[dict[str, Any]]:
    return [e for e in map(json.loads, log_lines) if e["level"] == "error"]


async def calls_succeed_with_one_error(
    store: Any, log_lines: list[str], *, before: StoredToken | None = None
) -> dict[str, Any]:
    """CALLS calls through ``store`` all succeed; returns the one ERROR line."""
    async with emulator() as fake, client_for(fake, token_store=store) as lark:
        results = [await lark.request("GET", ECHO) for _ in range(CALLS)]
        assert all(r.ok for r in results), [str(r.error) for r in results]
        fake.revoke_tokens(APP_ID)  # a refresh, whose delete and write fail too
        assert (await lark.request("GET", ECHO)).ok
        assert fake.token_fetches(APP_ID) == 2
    errors = errors_in(log_lines)
    assert [e["event"] for e in errors] == ["lark.token.store_unavailable"], errors
    return errors[0]


@pytest.mark.postgres
async def test_read_only_database_is_a_miss(
    pg_dsn: str,
    pg_schema: str,
    admin: asyncpg.Connection,
    role: str,
    box: SecretBox,
    log_lines: list[str],
) -> None:
    await upgrade(pg_dsn, pg_schema)
    await admin.execute(
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{pg_schema}".lark_tokens TO "{role}"'
    )
    # What a failover to a standby looks like to a session: every write is refused.
    await admin.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
    # A stored token that has expired: it is read, and its replacement cannot be written.
    async with _store(pg_dsn, pg_schema, box) as writer:
        await writer.put(StoredToken(APP_ID, TokenKind.TENANT, "t-old", 1.0, 7200, 0.0))
    async with _store(dsn_as(pg_dsn, role), pg_schema, box) as store:
        with pytest.raises(StoreUnavailable, match="ReadOnlySQLTransactionError"):
            await store.put(StoredToken(APP_ID, TokenKind.TENANT, "t-new", 2e9, 7200, 0.0))
        error = await calls_succeed_with_one_error(store, log_lines)
    assert error["operation"] == "write"
    assert "ReadOnlySQLTransactionError" in error["error"]


@pytest.mark.postgres
async def test_permission_denied_is_a_miss(
    pg_dsn: str, pg_schema: str, role: str, box: SecretBox, log_lines: list[str]
) -> None:
    await upgrade(pg_dsn, pg_schema)  # the table exists, the role may not touch it
    async with _store(dsn_as(pg_dsn, role), pg_schema, box) as store:
        with pytest.raises(StoreMisconfigured) as info:
            await store.get(APP_ID, TokenKind.TENANT)
        assert isinstance(info.value, ConfigError) and "GRANT" in (info.value.hint or "")
        error = await calls_succeed_with_one_error(store, log_lines)
    assert error["operation"] == "read"
    assert "GRANT" in error["error"]


@pytest.mark.postgres
async def test_missing_table_is_a_miss(
    pg_dsn: str, pg_schema: str, box: SecretBox, log_lines: list[str]
) -> None:
    async with _store(pg_dsn, pg_schema, box) as store:  # never migrated
        error = await calls_succeed_with_one_error(store, log_lines)
    assert "db upgrade" in error["error"]


@pytest.mark.postgres
async def test_missing_schema_is_a_miss(pg_dsn: str, box: SecretBox, log_lines: list[str]) -> None:
    schema = f"lark_absent_{uuid.uuid4().hex[:12]}"
    async with _store(pg_dsn, schema, box) as store:
        error = await calls_succeed_with_one_error(store, log_lines)
    assert "db upgrade" in error["error"]


@pytest.mark.postgres
async def test_statement_timeout_is_a_miss(
    pg_dsn: str,
    pg_schema: str,
    admin: asyncpg.Connection,
    box: SecretBox,
    log_lines: list[str],
) -> None:
    await upgrade(pg_dsn, pg_schema)
    store = PostgresTokenStore(pg_dsn, box, schema=pg_schema, command_timeout=0.2)
    # Another session locks the table: every read and write of the store waits, then times out.
    async with admin.transaction():
        await admin.execute(f'LOCK TABLE "{pg_schema}".lark_tokens IN ACCESS EXCLUSIVE MODE')
        try:
            async with emulator() as fake, client_for(fake, token_store=store) as lark:
                results = [await lark.request("GET", ECHO) for _ in range(CALLS)]
                assert all(r.ok for r in results), [str(r.error) for r in results]
                assert fake.token_fetches(APP_ID) == 1
        finally:
            await store.close()
    errors = errors_in(log_lines)
    assert [e["event"] for e in errors] == ["lark.token.store_unavailable"], errors
    assert "TimeoutError" in errors[0]["error"]


class _BrokenStore(MemoryTokenStore):
    """A third-party store with a bug: every call raises something untyped."""

    name = "broken"

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None:
        raise KeyError("boom")

    async def put(self, token: StoredToken) -> None:
        raise RuntimeError("boom")


async def test_any_exception_of_a_custom_store_is_a_miss(log_lines: list[str]) -> None:
    error = await calls_succeed_with_one_error(_BrokenStore(), log_lines)
    assert error["store"] == "broken" and error["error"] == "KeyError"


# -- rows whose expiry is not a finite number -----------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("column", "value"),
    [("expires_at", "NaN"), ("expires_at", "Infinity"), ("lifetime", "NaN")],
)
async def test_postgres_row_with_non_finite_time_is_refetched(
    pg_dsn: str,
    pg_schema: str,
    admin: asyncpg.Connection,
    box: SecretBox,
    column: str,
    value: str,
) -> None:
    await upgrade(pg_dsn, pg_schema)
    async with emulator() as fake:
        planted = fake.issue_token(APP_ID)  # a token Feishu would accept
        async with _store(pg_dsn, pg_schema, box) as store:
            await store.put(StoredToken(APP_ID, TokenKind.TENANT, planted, 2e9, 7200, 0.0))
            await admin.execute(f'UPDATE "{pg_schema}".lark_tokens SET {column} = $1', float(value))
            async with client_for(fake, token_store=store) as lark:
                assert (await lark.request("GET", ECHO)).ok
            assert fake.token_fetches(APP_ID) == 1  # the planted row was not used
            row = await admin.fetchrow(
                f'SELECT expires_at, lifetime FROM "{pg_schema}".lark_tokens'
            )
            assert math.isfinite(row["expires_at"]) and math.isfinite(row["lifetime"])
            stored = await store.get(APP_ID, TokenKind.TENANT)
            assert stored is not None and stored.value != planted


async def test_sqlite_row_with_infinite_expiry_is_refetched(
    tmp_path: Path, box: SecretBox, log_lines: list[str]
) -> None:
    path = tmp_path / "tokens.db"
    async with emulator() as fake:
        planted = fake.issue_token(APP_ID)
        store = SQLiteTokenStore(path, box)
        await store.put(StoredToken(APP_ID, TokenKind.TENANT, planted, 2e9, 7200, 0.0))
        with sqlite3.connect(path) as db:
            db.execute("UPDATE lark_tokens SET expires_at = 9e999")  # +inf
        async with client_for(fake, token_store=store) as lark:
            assert (await lark.request("GET", ECHO)).ok
        assert fake.token_fetches(APP_ID) == 1
        stored = await store.get(APP_ID, TokenKind.TENANT)
        assert stored is not None and math.isfinite(stored.expires_at)
        assert stored.value != planted
        await store.close()
    assert any("could not be decrypted or parsed" in line for line in log_lines)


@contextlib.asynccontextmanager
async def _store(dsn: str, schema: str, box: SecretBox) -> AsyncIterator[PostgresTokenStore]:
    store = PostgresTokenStore(dsn, box, schema=schema)
    try:
        yield store
    finally:
        await store.close()

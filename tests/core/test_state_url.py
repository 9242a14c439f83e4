"""One reading of state URLs for the token store, shared state, contact cache and aPaaS records."""

from __future__ import annotations

import pytest

from lark_async.core.errors import ConfigError
from lark_async.core.state_url import (
    is_postgres_url,
    parse_postgres_url,
    split_postgres_url,
    state_store_kind,
)


def test_kinds() -> None:
    assert state_store_kind(None, what="x") == ("memory", "")
    assert state_store_kind(" memory ", what="x") == ("memory", "")
    assert state_store_kind("sqlite:///a/b.db", what="x") == ("sqlite", "a/b.db")
    assert state_store_kind("sqlite:////abs.db", what="x") == ("sqlite", "/abs.db")
    url = "postgresql://u:p@h/db?schema=lark"
    assert state_store_kind(url, what="x") == ("postgres", url)
    with pytest.raises(ConfigError, match="needs a file path"):
        state_store_kind("sqlite:///", what="x")
    with pytest.raises(ConfigError, match="unknown state store 'redis' for the cache") as info:
        state_store_kind("redis://secret@h", what="the cache")
    assert "secret" not in str(info.value)


def test_postgres_urls() -> None:
    assert split_postgres_url("postgresql+asyncpg://h/db?schema=s&sslmode=require") == (
        "postgresql://h/db?sslmode=require",
        "s",
    )
    assert split_postgres_url("postgres://h/db") == ("postgres://h/db", "public")
    assert parse_postgres_url("postgres://h/db") == ("postgres://h/db", None)
    assert is_postgres_url("postgresql://h/db") and not is_postgres_url("sqlite:///x")
    for bad in ("postgresql://h/db?schema=bad-name", "postgresql://[h/db", "mysql://h/db"):
        with pytest.raises(ConfigError) as info:
            split_postgres_url(bad)
        assert "h/db" not in info.value.message


def test_every_store_reads_a_url_the_same_way() -> None:
    from lark_async.apaas.pg_store import PostgresWorkflowStore
    from lark_async.contact.pg_store import PostgresCacheStore
    from lark_async.shared.db import SharedDatabase

    url = "postgresql+asyncpg://u@h:5432/db?schema=team_a"
    shared = SharedDatabase(url)
    for store in (PostgresWorkflowStore.from_url(url), PostgresCacheStore.from_url(url)):
        assert (store._dsn, store._schema) == (shared.dsn, shared.schema)

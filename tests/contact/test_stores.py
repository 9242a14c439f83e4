"""The cache's stores: memory, SQLite, PostgreSQL behave alike, under concurrent writes too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lark_async.contact.store import CacheStore, MemoryCacheStore, store_for
from lark_async.core.errors import ConfigError


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CacheStore]:
    from tests.contact.conftest import _pg_url

    pg = None
    if request.param == "memory":
        made: CacheStore = MemoryCacheStore()
    elif request.param == "sqlite":
        made = store_for(f"sqlite:///{tmp_path / 'c.db'}")
    else:
        pg = _pg_url(request)
        made = store_for(await anext(pg))
    try:
        yield made
    finally:
        await made.close()
        if pg is not None:
            await pg.aclose()


async def test_rows_per_app(store: CacheStore) -> None:
    await store.put_many(
        "cli_a", {"email:a@x.io": ('{"name":"A"}', 1.0), "open_id:ou_1": ("{}", 2.0)}
    )
    await store.put_many("cli_b", {"email:a@x.io": ('{"name":"B"}', 3.0)})
    assert await store.get_many("cli_a", ["email:a@x.io", "nope"]) == {
        "email:a@x.io": ('{"name":"A"}', 1.0)
    }
    await store.put_many("cli_a", {"email:a@x.io": ('{"name":"A2"}', 5.0)})  # replaced
    assert (await store.get_many("cli_a", ["email:a@x.io"]))["email:a@x.io"][1] == 5.0
    assert await store.delete("cli_a", ["email:a@x.io", "missing"]) == 1
    assert await store.delete("cli_a") == 1
    assert await store.get_many("cli_b", ["email:a@x.io"]) == {
        "email:a@x.io": ('{"name":"B"}', 3.0)
    }


async def test_concurrent_batch_writes_all_land(store: CacheStore) -> None:
    async def write(n: int) -> None:
        await store.put_many("cli_a", {f"k{n}:{i}": (f'"{n}"', float(n)) for i in range(20)})

    await asyncio.gather(*(write(n) for n in range(30)))
    keys = [f"k{n}:{i}" for n in range(30) for i in range(20)]
    assert len(await store.get_many("cli_a", keys)) == 600


async def test_a_missing_postgres_table_says_how_to_create_it(pg_dsn: str) -> None:
    store = store_for(f"{pg_dsn}?schema=lark_no_such_schema")
    with pytest.raises(ConfigError, match="lark-async db upgrade"):
        await store.get_many("cli_a", ["x"])
    await store.close()


def test_unknown_or_malformed_urls_are_config_errors() -> None:
    for url in ("redis://x", "sqlite:///", "postgresql://h/db?schema=bad-name"):
        with pytest.raises(ConfigError):
            store_for(url)

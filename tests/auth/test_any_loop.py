"""One store or registry, any event loop: two ``asyncio.run`` calls in a row.

A sync wrapper, a CLI or a Celery task runs each piece of work in its own
``asyncio.run``. The same store object must work in each; whatever it made
on a finished loop (pool, connection, lock) must be closed or dropped without
"Event loop is closed", "Task was destroyed" or unraisable warnings, so every
warning is an error here and the asyncio logger must stay silent.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lark_async.auth.crypto import SecretBox
from lark_async.auth.models import TokenKind
from lark_async.auth.registry import AppRegistry
from lark_async.auth.stores import (
    MemoryTokenStore,
    PostgresTokenStore,
    SQLiteTokenStore,
    TokenStore,
)
from tests.auth.test_stores import SECRET_VALUE, check_lock_basics, make_token

pytestmark = pytest.mark.filterwarnings("error")

T = TypeVar("T")


class Run:
    """Runs each coroutine on a fresh loop, shut down the way ``asyncio.run`` does."""

    def __init__(self, loop_factory: Callable[[], asyncio.AbstractEventLoop] | None) -> None:
        self.loop_factory = loop_factory

    def __call__(self, coro: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=self.loop_factory) as runner:
            return runner.run(coro)


def _loop_kinds() -> list[Any]:
    kinds = [pytest.param(None, id="asyncio")]
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is the optional "fast" extra
        return kinds
    return [*kinds, pytest.param(uvloop.new_event_loop, id="uvloop")]


@pytest.fixture(params=_loop_kinds())
def run(request: pytest.FixtureRequest) -> Run:
    return Run(request.param)


@pytest.fixture
def box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


@pytest.fixture(autouse=True)
def quiet_asyncio(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail on anything asyncio reports through its logger (e.g. a destroyed task)."""
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        yield
        gc.collect()  # finalizers of anything left over run now, under "error"
    noise = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert not noise


# -- token stores -----------------------------------------------------------------


async def concurrent_first_use(store: TokenStore) -> None:
    """Several tasks at once on a fresh loop: a lock made on an earlier loop would be
    contended here and fail ("bound to a different event loop")."""
    await asyncio.gather(*(store.get("cli_a", TokenKind.TENANT) for _ in range(4)))


async def first_run(store: TokenStore) -> None:
    await concurrent_first_use(store)
    async with store.lock("cli_a", TokenKind.TENANT, 5.0):
        await store.put(make_token())
    got = await store.get("cli_a", TokenKind.TENANT)
    assert got is not None and got.value == SECRET_VALUE


async def second_run(store: TokenStore, rival: TokenStore | None) -> None:
    await concurrent_first_use(store)
    got = await store.get("cli_a", TokenKind.TENANT)  # written on the first loop
    assert got is not None and got.value == SECRET_VALUE
    async with store.lock("cli_a", TokenKind.TENANT, 5.0):
        await store.delete("cli_a", TokenKind.TENANT)
    assert await store.get("cli_a", TokenKind.TENANT) is None
    await store.put(make_token(kind=TokenKind.APP))
    if rival is not None:  # the lock still excludes others on this loop
        await check_lock_basics(store, rival)
        await rival.close()


async def after_close(store: TokenStore) -> None:
    # Closing ends this loop's connection, not the store: a later call reopens.
    got = await store.get("cli_a", TokenKind.APP)
    assert got is not None and got.value == SECRET_VALUE
    await store.close()


def check_two_runs(run: Run, store: TokenStore, rival: TokenStore | None = None) -> None:
    run(first_run(store))
    run(second_run(store, rival))
    run(store.close())
    run(after_close(store))


def test_memory_store_in_two_runs(run: Run) -> None:
    check_two_runs(run, MemoryTokenStore())


def test_sqlite_store_in_two_runs(run: Run, tmp_path: Path, box: SecretBox) -> None:
    path = tmp_path / "tokens.db"
    check_two_runs(run, SQLiteTokenStore(path, box), SQLiteTokenStore(path, box))


@pytest.mark.postgres
def test_postgres_store_in_two_runs(run: Run, pg_dsn: str, pg_schema: str, box: SecretBox) -> None:
    def make() -> PostgresTokenStore:
        return PostgresTokenStore(pg_dsn, box, schema=pg_schema, retry_interval=0)

    store = make()
    run(store.ensure_schema())
    check_two_runs(run, store, make())


def test_sqlite_store_after_a_loop_closed_without_shutdown(
    run: Run, tmp_path: Path, box: SecretBox
) -> None:
    store = SQLiteTokenStore(tmp_path / "tokens.db", box)
    loop = (run.loop_factory or asyncio.new_event_loop)()
    loop.run_until_complete(first_run(store))
    loop.close()  # not asyncio.run: the connection outlives its loop
    run(second_run(store, None))  # the dead loop's connection is closed from here
    run(store.close())


@pytest.mark.postgres
def test_postgres_store_after_a_loop_closed_without_shutdown(
    run: Run, pg_dsn: str, pg_schema: str, box: SecretBox
) -> None:
    store = PostgresTokenStore(pg_dsn, box, schema=pg_schema, retry_interval=0)
    run(store.ensure_schema())
    loop = (run.loop_factory or asyncio.new_event_loop)()
    loop.run_until_complete(first_run(store))
    with warnings.catch_warnings():
        # Closing a loop with its pool's sockets open is the scenario itself:
        # uvloop warns at close, asyncpg and asyncio when the sockets are collected.
        warnings.simplefilter("ignore", ResourceWarning)
        loop.close()
        # The old pool cannot be closed without its loop: it is forgotten.
        run(second_run(store, None))
        gc.collect()
    run(store.close())


# -- app registry -------------------------------------------------------------------


def test_registry_in_two_runs(run: Run, tmp_path: Path, box: SecretBox) -> None:
    reg = AppRegistry(tmp_path / "apps.sqlite3", box)

    async def concurrent_reads() -> None:
        # Contends for the connection's lock, which must belong to this loop.
        await asyncio.gather(*(reg.find("cli_alpha") for _ in range(4)))

    async def first() -> None:
        await reg.open()
        await concurrent_reads()
        await reg.add("cli_alpha", "secret-1", created_by="test")
        assert (await reg.current("cli_alpha")).app_secret.get_secret_value() == "secret-1"

    async def second() -> None:
        # Opened on the first loop; this loop connects on first use.
        await concurrent_reads()
        assert (await reg.current("cli_alpha")).name == ""
        await reg.update("cli_alpha", name="Alpha", by="test")
        assert (await reg.current("cli_alpha")).name == "Alpha"
        assert [a.app_id for a in await reg.list()] == ["cli_alpha"]
        assert [e.action for e in await reg.audit("cli_alpha")] == ["add", "update"]
        await reg.close()

    async def closed() -> None:
        with pytest.raises(RuntimeError, match="not open"):
            await reg.find("cli_alpha")
        async with reg:  # closed means closed until opened again
            found = await reg.find("cli_alpha")
            assert found is not None and found.name == "Alpha"

    run(first())
    run(second())
    assert "closed" in repr(reg)
    run(closed())


def test_registry_after_a_loop_closed_without_shutdown(
    run: Run, tmp_path: Path, box: SecretBox
) -> None:
    reg = AppRegistry(tmp_path / "apps.sqlite3", box)
    loop = (run.loop_factory or asyncio.new_event_loop)()
    loop.run_until_complete(reg.open())
    loop.run_until_complete(reg.add("cli_alpha", "secret-1", created_by="test"))
    loop.close()

    async def second() -> None:
        await reg.disable("cli_alpha", by="test")
        assert not (await reg.current("cli_alpha")).active
        await reg.close()

    run(second())


def test_registry_sees_another_writer_on_each_loop(
    run: Run, tmp_path: Path, box: SecretBox
) -> None:
    """The cache belongs to the registry, but a new loop's connection revalidates it."""
    path = tmp_path / "apps.sqlite3"
    reader, writer = AppRegistry(path, box), AppRegistry(path, box)

    async def write(change: Callable[[AppRegistry], Coroutine[Any, Any, object]]) -> None:
        async with writer:
            await change(writer)

    async def read() -> str:
        await reader.open()
        return (await reader.current("cli_alpha")).name

    run(write(lambda w: w.add("cli_alpha", "secret-1", name="one", created_by="test")))
    assert run(read()) == "one"
    run(write(lambda w: w.update("cli_alpha", name="two", by="test")))
    assert run(read()) == "two"
    run(reader.close())

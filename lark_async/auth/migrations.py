"""PostgreSQL schema migrations (alembic), run from code or ``lark-async db upgrade``.

The scripts ship inside the wheel as ``lark_async/_alembic``; in a source
checkout they are the repo-root ``alembic/`` directory. Alembic is driven
through SQLAlchemy's async engine on asyncpg, the driver the store already
uses, so no second PostgreSQL driver is needed.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lark_async.auth.stores.base import StoreUnavailable
from lark_async.auth.stores.pg_connection import (
    CONNECTION_ERRORS,
    parse_postgres_url,
    redact_dsn,
    validate_schema,
)
from lark_async.core.errors import ConfigError
from lark_async.core.extras import require

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../lark_async
_ALEMBIC_LOCK = threading.Lock()
# SQLAlchemy's asyncio support also needs greenlet; the postgres extra brings all three.
_MIGRATION_PACKAGES = ("sqlalchemy.ext.asyncio", "greenlet", "alembic")


def script_location() -> Path:
    """The alembic script directory: packaged copy first, then the source checkout."""
    for candidate in (_PACKAGE_DIR / "_alembic", _PACKAGE_DIR.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise ConfigError(
        "the alembic migration scripts are missing from this installation",
        hint="reinstall lark-async (the wheel ships them as lark_async/_alembic)",
    )


def make_engine(dsn: str, connect_timeout: float = 10.0) -> AsyncEngine:
    """An async engine whose connections asyncpg opens from ``dsn`` itself.

    Handing asyncpg the DSN (rather than letting SQLAlchemy parse it) keeps
    every option the store accepts (``sslmode``, unix sockets, ...) valid here.
    """
    asyncpg = require("asyncpg", extra="postgres", feature="PostgreSQL migrations")
    for module in _MIGRATION_PACKAGES:
        require(module, extra="postgres", feature="PostgreSQL migrations")
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    clean, _ = parse_postgres_url(dsn)

    async def connect() -> object:
        return await asyncpg.connect(clean, timeout=connect_timeout)

    return create_async_engine("postgresql+asyncpg://", async_creator=connect, poolclass=NullPool)


def prepare_schema(connection: Connection, schema: str) -> None:
    """Serialise concurrent upgrades of one schema, and create it if missing.

    Runs inside the migration transaction, so the advisory lock is held until
    the upgrade commits and a second process then finds nothing left to do.
    """
    from sqlalchemy import text

    schema = validate_schema(schema)
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"lark_async:migrate:{schema}"},
    )
    # Checked first because CREATE SCHEMA IF NOT EXISTS still demands the
    # database-level CREATE privilege, which an app role may lack.
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).scalar()
    if not exists:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))


def _run_alembic(connection: Connection, schema: str, revision: str) -> None:
    # Imported from submodules: ruff takes a bare `alembic` for the repo's own
    # alembic/ directory and would sort it as first-party.
    require("alembic", extra="postgres", feature="PostgreSQL migrations")
    from alembic.command import upgrade as alembic_upgrade
    from alembic.config import Config

    cfg = Config()
    # Config values go through configparser interpolation: escape any '%'.
    cfg.set_main_option("script_location", str(script_location()).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    alembic_upgrade(cfg, revision)


async def upgrade(dsn: str, schema: str = "public", revision: str = "head") -> None:
    """Bring ``schema`` (created if missing) up to ``revision``; safe to repeat.

    Alembic keeps its running context in module globals, so two upgrades in
    one process must not interleave: each runs in a worker thread, on its own
    event loop, one at a time. Across processes the advisory lock taken in
    :func:`prepare_schema` serialises them.
    """
    schema = validate_schema(schema)
    parse_postgres_url(dsn)  # a bad URL is a ConfigError here, not in the thread
    for module in _MIGRATION_PACKAGES:  # and so is a missing extra
        require(module, extra="postgres", feature="PostgreSQL migrations")
    await asyncio.to_thread(_upgrade_in_thread, dsn, schema, revision)


def _upgrade_in_thread(dsn: str, schema: str, revision: str) -> None:
    with _ALEMBIC_LOCK:
        asyncio.run(_upgrade(dsn, schema, revision))


async def _upgrade(dsn: str, schema: str, revision: str) -> None:
    require("sqlalchemy", extra="postgres", feature="PostgreSQL migrations")
    from sqlalchemy import exc as sa_exc

    # SQLAlchemy wraps driver errors raised mid-statement; asyncpg's own
    # connect errors come through unwrapped.
    unreachable: tuple[type[BaseException], ...] = (
        *CONNECTION_ERRORS,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
    )
    engine = make_engine(dsn)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run_alembic, schema, revision)
    except unreachable as exc:
        raise StoreUnavailable(
            f"cannot run the migrations: PostgreSQL at {redact_dsn(dsn)} is unavailable "
            f"({type(exc).__name__})"
        ) from None
    finally:
        await engine.dispose()


async def current_revision(dsn: str, schema: str = "public") -> str | None:
    """The schema's alembic revision, or ``None`` before the first upgrade."""
    asyncpg = require("asyncpg", extra="postgres", feature="PostgreSQL migrations")

    clean, _ = parse_postgres_url(dsn)
    schema = validate_schema(schema)
    try:
        conn = await asyncpg.connect(clean, timeout=10.0)
    except CONNECTION_ERRORS as exc:
        raise StoreUnavailable(
            f"PostgreSQL at {redact_dsn(dsn)} is unavailable ({type(exc).__name__})"
        ) from None
    try:
        rows = await conn.fetch(f'SELECT version_num FROM "{schema}".alembic_version')  # noqa: S608
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return ", ".join(sorted(row[0] for row in rows)) or None

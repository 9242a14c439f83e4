"""Alembic environment for lark-async's PostgreSQL tables.

Two ways in:

* from code (``lark_async.auth.migrations.upgrade``, ``lark-async db upgrade``):
  the caller hands over a connection in ``config.attributes["connection"]``
  and the schema in ``config.attributes["schema"]``;
* from the alembic CLI at the repo root: ``alembic upgrade head -x schema=NAME``,
  with the DSN from ``-x dsn=...``, ``LARK_ASYNC_PG_DSN`` or ``sqlalchemy.url``.

Either way the version table lives in the target schema, so several
deployments can share one database, each in its own schema.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from sqlalchemy.engine import Connection

from alembic import context
from lark_async.auth.migrations import make_engine, prepare_schema
from lark_async.auth.stores.postgres import validate_schema
from lark_async.core.errors import ConfigError

config = context.config


def _schema() -> str:
    x_args = context.get_x_argument(as_dictionary=True)
    schema = config.attributes.get("schema") or x_args.get("schema") or "public"
    return validate_schema(str(schema))


def _dsn() -> str:
    x_args = context.get_x_argument(as_dictionary=True)
    dsn = (
        x_args.get("dsn")
        or os.environ.get("LARK_ASYNC_PG_DSN")
        or config.get_main_option("sqlalchemy.url")
    )
    if not dsn:
        raise ConfigError(
            "no PostgreSQL DSN for the migrations",
            hint="pass -x dsn=postgresql://... or set LARK_ASYNC_PG_DSN",
        )
    return dsn


def _migrate(connection: Connection, schema: str) -> None:
    prepare_schema(connection, schema)
    context.configure(connection=connection, target_metadata=None, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_with_own_engine(schema: str) -> None:
    engine = make_engine(_dsn())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate, schema)
    finally:
        await engine.dispose()


def _main() -> None:
    schema = _schema()
    if context.is_offline_mode():
        # `alembic upgrade head --sql`: print the SQL instead of running it.
        context.configure(
            dialect_name="postgresql",
            literal_binds=True,
            target_metadata=None,
            version_table_schema=schema,
        )
        with context.begin_transaction():
            context.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, schema)
        return
    # Only the alembic CLI gets here; leave an application's logging alone otherwise.
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    asyncio.run(_migrate_with_own_engine(schema))


_main()

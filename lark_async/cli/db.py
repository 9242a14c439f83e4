"""``lark-async db``: create or upgrade the PostgreSQL tables (alembic migrations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from lark_async.auth.stores.base import StoreUnavailable
from lark_async.cli import print_error, run
from lark_async.core.errors import LarkError, NetworkError

DSN_ENV = "LARK_ASYNC_PG_DSN"
# Expected failures: one red line and this exit code, as the root command does.
ERROR_EXIT_CODE = 2

db_app = typer.Typer(
    name="db",
    help="Manage the PostgreSQL schema lark-async keeps tokens in.",
    no_args_is_help=True,
    add_completion=False,  # the root command offers completion
    pretty_exceptions_show_locals=False,  # locals would include the DSN's password
)

Dsn = Annotated[
    str,
    typer.Option(
        "--dsn",
        envvar=DSN_ENV,
        metavar="URL",
        help="postgresql://user:password@host:5432/database (a ?schema=NAME part is honoured).",
        show_default=False,
    ),
]
Schema = Annotated[
    str | None,
    typer.Option(
        "--schema",
        metavar="NAME",
        help="Schema for the tables, created if missing. [default: the URL's, else public]",
        show_default=False,
    ),
]


@db_app.callback()
def _db() -> None:
    """Manage the PostgreSQL schema lark-async keeps tokens in."""
    # A callback keeps `db` a group even with a single command in it.


@db_app.command()
def upgrade(
    dsn: Dsn,
    schema: Schema = None,
    revision: Annotated[
        str, typer.Option("--revision", metavar="REV", help="Target revision.")
    ] = "head",
) -> None:
    """Create the tables, or bring them up to the latest revision. Safe to repeat."""
    from lark_async.auth import migrations

    async def _upgrade(clean_dsn: str, name: str) -> None:
        await migrations.upgrade(clean_dsn, name, revision)
        now = await migrations.current_revision(clean_dsn, name)
        typer.echo(f"schema {name}: at revision {now}")

    def _do(clean_dsn: str, name: str) -> None:
        run(_upgrade(clean_dsn, name))

    _with_target(dsn, schema, _do)


@db_app.command()
def current(dsn: Dsn, schema: Schema = None) -> None:
    """Show the schema's current revision ("none" if never upgraded)."""
    from lark_async.auth import migrations

    def _do(clean_dsn: str, name: str) -> None:
        revision = run(migrations.current_revision(clean_dsn, name))
        typer.echo(f"schema {name}: at revision {revision or 'none'}")

    _with_target(dsn, schema, _do)


def _with_target(dsn: str, schema: str | None, action: Callable[[str, str], None]) -> None:
    """Resolve DSN and schema, run ``action``, and turn expected errors into one line."""
    from lark_async.auth.stores.postgres import parse_postgres_url

    try:
        clean, url_schema = parse_postgres_url(dsn)
        action(clean, schema or url_schema or "public")
    except StoreUnavailable as exc:
        print_error(NetworkError(str(exc), hint="check that PostgreSQL is up and the DSN is right"))
        raise typer.Exit(ERROR_EXIT_CODE) from None
    except LarkError as exc:
        print_error(exc)
        raise typer.Exit(ERROR_EXIT_CODE) from None

"""``lark-async``: the root command.

Sub-apps are listed in :data:`SUBCOMMANDS` as ``"module:attribute"`` and
imported only when used, so ``lark-async keygen`` doesn't pay for every
team's imports. To add one, write a ``typer.Typer`` in its own module and add
a line here.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from lark_async import cli
from lark_async.auth.crypto import SecretBox
from lark_async.auth.registry import REGISTRY_PATH_ENV
from lark_async.cli import CliState, print_error
from lark_async.core.errors import ConfigError, LarkError
from lark_async.core.logging import LOGGER_NAME, configure_logging

__all__ = ["SUBCOMMANDS", "app", "main"]

# name -> "module:attribute" of a typer.Typer; imported on first use.
SUBCOMMANDS: dict[str, str] = {
    "apps": "lark_async.cli.apps:app",
    "bitable": "lark_async.cli.bitable:bitable_app",
    "db": "lark_async.cli.db:db_app",
    "send": "lark_async.cli.send:send_app",
    "serve": "lark_async.cli.serve:serve_app",
    "worker": "lark_async.cli.serve:worker_app",
}

# Expected errors exit with this code after one red line (2, like a usage error).
ERROR_EXIT_CODE = 2


class _LazyGroup(TyperGroup):
    """Root group: loads sub-apps lazily and turns LarkErrors into one line."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *SUBCOMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in SUBCOMMANDS:
            command = _load_subcommand(cmd_name)
            self.commands[cmd_name] = command
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LarkError as err:
            print_error(err)
            raise typer.Exit(ERROR_EXIT_CODE) from None


def _load_subcommand(name: str) -> Any:
    module_name, _, attribute = SUBCOMMANDS[name].partition(":")
    sub_app = getattr(importlib.import_module(module_name), attribute)
    # A Typer with one command and no callback becomes that command (`send`).
    command = typer.main.get_command(sub_app)
    command.name = name
    return command


app = typer.Typer(
    name="lark-async",
    cls=_LazyGroup,
    help="lark-async: send messages, import and export Bitable tables, manage the "
    "Feishu/Lark app registry, run the callback server.",
    no_args_is_help=True,
    # -h everywhere: sub-commands inherit the root context's help option names.
    context_settings={"help_option_names": ["-h", "--help"]},
    # Locals in a traceback could include a secret just typed at a prompt.
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        from lark_async import __version__

        typer.echo(f"lark-async {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            envvar=REGISTRY_PATH_ENV,
            metavar="PATH",
            help="The app registry file (default: lark-apps.sqlite3 in the current directory).",
        ),
    ] = None,
) -> None:
    ctx.obj = cli.current = CliState(registry=registry)
    _show_logs()


def _show_logs() -> None:
    """The CLI is an application, so it shows lark-async's log lines (the library is silent).

    ``LARK_ASYNC_LOG_LEVEL`` and ``LARK_ASYNC_LOG_FORMAT`` choose them (default
    INFO, console, on stderr). A program that runs this CLI in-process and has
    already given the ``lark_async`` logger a handler keeps its own setup.
    """
    if any(not isinstance(h, logging.NullHandler) for h in logging.getLogger(LOGGER_NAME).handlers):
        return
    level = os.environ.get("LARK_ASYNC_LOG_LEVEL") or "INFO"
    fmt = os.environ.get("LARK_ASYNC_LOG_FORMAT") or "console"
    try:
        configure_logging(level, fmt)  # type: ignore[arg-type]  # checked by configure_logging
    except ValueError as exc:
        raise ConfigError(
            str(exc),
            hint="LARK_ASYNC_LOG_LEVEL: DEBUG, INFO, WARNING, ERROR; "
            "LARK_ASYNC_LOG_FORMAT: console, json, stdlib",
        ) from None


@app.command()
def keygen() -> None:
    """Print a new Fernet key for LARK_ASYNC_SECRET_KEY."""
    typer.echo(SecretBox.generate_key())


def main() -> None:
    """Console-script entry point (``lark-async``)."""
    app()


if __name__ == "__main__":
    main()

"""The ``lark-async`` command line.

``main.py`` holds the root command and the table of sub-apps; each sub-app
(``apps.py``, later ``db``, ``serve`` ...) is a ``typer.Typer`` in its own
module. The helpers here are shared by sub-apps; they live in the package,
not in ``main.py``, so ``python -m lark_async.cli.main`` (which runs main as
``__main__``) and the sub-apps see the same ``CliState`` class.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from lark_async.core.errors import ConfigError, LarkError
from lark_async.core.extras import require

if TYPE_CHECKING:
    import typer

__all__ = ["CliState", "main", "print_error", "run", "state"]

# The packages of the "cli" extra; this package itself imports neither at load
# time, so that main() can say which extra is missing instead of a traceback.
_CLI_PACKAGES = ("typer", "rich")

T = TypeVar("T")


@dataclass(slots=True)
class CliState:
    """Options given to the root command, handed to sub-commands via ``ctx.obj``."""

    registry: str | None = None


def state(ctx: typer.Context) -> CliState:
    """The root command's options (defaults if a sub-app runs on its own)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion: each CLI command is a short async job."""
    return asyncio.run(coro)


def main() -> None:
    """Console-script entry point (``lark-async``): one line, not a traceback, without [cli]."""
    try:
        for module in _CLI_PACKAGES:
            require(module, extra="cli", feature="the lark-async command line")
    except ConfigError as err:
        sys.stderr.write(f"lark-async: {err.message}; install it with: {err.hint}\n")
        raise SystemExit(1) from None
    from lark_async.cli.main import main as run_cli

    run_cli()


def print_error(err: LarkError) -> None:
    """One red line on stderr: what went wrong and what to do. No traceback."""
    from rich.console import Console
    from rich.markup import escape

    line = f"[bold red]error:[/bold red] {escape(err.message)}"
    if err.hint:
        line += f" [dim]({escape('hint: ' + err.hint)})[/dim]"
    # soft_wrap: keep it one line however narrow the terminal is.
    Console(stderr=True, soft_wrap=True, highlight=False).print(line)

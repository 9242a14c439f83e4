"""The ``lark-async`` command line.

``main.py`` holds the root command and the table of sub-apps; each sub-app
(``apps.py``, later ``db``, ``serve`` ...) is a ``typer.Typer`` in its own
module. The helpers here are shared by sub-apps; they live in the package,
not in ``main.py``, so ``python -m lark_async.cli.main`` (which runs main as
``__main__``) and the sub-apps see the same ``CliState`` class.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from lark_async.core.errors import ConfigError, LarkError
from lark_async.core.extras import require

if TYPE_CHECKING:
    import typer

    from lark_async.client import AppClient, LarkClient

__all__ = [
    "CLI_NAMES",
    "CLI_PHRASES",
    "CliState",
    "client_from_env",
    "in_cli_terms",
    "main",
    "print_error",
    "run",
    "speaking_cli",
    "state",
]

# Python argument names -> what a CLI user sets instead. Errors the library
# raises name arguments (``app_id``); at the command line they are options and
# variables. Commands add their own (``receive_id`` -> ``TO``) via speaking_cli.
CLI_NAMES: dict[str, str] = {
    "app_id": "--app-id / LARK_ASYNC_APP_ID",
    "app_secret": "LARK_ASYNC_APP_SECRET",
    "domain": "--domain / LARK_ASYNC_DOMAIN",
    "registry": "--registry / LARK_ASYNC_REGISTRY_PATH",
    "secret_key": "LARK_ASYNC_SECRET_KEY",
    "token_store": "LARK_ASYNC_TOKEN_STORE",
    "timeout": "LARK_ASYNC_TIMEOUT",
    "max_retries": "LARK_ASYNC_MAX_RETRIES",
    "client_rate_limit": "LARK_ASYNC_CLIENT_RATE_LIMIT",
    "app_token": "--app-token",
    "table_id": "--table",
    "chunk_size": "--chunk-size",
    "view_id": "--view",
    "field_names": "--field",
}

# Whole phrases of library messages and hints that speak to a Python caller, and what a CLI user
# sets instead (the name= rewrite above does not reach them).
CLI_PHRASES: dict[str, str] = {
    "check app_id / app_secret": "check LARK_ASYNC_APP_ID / LARK_ASYNC_APP_SECRET",
    "use lark_async.FEISHU, lark_async.LARK, or the emulator's fake.url": (
        "e.g. https://open.feishu.cn, https://open.larksuite.com, or the emulator's URL"
    ),
    "or pass the format explicitly": "or give --format csv|jsonl",
    "no app_secret for": "no LARK_ASYNC_APP_SECRET for",
    "check the network / domain": "check the network and --domain / LARK_ASYNC_DOMAIN",
    "given without app_id": "given without --app-id / LARK_ASYNC_APP_ID",
}

# The packages of the "cli" extra; this package itself imports neither at load
# time, so that main() can say which extra is missing instead of a traceback.
_CLI_PACKAGES = ("typer", "rich")

T = TypeVar("T")


@dataclass(slots=True)
class CliState:
    """Options given to the root command, handed to sub-commands via ``ctx.obj``."""

    registry: str | None = None


# The root command's options of the running command, for helpers that are not handed
# its context (client_from_env). Set by the root callback at every invocation.
current = CliState()


def state(ctx: typer.Context) -> CliState:
    """The root command's options (defaults if a sub-app runs on its own)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


def in_cli_terms(err: LarkError, names: Mapping[str, str] | None = None) -> LarkError:
    """``err`` with the Python argument names in its message and hint turned into CLI names.

    The argument an error is about (``details["argument"]`` or ``["parameter"]``)
    leads its message; ``name=`` in a hint ("pass app_id= and app_secret=") is
    how the library tells a Python caller what to pass. Both are rewritten.
    Changed in place (and returned) so the traceback chain stays intact.
    """
    table = {**CLI_NAMES, **(names or {})}
    if getattr(err, "_cli_terms", False):
        return err
    argument = err.details.get("argument") or err.details.get("parameter")
    if not isinstance(argument, str):  # some errors only lead with the name
        argument = next((n for n in table if re.match(rf"{re.escape(n)}[ :]", err.message)), None)
    if argument in table and re.match(rf"{re.escape(argument)}\b", err.message):
        err.message = table[argument] + err.message[len(argument) :]
    for phrase, cli in CLI_PHRASES.items():
        err.message = err.message.replace(phrase, cli)
    if err.hint:
        hint = err.hint
        for name, cli in table.items():
            hint = re.sub(rf"\b{re.escape(name)}=(?![\w'\"])", cli, hint)
        for phrase, cli in CLI_PHRASES.items():
            hint = hint.replace(phrase, cli)
        hint = re.sub(r"^pass ", "set ", hint)
        hint = hint.replace("(see LarkClient.from_env)", "(see lark-async --help)")
        err.hint = hint
    err._cli_terms = True  # type: ignore[attr-defined]
    return err


@contextmanager
def speaking_cli(names: Mapping[str, str]) -> Iterator[None]:
    """Inside, a LarkError leaves in CLI terms, with this command's ``names`` too."""
    try:
        yield
    except LarkError as err:
        raise in_cli_terms(err, names) from None


def client_from_env(
    domain: str | None, *, quiet: bool = False, app_id: str | None = None
) -> LarkClient:
    """The client a command uses: ``LARK_ASYNC_*`` variables, ``--domain`` on top.

    ``app_id`` (``--app-id``) is the client's app when ``LARK_ASYNC_APP_ID`` is not
    set, so ``--app-id`` with ``LARK_ASYNC_APP_SECRET`` works as the hints say.

    ``quiet``: unless LARK_ASYNC_LOG_LEVEL says otherwise, only warnings (one
    line per request would bury a progress bar or a command's own output).
    """
    from lark_async.client import LarkClient

    overrides: dict[str, Any] = {}
    if domain:
        overrides["domain"] = domain
    if current.registry:  # the root --registry PATH (its variable is read by from_env)
        overrides["registry"] = current.registry
    if app_id and not os.environ.get("LARK_ASYNC_APP_ID"):
        overrides["app_id"] = app_id
    if quiet and "LARK_ASYNC_LOG_LEVEL" not in os.environ:
        overrides["log_level"] = "WARNING"
    return LarkClient.from_env(**overrides)


def app_handle(lark: LarkClient, app_id: str | None) -> AppClient:
    """``--app-id``'s app, or the client's default one."""
    return lark.app(app_id) if app_id else lark.default_app


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

    err = in_cli_terms(err)
    line = f"[bold red]error:[/bold red] {escape(err.message)}"
    if err.hint:
        line += f" [dim]({escape('hint: ' + err.hint)})[/dim]"
    # soft_wrap: keep it one line however narrow the terminal is.
    Console(stderr=True, soft_wrap=True, highlight=False).print(line)

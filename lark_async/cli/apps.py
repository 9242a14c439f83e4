"""``lark-async apps``: register, inspect and change apps in the registry.

Secrets are read from a hidden prompt or, with ``--secret-stdin``, one per
line from stdin; they are never echoed, printed or logged. Every change is
recorded in the registry's audit trail under ``--by`` (default ``$USER``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lark_async.auth.crypto import SECRET_KEY_ENV, SecretBox
from lark_async.auth.models import AppConfig
from lark_async.auth.registry import (
    DEFAULT_REGISTRY_PATH,
    REGISTRY_PATH_ENV,
    SECRET_FIELDS,
    AppRegistry,
    AuditEntry,
    check_app_id,
)
from lark_async.cli import run, state
from lark_async.core.errors import Conflict, InvalidParameter, NotFound

app = typer.Typer(
    name="apps",
    help="Manage the registered Feishu/Lark apps (the app registry).",
    no_args_is_help=True,
    add_completion=False,  # the root command offers completion
    pretty_exceptions_show_locals=False,
)

AppId = Annotated[str, typer.Argument(metavar="APP_ID", help="The app's id, cli_...")]
By = Annotated[
    str | None,
    typer.Option("--by", metavar="USER", help="Who makes the change (default: $USER, or 'cli')."),
]
SecretStdin = Annotated[
    bool,
    typer.Option(
        "--secret-stdin",
        help="Read secrets from stdin, one per line (app secret, then encrypt key, "
        "then verification token, as requested), instead of prompting.",
    ),
]
_EDITABLE = (*SECRET_FIELDS, "name", "description")

AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


# --------------------------------------------------------------------------- helpers


def _registry(ctx: typer.Context) -> AppRegistry:
    path = state(ctx).registry or os.environ.get(REGISTRY_PATH_ENV) or DEFAULT_REGISTRY_PATH
    return AppRegistry(path, SecretBox.from_env())


def _actor(by: str | None) -> str:
    return by or os.environ.get("USER") or "cli"


def _console() -> Console:
    return Console(highlight=False)


class _SecretReader:
    """Reads each secret from a hidden prompt, or the next line of stdin."""

    def __init__(self, from_stdin: bool) -> None:
        self._from_stdin = from_stdin

    def read(self, label: str) -> str:
        if not self._from_stdin:
            value: str = typer.prompt(label, hide_input=True)
            return value
        line = sys.stdin.readline()
        if not line:
            raise InvalidParameter(
                f"--secret-stdin: no line for the {label} on stdin",
                hint="give one secret per line, in the order: app secret, encrypt key, "
                "verification token",
            )
        return line.rstrip("\r\n")


async def _require_absent(registry: AppRegistry, app_id: str) -> None:
    async with registry:
        if await registry.find(app_id) is not None:
            raise Conflict(
                f"app {app_id} is already registered",
                hint=f"use lark-async apps update {app_id}",
            )


async def _require_present(registry: AppRegistry, app_id: str) -> None:
    async with registry:
        if await registry.find(app_id) is None:
            raise NotFound(
                f"app {app_id} is not registered",
                hint="see lark-async apps list",
            )


def _set(value: object) -> str:
    return "set" if value else "not set"


def _when(config: AppConfig) -> str:
    return config.updated_at.isoformat(timespec="seconds") if config.updated_at else ""


def _public(config: AppConfig, *, secrets: bool = True) -> dict[str, Any]:
    """What may be shown of an app: never a secret's value, at most whether it is set."""
    shown: dict[str, Any] = {
        "app_id": config.app_id,
        "name": config.name,
        "description": config.description,
        "status": config.status.value,
    }
    if secrets:
        shown.update({field: _set(getattr(config, field)) for field in SECRET_FIELDS})
    return shown | {
        "created_by": config.created_by,
        "created_at": config.created_at.isoformat() if config.created_at else None,
        "updated_at": config.updated_at.isoformat() if config.updated_at else None,
    }


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "action": entry.action,
        "actor": entry.actor,
        "at": entry.at.isoformat(),
        "changes": list(entry.changes),
    }


# --------------------------------------------------------------------------- commands


@app.command()
def add(
    ctx: typer.Context,
    app_id: AppId,
    *,
    name: Annotated[str, typer.Option(help="A human-readable name.")] = "",
    description: Annotated[str, typer.Option(help="What the app is for.")] = "",
    with_encrypt_key: Annotated[
        bool, typer.Option("--with-encrypt-key", help="Also ask for the event Encrypt Key.")
    ] = False,
    with_verification_token: Annotated[
        bool,
        typer.Option("--with-verification-token", help="Also ask for the Verification Token."),
    ] = False,
    secret_stdin: SecretStdin = False,
    by: By = None,
) -> None:
    """Register an app; its secrets are asked for without echo."""
    check_app_id(app_id)
    run(_require_absent(_registry(ctx), app_id))
    reader = _SecretReader(secret_stdin)
    secret = reader.read("App secret")
    encrypt_key = reader.read("Encrypt key") if with_encrypt_key else None
    token = reader.read("Verification token") if with_verification_token else None

    async def _add() -> AppConfig:
        async with _registry(ctx) as registry:
            return await registry.add(
                app_id,
                secret,
                encrypt_key=encrypt_key,
                verification_token=token,
                name=name,
                description=description,
                created_by=_actor(by),
            )

    config = run(_add())
    _console().print(f"[green]registered[/green] {config.app_id} (active)")


@app.command("list")
def list_apps(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List the registered apps (never their secrets)."""

    async def _list() -> list[AppConfig]:
        async with _registry(ctx) as registry:
            return await registry.list()

    configs = run(_list())
    if as_json:
        rows = [_public(c, secrets=False) for c in configs]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not configs:
        _console().print("no apps registered; add one with: lark-async apps add APP_ID")
        return
    table = Table("app_id", "name", "status", "updated_at")
    for c in configs:
        style = "green" if c.active else "yellow"
        table.add_row(c.app_id, c.name, f"[{style}]{c.status.value}[/{style}]", _when(c))
    _console().print(table)


@app.command()
def show(ctx: typer.Context, app_id: AppId, as_json: AsJson = False) -> None:
    """Show one app (secrets only as set / not set) and its audit trail."""
    check_app_id(app_id)

    async def _show() -> tuple[AppConfig, list[AuditEntry]]:
        async with _registry(ctx) as registry:
            return await registry.get(app_id), await registry.audit(app_id)

    config, trail = run(_show())
    if as_json:
        doc = {**_public(config), "audit": [_audit_json(e) for e in trail]}
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    fields = Table.grid(padding=(0, 2))
    for key, value in _public(config).items():
        fields.add_row(f"[bold]{key}[/bold]", str(value or ""))
    history = Table("at", "action", "actor", "changes", title="audit trail")
    for e in trail:
        history.add_row(e.at.isoformat(timespec="seconds"), e.action, e.actor, ", ".join(e.changes))
    console = _console()
    console.print(fields)
    console.print(history)


@app.command()
def update(
    ctx: typer.Context,
    app_id: AppId,
    *,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    secret: Annotated[bool, typer.Option("--secret", help="Ask for a new app secret.")] = False,
    encrypt_key: Annotated[
        bool, typer.Option("--encrypt-key", help="Ask for a new Encrypt Key.")
    ] = False,
    verification_token: Annotated[
        bool, typer.Option("--verification-token", help="Ask for a new Verification Token.")
    ] = False,
    clear_encrypt_key: Annotated[
        bool, typer.Option("--clear-encrypt-key", help="Remove the stored Encrypt Key.")
    ] = False,
    clear_verification_token: Annotated[
        bool,
        typer.Option("--clear-verification-token", help="Remove the stored Verification Token."),
    ] = False,
    secret_stdin: SecretStdin = False,
    by: By = None,
) -> None:
    """Change an app's name, description or secrets; only real changes are recorded."""
    check_app_id(app_id)
    run(_require_present(_registry(ctx), app_id))
    reader = _SecretReader(secret_stdin)
    new_secret = reader.read("New app secret") if secret else None
    new_key = reader.read("New encrypt key") if encrypt_key else None
    new_token = reader.read("New verification token") if verification_token else None
    # "" tells the registry to clear an optional secret.
    if clear_encrypt_key:
        new_key = ""
    if clear_verification_token:
        new_token = ""

    async def _update() -> list[str]:
        async with _registry(ctx) as registry:
            before = await registry.get(app_id)
            after = await registry.update(
                app_id,
                by=_actor(by),
                app_secret=new_secret,
                encrypt_key=new_key,
                verification_token=new_token,
                name=name,
                description=description,
            )
            # Secret compares by value, so this also spots a changed secret.
            return [f for f in _EDITABLE if getattr(before, f) != getattr(after, f)]

    changed = run(_update())
    if changed:
        _console().print(f"[green]updated[/green] {app_id}: {', '.join(changed)}")
    else:
        _console().print(f"{app_id} unchanged: the values given are the stored ones")


def _set_status(ctx: typer.Context, app_id: str, by: str | None, *, enable: bool) -> None:
    check_app_id(app_id)

    async def _apply() -> AppConfig:
        async with _registry(ctx) as registry:
            if enable:
                return await registry.enable(app_id, by=_actor(by))
            return await registry.disable(app_id, by=_actor(by))

    config = run(_apply())
    _console().print(f"{config.app_id} is {config.status.value}")


@app.command()
def enable(ctx: typer.Context, app_id: AppId, by: By = None) -> None:
    """Mark an app active: tokens can be fetched for it again."""
    _set_status(ctx, app_id, by, enable=True)


@app.command()
def disable(ctx: typer.Context, app_id: AppId, by: By = None) -> None:
    """Mark an app disabled: running clients refuse to fetch tokens for it."""
    _set_status(ctx, app_id, by, enable=False)


@app.command()
def remove(
    ctx: typer.Context,
    app_id: AppId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    by: By = None,
) -> None:
    """Delete an app from the registry (its audit trail is kept)."""
    check_app_id(app_id)
    run(_require_present(_registry(ctx), app_id))
    if not yes:
        typer.confirm(f"Remove {app_id} from the registry?", abort=True)

    async def _remove() -> None:
        async with _registry(ctx) as registry:
            await registry.remove(app_id, by=_actor(by))

    run(_remove())
    _console().print(f"[green]removed[/green] {app_id}")


@app.command("rotate-key")
def rotate_key(ctx: typer.Context, by: By = None) -> None:
    """Re-encrypt every app's secrets under the first key of LARK_ASYNC_SECRET_KEY."""

    async def _rotate() -> int:
        async with _registry(ctx) as registry:
            return await registry.rotate_key(by=_actor(by))

    count = run(_rotate())
    _console().print(
        f"re-encrypted the secrets of {count} app(s) under the first key of {SECRET_KEY_ENV}; "
        "the other keys can now be removed from it"
    )

"""``lark-async bitable``: import a CSV/JSONL file into a table, export a table to one.

    lark-async bitable import people.csv --app-token bascn... --table tbl...
    lark-async bitable import people.jsonl --app-token ... --table ... --mode upsert --key Email
    lark-async bitable export --app-token ... --table ... -o people.csv --where Team=Core

The app comes from ``LARK_ASYNC_*`` variables (see ``LarkClient.from_env``);
``--domain`` points at another base URL, such as the emulator's. Imports stream
the file (any size) through the bulk engine with a progress bar and end with a
report; the exit code is 1 if any row was not written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from lark_async.cli import run

if TYPE_CHECKING:
    from lark_async.bitable import Bitable, BulkProgress, BulkReport, Record

bitable_app = typer.Typer(
    name="bitable",
    help="Import rows into a Bitable table, or export a table, with progress and a report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


class Mode(StrEnum):
    create = "create"
    upsert = "upsert"
    update = "update"


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


AppToken = Annotated[
    str, typer.Option("--app-token", metavar="TOKEN", help="The base's app_token (bascn...).")
]
TableOpt = Annotated[
    str, typer.Option("--table", metavar="TABLE_ID", help="The table id (tbl...).")
]
Domain = Annotated[
    str | None,
    typer.Option(
        "--domain", metavar="URL", help="Base URL (default: LARK_ASYNC_DOMAIN or Feishu)."
    ),
]
AppIdOpt = Annotated[
    str | None,
    typer.Option("--app-id", metavar="APP_ID", help="Which registered app to act as."),
]


def _service(domain: str | None, app_id: str | None) -> tuple[Any, Bitable]:
    from lark_async.client import LarkClient

    overrides: dict[str, Any] = {}
    if domain:
        overrides["domain"] = domain
    if "LARK_ASYNC_LOG_LEVEL" not in os.environ:
        overrides["log_level"] = "WARNING"  # one line per request would bury the progress bar
    lark = LarkClient.from_env(**overrides)
    handle = lark.app(app_id) if app_id else lark.default_app
    return lark, handle.bitable


@bitable_app.command("import")
def import_rows(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A .csv (header row) or .jsonl file.")
    ],
    app_token: AppToken,
    table: TableOpt,
    mode: Annotated[
        Mode,
        typer.Option("--mode", help="create new records, upsert by --key, or update by record_id."),
    ] = Mode.create,
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="FIELD", help="Upsert: the field that identifies a row."),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, max=1000, help="Rows per call (max 1000)."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check/--no-check", help="Check rows against the table's fields first."),
    ] = True,
    failed_out: Annotated[
        Path | None,
        typer.Option("--failed", metavar="PATH", help="Write the rows that failed, as JSONL."),
    ] = None,
    domain: Domain = None,
    app_id: AppIdOpt = None,
) -> None:
    """Import FILE into a table: streamed, chunked, retried, nothing written twice."""
    from lark_async.bitable.files import count_rows, format_of
    from lark_async.core.errors import InvalidParameter

    fmt = format_of(file)
    if not file.is_file():
        raise InvalidParameter(f"no such file: {file}", hint="check the path")
    if mode is Mode.upsert and not key:
        raise InvalidParameter("--mode upsert needs --key FIELD", hint="e.g. --key Email")
    _check_writable("--failed", failed_out)  # now, not after the whole import
    total = count_rows(file)
    console = Console(stderr=True, highlight=False)
    try:
        report = run(
            _import(
                file,
                fmt,
                app_token,
                table,
                mode,
                key,
                chunk_size,
                check,
                total,
                console,
                domain,
                app_id,
            )
        )
    except Exception as exc:
        # A file that breaks half way: say how far the import got, since running it
        # again in create mode would write those rows a second time.
        notes = getattr(exc, "__notes__", [])
        for note in notes:
            console.print(f"[yellow]{escape(note)}[/]")
        if notes:
            console.print("to go on without doubling rows, re-run with --mode upsert --key FIELD")
        raise
    _print_report(console, report)
    if failed_out is not None and (report.failed or report.unknown):
        _write_failures(failed_out, report)
        console.print(f"failed rows written to {failed_out}")
    if not report.ok:
        raise typer.Exit(1)


async def _import(
    file: Path,
    fmt: str,
    app_token: str,
    table: str,
    mode: Mode,
    key: str | None,
    chunk_size: int | None,
    check: bool,
    total: int,
    console: Console,
    domain: str | None,
    app_id: str | None,
) -> BulkReport:
    from lark_async.bitable import Schema
    from lark_async.bitable.files import read_rows

    lark, svc = _service(domain, app_id)
    async with lark:
        schema = None
        if fmt == "csv":  # CSV cells are text: type them from the table's fields
            schema = Schema([f async for f in svc.list_fields(app_token, table)])
        rows = read_rows(file, schema=schema, keep_record_id=mode is Mode.update)
        with _progress(console) as progress:
            task = progress.add_task(f"{mode.value} → {table}", total=total or None)

            def on_progress(p: BulkProgress) -> None:
                progress.update(task, completed=p.rows_written + p.rows_failed + p.rows_unknown)

            options: dict[str, Any] = {
                "on_progress": on_progress,
                "chunk_size": chunk_size,
                "validate": check,
            }
            if mode is Mode.upsert:
                assert key is not None
                return await svc.bulk_upsert(app_token, table, rows, key=key, **options)
            if mode is Mode.update:
                return await svc.bulk_update(app_token, table, rows, **options)
            return await svc.bulk_create(app_token, table, rows, **options)


@bitable_app.command("export")
def export_rows(
    app_token: AppToken,
    table: TableOpt,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="PATH", help="Output file (default: stdout)."),
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="csv or jsonl (default: from --out, else csv)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where", metavar="FIELD=VALUE", help="Only rows where FIELD is VALUE (repeatable)."
        ),
    ] = None,
    fields: Annotated[
        list[str] | None,
        typer.Option("--field", metavar="NAME", help="Columns to export (repeatable)."),
    ] = None,
    view: Annotated[
        str | None, typer.Option("--view", metavar="VIEW_ID", help="A view (vew...).")
    ] = None,
    domain: Domain = None,
    app_id: AppIdOpt = None,
) -> None:
    """Export a table's records (all, or those matching --where) to CSV or JSONL."""
    from lark_async.bitable.files import format_of
    from lark_async.core.errors import InvalidParameter

    kind = fmt.value if fmt else (format_of(out) if out else "csv")
    _check_writable("--out", out)
    conditions: dict[str, str] = {}
    for item in where or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidParameter(f"--where takes FIELD=VALUE, got {item!r}")
        conditions[name] = value
    console = Console(stderr=True, highlight=False)
    count = run(
        _export(app_token, table, out, kind, conditions, fields, view, console, domain, app_id)
    )
    console.print(f"exported {count} records" + (f" to {out}" if out else ""))


async def _export(
    app_token: str,
    table: str,
    out: Path | None,
    kind: str,
    conditions: dict[str, str],
    fields: list[str] | None,
    view: str | None,
    console: Console,
    domain: str | None,
    app_id: str | None,
) -> int:
    from lark_async.bitable.files import write_rows

    lark, svc = _service(domain, app_id)
    async with lark:
        columns = fields or [f.field_name async for f in svc.list_fields(app_token, table)]
        records = svc.search_records(
            app_token,
            table,
            filter=conditions or None,
            field_names=fields or None,
            view_id=view,
        )
        with _progress(console) as progress:
            task = progress.add_task(f"export {table}", total=None)

            async def counted() -> AsyncIterator[Record]:
                async for record in records:
                    progress.advance(task)
                    yield record

            if out is None:
                return await write_rows(counted(), sys.stdout, fmt=kind, columns=columns)
            with out.open("w", newline="", encoding="utf-8") as fh:
                return await write_rows(counted(), fh, fmt=kind, columns=columns)


def _check_writable(option: str, path: Path | None) -> None:
    """A file the command will write: its folder exists and it is not a folder."""
    from lark_async.core.errors import InvalidParameter

    if path is None:
        return
    if path.is_dir():
        raise InvalidParameter(f"{option}: {path} is a directory", hint="give a file path")
    if not path.parent.is_dir():
        raise InvalidParameter(
            f"{option}: the folder {path.parent} does not exist", hint="create it first"
        )


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _print_report(console: Console, report: BulkReport) -> None:
    table = Table(title=f"bitable {report.operation} → {report.table_id}", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, Any]] = [
        ("rows read", report.rows_read),
        ("written", report.written),
    ]
    if report.operation == "upsert":
        rows += [("  created", report.created), ("  updated", report.updated)]
    rows += [
        ("failed", report.failed_count),
        ("outcome unknown", report.unknown_rows),
        ("skipped", report.skipped),
        ("calls", report.calls),
        ("retries", f"{report.retries} ({report.chunks_retried} chunks)"),
        ("chunks split", report.chunks_split),
        ("seconds", f"{report.elapsed:.1f}"),
        ("rows/s", f"{report.rows_per_second:.0f}"),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    for failure in report.failed[:10]:  # each message names its row
        console.print(f"[red]failed:[/] {escape(str(failure.error))}")
    if report.failed_count > 10:
        console.print(f"... and {report.failed_count - 10} more failed rows")
    if report.aborted is not None:
        console.print(f"[bold red]stopped:[/] {escape(str(report.aborted))}")
    for unknown in report.unknown:
        console.print(
            f"[yellow]unknown outcome[/] for {len(unknown.indexes)} rows "
            f"(client_token {unknown.client_token}): {escape(str(unknown.error))}"
        )


def _write_failures(path: Path, report: BulkReport) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for failure in report.failed:
            line = {
                "index": failure.index,
                "row": failure.row,
                "error": {
                    "kind": failure.error.kind.value,
                    "code": failure.error.code,
                    "message": failure.error.message,
                    "hint": failure.error.hint,
                },
            }
            fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        for unknown in report.unknown:
            line = {
                "indexes": list(unknown.indexes),
                "unknown": True,
                "client_token": unknown.client_token,
                "error": {"kind": unknown.error.kind.value, "message": unknown.error.message},
            }
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")

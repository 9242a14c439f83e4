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
import shlex
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import tzinfo
from enum import StrEnum
from functools import partial
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

from lark_async.cli import client_from_env, run

if TYPE_CHECKING:
    from lark_async.bitable import Bitable, BulkProgress, BulkReport, Record, Schema
    from lark_async.bitable.journal import ImportJournal

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


class Dates(StrEnum):
    iso = "iso"
    ms = "ms"


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
    # quiet: one log line per request would bury the progress bar
    lark = client_from_env(domain, quiet=True, app_id=app_id)
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
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            help="Zone of dates written without one (default: the base's time zone).",
        ),
    ] = None,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Create mode: discard FILE's import journal and import from the first row.",
        ),
    ] = False,
    domain: Domain = None,
    app_id: AppIdOpt = None,
) -> None:
    """Import FILE into a table: streamed, chunked, retried, nothing written twice.

    In create mode a journal beside FILE (FILE.lark-import.jsonl) records each
    batch written; running the same command again after an interruption resumes
    where it stopped.
    """
    from lark_async.bitable import checks
    from lark_async.bitable.files import RECORD_ID, format_of, read_header, time_zone
    from lark_async.core.errors import InvalidParameter

    try:
        fmt = format_of(file)
    except InvalidParameter as exc:
        exc.hint = "name it .csv or .jsonl"  # import has no --format to fall back on
        raise
    if not file.is_file():
        raise InvalidParameter(f"no such file: {file}", hint="check the path")
    if mode is Mode.upsert and not key:
        raise InvalidParameter("--mode upsert needs --key FIELD", hint="e.g. --key Email")
    if key is not None and mode is not Mode.upsert:
        # Ignoring it would create a second copy of every row the user meant to upsert.
        raise InvalidParameter(
            f"--key is an option of --mode upsert (this is --mode {mode.value})",
            hint=f"add --mode upsert to update the records whose {key} matches",
        )
    _check_writable("--failed", failed_out)  # now, not after the whole import
    if restart and mode is not Mode.create:
        raise InvalidParameter(
            "--restart is an option of --mode create",
            hint="upsert and update keep no journal: running them again is safe",
        )
    size = chunk_size if chunk_size is not None else checks.MAX_BATCH_WRITE
    if not 1 <= size <= checks.MAX_BATCH_WRITE:
        raise InvalidParameter(
            f"--chunk-size must be 1..{checks.MAX_BATCH_WRITE}, got {size}",
            hint="Feishu takes at most 1000 records per call",
        )
    zone = time_zone(tz) if tz is not None else None
    if fmt == "csv":
        header = read_header(file)
        # no header at all (an empty or unreadable file): the check of the file says why
        if mode is Mode.update and header and RECORD_ID not in header:
            shown = ", ".join(header[:8]) or "no columns"
            raise InvalidParameter(
                f"--mode update needs a {RECORD_ID} column; {file.name} line 1 has {shown}",
                hint=f"export the table to get each row's {RECORD_ID}, "
                "or use --mode upsert --key FIELD",
            )
    console = Console(stderr=True, highlight=False)
    job = _ImportJob(
        file, fmt, app_token, table, mode, key, size, check, zone, restart, console, domain, app_id
    )
    job.tz_name, job.failed_out = tz, failed_out
    try:
        report = run(job.run())
    except KeyboardInterrupt:
        job.interrupted()
        raise typer.Exit(130) from None
    except Exception as exc:
        # Stopped half way (a file changed under us, a bug): say how far the import got.
        for note in getattr(exc, "__notes__", []):
            console.print(f"[yellow]{escape(note)}[/]")
        job.stopped()
        raise
    job.close()
    if report is None:
        return
    _print_report(console, report)
    if failed_out is not None and (report.failed or report.unknown):
        _write_failures(failed_out, report)
        console.print(f"failed rows written to {failed_out}")
    if job.journal is not None and job.journal.complete:
        console.print(
            f"journal: {job.journal.path.name} (running this command again does nothing; "
            "--restart imports the file again)"
        )
    if not report.ok:
        if job.journal is not None and not job.journal.complete:
            console.print(f"to finish, run again: {job.resume_command()}")
        raise typer.Exit(1)


class _ImportJob:
    """One ``bitable import``: the pre-flight checks, the journal, the batches."""

    def __init__(
        self,
        file: Path,
        fmt: str,
        app_token: str,
        table: str,
        mode: Mode,
        key: str | None,
        size: int,
        check: bool,
        zone: tzinfo | None,
        restart: bool,
        console: Console,
        domain: str | None,
        app_id: str | None,
    ) -> None:
        self.file, self.fmt, self.app_token, self.table = file, fmt, app_token, table
        self.mode, self.key, self.size, self.check = mode, key, size, check
        self.zone, self.restart, self.console = zone, restart, console
        self.domain, self.app_id = domain, app_id
        self.journal: ImportJournal | None = None
        self.total = 0
        self.tz_name: str | None = None  # --tz as given, for the resume command
        self.failed_out: Path | None = None  # --failed, likewise

    async def run(self) -> BulkReport | None:
        from lark_async.bitable import Schema

        lark, svc = _service(self.domain, self.app_id)
        async with lark:
            schema = None
            if self.fmt == "csv" or self.check:  # CSV cells are typed from the table's fields
                schema = Schema([f async for f in svc.list_fields(self.app_token, self.table)])
            if self.fmt == "csv":
                assert schema is not None
                self.zone = self.zone or await _base_zone(svc, self.app_token, schema, self.file)
            self.total = self._preflight(schema)
            if self.mode is Mode.create:
                return await self._create(svc, schema)
            return await self._other(svc, schema)

    def _preflight(self, schema: Schema | None) -> int:
        """Read the whole file first: a bad line is reported before any row is written."""
        from lark_async.bitable.files import check_csv, check_jsonl
        from lark_async.core.errors import InvalidParameter

        if self.fmt == "csv":
            found = check_csv(self.file, schema=schema, tz=self.zone)
        else:
            found = check_jsonl(self.file, schema=schema if self.check else None)
        if found.ok:
            self._check_key(schema, found.header)
            return found.rows
        for problem in found.problems:
            self.console.print(f"[red]{escape(self.file.name)} {escape(str(problem))}[/]")
        more = " (the first 20)" if len(found.problems) >= 20 else ""
        raise InvalidParameter(
            f"{self.file.name}: {_count(len(found.problems), 'problem')}{more}; "
            "nothing was imported",
            hint="fix the lines listed above, then run the import again",
        )

    def _check_key(self, schema: Schema | None, header: list[str]) -> None:
        """--key names a field of the table (and a CSV column): before the progress bar."""
        from lark_async.core.errors import InvalidParameter

        key = self.key
        if self.mode is not Mode.upsert or key is None:
            return
        if schema is not None and key not in schema.fields:
            shown = ", ".join(list(schema.fields)[:8])
            raise InvalidParameter(
                f"--key {key}: no field named {key!r} in the table (fields: {shown})",
                hint="--key names a field of the table, spelt exactly as the table spells it",
            )
        if self.fmt == "csv" and key not in header:
            raise InvalidParameter(
                f"--key {key}: {self.file.name} line 1 has no {key!r} column",
                hint="every row needs the key's value to be matched to a record",
            )

    def _rows(self, schema: Schema | None) -> Iterator[dict[str, Any]]:
        from lark_async.bitable.files import read_rows

        return read_rows(
            self.file,
            schema=schema if self.fmt == "csv" else None,  # JSON values are typed already
            keep_record_id=self.mode is Mode.update,
            tz=self.zone,
        )

    async def _create(self, svc: Bitable, schema: Schema | None) -> BulkReport | None:
        import uuid

        from lark_async.bitable import BulkReport
        from lark_async.bitable.journal import Batch, ImportJournal, file_identity

        journal = self.journal = ImportJournal.open(
            self.file,
            identity=file_identity(self.file),
            target={"app_token": self.app_token, "table_id": self.table},
            batch_size=self.size,
            restart=self.restart,
        )
        if journal.complete:
            self.console.print(
                f"{self.file.name} is already imported into {self.table} "
                f"({journal.written} records, journal {journal.path.name}); nothing to do. "
                "--restart imports it again."
            )
            return None
        size = journal.batch_size  # a resumed import keeps the batches it started with
        if journal.done or journal.in_flight:
            self.console.print(
                f"resuming: {journal.rows_done} of {self.total} rows already imported "
                f"(journal {journal.path.name})"
            )
        total = BulkReport("create", self.app_token, self.table)
        started = time.monotonic()
        with _progress(self.console) as progress:
            task = progress.add_task(f"create → {self.table}", total=self.total or None)
            progress.update(task, completed=journal.rows_done)
            for number, start, rows in _batches(self._rows(schema), size):
                if number in journal.done:
                    continue
                token = journal.token_for(number) or str(uuid.uuid4())
                journal.begin(number, start, start + len(rows), token)
                before = journal.rows_done

                def on_progress(p: BulkProgress, before: int = before) -> None:
                    done = p.rows_written + p.rows_failed + p.rows_unknown
                    progress.update(task, completed=before + done)

                report = await svc.bulk_create(
                    self.app_token,
                    self.table,
                    rows,
                    chunk_size=len(rows),
                    client_token=token,
                    collect_record_ids=True,
                    validate=False,  # every row was checked before the first batch
                    on_progress=on_progress,
                )
                _merge(total, report, start)
                if report.unknown or report.aborted is not None:
                    break  # not confirmed: a re-run sends it again with the same token
                journal.confirm(
                    Batch(
                        number,
                        start,
                        start + len(rows),
                        report.written,
                        report.failed_count,
                        tuple(report.record_ids or ()),
                    )
                )
            else:
                journal.finish()
        total.elapsed = time.monotonic() - started
        return total

    async def _other(self, svc: Bitable, schema: Schema | None) -> BulkReport:
        rows = self._rows(schema)
        with _progress(self.console) as progress:
            task = progress.add_task(f"{self.mode.value} → {self.table}", total=self.total or None)

            def on_progress(p: BulkProgress) -> None:
                progress.update(task, completed=p.rows_written + p.rows_failed + p.rows_unknown)

            options: dict[str, Any] = {
                "on_progress": on_progress,
                "chunk_size": self.size,
                "validate": self.check,  # also checks that --key names a field
            }
            if self.mode is Mode.upsert:
                assert self.key is not None
                return await svc.bulk_upsert(
                    self.app_token, self.table, rows, key=self.key, **options
                )
            return await svc.bulk_update(self.app_token, self.table, rows, **options)

    def resume_command(self) -> str:
        """The same import, without --restart: with the journal, it goes on."""
        from lark_async import cli
        from lark_async.bitable import checks

        args = ["lark-async"]
        if cli.current.registry:  # a root option: before the sub-command
            args += ["--registry", cli.current.registry]
        args += ["bitable", "import", str(self.file)]
        args += ["--app-token", self.app_token, "--table", self.table]
        if self.size != checks.MAX_BATCH_WRITE:
            args += ["--chunk-size", str(self.size)]
        if not self.check:
            args.append("--no-check")
        if self.failed_out is not None:
            args += ["--failed", str(self.failed_out)]
        if self.tz_name:
            args += ["--tz", self.tz_name]
        if self.domain:
            args += ["--domain", self.domain]
        if self.app_id:
            args += ["--app-id", self.app_id]
        return shlex.join(args)

    def interrupted(self) -> None:
        """Ctrl-C: what is in the table, what is left, and how to go on."""
        console = self.console
        journal = self.journal
        if journal is None:
            if self.mode is Mode.create:
                console.print("[yellow]interrupted[/] before the first batch: nothing was written")
            else:
                console.print(
                    f"[yellow]interrupted.[/] --mode {self.mode.value} writes the same values "
                    "again when run again, so running the same command again is safe"
                )
            return
        done = journal.rows_done
        left = max(0, self.total - done)
        sent = f"; {len(journal.in_flight)} batch in flight" if journal.in_flight else ""
        console.print(
            f"[yellow]interrupted:[/] {done} rows imported, {left} rows left{sent} "
            f"(journal {journal.path.name})"
        )
        console.print(f"to resume: {self.resume_command()}")
        self.close()

    def stopped(self) -> None:
        """An error ended the run: what the journal holds, and how to go on."""
        journal = self.journal
        if journal is not None and (journal.done or journal.in_flight):
            self.console.print(
                f"[yellow]stopped:[/] {journal.rows_done} rows imported, "
                f"{max(0, self.total - journal.rows_done)} rows left "
                f"(journal {journal.path.name})"
            )
            self.console.print(f"to resume: {self.resume_command()}")
        self.close()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _batches(
    rows: Iterator[dict[str, Any]], size: int
) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
    """(batch number, index of its first row, its rows): fixed boundaries, so a resumed
    import sends each batch with the same rows as before."""
    batch: list[dict[str, Any]] = []
    number = start = 0
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield number, start, batch
            number, start, batch = number + 1, start + size, []
    if batch:
        yield number, start, batch


def _merge(total: BulkReport, part: BulkReport, offset: int) -> None:
    """Add one batch's report to the run's, with row indexes counted from the file's start."""
    from dataclasses import replace

    for name in (
        "rows_read",
        "written",
        "created",
        "failed_count",
        "skipped",
        "chunks",
        "calls",
        "retries",
        "chunks_retried",
        "chunks_split",
        "conflicts",
        "rate_limited",
        "settled_written",
        "settled_not_written",
    ):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.failed.extend(replace(f, index=f.index + offset) for f in part.failed)
    total.unknown.extend(
        replace(u, indexes=tuple(i + offset for i in u.indexes)) for u in part.unknown
    )
    total.aborted = total.aborted or part.aborted


async def _app_zone(svc: Bitable, app_token: str, why: str = "its dates") -> tzinfo:
    """The base's time zone (its metadata's ``time_zone``)."""
    from lark_async.bitable.files import time_zone
    from lark_async.core.errors import LarkError

    resp = await svc.get_app(app_token)
    if not resp.ok or resp.data is None or not resp.data.time_zone:
        err = resp.error
        raise LarkError(
            f"cannot read the base's time zone for {why}" + (f": {err.message}" if err else ""),
            hint="pass --tz ZONE (e.g. --tz Asia/Shanghai)",
        )
    return time_zone(resp.data.time_zone)


async def _base_zone(svc: Bitable, app_token: str, schema: Schema, file: Path) -> tzinfo:
    """The base's time zone, read only if the file has a date column."""
    from lark_async.bitable.files import DATE_TYPES, read_header, time_zone

    header = read_header(file)
    if not any(schema.fields[c].type in DATE_TYPES for c in header if c in schema.fields):
        return time_zone("UTC")  # no dates to read
    return await _app_zone(svc, app_token, f"the dates in {file.name}")


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
    dates: Annotated[
        Dates | None,
        typer.Option(
            "--dates", help="CSV date cells: ISO dates in the base's zone (default), or epoch ms."
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz", metavar="ZONE", help="Zone of ISO dates (default: the base's time zone)."
        ),
    ] = None,
    domain: Domain = None,
    app_id: AppIdOpt = None,
) -> None:
    """Export a table's records (all, or those matching --where) to CSV or JSONL."""
    from lark_async.bitable.files import format_of, time_zone
    from lark_async.core.errors import InvalidParameter

    zone = time_zone(tz) if tz is not None else None

    kind = fmt.value if fmt else (format_of(out) if out else "csv")
    if kind != "csv" and (dates is not None or tz is not None):
        # JSONL keeps Feishu's own values (dates as epoch ms): say so rather than ignore it.
        option = "--dates" if dates is not None else "--tz"
        raise InvalidParameter(
            f"{option} applies to CSV exports; JSONL keeps Feishu's values (dates in epoch ms)",
            hint=f"drop {option}, or export to a .csv file (--format csv)",
        )
    _check_writable("--out", out)
    conditions: dict[str, str] = {}
    for item in where or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidParameter(f"--where takes FIELD=VALUE, got {item!r}")
        conditions[name] = value
    console = Console(stderr=True, highlight=False)
    try:
        count = run(
            _export(
                app_token,
                table,
                out,
                kind,
                conditions,
                fields,
                view,
                ((dates or Dates.iso).value, zone),
                console,
                domain,
                app_id,
            )
        )
    except KeyboardInterrupt:
        said = f"{out} was not written" if out else "the output is incomplete"
        console.print(f"[yellow]interrupted:[/] {escape(said)}")
        raise typer.Exit(130) from None
    console.print(f"exported {count} records" + (f" to {out}" if out else ""))


async def _export(
    app_token: str,
    table: str,
    out: Path | None,
    kind: str,
    conditions: dict[str, str],
    fields: list[str] | None,
    view: str | None,
    date_style: tuple[str, tzinfo | None],
    console: Console,
    domain: str | None,
    app_id: str | None,
) -> int:
    from lark_async.bitable import Schema
    from lark_async.bitable.files import DATE_TYPES, write_rows

    style, zone = date_style
    lark, svc = _service(domain, app_id)
    async with lark:
        schema = Schema([f async for f in svc.list_fields(app_token, table)])
        _check_names(schema, "--field", fields or [])
        _check_names(schema, "--where", list(conditions))
        columns = fields or list(schema.fields)
        date_columns = [
            c for c in columns if c in schema.fields and schema.fields[c].type in DATE_TYPES
        ]
        if kind == "csv" and style == "iso" and date_columns and zone is None:
            zone = await _app_zone(svc, app_token)
        write = partial(
            write_rows,
            fmt=kind,
            columns=columns,
            date_columns=date_columns,
            dates="ms" if style == "ms" else "iso",
            tz=zone,
        )
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
                return await write(counted(), sys.stdout)
            # Written beside it and renamed when complete: an interrupted or failed export
            # leaves no half file behind, and an earlier export stays whole.
            part = out.with_name(out.name + ".part")
            try:
                with part.open("w", newline="", encoding="utf-8") as fh:
                    count = await write(counted(), fh)
                os.replace(part, out)
            finally:
                part.unlink(missing_ok=True)
            return count


def _check_names(schema: Schema, option: str, names: list[str]) -> None:
    """Field names given in an option exist: before the progress bar and --out are opened."""
    from lark_async.core.errors import InvalidParameter

    unknown = [n for n in names if n not in schema.fields]
    if unknown:
        known = ", ".join(list(schema.fields)[:8])
        raise InvalidParameter(
            f"{option} {unknown[0]}: no field named {unknown[0]!r} in the table (fields: {known})",
            hint="field names are exact, case and spaces included",
        )


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

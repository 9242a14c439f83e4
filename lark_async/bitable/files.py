"""Rows from and to files (CSV, JSON Lines), streamed: a file is never read whole.

CSV cells are text; :func:`read_rows` with a :class:`Schema` types them per field
(numbers, checkboxes, dates, lists). A cell that cannot be typed is passed on as
text, so the bulk engine's row check reports it as that row's failure.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from lark_async.bitable.models import Record, plain_text
from lark_async.bitable.schema import Schema, to_text
from lark_async.core.errors import InvalidParameter

FileFormat = Literal["csv", "jsonl"]
_SUFFIXES: dict[str, FileFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

RECORD_ID = "record_id"


def format_of(path: Path, given: str | None = None) -> FileFormat:
    """``csv`` or ``jsonl``, from ``given`` or the file's suffix."""
    fmt = given or _SUFFIXES.get(path.suffix.lower())
    if fmt == "csv":
        return "csv"
    if fmt == "jsonl":
        return "jsonl"
    raise InvalidParameter(
        f"cannot tell the format of {path.name}",
        hint="name it .csv or .jsonl, or pass the format explicitly",
    )


def count_rows(path: Path) -> int:
    """Data rows in the file, counted by lines (a quick total for a progress bar)."""
    with path.open("rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    return max(0, lines - 1) if format_of(path) == "csv" else lines


def read_rows(
    path: Path,
    *,
    fmt: str | None = None,
    schema: Schema | None = None,
    keep_record_id: bool = False,
) -> Iterator[dict[str, Any]]:
    """Yield one mapping per row.

    A ``record_id`` column (or JSON key) is dropped unless ``keep_record_id``, so an
    exported file imports again as new records. JSON lines of the shape
    ``{"record_id": ..., "fields": {...}}`` (what :func:`write_rows` produces) are
    unwrapped to their fields.
    """
    kind = format_of(path, fmt)
    if not path.is_file():
        raise InvalidParameter(f"no such file: {path}", hint="check the path")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        source = _csv_rows(fh, schema) if kind == "csv" else _json_rows(fh, path)
        for row in source:
            yield _shape(row, keep_record_id)


def _csv_rows(fh: IO[str], schema: Schema | None) -> Iterator[dict[str, Any]]:
    for raw in csv.DictReader(fh):
        row: dict[str, Any] = {k: v for k, v in raw.items() if k is not None}
        if schema is None:
            yield {k: v for k, v in row.items() if v != ""}
            continue
        rid = row.pop(RECORD_ID, None)
        try:
            typed = schema.coerce_text(row)
        except ValueError:
            typed = {k: v for k, v in row.items() if v != ""}  # the row check names the cell
        if rid:
            typed[RECORD_ID] = rid
        yield typed


def _json_rows(fh: IO[str], path: Path) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidParameter(
                f"{path.name} line {number} is not JSON: {exc.msg}",
                hint="one JSON object per line",
            ) from None
        if not isinstance(row, dict):
            raise InvalidParameter(f"{path.name} line {number} is not a JSON object")
        yield row


def _shape(row: dict[str, Any], keep_record_id: bool) -> dict[str, Any]:
    fields = row.get("fields")
    if isinstance(fields, dict) and set(row) <= {RECORD_ID, "fields"}:
        if keep_record_id and RECORD_ID in row:
            return {RECORD_ID: row[RECORD_ID], "fields": fields}
        return fields
    if keep_record_id:
        rid = row.pop(RECORD_ID, None)
        return {RECORD_ID: rid, "fields": row}
    row.pop(RECORD_ID, None)
    return row


async def write_rows(
    records: AsyncIterable[Record],
    out: IO[str],
    *,
    fmt: str,
    columns: Sequence[str],
) -> int:
    """Write records as CSV (``record_id`` then ``columns``) or JSON lines; returns the count."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow([RECORD_ID, *columns])
        async for record in records:
            writer.writerow([record.record_id, *(to_text(record.fields.get(c)) for c in columns)])
            count += 1
        return count
    async for record in records:
        # text comes back as segments; write it as the plain string an import expects
        fields = {k: plain_text(v) for k, v in record.fields.items()}
        line = {"record_id": record.record_id, "fields": fields}
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count

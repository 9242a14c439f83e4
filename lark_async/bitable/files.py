"""Rows from and to files (CSV, JSON Lines), streamed: a file is never read whole.

CSV cells are text; :func:`read_rows` with a :class:`Schema` types them per field
(numbers, checkboxes, dates, lists). Whatever cannot be read as the header says
is an error naming the file's line, the column and the value: a row with too few
or too many cells, a quote that is never closed, a cell that is not of its
field's type. Nothing is padded, cut or guessed. :func:`check_csv` reads a whole
file that way and lists every problem, so a command can refuse a bad file before
it writes a row.

Dates without a zone (``2024-05-01``, ``2024-05-01 09:30``) are read in the
``tz`` given, which the CLI takes from the base (its ``time_zone``).
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
from collections.abc import AsyncIterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from lark_async.bitable.models import READ_ONLY_TYPES, FieldType, Record, plain_text
from lark_async.bitable.schema import Schema, to_text
from lark_async.core.errors import InvalidParameter

FileFormat = Literal["csv", "jsonl"]
DateStyle = Literal["iso", "ms"]
_SUFFIXES: dict[str, FileFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: Field types whose values are epoch milliseconds.
DATE_TYPES = frozenset({FieldType.DATE, 1001, 1002})

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


def time_zone(name: str | None) -> _dt.tzinfo:
    """A zone by IANA name (``Asia/Shanghai``), ``UTC``, or a fixed ``+08:00``."""
    if name is None or name.upper() in ("UTC", "Z"):
        return _dt.UTC
    if name[:1] in "+-":
        try:
            when = _dt.datetime.fromisoformat(f"2000-01-01T00:00:00{name}")
        except ValueError:
            pass
        else:
            assert when.tzinfo is not None
            return when.tzinfo
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter(
            f"unknown time zone {name!r:.60}",
            hint="an IANA name such as Asia/Shanghai, UTC, or an offset such as +08:00",
        ) from None


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """Why one line of a CSV file cannot be imported."""

    line: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class CsvCheck:
    """What :func:`check_csv` found: the header, the row count, the problems."""

    header: list[str]
    rows: int = 0
    problems: list[CsvProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_rows(
    path: Path,
    *,
    fmt: str | None = None,
    schema: Schema | None = None,
    keep_record_id: bool = False,
    tz: _dt.tzinfo | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one mapping per row.

    A ``record_id`` column (or JSON key) is dropped unless ``keep_record_id``, so an
    exported file imports again as new records. JSON lines of the shape
    ``{"record_id": ..., "fields": {...}}`` (what :func:`write_rows` produces) are
    unwrapped to their fields. A CSV line that cannot be read raises
    ``InvalidParameter`` naming the file, the line and the column.
    """
    kind = format_of(path, fmt)
    if not path.is_file():
        raise InvalidParameter(f"no such file: {path}", hint="check the path")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            if kind == "csv":
                for item in _csv_rows(fh, schema, tz):
                    if isinstance(item, CsvProblem):
                        raise InvalidParameter(f"{path.name} {item}", hint=_CSV_HINT)
                    yield _shape(item[1], keep_record_id)
                return
            for row in _json_rows(fh, path):
                yield _shape(row, keep_record_id)
        except UnicodeDecodeError:
            raise InvalidParameter(f"{path.name} {_not_utf8(path)}", hint=_CSV_HINT) from None


_CSV_HINT = "fix the file (see docs/bitable.md, CSV files), then run the import again"


def check_csv(
    path: Path,
    *,
    schema: Schema | None = None,
    tz: _dt.tzinfo | None = None,
    max_problems: int = 20,
) -> CsvCheck:
    """Read a whole CSV file as :func:`read_rows` would; list up to ``max_problems``.

    Also returns the header and the number of data rows.
    """
    if not path.is_file():
        raise InvalidParameter(f"no such file: {path}", hint="check the path")
    result = CsvCheck(header=[])
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            for item in _csv_rows(fh, schema, tz, header_out=result.header):
                if isinstance(item, CsvProblem):
                    result.problems.append(item)
                    if len(result.problems) >= max_problems:
                        break
                else:
                    result.rows += 1
        except UnicodeDecodeError:
            result.problems.append(_not_utf8(path))
    return result


def _not_utf8(path: Path) -> CsvProblem:
    """The first line that is not UTF-8 (only read again when decoding failed)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return CsvProblem(
                    number,
                    f"is not UTF-8 text (byte {raw[exc.start]:#04x} at character "
                    f"{exc.start + 1}): save the file as UTF-8 (in Excel: CSV UTF-8)",
                )
    return CsvProblem(1, "is not UTF-8 text: save the file as UTF-8 (in Excel: CSV UTF-8)")


def check_jsonl(path: Path, *, schema: Schema | None = None, max_problems: int = 20) -> CsvCheck:
    """Read a whole JSON Lines file as :func:`read_rows` would; list up to ``max_problems``.

    With a ``schema``, each row's fields are checked against the table's fields too
    (unknown names, values of the wrong type), as the bulk engine would.
    """
    if not path.is_file():
        raise InvalidParameter(f"no such file: {path}", hint="check the path")
    result = CsvCheck(header=[])
    with path.open(encoding="utf-8-sig") as fh:
        try:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                problem = _jsonl_problem(line, schema)
                if problem is None:
                    result.rows += 1
                else:
                    result.problems.append(CsvProblem(number, problem))
                    if len(result.problems) >= max_problems:
                        break
        except UnicodeDecodeError:
            result.problems.append(_not_utf8(path))
    return result


def _jsonl_problem(line: str, schema: Schema | None) -> str | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}"
    if not isinstance(row, dict):
        return "not a JSON object"
    if schema is None:
        return None
    fields = _shape(row, keep_record_id=True)["fields"]
    if not isinstance(fields, dict) or not fields:
        return "has no fields"
    try:
        return schema.problem(fields)
    except InvalidParameter as exc:
        return exc.message


def _csv_rows(
    fh: IO[str],
    schema: Schema | None,
    tz: _dt.tzinfo | None,
    *,
    header_out: list[str] | None = None,
) -> Iterator[tuple[int, dict[str, Any]] | CsvProblem]:
    """(line number, row) per data row, or a problem; a broken quote ends the file."""
    reader = csv.reader(fh, strict=True)
    ended = 0  # the last line of the previous record
    header: list[str] | None = None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            if header is None:  # an empty file is a mistake, not an import of 0 rows
                yield CsvProblem(1, "the file is empty: no header line naming the columns")
            return
        except csv.Error as exc:
            yield _quote_problem(ended + 1, reader.line_num, str(exc))
            return
        line, ended = ended + 1, reader.line_num
        if not cells or cells == [""]:
            continue  # a blank line
        if header is None:
            problem = _header_problem(cells, line, schema)
            if problem is not None:
                yield problem
                return
            header = cells
            if header_out is not None:
                header_out.extend(cells)
            continue
        if len(cells) != len(header):
            yield _width_problem(line, ended, cells, header)
            continue
        yield from _typed(line, dict(zip(header, cells, strict=True)), schema, tz)


def _quote_problem(line: int, last: int, reason: str) -> CsvProblem:
    if "unexpected end of data" in reason:
        return CsvProblem(
            line, f"a quoted cell is never closed (it runs to the end of the file, line {last})"
        )
    return CsvProblem(last, f"bad quoting: {reason}")


def _header_problem(cells: list[str], line: int, schema: Schema | None) -> CsvProblem | None:
    seen: set[str] = set()
    for n, name in enumerate(cells, 1):
        if not name.strip():
            return CsvProblem(line, f"the header's column {n} has no name")
        if name in seen:
            return CsvProblem(line, f"the header names column {name!r} twice")
        seen.add(name)
        if schema is None or name == RECORD_ID:
            continue
        spec = schema.fields.get(name)
        if spec is None:
            known = ", ".join(list(schema.fields)[:10])
            return CsvProblem(line, f"no field named {name!r} in the table (fields: {known})")
        if spec.type in READ_ONLY_TYPES:
            return CsvProblem(line, f"{name!r} is computed by Feishu and cannot be written")
    return None


def _width_problem(line: int, ended: int, cells: list[str], header: list[str]) -> CsvProblem:
    span = f" (a quoted cell runs on to line {ended})" if ended > line else ""
    if len(cells) < len(header):
        missing = ", ".join(repr(h) for h in header[len(cells) :][:5])
        return CsvProblem(
            line, f"{len(cells)} cells, the header has {len(header)}: no {missing}{span}"
        )
    extra = cells[len(header)]
    return CsvProblem(
        line,
        f"{len(cells)} cells, the header has {len(header)}: "
        f"an extra cell {extra!r:.40} after {header[-1]!r}{span}",
    )


def _typed(
    line: int, row: dict[str, str], schema: Schema | None, tz: _dt.tzinfo | None
) -> Iterator[tuple[int, dict[str, Any]] | CsvProblem]:
    if schema is None:
        yield line, {k: v for k, v in row.items() if v != ""}
        return
    rid = row.pop(RECORD_ID, None)
    typed: dict[str, Any] = {}
    bad = False
    for name, raw in row.items():
        if raw == "":
            continue
        try:
            typed[name] = schema.coerce_cell(name, raw, tz=tz)
        except ValueError as exc:
            bad = True
            yield CsvProblem(line, str(exc), column=name)
    if bad:
        return
    if not typed:
        yield CsvProblem(line, "every cell is empty")
        return
    if rid:
        typed[RECORD_ID] = rid
    yield line, typed


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


def date_text(ms: int | float, tz: _dt.tzinfo) -> str:
    """Epoch milliseconds as an ISO date in ``tz``: ``2024-05-01`` at midnight, else a
    date-time with its offset (``2024-05-01T09:30:00+08:00``)."""
    when = _dt.datetime.fromtimestamp(ms / 1000, tz)
    if when.time() == _dt.time(0):
        return when.date().isoformat()
    spec = "milliseconds" if when.microsecond else "seconds"
    return when.isoformat(timespec=spec)


async def write_rows(
    records: AsyncIterable[Record],
    out: IO[str],
    *,
    fmt: str,
    columns: Sequence[str],
    date_columns: Sequence[str] = (),
    dates: DateStyle = "iso",
    tz: _dt.tzinfo | None = None,
) -> int:
    """Write records as CSV (``record_id`` then ``columns``) or JSON lines; returns the count.

    CSV cells of ``date_columns`` are ISO dates in ``tz`` (``dates="iso"``, the default)
    or epoch milliseconds (``dates="ms"``); JSON lines keep Feishu's epoch milliseconds.
    """
    if dates not in ("iso", "ms"):
        raise InvalidParameter(f"dates must be 'iso' or 'ms', got {dates!r:.40}")
    count = 0
    if fmt == "csv":
        zone = tz or _dt.UTC
        as_date = set(date_columns) if dates == "iso" else set()
        writer = csv.writer(out)
        writer.writerow([RECORD_ID, *columns])
        async for record in records:
            cells = [record.record_id]
            for c in columns:
                value = record.fields.get(c)
                if c in as_date and isinstance(value, int | float) and not isinstance(value, bool):
                    cells.append(date_text(value, zone))
                else:
                    cells.append(to_text(value))
            writer.writerow(cells)
            count += 1
        return count
    async for record in records:
        # text comes back as segments; write it as the plain string an import expects
        fields = {k: plain_text(v) for k, v in record.fields.items()}
        line = {"record_id": record.record_id, "fields": fields}
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def read_header(path: Path) -> list[str]:
    """The column names of a CSV file (its first non-blank record); [] if it has none."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            for cells in csv.reader(fh, strict=True):
                if cells and cells != [""]:
                    return cells
        except (csv.Error, UnicodeDecodeError):  # check_csv says what is wrong
            return []
    return []

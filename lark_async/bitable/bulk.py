"""The bulk-sync engine: stream rows into Bitable at the rate Feishu allows, losing none
and writing none twice.

How it keeps that promise (Feishu Bitable and rate-limit docs):

- **Streaming.** Input (any iterable or async iterable) is read lazily into chunks
  that go through a small bounded queue, so a million-row import holds a few
  chunks in memory, never the input.
- **One write at a time per table.** Feishu answers a second concurrent write to a
  table with 1254291 "write conflict". Every writer of one service shares a slot
  per table (``per_table``, default 1) and a cap on all writes in flight
  (``concurrency``), so tables run in parallel and each table runs back to back.
  A slot is held only while a request is on the wire, never while backing off or
  waiting out a rate limit (the client's transport takes it per attempt).
- **Creates are idempotent.** Each create chunk carries a fresh ``client_token``,
  reused on every retry of that chunk: a retry after a lost answer gets the
  records already made instead of making them again.
- **No blind retries.** ``batch_update`` and ``batch_delete`` have no token.
  Re-sending an update writes the same values again, which is harmless, so it is
  retried. A delete whose answer was lost is checked first: ``batch_get`` says
  which ids are still there, and only those are sent again.
- **Settling, not guessing.** When a chunk's answer is still lost after its last
  attempt and its rows carry a key (an upsert, or a create with ``key_field``),
  the keys are read back (a search on the key field): rows found count as
  written, with their record ids; the others were not written and are sent
  again (``settle_rounds`` times), then reported as failed. An upsert's updates
  are read back by record id and compared. Whatever stays unsettled (no key, a
  value that cannot be compared, a failed read) is reported as an
  unknown-outcome chunk, never guessed.
- **Retries** (rate limits, write conflicts, 1254607, 1255040, 5xx, timeouts) use
  backoff on the client's clock; the transport is called with ``max_retries=0``
  so retries are not multiplied. Rate limits wait out Feishu's one-second window.
- **Splitting.** A batch is all-or-nothing: one oversize cell or bad value fails
  the other 999 rows. Such a chunk is halved, down to single rows, so the good
  rows get through and the bad ones are reported with their typed errors.
- **Stopping early.** Errors no retry can fix (no permission, no such table, bad
  credentials) stop the run: queued rows are counted as skipped, not sent.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lark_async.bitable import checks
from lark_async.bitable.codes import BATCH_TOO_LARGE, WRITE_CONFLICT, Verdict, verdict
from lark_async.bitable.lookup import KeyIndex, RequestFn, read_keys
from lark_async.bitable.models import FieldPage, TableField
from lark_async.bitable.options import BulkOptions, WriteSlots, table_key
from lark_async.bitable.paging import Pages
from lark_async.bitable.report import BulkReport, Operation, UnknownChunk
from lark_async.bitable.rows import (
    PendingRow,
    Rows,
    aiter_rows,
    bad_row,
    fields_of,
    normalise_key,
    record_id_of,
    update_parts,
)
from lark_async.bitable.schema import Schema
from lark_async.core import telemetry as _tm
from lark_async.core.clock import Clock
from lark_async.core.errors import ErrorKind, InvalidParameter, LarkError
from lark_async.core.logging import get_logger
from lark_async.core.options import SlotFactory
from lark_async.core.response import LarkResponse
from lark_async.core.retry import backoff
from lark_async.core.service import parse_model

Lookup = Literal["scan", "search"]

BASE = "/open-apis/bitable/v1/apps"
# Backoff shapes, in core.retry.backoff's terms. A transient failure waits
# backoff_base, doubling up to backoff_max, ±20 %. A write conflict clears fast
# (another writer finishing), so it starts at conflict_backoff and stays under 5 s.
_TRANSIENT_JITTER = 0.2
_CONFLICT_CAP = 5.0
_CONFLICT_DOUBLINGS = 6
_CONFLICT_JITTER = 0.25


@dataclass
class _Job:
    """One run on one table: its settings, its report and its bookkeeping."""

    operation: Operation
    app_token: str
    table_id: str
    options: BulkOptions
    report: BulkReport
    slot_key: str
    started: float
    schema: Schema | None = None
    key: str | None = None  # upsert's key, or a create's key_field
    index: KeyIndex | None = None  # upsert: key -> record_id
    seen_keys: set[str] = field(default_factory=set)  # create with key_field: keys admitted
    lookup: Lookup = "scan"
    split_budget: int = 0
    batch_cap: int = checks.MAX_BATCH_WRITE  # lowered if Feishu says a batch is too large
    chunks_done: int = 0
    first_token: str | None = None  # options.client_token, for the first create chunk
    stopped: bool = False
    crash: Exception | None = None

    @property
    def path(self) -> str:
        return f"{BASE}/{self.app_token}/tables/{self.table_id}"

    def params(self, client_token: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.options.user_id_type:
            params["user_id_type"] = self.options.user_id_type
        if client_token:
            params["client_token"] = client_token
        return params

    def fail(self, rows: Iterable[PendingRow], err: LarkError) -> None:
        for row in rows:
            self.report.add_failure(row.index, row.source, err)
            for extra in row.merged:
                self.report.add_failure(extra, row.source, err)

    def abort(self, err: LarkError) -> None:
        if not self.stopped:
            self.stopped = True
            self.report.aborted = err


class BulkWriter:
    """Bulk create, update, upsert and delete with shared per-table write slots.

    Get one from ``lark.bitable.bulk`` (shares the service's slots) or build one
    with a request function. Run several tables at once with ``asyncio.gather``;
    the slots keep each table to ``per_table`` writes and all tables to
    ``concurrency`` writes in flight. ``request_holds_slot=True`` says ``request``
    takes ``slot=`` and holds it per attempt on the wire, as the client's does.
    """

    def __init__(
        self,
        request: RequestFn,
        clock: Clock,
        *,
        slots: WriteSlots | None = None,
        rng: random.Random | None = None,
        request_holds_slot: bool = False,
        **defaults: Any,
    ) -> None:
        if not callable(request):
            raise InvalidParameter(f"request must be callable, got {type(request).__name__}")
        if not callable(getattr(clock, "monotonic", None)) or not callable(
            getattr(clock, "sleep", None)
        ):
            raise InvalidParameter(
                f"clock must be a Clock (monotonic() and sleep()), got {type(clock).__name__}"
            )
        if slots is not None and not isinstance(slots, WriteSlots):
            raise InvalidParameter(f"slots must be WriteSlots, got {type(slots).__name__}")
        if rng is not None and not isinstance(rng, random.Random):
            raise InvalidParameter(f"rng must be a random.Random, got {type(rng).__name__}")
        self._request = request
        self._clock = clock
        self.slots = slots or WriteSlots()
        # True when ``request`` takes ``slot=`` and holds it around each attempt on
        # the wire (the client's does); otherwise the slot is held around each call.
        self._request_holds_slot = request_holds_slot
        self._rng = rng or random.Random()
        try:
            self.defaults = BulkOptions(**defaults)
        except TypeError as exc:
            raise InvalidParameter(f"unknown bulk option: {exc}") from None
        self.defaults.checked(checks.MAX_BATCH_WRITE)  # bad defaults fail here, not at a run

    # -- public operations ----------------------------------------------------
    async def create(
        self, app_token: str, table_id: str, rows: Rows[Mapping[str, Any]], **options: Any
    ) -> BulkReport:
        """Create one record per row (a mapping of field name to value).

        ``key_field="Email"`` declares a field whose value identifies each row (every
        row has one, no two rows share one, and none is in the table yet). Then a
        chunk whose answer stays lost is settled by reading those keys back,
        instead of being reported as unknown.
        """
        _check_rows(rows, "rows")
        return await self._run("create", app_token, table_id, rows, options)

    async def update(
        self, app_token: str, table_id: str, rows: Rows[Any], **options: Any
    ) -> BulkReport:
        """Update records: rows are ``{"record_id": ..., "fields": {...}}`` or
        ``(record_id, fields)`` pairs (or ``Record`` objects)."""
        _check_rows(rows, "rows")
        return await self._run("update", app_token, table_id, rows, options)

    async def upsert(
        self,
        app_token: str,
        table_id: str,
        rows: Rows[Mapping[str, Any]],
        *,
        key: str,
        lookup: Lookup = "scan",
        **options: Any,
    ) -> BulkReport:
        """Create rows whose ``key`` field value is new, update the records that have it.

        ``lookup="scan"`` reads the key column once up front (fast per row; best when
        the table is not much larger than the input); ``"search"`` looks keys up per
        chunk with OR-filters (best for a small input into a huge table). Either way
        the key → record_id index is kept for the run, so a key repeated later in the
        input updates the record made earlier, and repeats within one chunk are merged.
        """
        _check_rows(rows, "rows")
        if not isinstance(key, str) or not key or not key.isprintable():
            raise InvalidParameter("upsert needs key=<field name>", hint='e.g. key="Email"')
        if not isinstance(lookup, str) or lookup not in ("scan", "search"):
            raise InvalidParameter(f"lookup must be 'scan' or 'search', got {lookup!r}")
        return await self._run("upsert", app_token, table_id, rows, options, key=key, lookup=lookup)

    async def delete(
        self, app_token: str, table_id: str, record_ids: Rows[Any], **options: Any
    ) -> BulkReport:
        """Delete records by id (strings, ``{"record_id": ...}`` or ``Record`` objects)."""
        _check_rows(record_ids, "record_ids")
        return await self._run("delete", app_token, table_id, record_ids, options)

    # -- the run ---------------------------------------------------------------
    async def _run(
        self,
        operation: Operation,
        app_token: str,
        table_id: str,
        rows: Rows[Any],
        overrides: Mapping[str, Any],
        *,
        key: str | None = None,
        lookup: Lookup = "scan",
    ) -> BulkReport:
        checks.app_token(app_token)
        checks.table_id(table_id)
        try:
            opts = replace(self.defaults, **overrides)
        except TypeError as exc:
            raise InvalidParameter(f"unknown bulk option: {exc}") from None
        limit = checks.MAX_BATCH_DELETE if operation == "delete" else checks.MAX_BATCH_WRITE
        opts = opts.checked(limit)
        if opts.key_field is not None:
            if operation != "create":
                raise InvalidParameter(
                    f"key_field is an option of create, not of {operation}",
                    hint="upsert takes key=<field name>" if operation == "upsert" else None,
                )
            key = opts.key_field
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(
            rows, (Iterable, AsyncIterable)
        ):
            raise InvalidParameter(
                f"rows must be an iterable of rows, not a {type(rows).__name__}",
                hint="pass a list, a generator or an async iterator of rows",
            )
        report = BulkReport(operation, app_token, table_id, failed_rows_kept=opts.failed_rows_kept)
        if opts.collect_record_ids and operation in ("create", "upsert"):
            report.record_ids = []
        job = _Job(
            operation,
            app_token,
            table_id,
            opts,
            report,
            table_key(app_token, table_id),
            self._clock.monotonic(),
            key=key,
            lookup=lookup,
            split_budget=opts.max_split_calls,
            first_token=opts.client_token,
        )
        log = get_logger()
        log.info(
            "lark.bitable.bulk",
            operation=operation,
            table_id=table_id,
            outcome="started",
            chunk_size=opts.chunk_size,
        )
        finished = False
        try:
            await self._prepare(job)
            if not job.stopped:
                await self._pump(job, rows)
            finished = True
        finally:
            report.elapsed = self._clock.monotonic() - job.started
            _tm.recorder.bulk_rows(
                operation, report.written, report.failed_count, report.unknown_rows, report.skipped
            )
            log.info(
                "lark.bitable.bulk",
                operation=operation,
                table_id=table_id,
                outcome=("ok" if report.ok else "incomplete") if finished else "interrupted",
                rows_read=report.rows_read,
                written=report.written,
                failed=report.failed_count,
                unknown=report.unknown_rows,
                skipped=report.skipped,
                calls=report.calls,
                retries=report.retries,
                splits=report.chunks_split,
                duration_ms=round(report.elapsed * 1000, 1),
                error_kind=report.aborted.kind.value if report.aborted else None,
            )
        await self._notify(job, done=True)
        return report

    async def _prepare(self, job: _Job) -> None:
        """Read the schema (to check rows) and, for a scanning upsert, the key column."""
        if job.options.validate and job.operation != "delete":
            fields, err = await self._fields(job)
            if err is not None:
                if verdict(err) is Verdict.FATAL:
                    job.abort(err)
                    return
                get_logger().warning(
                    "lark.bitable.bulk",
                    operation=job.operation,
                    table_id=job.table_id,
                    outcome="writing without a field check",
                    error_kind=err.kind.value,
                    code=err.code,
                )
            elif fields is not None:
                schema = job.schema = Schema(fields)
                if job.key is not None and job.key not in schema.fields:
                    job.abort(
                        InvalidParameter(
                            f"the key field {job.key!r} is not in table {job.table_id}",
                            hint="key= names a field of the table; names are exact",
                        )
                    )
                    return
        if job.key is not None and job.operation == "upsert":
            job.index = KeyIndex(self._request, job.path, job.key, job.params())
            if job.lookup == "scan":
                err = await job.index.scan()
                if err is not None:
                    job.abort(err)

    async def _fields(self, job: _Job) -> tuple[list[TableField] | None, LarkError | None]:
        async def fetch(token: str | None) -> Any:
            params = {"page_size": checks.MAX_SCHEMA_PAGE_SIZE, "page_token": token}
            resp = await self._request("GET", f"{job.path}/fields", params=params)
            return parse_model(resp, FieldPage)

        pages: Pages[TableField] = Pages(fetch, what=f"fields of table {job.table_id!r}")
        try:
            return [f async for f in pages], None
        except LarkError as err:
            return None, err

    async def _pump(self, job: _Job, rows: Rows[Any]) -> None:
        """Read rows into chunks on a bounded queue; workers send them."""
        workers = 1 if job.operation == "upsert" else self.slots.per_table
        queue: asyncio.Queue[list[PendingRow] | None] = asyncio.Queue(maxsize=2 * workers)
        tasks = [asyncio.create_task(self._worker(job, queue)) for _ in range(workers)]
        size = job.options.chunk_size or checks.MAX_BATCH_WRITE
        chunk: list[PendingRow] = []
        try:
            async for source in aiter_rows(rows):
                if job.stopped:
                    break
                index = job.report.rows_read
                job.report.rows_read += 1
                row = self._admit(job, index, source)
                if row is None:
                    continue
                chunk.append(row)
                if len(chunk) >= size:
                    job.report.chunks += 1
                    await queue.put(chunk)
                    chunk = []
            if chunk and not job.stopped:
                job.report.chunks += 1
                await queue.put(chunk)
                chunk = []
        except Exception as exc:
            # The input failed: finish what is queued, then re-raise with the tally so far.
            job.report.skipped += len(chunk)
            await self._finish(tasks, queue)
            exc.add_note(f"bulk {job.operation} stopped reading its input: {job.report.summary()}")
            raise
        except BaseException:  # cancelled: in-flight chunks are abandoned with the caller
            for task in tasks:
                task.cancel()
            raise
        job.report.skipped += len(chunk)
        await self._finish(tasks, queue)
        if job.crash is not None:
            raise job.crash

    @staticmethod
    async def _finish(
        tasks: list[asyncio.Task[None]], queue: asyncio.Queue[list[PendingRow] | None]
    ) -> None:
        for _ in tasks:
            await queue.put(None)
        await asyncio.gather(*tasks)

    def _admit(self, job: _Job, index: int, source: Any) -> PendingRow | None:
        """Check one input row; a bad one is reported here and never sent."""
        try:
            if job.operation == "delete":
                return PendingRow(index, source, record_id=record_id_of(source, index))
            if job.operation == "update":
                rid, fields = update_parts(source, index)
                row = PendingRow(index, source, fields=fields_of(fields, index), record_id=rid)
            else:
                row = PendingRow(index, source, fields=fields_of(source, index))
            if job.schema is not None:
                assert row.fields is not None
                problem = job.schema.problem(row.fields)
                if problem:
                    raise bad_row(index, problem, "fix the row, or the table's fields")
            if job.key is not None:
                assert row.fields is not None
                row.key = normalise_key(row.fields.get(job.key))
                if row.key is None:
                    raise bad_row(index, f"has no value for the key field {job.key!r}")
                if job.operation == "create":
                    if row.key in job.seen_keys:
                        raise bad_row(
                            index,
                            f"repeats the value {row.key!r} of the key field {job.key!r}",
                            "key_field values must be unique; use upsert to merge repeats",
                        )
                    job.seen_keys.add(row.key)
            return row
        except InvalidParameter as err:
            job.report.add_failure(index, source, err)
            return None

    async def _worker(self, job: _Job, queue: asyncio.Queue[list[PendingRow] | None]) -> None:
        while True:
            chunk = await queue.get()
            if chunk is None:
                return
            if job.stopped:
                job.report.skipped += sum(r.count for r in chunk)
                continue
            try:
                if job.operation == "upsert":
                    await self._upsert_chunk(job, chunk)
                else:
                    await self._deliver(job, job.operation, chunk)
            except Exception as exc:
                # A bug must not leave the reader blocked on a full queue: stop the run,
                # keep draining, and re-raise once everything has settled.
                job.crash = exc
                job.stopped = True
                job.report.unknown.append(
                    UnknownChunk(
                        tuple(i for r in chunk for i in (r.index, *r.merged)),
                        LarkError(f"internal error: {type(exc).__name__}"),
                    )
                )
                continue
            job.chunks_done += 1
            await self._notify(job)

    async def _notify(self, job: _Job, *, done: bool = False) -> None:
        callback = job.options.on_progress
        if callback is None:
            return
        job.report.elapsed = self._clock.monotonic() - job.started
        try:
            result = callback(job.report.progress(job.chunks_done, done=done))
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # a progress bar must not break a bulk run
            get_logger().warning(
                "lark.bitable.bulk", outcome="on_progress failed", reason=type(exc).__name__
            )

    # -- upsert ------------------------------------------------------------------
    async def _upsert_chunk(self, job: _Job, chunk: list[PendingRow]) -> None:
        merged: dict[str, PendingRow] = {}
        for row in chunk:
            assert row.key is not None and row.fields is not None
            first = merged.get(row.key)
            if first is None:
                merged[row.key] = row
                continue
            # Same key twice in one chunk: one write, later values win.
            assert first.fields is not None
            first.fields = {**first.fields, **row.fields}
            first.merged = (*first.merged, row.index, *row.merged)
            job.report.merged_duplicates += 1
        rows = list(merged.values())
        index = job.index
        assert index is not None
        if job.lookup == "search":
            missing = [r.key for r in rows if r.key is not None and r.key not in index]
            if missing:
                err = await index.find(missing)
                if err is not None:
                    job.fail(rows, err)
                    if verdict(err) is Verdict.FATAL:
                        job.abort(err)
                    return
        creates: list[PendingRow] = []
        updates: list[PendingRow] = []
        for r in rows:
            r.record_id = index.get(r.key or "")
            (creates if r.record_id is None else updates).append(r)
        if creates:
            await self._deliver(job, "create", creates)
        if updates and not job.stopped:
            await self._deliver(job, "update", updates)
        elif updates:
            job.report.skipped += sum(r.count for r in updates)

    # -- one chunk ----------------------------------------------------------------
    async def _deliver(self, job: _Job, op: Operation, rows: list[PendingRow]) -> None:
        """Send one chunk until it settles: written, split, failed, or unknown."""
        opts = job.options
        if len(rows) > job.batch_cap:  # Feishu said smaller batches: cut without spending calls
            for start in range(0, len(rows), job.batch_cap):
                await self._deliver(job, op, rows[start : start + job.batch_cap])
            return
        token = None
        if op == "create":
            token, job.first_token = job.first_token or str(uuid.uuid4()), None
        attempts = waits = conflicts = settles = 0
        retried = False
        while True:
            if job.stopped:
                job.report.skipped += sum(r.count for r in rows)
                return
            resp = await self._send(job, op, rows, token)
            if resp.ok:
                self._written(job, op, rows, resp.data or {})
                return
            err = resp.error
            assert err is not None
            outcome = verdict(err)
            if outcome is Verdict.FATAL:
                job.fail(rows, err)
                job.abort(err)
                return
            if outcome is Verdict.SPLIT:
                if err.code == BATCH_TOO_LARGE and len(rows) > 1:
                    job.batch_cap = min(job.batch_cap, len(rows) // 2)
                    job.report.chunks_split += 1
                    await self._deliver(job, op, rows)
                    return
                if len(rows) > 1 and job.split_budget >= 2:
                    job.split_budget -= 2
                    job.report.chunks_split += 1
                    half = len(rows) // 2
                    await self._deliver(job, op, rows[:half])
                    await self._deliver(job, op, rows[half:])
                else:
                    job.fail(rows, err)
                return
            if outcome is Verdict.FAIL:
                job.fail(rows, err)
                return
            if outcome is Verdict.WAIT:
                waits += 1
                if waits > opts.max_waits:
                    job.fail(rows, err)  # never applied, so a plain failure, not unknown
                    return
                if err.kind is ErrorKind.RATE_LIMITED:
                    # Not a backoff: wait out Feishu's window, spread upwards only so
                    # the chunk never comes back before the window has passed.
                    delay = opts.rate_limit_wait * (1 + self._rng.uniform(0, 0.25))
                else:
                    conflicts += 1
                    delay = backoff(
                        min(conflicts - 1, _CONFLICT_DOUBLINGS),
                        base=opts.conflict_backoff,
                        cap=_CONFLICT_CAP,
                        jitter=_CONFLICT_JITTER,
                        rng=self._rng,
                    )
            else:  # transient: the chunk may have been applied
                attempts += 1
                if attempts >= opts.max_attempts:
                    if not self._settleable(job, op):
                        self._unknown(job, rows, err, token)
                        return
                    pending = await self._settle(job, op, rows, err, token)
                    if not pending:
                        return
                    if settles >= opts.settle_rounds:
                        job.fail(pending, _not_written(err))
                        return
                    # Not written: another round. A create resent whole keeps its
                    # token (should the first send land late, Feishu answers with
                    # it); a smaller body needs a new one.
                    settles += 1
                    attempts = 0
                    if op == "create" and len(pending) != len(rows):
                        token = str(uuid.uuid4())
                    rows = pending
                elif op == "delete":
                    present, check_err = await self._still_present(job, rows)
                    if check_err is not None:
                        self._unknown(job, rows, check_err, None)
                        return
                    gone = len(rows) - len(present)
                    job.report.deleted += gone
                    job.report.verified_absent += gone
                    job.report.written += gone
                    rows = present
                    if not rows:
                        return
                delay = backoff(
                    attempts - 1,
                    base=opts.backoff_base,
                    cap=opts.backoff_max,
                    jitter=_TRANSIENT_JITTER,
                    rng=self._rng,
                )
            job.report.retries += 1
            if not retried:
                retried = True
                job.report.chunks_retried += 1
            await self._clock.sleep(max(0.0, delay))

    def _unknown(
        self, job: _Job, rows: list[PendingRow], err: LarkError, token: str | None
    ) -> None:
        indexes = tuple(i for r in rows for i in (r.index, *r.merged))
        job.report.unknown.append(UnknownChunk(indexes, err, token))

    async def _send(
        self, job: _Job, op: Operation, rows: list[PendingRow], token: str | None
    ) -> LarkResponse[dict[str, Any]]:
        if op == "create":
            path = f"{job.path}/records/batch_create"
            body: dict[str, Any] = {"records": [{"fields": r.fields} for r in rows]}
        elif op == "update":
            path = f"{job.path}/records/batch_update"
            body = {"records": [{"record_id": r.record_id, "fields": r.fields} for r in rows]}
        else:
            path = f"{job.path}/records/batch_delete"
            body = {"records": [r.record_id for r in rows]}
        kwargs: dict[str, Any] = {
            "params": job.params(token),
            "json": body,
            # creates carry a client_token; updates rewrite the same values, and
            # deletes are checked before any resend, so both may be retried here
            "idempotency_key": token,
            "idempotent": token is None,
            "max_retries": 0,
            "timeout": job.options.timeout,
        }
        if self._request_holds_slot:
            resp = await self._request("POST", path, slot=self._slot(job.slot_key), **kwargs)
        else:
            async with self._slot(job.slot_key)():
                resp = await self._request("POST", path, **kwargs)
        job.report.calls += 1
        if resp.error is not None:
            if resp.error.code == WRITE_CONFLICT:
                job.report.conflicts += 1
            elif resp.error.kind is ErrorKind.RATE_LIMITED:
                job.report.rate_limited += 1
        return resp

    def _slot(self, key: str) -> SlotFactory:
        """The table's slot and one of ``concurrency``, held for one request."""
        slots = self.slots

        @asynccontextmanager
        async def held() -> AsyncIterator[None]:
            async with slots.hold(key), slots.all:
                yield

        return held

    def _written(
        self, job: _Job, op: Operation, rows: list[PendingRow], data: Mapping[str, Any]
    ) -> None:
        report = job.report
        answered = data.get("records")
        records: list[Any] = answered if isinstance(answered, list) else []
        if op == "delete":
            refused = {
                str(r.get("record_id"))
                for r in records
                if isinstance(r, Mapping) and r.get("deleted") is False
            }
            done = [r for r in rows if r.record_id not in refused]
            if refused:
                job.fail(
                    (r for r in rows if r.record_id in refused),
                    LarkError(
                        "Feishu answered deleted=false for this record",
                        kind=ErrorKind.CONFLICT,
                        hint="it may be protected or already changing; read it and try again",
                    ),
                )
            report.deleted += len(done)
            report.written += len(done)
            return
        count = sum(r.count for r in rows)
        report.written += count
        if op == "update":
            report.updated += count
            return
        report.created += count
        for row, record in zip(rows, records, strict=False):
            rid = record.get("record_id") if isinstance(record, Mapping) else None
            if not isinstance(rid, str):
                continue
            if row.key is not None and job.index is not None:
                job.index.remember(row.key, rid)
            if report.record_ids is not None:
                report.record_ids.append(rid)

    async def _still_present(
        self, job: _Job, rows: list[PendingRow]
    ) -> tuple[list[PendingRow], LarkError | None]:
        """After a lost delete answer: which of these records still exist (batch_get, 100/call)."""
        found, err = await self._batch_get(job, [r.record_id or "" for r in rows])
        if err is not None:
            return rows, err
        # a forbidden id cannot be told apart: treated as still there, the resend decides
        return [r for r in rows if r.record_id in found], None

    async def _batch_get(
        self, job: _Job, ids: list[str]
    ) -> tuple[dict[str, Mapping[str, Any] | None], LarkError | None]:
        """Record id -> its fields, for the ids that exist (None: exists, fields withheld)."""
        found: dict[str, Mapping[str, Any] | None] = {}
        for start in range(0, len(ids), checks.MAX_BATCH_GET):
            resp = await self._request(
                "POST",
                f"{job.path}/records/batch_get",
                params=job.params(),
                json={"record_ids": ids[start : start + checks.MAX_BATCH_GET]},
                idempotent=True,  # a read, sent as POST
            )
            if not resp.ok:
                assert resp.error is not None
                return found, resp.error
            data = resp.data or {}
            for record in data.get("records") or []:
                if isinstance(record, Mapping) and isinstance(record.get("record_id"), str):
                    fields = record.get("fields")
                    found[record["record_id"]] = fields if isinstance(fields, Mapping) else {}
            for rid in data.get("forbidden_record_ids") or []:
                found[str(rid)] = None
        return found, None

    # -- settling a lost answer -----------------------------------------------------
    @staticmethod
    def _settleable(job: _Job, op: Operation) -> bool:
        """Whether reading back can tell if these rows were written: they carry a key."""
        if job.key is None:
            return False
        return op == "create" or (op == "update" and job.operation == "upsert")

    async def _settle(
        self,
        job: _Job,
        op: Operation,
        rows: list[PendingRow],
        err: LarkError,
        token: str | None,
    ) -> list[PendingRow]:
        """Read back a chunk whose answer stayed lost; count what was written.

        Returns the rows that were not written. Rows whose fate cannot be read
        (a failed read, a value that cannot be compared) are reported as unknown.
        """
        if op == "create":
            written, pending, unknown, read_err = await self._settle_creates(job, rows)
        else:
            written, pending, unknown, read_err = await self._settle_updates(job, rows)
        if read_err is not None:
            get_logger().warning(
                "lark.bitable.bulk",
                operation=job.operation,
                table_id=job.table_id,
                outcome="could not read back a lost answer",
                error_kind=read_err.kind.value,
                code=read_err.code,
            )
        report = job.report
        report.settled_written += sum(r.count for r, _ in written)
        report.settled_not_written += sum(r.count for r in pending)
        if written:
            if op == "create":
                records = [{"record_id": rid} for _, rid in written]
                self._written(job, op, [r for r, _ in written], {"records": records})
            else:
                self._written(job, op, [r for r, _ in written], {})
        if unknown:
            self._unknown(job, unknown, err, token)
        get_logger().info(
            "lark.bitable.bulk",
            operation=job.operation,
            table_id=job.table_id,
            outcome="settled a lost answer",
            written=len(written),
            not_written=len(pending),
            unknown=len(unknown),
        )
        return pending

    async def _settle_creates(self, job: _Job, rows: list[PendingRow]) -> _Settled:
        """A create: the rows whose key is now in the table were written."""
        assert job.key is not None
        try:
            found = await read_keys(
                self._request, job.path, job.key, (r.key or "" for r in rows), job.params()
            )
        except LarkError as exc:
            return [], [], rows, exc
        written: list[tuple[PendingRow, str]] = []
        pending: list[PendingRow] = []
        for row in rows:
            ids = found.get(row.key or "")
            if ids:
                written.append((row, ids[-1]))  # the newest, should the table hold it twice
            else:
                pending.append(row)
        return written, pending, [], None

    async def _settle_updates(self, job: _Job, rows: list[PendingRow]) -> _Settled:
        """An upsert's update: the rows whose record now holds the values sent were written."""
        found, read_err = await self._batch_get(job, [r.record_id or "" for r in rows])
        if read_err is not None:
            return [], [], rows, read_err
        written: list[tuple[PendingRow, str]] = []
        pending: list[PendingRow] = []
        unknown: list[PendingRow] = []
        for row in rows:
            rid = row.record_id or ""
            if rid not in found:
                pending.append(row)  # gone: the resend gets its typed error
                continue
            same = _holds(found[rid], row.fields or {})
            if same is None:
                unknown.append(row)
            elif same:
                written.append((row, rid))
            else:
                pending.append(row)
        return written, pending, unknown, None


# (written rows with their record ids, rows not written, rows undecided, a read error)
_Settled = tuple[list[tuple[PendingRow, str]], list[PendingRow], list[PendingRow], LarkError | None]

_SCALARS = (str, int, float, bool)


def _holds(stored: Mapping[str, Any] | None, sent: Mapping[str, Any]) -> bool | None:
    """Whether a record's fields hold the values sent; None if that cannot be told.

    Only text, numbers, booleans, empty values and lists of those compare: other
    values (people, links, attachments) come back in another shape than sent.
    """
    if stored is None:
        return None
    for name, value in sent.items():
        if isinstance(value, list):
            if not all(isinstance(v, _SCALARS) for v in value):
                return None
        elif value is not None and not isinstance(value, _SCALARS):
            return None
        if normalise_key(value) != normalise_key(stored.get(name)):
            return False
    return True


def _not_written(err: LarkError) -> LarkError:
    """The error of rows found not written after their last round: failed, not unknown."""
    err.details["settled"] = "not written"
    err.hint = "reading the keys back showed these rows were not written; they can be sent again"
    return err


def _check_rows(rows: object, name: str) -> None:
    """Rows come as an iterable; one row (a mapping or a string) is not a list of them."""
    if isinstance(rows, (str, bytes, bytearray, Mapping)) or not isinstance(
        rows, (Iterable, AsyncIterable)
    ):
        raise InvalidParameter(
            f"{name} must be an iterable of rows, not a {type(rows).__name__}",
            hint="pass a list, a generator or an async iterator of rows",
        )

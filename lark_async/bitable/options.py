"""Bulk-run settings (``BulkOptions``) and the write slots writers share (``WriteSlots``)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace

from lark_async.bitable import checks
from lark_async.bitable.report import BulkProgress
from lark_async.core.errors import InvalidParameter
from lark_async.core.options import SharedSlots, SlotFactory

ProgressFn = Callable[[BulkProgress], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class BulkOptions:
    """Per-run settings; every ``BulkWriter`` method takes these as keyword arguments.

    - ``chunk_size``: rows per call, at most 1,000 (create/update/upsert) or 500 (delete);
      None uses the maximum.
    - ``max_attempts``: sends of one chunk that may end in a transient failure
      (timeout, 5xx, 1254607, 1255040) before it is reported.
    - ``max_waits``: resends of one chunk after a rate limit or a write conflict.
    - ``backoff_base`` / ``backoff_max``: seconds; delays double from the base.
    - ``max_split_calls``: calls one run may spend isolating bad rows by halving;
      past it a refused chunk is reported whole (guards against a systematic error
      costing two calls per row).
    - ``validate``: read the table's fields first and refuse rows with unknown field
      names or values of the wrong type locally, before they can fail a whole batch.
    - ``collect_record_ids``: put the ids of created records in ``report.record_ids``
      (in input order of the rows that were written; off by default to keep memory flat).
    - ``key_field`` (create only): a field whose value identifies each row. Every
      row must have one and no two rows may share one (repeats are refused), and
      the table must not hold those values yet. A chunk whose answer stays lost
      is then settled by reading the keys back instead of being reported unknown.
      (An upsert always settles by its ``key``.)
    - ``settle_rounds``: after a lost answer was read back, how many more times
      rows found not written are sent (each time with ``max_attempts``) before
      they are reported as failed.
    - ``timeout``: seconds per call (default: the client's).
    - ``on_progress``: called (sync or async) after each chunk settles.
    - ``client_token`` (create only): the idempotency token of the first chunk (a
      UUIDv4; later chunks get fresh ones). A caller that journals its batches
      sends one batch per run (``chunk_size`` rows or fewer) and, after a crash,
      sends that batch again with the same token: Feishu answers with the records
      the first send made instead of making them twice.
    """

    chunk_size: int | None = None
    max_attempts: int = 6
    max_waits: int = 120
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    conflict_backoff: float = 0.2
    rate_limit_wait: float = 1.0
    max_split_calls: int = 2000
    validate: bool = True
    collect_record_ids: bool = False
    user_id_type: str | None = None
    key_field: str | None = None
    settle_rounds: int = 2
    timeout: float | None = None
    on_progress: ProgressFn | None = None
    failed_rows_kept: int = 10_000
    client_token: str | None = None

    def checked(self, limit: int) -> BulkOptions:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidParameter(f"limit must be an integer in 1..1000, got {limit!r:.40}")
        size = self.chunk_size if self.chunk_size is not None else limit
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= limit:
            raise InvalidParameter(
                f"chunk_size must be an integer in 1..{limit}, got {self.chunk_size!r:.40}",
                hint=f"Feishu takes at most {limit} records per call for this operation",
            )
        for name, least in (
            ("max_attempts", 1),
            ("max_waits", 1),
            ("max_split_calls", 0),
            ("failed_rows_kept", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise InvalidParameter(f"{name} must be an integer >= {least}, got {value!r:.40}")
        if (
            isinstance(self.settle_rounds, bool)
            or not isinstance(self.settle_rounds, int)
            or self.settle_rounds < 0
        ):
            raise InvalidParameter(
                f"settle_rounds must be an integer >= 0, got {self.settle_rounds!r:.40}"
            )
        if self.key_field is not None and (
            not isinstance(self.key_field, str) or not self.key_field
        ):
            raise InvalidParameter(
                f"key_field must be a field name, got {self.key_field!r:.40}",
                hint='e.g. key_field="Email"',
            )
        for name in ("backoff_base", "backoff_max", "conflict_backoff", "rate_limit_wait"):
            _seconds(name, getattr(self, name), zero_ok=True)
        if self.timeout is not None:
            _seconds("timeout", self.timeout, zero_ok=False)
        for name in ("validate", "collect_record_ids"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameter(
                    f"{name} must be True or False, got {getattr(self, name)!r:.40}"
                )
        if self.on_progress is not None and not callable(self.on_progress):
            raise InvalidParameter(
                f"on_progress must be callable, got {type(self.on_progress).__name__}",
                hint="a function (sync or async) taking a BulkProgress",
            )
        checks.user_id_type(self.user_id_type)
        if self.client_token is not None:
            checks.client_token(self.client_token)
        return replace(self, chunk_size=size)


def table_key(app_token: str, table_id: str) -> str:
    """The write-slot key of one table."""
    return f"{app_token}/{table_id}"


# An hour: past any wait Feishu asks for; beyond it a setting is a mistake (ms for s?).
_MAX_SECONDS = 3600.0


def _seconds(name: str, value: object, *, zero_ok: bool) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
        and (value >= 0 if zero_ok else value > 0)
        and value <= _MAX_SECONDS
    )
    if not ok:
        least = ">= 0" if zero_ok else "> 0"
        raise InvalidParameter(
            f"{name} must be a number of seconds {least} and at most {_MAX_SECONDS:g}, "
            f"got {value!r:.40}"
        )


class WriteSlots:
    """The write budget shared by all writers of one app: all tables, and each table.

    Feishu allows one write at a time per table (a second one is refused with
    1254291). ``hold(key)`` is that rule: an async context manager held while one
    request to the table is on the wire, and only then, never across a backoff or
    a rate-limit wait. It is the whole interface the writers rely on, so a shared
    implementation (one slot per table across processes) subclasses this class
    and overrides :meth:`hold`. ``all`` caps the bulk writers' calls in flight in
    this process.

    ``shared``: slots shared with other processes (the client's, through
    PostgreSQL); each table's is then held inside this process's, so the table
    gets one write at a time from all processes together.
    """

    def __init__(
        self, concurrency: int = 8, per_table: int = 1, *, shared: SharedSlots | None = None
    ) -> None:
        if not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidParameter(f"concurrency must be an integer >= 1, got {concurrency!r}")
        if not isinstance(per_table, int) or per_table < 1:
            raise InvalidParameter(
                f"per_table must be an integer >= 1, got {per_table!r}",
                hint="Feishu allows one write at a time per table; more causes 1254291 conflicts",
            )
        self.concurrency = concurrency
        self.per_table = per_table
        self.shared = shared
        self.all = asyncio.Semaphore(concurrency)
        self._tables: dict[str, asyncio.Semaphore] = {}

    def hold(self, key: str) -> AbstractAsyncContextManager[object]:
        """The slot of ``key`` (see :func:`table_key`), to hold around one request."""
        if not isinstance(key, str):
            raise InvalidParameter(f"key must be a str (see table_key), not {type(key).__name__}")
        slot = self._tables.get(key)
        if slot is None:
            slot = self._tables[key] = asyncio.Semaphore(self.per_table)
        if self.shared is None:
            return slot
        return self._both(slot, self.shared, key)

    @asynccontextmanager
    async def _both(
        self, slot: asyncio.Semaphore, shared: SharedSlots, key: str
    ) -> AsyncIterator[None]:
        async with slot, shared.hold(f"bitable:{key}"):
            yield

    def table(self, app_token: str, table_id: str) -> AbstractAsyncContextManager[object]:
        """The slot of one table (``hold(table_key(app_token, table_id))``)."""
        if not isinstance(app_token, str) or not isinstance(table_id, str):
            raise InvalidParameter("app_token and table_id must be strings")
        return self.hold(table_key(app_token, table_id))

    def slot_for(self, app_token: str, table_id: str) -> SlotFactory:
        """A per-attempt slot for one table, as the transport's ``slot=`` takes it."""
        key = table_key(app_token, table_id)
        return lambda: self.hold(key)

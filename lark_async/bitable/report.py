"""What a bulk run did: rows written, rows refused (with their typed errors), chunks
retried and split, and chunks whose outcome could not be established."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from lark_async.core.errors import LarkError

Operation = Literal["create", "update", "upsert", "delete"]


@dataclass(frozen=True, slots=True)
class FailedRow:
    """An input row that was not written: its 0-based position, the row, and why."""

    index: int
    row: Any
    error: LarkError


@dataclass(frozen=True, slots=True)
class UnknownChunk:
    """Rows sent whose outcome stayed unknown after every retry (e.g. repeated timeouts).

    For a create, sending the same rows again with ``client_token`` is safe: Feishu
    answers with the records it already made instead of making them twice.
    """

    indexes: tuple[int, ...]
    error: LarkError
    client_token: str | None = None


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """A snapshot handed to ``on_progress`` after each chunk settles."""

    operation: Operation
    table_id: str
    rows_read: int
    rows_written: int
    rows_failed: int
    rows_unknown: int
    chunks_done: int
    retries: int
    elapsed: float
    done: bool = False


@dataclass
class BulkReport:
    """The outcome of one bulk run on one table. ``ok`` means every row read was written."""

    operation: Operation
    app_token: str
    table_id: str
    rows_read: int = 0
    written: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    #: delete only: ids that turned out to be gone already when a lost answer was checked
    verified_absent: int = 0
    failed_count: int = 0
    failed: list[FailedRow] = field(default_factory=list)
    unknown: list[UnknownChunk] = field(default_factory=list)
    #: rows read but never sent because the run stopped early (see ``aborted``)
    skipped: int = 0
    aborted: LarkError | None = None
    chunks: int = 0
    calls: int = 0
    retries: int = 0
    chunks_retried: int = 0
    chunks_split: int = 0
    conflicts: int = 0
    rate_limited: int = 0
    #: upsert only: input rows folded into an earlier row with the same key
    merged_duplicates: int = 0
    #: rows whose answer stayed lost, then found written by reading their keys back
    #: (also counted in ``written``)
    settled_written: int = 0
    #: rows whose answer stayed lost, then found not written (sent again, or failed)
    settled_not_written: int = 0
    elapsed: float = 0.0
    record_ids: list[str] | None = None
    failed_rows_kept: int = 10_000

    @property
    def unknown_rows(self) -> int:
        return sum(len(u.indexes) for u in self.unknown)

    @property
    def ok(self) -> bool:
        return (
            self.failed_count == 0
            and not self.unknown
            and self.aborted is None
            and self.skipped == 0
        )

    @property
    def rows_per_second(self) -> float:
        return self.written / self.elapsed if self.elapsed > 0 else 0.0

    def add_failure(self, index: int, row: Any, error: LarkError) -> None:
        """Count a refused row; keep the first ``failed_rows_kept`` with their rows."""
        self.failed_count += 1
        if len(self.failed) < self.failed_rows_kept:
            self.failed.append(FailedRow(index, row, error))

    def errors_by_kind(self) -> Counter[str]:
        """How many kept failures of each error kind (InvalidParameter, NotFound, ...)."""
        return Counter(f.error.kind.value for f in self.failed)

    def summary(self) -> str:
        """One line for a log or a terminal."""
        parts = [
            f"{self.operation} {self.table_id}: {self.written}/{self.rows_read} rows written",
            f"{self.failed_count} failed",
            f"{self.unknown_rows} unknown",
            _count(self.calls, "call"),
            _count(self.retries, "retry", "retries") + f" ({_count(self.chunks_retried, 'chunk')})",
            _count(self.chunks_split, "split"),
            f"{self.elapsed:.1f}s",
        ]
        if self.settled_written or self.settled_not_written:
            parts.append(
                f"{self.settled_written + self.settled_not_written} settled by reading back "
                f"({self.settled_written} written, {self.settled_not_written} not)"
            )
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.aborted is not None:
            parts.append(f"aborted: {self.aborted.message}")
        return ", ".join(parts)

    def progress(self, chunks_done: int, *, done: bool = False) -> BulkProgress:
        return BulkProgress(
            operation=self.operation,
            table_id=self.table_id,
            rows_read=self.rows_read,
            rows_written=self.written,
            rows_failed=self.failed_count,
            rows_unknown=self.unknown_rows,
            chunks_done=chunks_done,
            retries=self.retries,
            elapsed=self.elapsed,
            done=done,
        )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"

"""Per-recipient outcomes of a multi-recipient send."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, overload

from lark_async.core.errors import LarkError


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """One recipient: ``sent`` with its ``message_id``, or ``failed`` with the typed ``error``.

    For ``batch_send`` the ``message_id`` is the batch's ``bm-...`` id and
    ``sent`` means Feishu accepted the id (delivery is asynchronous there).
    """

    receiver: str
    receive_id_type: str | None
    message_id: str | None = None
    error: LarkError | None = None
    uuid: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> Literal["sent", "failed"]:
        return "sent" if self.error is None else "failed"


@dataclass(frozen=True)
class SendReport(Sequence[RecipientResult]):
    """Results in the order the recipients were given."""

    results: list[RecipientResult] = field(default_factory=list)

    @overload
    def __getitem__(self, index: int) -> RecipientResult: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[RecipientResult]: ...

    def __getitem__(self, index: int | slice) -> RecipientResult | Sequence[RecipientResult]:
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[RecipientResult]:
        return iter(self.results)

    @property
    def sent(self) -> list[RecipientResult]:
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[RecipientResult]:
        return [r for r in self.results if not r.ok]

    @property
    def all_sent(self) -> bool:
        return all(r.ok for r in self.results)

    def summary(self) -> dict[str, int]:
        """Counts: ``sent``, ``failed``, and failures per error kind (``failed.NotFound``)."""
        counts: Counter[str] = Counter(sent=0, failed=0)
        for r in self.results:
            counts[r.status] += 1
            if r.error is not None:
                counts[f"failed.{r.error.kind.value}"] += 1
        return dict(counts)


@dataclass(frozen=True, slots=True)
class BatchChunk:
    """One ``batch_send`` request: its ``bm-`` id, or the error that failed the whole chunk."""

    message_id: str | None
    recipients: int
    invalid: int
    error: LarkError | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class BatchSendReport(SendReport):
    """``batch_send`` results per id, plus the requests (chunks of <= 200 ids per list)."""

    chunks: list[BatchChunk] = field(default_factory=list)

    @property
    def invalid_ids(self) -> list[str]:
        """Ids Feishu reported invalid (unknown, unreachable, another app's open_id)."""
        return [
            r.receiver
            for r in self.results
            if r.error is not None and r.error.details.get("reported_invalid")
        ]

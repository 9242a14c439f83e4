"""What every part of the Sheets service shares: paths, the per-spreadsheet
write lock, and the helpers for split-and-retry and partial failures."""

from __future__ import annotations

from collections import deque
from typing import Any

from lark_async.core.errors import ServerError
from lark_async.core.response import LarkResponse
from lark_async.core.service import Service, ServiceContext
from lark_async.sheets.codes import TOO_LARGE_REQUEST
from lark_async.sheets.locks import KeyedLocks
from lark_async.sheets.models import SheetEnvelope
from lark_async.sheets.ranges import SheetRange

V2 = "/open-apis/sheets/v2/spreadsheets"
V3 = "/open-apis/sheets/v3/spreadsheets"


class SheetsBase(Service):
    """The service state: one write lock per spreadsheet token.

    Feishu requires the writes to one spreadsheet to be made one at a time;
    every write takes the lock of its spreadsheet, so concurrent callers queue
    instead of colliding: a value write of one request only while it is on the
    wire, one of several requests for all of them (``locks.WriteSlot``).
    """

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        # Shared with the app's other processes when the client offers it (PostgreSQL).
        self._write_locks = KeyedLocks(getattr(ctx, "shared_slots", None))

    async def _bound(self, token: str, rng: SheetRange) -> SheetRange | LarkResponse[Any]:
        """Close an open-ended range at the sheet's size (a failure comes back as is)."""
        if rng.is_bounded:
            return rng
        info = await self._call(SheetEnvelope, "GET", f"{V3}/{token}/sheets/{rng.sheet_id}")
        if not info.ok or info.data is None:
            return info
        grid = info.data.sheet.grid_properties
        if grid is None:
            err = ServerError(
                "the sheet answered without grid_properties, so its size is unknown",
                hint="give a bounded range such as 'sheet!A1:C5000'",
            )
            return LarkResponse.failure(err, request_id=info.request_id)
        return rng.bounded(grid.row_count, grid.column_count)


def split_if_too_large(
    resp: LarkResponse[Any], block: SheetRange, pending: deque[SheetRange]
) -> bool:
    """On 90227 put the block's halves at the front of the queue; True if it did."""
    if resp.code != TOO_LARGE_REQUEST or not block.is_bounded:
        return False
    halves = block.halves()
    if halves is None:
        return False
    pending.extendleft(reversed(halves))
    return True


def with_progress(resp: LarkResponse[Any], **progress: Any) -> LarkResponse[Any]:
    """A failure, with what had been done before it in ``error.details``."""
    if resp.error is not None:
        resp.error.details.update(progress)
    return resp.with_data(None)

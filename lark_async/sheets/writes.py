"""Writing values: update, batch update, append, prepend (Feishu Sheets docs).

Writes go in blocks of at most 5,000 rows × 100 columns, one at a time per
spreadsheet; a block Feishu still finds too large (90227) is halved and
resent. A write of one request holds the spreadsheet's slot only while it is on
the wire; a write of several holds it throughout (see ``sheets.locks``).
Updates set values, so they are idempotent and the transport may retry them;
appends and prepends add rows, so they are never resent blindly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TypeAlias

from lark_async.core.errors import InvalidParameter
from lark_async.core.response import LarkResponse
from lark_async.sheets.base import V2, SheetsBase, split_if_too_large, with_progress
from lark_async.sheets.chunking import MAX_WRITE_COLS, MAX_WRITE_ROWS, block_values, blocks
from lark_async.sheets.codes import TOO_LARGE_REQUEST
from lark_async.sheets.locks import WriteSlot
from lark_async.sheets.models import (
    AppendResult,
    BatchWriteResult,
    InsertDataOption,
    SheetWriteResult,
    UpdatedRange,
)
from lark_async.sheets.ranges import RangeLike, SheetRange, check_spreadsheet_token
from lark_async.sheets.values import Grid, check_grid

#: ``{range: values}`` or ``[(range, values), ...]``. Mapping keys are invariant,
#: so each key type is spelled out for ``{"sheet!A1": rows}`` to type-check.
RangeValues: TypeAlias = (
    Mapping[str, Grid]
    | Mapping[SheetRange, Grid]
    | Mapping[RangeLike, Grid]
    | Iterable[tuple[RangeLike, Grid]]
)


class WriteCalls(SheetsBase):
    """Writing values (v2), serial per spreadsheet."""

    async def update_sheet_data(
        self, spreadsheet_token: str, range: RangeLike, values: Grid
    ) -> LarkResponse[SheetWriteResult]:
        """Write a grid of values at ``range``.

        ``range`` may be the top-left cell (``"sheet!A1"``), a box that holds the
        values (``"sheet!A1:C3"``), whole columns, or a sheet; the values are
        written from its top-left cell. A grid bigger than 5,000 rows × 100
        columns is written block by block, serially; a block Feishu still finds
        too large (90227) is halved and resent. Writing values is idempotent,
        so the transport retries failed blocks, and the whole call can be
        repeated safely. If a block fails for good, the error's ``details``
        say which ranges were written (``written_ranges``) and which failed.
        """
        token = check_spreadsheet_token(spreadsheet_token)
        rng = SheetRange.coerce(range)
        rows, cols = check_grid(values)
        target = _fit(rng, rows, cols)
        async with WriteSlot(self._write_locks, token) as slot:
            return await self._write_values(token, target, values, slot)

    async def _write_values(
        self, token: str, target: SheetRange, values: Grid, slot: WriteSlot
    ) -> LarkResponse[SheetWriteResult]:
        pending = deque(blocks(target))
        if len(pending) > 1:
            await slot.hold_all()
        written: list[str] = []
        cells = requests = revision = 0
        last: LarkResponse[UpdatedRange] | None = None
        while pending:
            block = pending.popleft()
            body = {
                "valueRange": {"range": str(block), "values": block_values(values, target, block)}
            }
            resp = await self._call(
                UpdatedRange,
                "PUT",
                f"{V2}/{token}/values",
                json=body,
                idempotent=True,
                slot=slot.per_request,
            )
            requests += 1
            if split_if_too_large(resp, block, pending):
                await slot.hold_all()  # refused whole: its halves go back to back
                continue
            if not resp.ok or resp.data is None:
                return with_progress(resp, written_ranges=written, failed_range=str(block))
            last = resp
            written.append(str(block))
            cells += resp.data.updated_cells
            revision = max(revision, resp.data.revision)
        assert last is not None
        return last.with_data(
            SheetWriteResult(
                spreadsheet_token=token,
                revision=revision,
                updated_range=str(target),
                updated_rows=target.row_count or 0,
                updated_columns=target.col_count or 0,
                updated_cells=cells,
                requests=requests,
            )
        )

    async def batch_update_sheet_data(
        self,
        spreadsheet_token: str,
        data: RangeValues,
    ) -> LarkResponse[BatchWriteResult]:
        """Write several ranges; ``responses[i]`` sums up the i-th range.

        Ranges are written in the order given (later ones win where they
        overlap). They are packed into requests of at most 5,000 × 100 cells,
        a big range is cut into blocks, and a request answered 90227 is split
        in two and resent.
        """
        token = check_spreadsheet_token(spreadsheet_token)
        if isinstance(data, str | bytes) or not isinstance(data, Iterable):
            raise InvalidParameter(
                f"data must be a mapping or a list of (range, values) pairs, "
                f"got {type(data).__name__}",
                hint="data: {range: values, ...} or [(range, values), ...]",
            )
        items = list(data.items()) if isinstance(data, Mapping) else list(data)
        if not items:
            raise InvalidParameter(
                "data is empty", hint="data: {range: values, ...} or [(range, values), ...]"
            )
        targets: list[tuple[SheetRange, Grid]] = []
        for i, item in enumerate(items):
            if not isinstance(item, tuple) or len(item) != 2:
                raise InvalidParameter(
                    f"data[{i}] must be a (range, values) pair", hint="data: [(range, values)]"
                )
            rng = SheetRange.coerce(item[0], name=f"data[{i}] range")
            rows, cols = check_grid(item[1], name=f"data[{i}] values")
            targets.append((_fit(rng, rows, cols), item[1]))
        # (index of the item, block) in write order, packed into requests.
        parts = [(i, b) for i, (t, _) in enumerate(targets) for b in blocks(t)]
        packs = deque(_pack(parts, MAX_WRITE_ROWS * MAX_WRITE_COLS))
        sums = [UpdatedRange(spreadsheet_token=token, updated_range=str(t)) for t, _ in targets]
        for s, (t, _) in zip(sums, targets, strict=True):
            s.updated_rows, s.updated_columns = t.row_count or 0, t.col_count or 0
        requests = revision = 0
        written: list[str] = []
        last: LarkResponse[BatchWriteResult] | None = None
        async with WriteSlot(self._write_locks, token) as slot:
            if len(packs) > 1:
                await slot.hold_all()
            while packs:
                pack = packs.popleft()
                body = {
                    "valueRanges": [
                        {"range": str(b), "values": block_values(targets[i][1], targets[i][0], b)}
                        for i, b in pack
                    ]
                }
                resp = await self._call(
                    BatchWriteResult,
                    "POST",
                    f"{V2}/{token}/values_batch_update",
                    json=body,
                    idempotent=True,  # it sets values: sending it twice changes nothing
                    slot=slot.per_request,
                )
                requests += 1
                if resp.code == TOO_LARGE_REQUEST:
                    smaller = _split_pack(pack)
                    if smaller is not None:
                        packs.extendleft(reversed(smaller))
                        await slot.hold_all()
                        continue
                if not resp.ok or resp.data is None:
                    failed = [str(b) for _, b in pack]
                    return with_progress(resp, written_ranges=written, failed_ranges=failed)
                last = resp
                revision = max(revision, resp.data.revision)
                for (i, b), answer in zip(
                    pack, _padded(resp.data.responses, len(pack)), strict=True
                ):
                    sums[i].updated_cells += answer.updated_cells
                    written.append(str(b))
        assert last is not None
        for s in sums:
            s.revision = revision
        return last.with_data(
            BatchWriteResult(
                revision=revision, spreadsheet_token=token, responses=sums, requests=requests
            )
        )

    async def append_sheet_data(
        self,
        spreadsheet_token: str,
        range: RangeLike,
        values: Grid,
        *,
        insert_data_option: InsertDataOption | str = InsertDataOption.OVERWRITE,
    ) -> LarkResponse[AppendResult]:
        """Add rows after the last non-empty row of ``range`` (e.g. ``"sheet!A:C"``).

        ``insert_data_option``: ``OVERWRITE`` (Feishu's default) writes over the
        rows below the table; ``INSERT_ROWS`` inserts new rows for the data.
        More than 5,000 rows go in several appends, in order.

        **Not idempotent**: a resent append adds the rows twice. So it is never
        retried blindly; if the answer is lost the result is ``OutcomeUnknown``
        (read the sheet back before trying again). If a later block fails, the
        error's ``details["written_rows"]`` says how many rows went in.
        """
        option = _insert_option(insert_data_option)
        return await self._add_rows(
            spreadsheet_token, range, values, "values_append", {"insertDataOption": option}
        )

    async def prepend_sheet_data(
        self, spreadsheet_token: str, range: RangeLike, values: Grid
    ) -> LarkResponse[AppendResult]:
        """Insert rows above the start of ``range`` and write ``values`` there.

        More than 5,000 rows go in several prepends, last block first, so the
        rows end up in the order given. Not idempotent (see
        :meth:`append_sheet_data`).
        """
        return await self._add_rows(spreadsheet_token, range, values, "values_prepend", None)

    async def _add_rows(
        self,
        spreadsheet_token: str,
        range: RangeLike,
        values: Grid,
        endpoint: str,
        params: dict[str, str] | None,
    ) -> LarkResponse[AppendResult]:
        token = check_spreadsheet_token(spreadsheet_token)
        rng = SheetRange.coerce(range)
        rows, cols = check_grid(values)
        limit = min(MAX_WRITE_COLS, rng.col_count or MAX_WRITE_COLS)
        if cols > limit:
            raise InvalidParameter(
                f"values rows have {cols} cells but at most {limit} fit",
                hint=f"values: at most {limit} columns per row "
                + ("(the width of range)" if limit < MAX_WRITE_COLS else "per append"),
            )
        prepend = endpoint == "values_prepend"
        # Row slices of the grid, in sending order; prepends go bottom block first.
        pending = deque(_row_slices(rows, MAX_WRITE_ROWS))
        if prepend:
            pending.reverse()
        done_rows = cells = requests = revision = 0
        starts: list[SheetRange] = []
        last: LarkResponse[AppendResult] | None = None
        async with WriteSlot(self._write_locks, token) as slot:
            if len(pending) > 1:
                await slot.hold_all()  # the blocks' rows must land together, in order
            while pending:
                start, count = pending.popleft()
                chunk = [list(r) for r in values[start : start + count]]
                resp = await self._call(
                    AppendResult,
                    "POST",
                    f"{V2}/{token}/{endpoint}",
                    params=params,
                    json={"valueRange": {"range": str(rng), "values": chunk}},
                    slot=slot.per_request,
                )
                requests += 1
                if resp.code == TOO_LARGE_REQUEST and count > 1:
                    # Refused before anything was written, so a smaller resend is safe.
                    top, bottom = (start, (count + 1) // 2), (start + (count + 1) // 2, count // 2)
                    pending.extendleft([top, bottom] if prepend else [bottom, top])
                    await slot.hold_all()
                    continue
                if not resp.ok or resp.data is None:
                    return with_progress(resp, written_rows=done_rows, failed_rows=count)
                last = resp
                done_rows += count
                cells += resp.data.updates.updated_cells
                revision = max(revision, resp.data.revision)
                parsed = _try_parse(resp.data.updates.updated_range)
                if parsed is not None:
                    starts.append(parsed)
        assert last is not None and last.data is not None
        updates = last.data.updates.model_copy(
            update={
                "updated_rows": done_rows,
                "updated_cells": cells,
                "revision": revision,
                "updated_range": _span(starts, done_rows) or last.data.updates.updated_range,
            }
        )
        return last.with_data(
            last.data.model_copy(
                update={"updates": updates, "revision": revision, "requests": requests}
            )
        )


def _fit(rng: SheetRange, rows: int, cols: int) -> SheetRange:
    """The box the values will fill, from ``rng``'s top-left.

    A single cell is an anchor (the values start there); any bigger range must
    hold the values.
    """
    if rng.cell_count == 1:
        return rng.sized(rows, cols)
    if (rng.row_count is not None and rows > rng.row_count) or (
        rng.col_count is not None and cols > rng.col_count
    ):
        raise InvalidParameter(
            f"values are {rows} x {cols} but range {rng} holds "
            f"{rng.row_count or 'any'} x {rng.col_count} cells",
            hint="range: make it cover the values, or give only the top-left cell ('sheet!A1')",
        )
    return rng.sized(rows, cols)


def _pack(
    parts: list[tuple[int, SheetRange]], max_cells: int
) -> list[list[tuple[int, SheetRange]]]:
    """Consecutive blocks grouped so each request carries at most ``max_cells`` cells."""
    packs: list[list[tuple[int, SheetRange]]] = []
    current: list[tuple[int, SheetRange]] = []
    size = 0
    for i, block in parts:
        cells = block.cell_count or 0
        if current and size + cells > max_cells:
            packs.append(current)
            current, size = [], 0
        current.append((i, block))
        size += cells
    if current:
        packs.append(current)
    return packs


def _split_pack(
    pack: list[tuple[int, SheetRange]],
) -> list[list[tuple[int, SheetRange]]] | None:
    """A pack answered 90227 in two halves by cells, or a lone block by its halves."""
    if len(pack) > 1:
        total = sum(b.cell_count or 0 for _, b in pack)
        mid, acc = 1, pack[0][1].cell_count or 0
        while mid < len(pack) - 1 and acc * 2 < total:
            acc += pack[mid][1].cell_count or 0
            mid += 1
        return [pack[:mid], pack[mid:]]
    i, block = pack[0]
    halves = block.halves()
    if halves is None:
        return None
    return [[(i, halves[0])], [(i, halves[1])]]


def _padded(responses: list[UpdatedRange], n: int) -> list[UpdatedRange]:
    # Count on one answer per range sent, but never fail on a short list.
    return (responses + [UpdatedRange()] * n)[:n]


def _row_slices(rows: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(size, rows - start)) for start in range(0, rows, size)]


def _try_parse(text: str) -> SheetRange | None:
    try:
        return SheetRange.parse(text)
    except InvalidParameter:
        return None


def _span(parts: list[SheetRange], rows: int) -> str | None:
    """The box covered by appended blocks: from the highest start, ``rows`` rows down."""
    bounded = [p for p in parts if p.is_bounded]
    if not bounded:
        return None
    first = min(bounded, key=lambda p: p.top_left[0])
    row, col = first.top_left
    return str(SheetRange(first.sheet_id, row, col, row + rows - 1, first.end_col))


def _insert_option(value: InsertDataOption | str) -> str:
    if isinstance(value, str) and value.upper() in InsertDataOption.__members__:
        return InsertDataOption[value.upper()].value
    raise InvalidParameter(
        f"insert_data_option must be OVERWRITE or INSERT_ROWS, got {value!r:.40}",
        hint="insert_data_option: InsertDataOption.OVERWRITE or InsertDataOption.INSERT_ROWS",
    )

"""Formatting: cell styles, merges, row heights and column widths,
frozen panes (Feishu Sheets docs).

Each of these sets a state, so sending one twice changes nothing: they are
marked idempotent and the transport may retry them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lark_async.core.errors import InvalidParameter
from lark_async.core.response import LarkResponse
from lark_async.core.service import parse_model
from lark_async.sheets.base import V2, SheetsBase, split_if_too_large, with_progress
from lark_async.sheets.chunking import (
    MAX_BORDER_CELLS,
    MAX_DIMENSION_SPAN,
    MAX_WRITE_COLS,
    MAX_WRITE_ROWS,
    blocks,
)
from lark_async.sheets.models import (
    BatchStyleResult,
    Dimension,
    DimensionResult,
    MergeResult,
    MergeType,
    SheetProperties,
    StyleResult,
)
from lark_async.sheets.ranges import (
    MAX_COLUMNS,
    MAX_ROWS,
    RangeLike,
    SheetRange,
    check_sheet_id,
    check_spreadsheet_token,
    to_column_index,
)
from lark_async.sheets.styles import CellStyle


class FormattingCalls(SheetsBase):
    """Styles, merges, sizes and frozen panes (v2), serial per spreadsheet."""

    async def set_style(
        self, spreadsheet_token: str, range: RangeLike, style: CellStyle
    ) -> LarkResponse[StyleResult]:
        """Apply ``style`` to ``range`` (fonts, colours, alignment, borders, formats).

        A box larger than one request allows (5,000 × 100, or 30,000 cells with
        a border) is styled block by block, which gives the same result for
        everything but outer/inner/side borders: those must fit one request.
        An open-ended range (``"sheet!A:A"``) is first closed at the sheet's
        size (one ``get_sheet`` call).
        """
        token = check_spreadsheet_token(spreadsheet_token)
        rng = SheetRange.coerce(range)
        api_style = _style(style)
        if not rng.is_bounded:
            bounded = await self._bound(token, rng)
            if isinstance(bounded, LarkResponse):
                return bounded.with_data(None)
            rng = bounded
        parts = _style_blocks(rng, style)
        pending = deque(parts)
        cells = requests = revision = 0
        last: LarkResponse[StyleResult] | None = None
        async with self._write_locks.hold(token):
            while pending:
                block = pending.popleft()
                resp = await self._call(
                    StyleResult,
                    "PUT",
                    f"{V2}/{token}/style",
                    json={"appendStyle": {"range": str(block), "style": api_style}},
                    idempotent=True,
                )
                requests += 1
                if _split_allowed(style) and split_if_too_large(resp, block, pending):
                    continue
                if not resp.ok or resp.data is None:
                    return with_progress(resp, failed_range=str(block))
                last = resp
                cells += resp.data.updates.updated_cells
                revision = max(revision, resp.data.updates.revision)
        assert last is not None and last.data is not None
        updates = last.data.updates.model_copy(
            update={
                "spreadsheet_token": token,
                "updated_range": str(rng),
                "updated_rows": rng.row_count or last.data.updates.updated_rows,
                "updated_columns": rng.col_count or last.data.updates.updated_columns,
                "updated_cells": cells,
                "revision": revision,
            }
        )
        return last.with_data(StyleResult(updates=updates, requests=requests))

    async def batch_set_style(
        self,
        spreadsheet_token: str,
        items: Iterable[tuple[RangeLike | Sequence[RangeLike], CellStyle]],
    ) -> LarkResponse[BatchStyleResult]:
        """Several styles in one request: ``[(ranges, style), ...]``; later ones win.

        Each range must fit one request (5,000 × 100; 30,000 cells with a
        border); use :meth:`set_style` for bigger ones.
        """
        token = check_spreadsheet_token(spreadsheet_token)
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
            raise InvalidParameter(
                f"items must be a list of (ranges, style) pairs, got {type(items).__name__}",
                hint="items: [(ranges, style), ...]",
            )
        entries: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if not isinstance(item, tuple) or len(item) != 2:
                raise InvalidParameter(
                    f"items[{i}] must be a (ranges, style) pair", hint="items: [(ranges, style)]"
                )
            raw_ranges, style = item
            if isinstance(raw_ranges, (str, SheetRange)):
                raw_ranges = [raw_ranges]
            if isinstance(raw_ranges, bytes | Mapping) or not isinstance(raw_ranges, Iterable):
                raise InvalidParameter(
                    f"items[{i}] ranges must be a range or a list of ranges",
                    hint="items: [('sheet!A1:B2', style), (['sheet!A1', 'sheet!C1'], style)]",
                )
            raw_ranges = list(raw_ranges)
            if not raw_ranges:
                raise InvalidParameter(f"items[{i}] has no ranges", hint="items: name a range")
            api_style = _style(style, name=f"items[{i}] style")
            rngs = [SheetRange.coerce(r, name=f"items[{i}] range") for r in raw_ranges]
            for r in rngs:
                if len(_style_blocks(r, style)) > 1:
                    raise InvalidParameter(
                        f"range {r} is too large for one request",
                        hint="items: at most 5,000 rows x 100 columns (30,000 cells with a "
                        "border) per range; set_style() splits larger ranges",
                    )
            entries.append({"ranges": [str(r) for r in rngs], "style": api_style})
        if not entries:
            raise InvalidParameter("items is empty", hint="items: [(ranges, style), ...]")
        async with self._write_locks.hold(token):
            return await self._call(
                BatchStyleResult,
                "PUT",
                f"{V2}/{token}/styles_batch_update",
                json={"data": entries},
                idempotent=True,
            )

    async def merge_cells(
        self,
        spreadsheet_token: str,
        range: RangeLike,
        merge_type: MergeType | str = MergeType.MERGE_ALL,
    ) -> LarkResponse[MergeResult]:
        """Merge a box: into one cell (``MERGE_ALL``), one per row or one per column."""
        token = check_spreadsheet_token(spreadsheet_token)
        rng = _mergeable(range)
        kind = _merge_type(merge_type)
        rows, cols = rng.row_count or 0, rng.col_count or 0
        if (kind is MergeType.MERGE_ALL and rows * cols < 2) or (
            (kind is MergeType.MERGE_ROWS and cols < 2)
            or (kind is MergeType.MERGE_COLUMNS and rows < 2)
        ):
            raise InvalidParameter(
                f"{kind.value} on {rng} would merge nothing",
                hint="range: MERGE_ROWS needs 2+ columns, MERGE_COLUMNS 2+ rows, "
                "MERGE_ALL 2+ cells",
            )
        async with self._write_locks.hold(token):
            return await self._call(
                MergeResult,
                "POST",
                f"{V2}/{token}/merge_cells",
                json={"range": str(rng), "mergeType": kind.value},
                idempotent=True,  # the result is a state: merging twice merges the same cells
            )

    async def unmerge_cells(
        self, spreadsheet_token: str, range: RangeLike
    ) -> LarkResponse[MergeResult]:
        """Split every merged cell inside ``range``."""
        token = check_spreadsheet_token(spreadsheet_token)
        rng = _mergeable(range)
        async with self._write_locks.hold(token):
            return await self._call(
                MergeResult,
                "POST",
                f"{V2}/{token}/unmerge_cells",
                json={"range": str(rng)},
                idempotent=True,
            )

    async def update_dimension(
        self,
        spreadsheet_token: str,
        sheet_id: str,
        dimension: Dimension | str,
        start: int | str,
        end: int | str | None = None,
        *,
        visible: bool | None = None,
        fixed_size: int | None = None,
    ) -> LarkResponse[DimensionResult]:
        """Show/hide or resize rows or columns ``start``..``end`` (1-based, inclusive).

        Columns may be letters. ``fixed_size`` is pixels (0 hides). Spans over
        5,000 are sent in several requests.
        """
        return await self._update_dimension(
            spreadsheet_token,
            sheet_id,
            dimension,
            start,
            end,
            visible=visible,
            fixed_size=fixed_size,
            names=("start", "end", "fixed_size"),
        )

    async def _update_dimension(
        self,
        spreadsheet_token: str,
        sheet_id: str,
        dimension: Dimension | str,
        start: int | str,
        end: int | str | None,
        *,
        visible: bool | None,
        fixed_size: int | None,
        names: tuple[str, str, str],
    ) -> LarkResponse[DimensionResult]:
        """:meth:`update_dimension`; ``names`` are the caller's names for start, end, size."""
        token = check_spreadsheet_token(spreadsheet_token)
        sid = check_sheet_id(sheet_id)
        dim = _dimension(dimension)
        first, last = _span_indexes(dim, start, end, names[0], names[1])
        if visible is not None and not isinstance(visible, bool):
            raise InvalidParameter(f"visible must be a bool, got {visible!r:.40}", hint="visible")
        if fixed_size is not None:
            _check_size(fixed_size, names[2], least=0)
        if visible is None and fixed_size is None:
            raise InvalidParameter("nothing to change", hint="give visible= and/or fixed_size=")
        props: dict[str, Any] = {}
        if visible is not None:
            props["visible"] = visible
        if fixed_size is not None:
            props["fixedSize"] = fixed_size
        requests = 0
        resp: LarkResponse[DimensionResult] | None = None
        async with self._write_locks.hold(token):
            for lo in range(first, last + 1, MAX_DIMENSION_SPAN):
                hi = min(last, lo + MAX_DIMENSION_SPAN - 1)
                body = {
                    "dimension": {
                        "sheetId": sid,
                        "majorDimension": dim.value,
                        "startIndex": lo,
                        "endIndex": hi,
                    },
                    "dimensionProperties": props,
                }
                resp = await self._call(
                    DimensionResult,
                    "PUT",
                    f"{V2}/{token}/dimension_range",
                    json=body,
                    idempotent=True,
                )
                requests += 1
                if not resp.ok:
                    return with_progress(resp, done_until=lo - 1, failed_from=lo)
        assert resp is not None
        return resp.with_data(DimensionResult(requests=requests))

    async def set_column_width(
        self,
        spreadsheet_token: str,
        sheet_id: str,
        start_col: int | str,
        end_col: int | str | None = None,
        *,
        width: int,
    ) -> LarkResponse[DimensionResult]:
        """Column width in pixels: ``set_column_width(tok, sid, "A", "C", width=120)``."""
        _check_size(width, "width")
        return await self._update_dimension(
            spreadsheet_token,
            sheet_id,
            Dimension.COLUMNS,
            start_col,
            end_col,
            visible=None,
            fixed_size=width,
            names=("start_col", "end_col", "width"),
        )

    async def set_row_height(
        self,
        spreadsheet_token: str,
        sheet_id: str,
        start_row: int,
        end_row: int | None = None,
        *,
        height: int,
    ) -> LarkResponse[DimensionResult]:
        """Row height in pixels: ``set_row_height(tok, sid, 1, height=32)``."""
        _check_size(height, "height")
        return await self._update_dimension(
            spreadsheet_token,
            sheet_id,
            Dimension.ROWS,
            start_row,
            end_row,
            visible=None,
            fixed_size=height,
            names=("start_row", "end_row", "height"),
        )

    async def freeze(
        self, spreadsheet_token: str, sheet_id: str, *, rows: int = 0, cols: int = 0
    ) -> LarkResponse[SheetProperties]:
        """Freeze the first ``rows`` rows and ``cols`` columns (0 unfreezes that axis)."""
        token = check_spreadsheet_token(spreadsheet_token)
        sid = check_sheet_id(sheet_id)
        for name, value, limit in (("rows", rows, MAX_ROWS), ("cols", cols, MAX_COLUMNS)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                raise InvalidParameter(
                    f"{name} must be an int in 0..{limit}, got {value!r}",
                    hint=f"{name}: how many leading {name} to freeze; 0 unfreezes",
                )
        props = {"sheetId": sid, "frozenRowCount": rows, "frozenColCount": cols}
        async with self._write_locks.hold(token):
            resp = await self._request(
                "POST",
                f"{V2}/{token}/sheets_batch_update",
                json={"requests": [{"updateSheet": {"properties": props}}]},
                idempotent=True,
            )
        if resp.ok:
            resp = resp.with_data(_updated_properties(resp.data) or props)
        return parse_model(resp, SheetProperties)

    async def unfreeze(
        self, spreadsheet_token: str, sheet_id: str
    ) -> LarkResponse[SheetProperties]:
        """No frozen rows or columns."""
        return await self.freeze(spreadsheet_token, sheet_id, rows=0, cols=0)


def _merge_type(value: MergeType | str) -> MergeType:
    if isinstance(value, str) and value.upper() in MergeType.__members__:
        return MergeType[value.upper()]
    raise InvalidParameter(
        f"merge_type must be MERGE_ALL, MERGE_ROWS or MERGE_COLUMNS, got {value!r:.40}",
        hint="merge_type: a MergeType",
    )


def _dimension(value: Dimension | str) -> Dimension:
    if isinstance(value, str) and value.upper() in Dimension.__members__:
        return Dimension[value.upper()]
    raise InvalidParameter(
        f"dimension must be ROWS or COLUMNS, got {value!r:.40}", hint="dimension: a Dimension"
    )


def _row_number(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROWS:
        raise InvalidParameter(
            f"{name} must be a row number in 1..{MAX_ROWS}, got {value!r:.40}",
            hint=f"{name}: rows are 1-based",
        )
    return value


def _span_indexes(
    dim: Dimension,
    start: int | str,
    end: int | str | None,
    start_name: str = "start",
    end_name: str = "end",
) -> tuple[int, int]:
    """1-based inclusive (first, last); columns may be letters."""
    if dim is Dimension.COLUMNS:
        first = to_column_index(start, name=start_name)
        last = first if end is None else to_column_index(end, name=end_name)
    else:
        first = _row_number(start, start_name)
        last = first if end is None else _row_number(end, end_name)
    if last < first:
        raise InvalidParameter(
            f"{end_name} ({end}) is before {start_name} ({start})",
            hint=f"{end_name}: at or after {start_name}",
        )
    return first, last


def _updated_properties(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """``replies[0].updateSheet.properties`` of a sheets_batch_update answer, if there."""
    replies = (data or {}).get("replies")
    if not isinstance(replies, list) or not replies or not isinstance(replies[0], dict):
        return None
    props = (replies[0].get("updateSheet") or {}).get("properties")
    return props if isinstance(props, dict) else None


#: Pixels; far past any screen, and inside the 32-bit int Feishu reads.
MAX_PIXELS = 2**31 - 1


def _check_size(value: int, name: str, *, least: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_PIXELS:
        raise InvalidParameter(
            f"{name} must be an int in {least}..{MAX_PIXELS} (pixels), got {value!r:.40}",
            hint=f"{name}: pixels; to hide, use update_dimension(..., visible=False)",
        )


def _style(style: CellStyle, *, name: str = "style") -> dict[str, Any]:
    if not isinstance(style, CellStyle):
        raise InvalidParameter(
            f"{name} must be a CellStyle, got {type(style).__name__}",
            hint=f"{name}: CellStyle(bold=True, back_color='#eeeeee', ...)",
        )
    return style.to_api()


def _split_allowed(style: CellStyle) -> bool:
    return style.border is None or getattr(style.border, "splittable", False)


def _style_blocks(rng: SheetRange, style: CellStyle) -> list[SheetRange]:
    """The requests a style on ``rng`` needs; an open-ended range goes as one."""
    if not rng.is_bounded:
        return [rng]
    cols = rng.col_count or 1
    max_rows = MAX_WRITE_ROWS
    if style.border is not None:
        max_rows = max(1, min(max_rows, MAX_BORDER_CELLS // min(cols, MAX_WRITE_COLS)))
    parts = blocks(rng, max_rows, MAX_WRITE_COLS)
    if len(parts) > 1 and not _split_allowed(style):
        raise InvalidParameter(
            f"a {style.border} on {rng} is too large for one request, and drawing it in "
            "blocks would draw different lines",
            hint=f"range: at most {MAX_BORDER_CELLS:,} cells and {MAX_WRITE_ROWS:,} x "
            f"{MAX_WRITE_COLS} for {style.border}; FULL_BORDER can be split",
        )
    return parts


def _mergeable(range: RangeLike) -> SheetRange:
    rng = SheetRange.coerce(range)
    rows, cols = rng.row_count, rng.col_count
    if rows is None or cols is None:
        raise InvalidParameter(
            f"merge ranges must be a box of cells, got {rng}",
            hint="range: both corners, e.g. 'sheet!A1:D1'",
        )
    if rows > MAX_WRITE_ROWS or cols > MAX_WRITE_COLS:
        raise InvalidParameter(
            f"range {rng} is {rows} x {cols}; a merge covers at most "
            f"{MAX_WRITE_ROWS:,} x {MAX_WRITE_COLS}",
            hint="range: merge smaller boxes",
        )
    return rng
